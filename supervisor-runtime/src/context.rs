//! What a child incarnation is handed: its identity, its history, its shutdown token and its
//! mailbox.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{oneshot, OwnedMutexGuard};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::breaker::CircuitBreaker;
use crate::exit::ExitReason;
use crate::mailbox::{ErasedMailbox, MailboxInner, Rx};
use crate::stash::Stash;
use crate::types::AnyArc;

/// What an incarnation sees of its node: who it is and its mailbox. The node tree implements it;
/// knowing only this keeps contexts (and the specs that make them) below the tree.
pub(crate) trait NodeView: Send + Sync + 'static {
    fn id(&self) -> &Arc<str>;
    fn path(&self) -> &Arc<str>;
    fn mailbox(&self) -> Option<&dyn ErasedMailbox>;
    /// Records a heartbeat, if the child is judged by them (S12).
    fn beat(&self);
    /// The child's carried state, if it declared one (S15).
    fn stash(&self) -> Option<AnyArc>;
    /// Its running process, if it is an operating-system process (S20).
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    fn process(&self) -> Option<&crate::os::ProcessSlot>;
    /// Whether the incarnation is working on a message it took (S14.2).
    fn set_busy(&self, busy: bool);
    /// A message taken from the mailbox (S12.8).
    fn took(&self);
    /// The incarnation waits idle: not judged by its heartbeats until the wait returns
    /// (S12.7); a wait for its next message also ends its busy time (S14.2).
    fn enter_idle(&self, for_message: bool);
    /// The wait returned, with a message taken or not; its return counts as a beat.
    fn leave_idle(&self, took: bool);
}

/// An idle wait (S12.7), ended when dropped: returned or cancelled alike, so that a wait
/// dropped in a `select!` never leaves its incarnation unjudged.
struct Idle<'a> {
    node: &'a dyn NodeView,
    took: bool,
}

impl<'a> Idle<'a> {
    fn enter(node: &'a dyn NodeView, for_message: bool) -> Self {
        node.enter_idle(for_message);
        Idle { node, took: false }
    }
}

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        self.node.leave_idle(self.took);
    }
}

fn mailbox_of<M: Send + 'static>(node: &dyn NodeView) -> Option<&MailboxInner<M>> {
    node.mailbox()?.as_any().downcast_ref::<MailboxInner<M>>()
}

/// What a mailbox's message type must be: messages cross from their senders' tasks to the
/// child's task, and outlive any borrow. Every `Send + 'static` type is one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a mailbox's message type: it must be `Send + 'static`",
    label = "messages cross from their senders' tasks to the child's task",
    note = "wrap a value that is not `Send` (an `Rc`, a `RefCell`) in a `Send` type, or send what it holds"
)]
pub trait Message: Send + 'static {}
impl<T: Send + 'static> Message for T {}

/// The mailbox type of a child that declared none. It has no values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoMailbox {}

/// Lets an incarnation that must finish its start-up before its next sibling starts (workers
/// with `init`, supervisors) say when it has.
pub(crate) struct StartSignal(Mutex<Option<oneshot::Sender<Result<(), ExitReason>>>>);

impl StartSignal {
    pub(crate) fn new() -> (Arc<Self>, oneshot::Receiver<Result<(), ExitReason>>) {
        let (tx, rx) = oneshot::channel();
        (Arc::new(StartSignal(Mutex::new(Some(tx)))), rx)
    }

    /// Sends the outcome if it was not sent yet; `true` if this call sent it.
    pub(crate) fn send(&self, outcome: Result<(), ExitReason>) -> bool {
        let sender = self.0.lock().map(|mut s| s.take()).unwrap_or(None);
        match sender {
            Some(tx) => {
                // The supervisor may have stopped waiting; then the outcome has no reader.
                let _ = tx.send(outcome);
                true
            }
            None => false,
        }
    }
}

/// Where a dynamic child's arguments wait for its incarnations: a lock, so that arguments that
/// are only `Send` (a connection) can be shared with the supervisor and moved out once.
pub(crate) type ArgsSlot<A> = Mutex<Option<A>>;

/// A dynamic child's arguments, as its supervisor keeps them.
pub(crate) fn args_slot<A: Send + 'static>(args: A) -> AnyArc {
    Arc::new(Mutex::new(Some(args)))
}

/// The untyped parts of a context, as a supervisor builds them.
pub(crate) struct RawContext {
    pub node: Arc<dyn NodeView>,
    pub token: CancellationToken,
    /// What a first incarnation of a plain worker does without: boxed, so that an idle child's
    /// future, which lives in its task, stays small.
    pub extra: Option<Box<ContextExtra>>,
}

#[derive(Default)]
pub(crate) struct ContextExtra {
    /// The incarnation's number; 0 when there is no `ContextExtra`.
    pub incarnation: u64,
    pub last_exit: Option<ExitReason>,
    pub start_signal: Option<Arc<StartSignal>>,
    pub args: Option<AnyArc>,
    /// The breakers declared with this child's supervisor and those above it.
    pub breakers: Option<Arc<[CircuitBreaker]>>,
    /// Where the nodes it uses are looked up (S17.1), for children that use some and for
    /// supervisors.
    pub scope: Option<AnyArc>,
    /// How a test kit steers this incarnation (S22), taken out when it is spawned.
    pub steer: Option<Box<crate::intercept::Steer>>,
}

impl RawContext {
    pub(crate) fn new(
        node: Arc<dyn NodeView>,
        token: CancellationToken,
        extra: ContextExtra,
    ) -> Self {
        let empty = extra.incarnation == 0
            && extra.last_exit.is_none()
            && extra.start_signal.is_none()
            && extra.args.is_none()
            && extra.breakers.is_none()
            && extra.scope.is_none()
            && extra.steer.is_none();
        RawContext {
            node,
            token,
            extra: (!empty).then(|| Box::new(extra)),
        }
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.extra.as_ref().map_or(0, |e| e.incarnation)
    }

    pub(crate) fn signal_started(&self) {
        if let Some(s) = self.extra.as_ref().and_then(|e| e.start_signal.as_ref()) {
            s.send(Ok(()));
        }
    }

    /// A copy of the dynamic child's arguments, for a template that restarts: each
    /// incarnation gets its own.
    pub(crate) fn copy_args<A: Clone + 'static>(&mut self) -> Option<A> {
        let args = self.extra.as_mut()?.args.take()?;
        let slot = args.downcast_ref::<ArgsSlot<A>>()?.lock().ok()?;
        slot.as_ref().cloned()
    }

    /// The dynamic child's arguments themselves, moved into its only incarnation (a
    /// temporary template's, whose arguments need not be `Clone`).
    pub(crate) fn move_args<A: 'static>(&mut self) -> Option<A> {
        let args = self.extra.as_mut()?.args.take()?;
        let mut slot = args.downcast_ref::<ArgsSlot<A>>()?.lock().ok()?;
        slot.take()
    }
}

/// Handed to every incarnation of a child: who it is, how it got here, when to stop, and its
/// mailbox (`M`, [`NoMailbox`] by default).
///
/// Shutdown is cooperative: when the supervisor stops the child it cancels the token, and the
/// child should return soon after ([`cancelled`](Self::cancelled) resolves, [`recv`](Self::recv)
/// returns `None`). A child that does not stop within its shutdown timeout is aborted.
pub struct ChildContext<M = NoMailbox> {
    pub(crate) raw: RawContext,
    mailbox: Option<OwnedMutexGuard<Rx<M>>>,
}

/// A context whose mailbox is still held by a previous incarnation being torn down.
pub(crate) struct PendingContext<M> {
    raw: RawContext,
    mailbox: Arc<tokio::sync::Mutex<Rx<M>>>,
}

impl<M: Message> PendingContext<M> {
    pub(crate) async fn attach(self) -> ChildContext<M> {
        let mut guard = self.mailbox.lock_owned().await;
        guard.attached();
        ChildContext {
            raw: self.raw,
            mailbox: Some(guard),
        }
    }
}

impl<M: Message> ChildContext<M> {
    pub(crate) fn try_attach(raw: RawContext) -> Result<Self, PendingContext<M>> {
        let Some(inner) = mailbox_of::<M>(&*raw.node) else {
            return Ok(ChildContext { raw, mailbox: None });
        };
        // Busy until its first wait: a worker that takes a queued message at once writes
        // nothing, and one that does not read its mailbox is not idle for routing (S14.2).
        raw.node.set_busy(true);
        let rx = Arc::clone(&inner.rx);
        match Arc::clone(&rx).try_lock_owned() {
            Ok(mut guard) => {
                guard.attached();
                Ok(ChildContext {
                    raw,
                    mailbox: Some(guard),
                })
            }
            Err(_) => Err(PendingContext { raw, mailbox: rx }),
        }
    }

    /// Whether it holds a mailbox.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) fn has_mailbox(&self) -> bool {
        self.mailbox.is_some()
    }

    pub(crate) async fn attach_async(raw: RawContext) -> Self {
        match Self::try_attach(raw) {
            Ok(ctx) => ctx,
            Err(pending) => pending.attach().await,
        }
    }

    /// The next message of the mailbox; `None` once shutdown was requested, or at once if the
    /// child has no mailbox. Messages sent while the child was restarting are delivered here.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is taken only when it is returned, so `recv` can stand in a `select!`
    /// beside other branches without losing one.
    pub async fn recv(&mut self) -> Option<M> {
        let rx = self.mailbox.as_deref_mut()?;
        if self.raw.token.is_cancelled() {
            return None;
        }
        // A message already queued is taken without registering for the cancellation, which
        // costs a lock; the budget keeps a busy worker from starving its runtime.
        // A worker that takes the next message at once stays busy; one that waits is not
        // (S14.2): a busy loop writes nothing.
        match rx.try_recv() {
            Ok(msg) => {
                rx.took(&msg, false);
                self.raw.node.took();
                tokio::task::consume_budget().await;
                return Some(msg);
            }
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        // S12.7: waiting for the next message is idle, not silence.
        let mut idle = Idle::enter(&*self.raw.node, true);
        // Whether the task was suspended: a message that came before the first poll answered
        // belongs to the run, and costs no clock read (S19.2).
        let mut suspended = false;
        let msg = {
            let mut recv = std::pin::pin!(rx.recv());
            let recv = std::future::poll_fn(|cx| {
                let polled = std::future::Future::poll(recv.as_mut(), cx);
                suspended |= polled.is_pending();
                polled
            });
            tokio::select! {
                biased;
                _ = self.raw.token.cancelled() => None,
                msg = recv => msg,
            }
        };
        if let Some(msg) = &msg {
            rx.took(msg, suspended);
            idle.took = true;
            self.raw.node.took();
        }
        msg
    }

    /// The next message, for a runner that watches its stop itself (a process child's, S20):
    /// nothing registered for the cancellation, no idle mark (a process has no heartbeats), so
    /// that a `select!` that polls it at every step pays for the mailbox alone.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) async fn recv_unwatched(&mut self) -> Option<M> {
        let rx = self.mailbox.as_deref_mut()?;
        let mut suspended = false;
        let msg = {
            let mut recv = std::pin::pin!(rx.recv());
            std::future::poll_fn(|cx| {
                let polled = std::future::Future::poll(recv.as_mut(), cx);
                suspended |= polled.is_pending();
                polled
            })
            .await
        };
        if let Some(msg) = &msg {
            rx.took(msg, suspended);
            self.raw.node.took();
        }
        msg
    }

    /// A message if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<M> {
        let rx = self.mailbox.as_deref_mut()?;
        let msg = rx.try_recv().ok()?;
        rx.took(&msg, false);
        self.raw.node.took();
        Some(msg)
    }
}

impl<M> ChildContext<M> {
    /// The child's id among its siblings.
    pub fn id(&self) -> &str {
        self.raw.node.id()
    }

    /// The full path from the root (`app/api/listener`).
    pub fn path(&self) -> &str {
        self.raw.node.path()
    }

    /// Which incarnation this is: 0 for the first start, then one more for every start of this
    /// child, whatever its cause; the number never goes back, not even when a supervisor above
    /// restarts (S3.6).
    pub fn incarnation(&self) -> u64 {
        self.raw.incarnation()
    }

    /// How the previous incarnation ended (`None` for the first).
    pub fn last_exit(&self) -> Option<&ExitReason> {
        self.raw.extra.as_ref()?.last_exit.as_ref()
    }

    /// The token the supervisor cancels to ask this incarnation to stop.
    pub fn token(&self) -> &CancellationToken {
        &self.raw.token
    }

    /// Resolves when the supervisor asks this incarnation to stop. Waiting for it is not idle
    /// (S12.7): a wedged worker's last await is often this one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing; a later one resolves as well.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.raw.token.cancelled()
    }

    /// Whether the supervisor has asked this incarnation to stop.
    pub fn is_cancelled(&self) -> bool {
        self.raw.token.is_cancelled()
    }

    /// The child's carried state (S15), if it was declared with this type
    /// ([`ChildSpec::state`](crate::ChildSpec::state)): what the previous incarnation left.
    pub fn state<T: Send + 'static>(&self) -> Option<Stash<T>> {
        crate::stash::typed(self.raw.node.stash()?)
    }

    /// The circuit breaker named `name`, declared with this child's supervisor or one above it
    /// (S13.1).
    pub fn breaker(&self, name: &str) -> Option<&CircuitBreaker> {
        let breakers = self.raw.extra.as_ref()?.breakers.as_ref()?;
        breakers.iter().find(|b| b.name() == name)
    }

    /// Waits for `wait` as idle (S12.7): while it lasts, the incarnation's heartbeats are not
    /// judged, since a worker waiting for work is not wedged; its end, or its cancellation,
    /// counts as a beat, and the idle gap is no sample. `recv` waits this way by itself.
    /// Waiting for the stop is not idle: a wedged worker's last await is often that one.
    ///
    /// ```
    /// use supervisor::ChildContext;
    ///
    /// async fn poller(ctx: ChildContext) -> Result<(), std::io::Error> {
    ///     let (_tx, mut jobs) = tokio::sync::mpsc::channel::<u32>(8);
    ///     while let Some(job) = ctx.idle(jobs.recv()).await {
    ///         ctx.heartbeat();
    ///         let _ = job;
    ///     }
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `wait`; a cancelled idle wait ends as a returned one does.
    pub async fn idle<F: std::future::Future>(&self, wait: F) -> F::Output {
        // A wait of its own is not a wait for a message: a pool slot stays busy (S14.2).
        let _idle = Idle::enter(&*self.raw.node, false);
        wait.await
    }

    /// Tells the supervisor this incarnation is alive and making progress (S12): a timestamp
    /// written on the child's node, with no allocation, lock or message. Does nothing for a
    /// child declared without a [`Heartbeat`](crate::Heartbeat).
    #[inline]
    pub fn heartbeat(&self) {
        self.raw.node.beat();
    }
}

impl<M> std::fmt::Debug for ChildContext<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildContext")
            .field("path", &self.path())
            .field("incarnation", &self.incarnation())
            .field("last_exit", &self.last_exit())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
