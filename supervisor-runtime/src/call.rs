//! Request and reply (S14.4): a message that carries a reply slot, and a call that waits for
//! the answer with a timeout, and never hangs because the worker died holding the request.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::exit::{ExitReason, LastMessage};
use crate::state::Gone;

/// Where a worker puts its answer to a call. Dropping it unanswered ends the call at once: with
/// the worker's exit reason if its incarnation ended holding it, else as unanswered.
pub struct Reply<T> {
    tx: Option<oneshot::Sender<Result<T, Dropped>>>,
}

impl<T> Reply<T> {
    /// Answers the call. `Err` gives the answer back when the caller no longer waits (it timed
    /// out, or was dropped).
    pub fn send(mut self, answer: T) -> Result<(), T> {
        let Some(tx) = self.tx.take() else {
            return Err(answer);
        };
        match tx.send(Ok(answer)) {
            Ok(()) => Ok(()),
            Err(Ok(answer)) => Err(answer),
            // Only `Ok` was sent.
            Err(Err(_)) => Ok(()),
        }
    }

    /// Whether the caller has stopped waiting, so that the work can be skipped.
    pub fn is_abandoned(&self) -> bool {
        self.tx.as_ref().is_none_or(oneshot::Sender::is_closed)
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if !tx.is_closed() {
                let _ = tx.send(Err(dropped_here()));
            }
        }
    }
}

impl<T> fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("abandoned", &self.is_abandoned())
            .finish()
    }
}

/// Where a request was dropped unanswered: in a poll of an incarnation, or as its task was
/// aborted, or elsewhere; the call learns from it whether the incarnation ran on or ended, and
/// why.
pub(crate) type Dropped = Arc<PollEnd>;

fn dropped_here() -> Dropped {
    poll_scope::current().unwrap_or_else(|| {
        // Outside a poll of an incarnation: dropped as its task was aborted (stopped by its
        // supervisor, which records why), or by some other task (unanswered).
        let task = tokio::task::try_id();
        let end = PollEnd::new(task, false);
        end.finish(if task.is_some() {
            PollOutcome::Ended(None)
        } else {
            PollOutcome::RanOn
        });
        Arc::new(end)
    })
}

/// How the poll of an incarnation in which a request was dropped ended: with the incarnation
/// (it returned, panicked or failed), or with the incarnation running on.
pub(crate) struct PollEnd {
    /// The task that dropped it.
    pub task: Option<tokio::task::Id>,
    /// Whether it was dropped in a poll of an incarnation (else as a task was aborted, or by
    /// another task, such as a supervisor closing a gone child's mailbox).
    pub in_poll: bool,
    /// 0 while the poll runs, then `RAN_ON` or `ENDED`.
    state: AtomicU8,
    /// The incarnation's own exit, when it ended there by itself (not stopped).
    reason: OnceLock<ExitReason>,
    notify: Notify,
}

const RAN_ON: u8 = 1;
const ENDED: u8 = 2;

/// How a poll of an incarnation ended.
pub(crate) enum PollOutcome<'a> {
    RanOn,
    /// The incarnation ended: by itself with this reason, or, `None`, stopped by its
    /// supervisor, which records why.
    Ended(Option<&'a ExitReason>),
}

impl PollEnd {
    fn new(task: Option<tokio::task::Id>, in_poll: bool) -> Self {
        PollEnd {
            task,
            in_poll,
            state: AtomicU8::new(0),
            reason: OnceLock::new(),
            notify: Notify::new(),
        }
    }

    fn finish(&self, outcome: PollOutcome<'_>) {
        let state = match outcome {
            PollOutcome::RanOn => RAN_ON,
            PollOutcome::Ended(reason) => {
                if let Some(reason) = reason {
                    let _ = self.reason.set(reason.clone());
                }
                ENDED
            }
        };
        self.state.store(state, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Once the poll is over: `None` if the incarnation ran on, else its own exit reason if it
    /// ended by itself (`Some(None)` when it was stopped).
    pub(crate) async fn ended(&self) -> Option<Option<ExitReason>> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.state.load(Ordering::Acquire) {
                RAN_ON => return None,
                ENDED => return Some(self.reason.get().cloned()),
                _ => notified.await,
            }
        }
    }
}

/// The poll of an incarnation that is running on this thread, if any: a reply dropped during it
/// learns afterwards whether the incarnation ended there, so that the call says why at once.
/// Every poll of every incarnation passes through here: it costs two writes of a thread-local
/// byte unless a reply is dropped.
pub(crate) mod poll_scope {
    use std::cell::{Cell, RefCell};
    use std::sync::Arc;

    use super::{PollEnd, PollOutcome};

    const OUTSIDE: u8 = 0;
    const INSIDE: u8 = 1;
    /// Inside, and a reply dropped in this poll holds `END`.
    const ASKED: u8 = 2;

    thread_local! {
        static STATE: Cell<u8> = const { Cell::new(OUTSIDE) };
        static END: RefCell<Option<Arc<PollEnd>>> = const { RefCell::new(None) };
    }

    /// A poll of an incarnation, from [`enter`] to [`Scope::finish`]. The poll does not unwind
    /// past it: the incarnation's future catches its panics.
    pub(crate) struct Scope {
        outer: u8,
        /// The end of an enclosing poll that a reply asked for (polls do not nest today).
        outer_end: Option<Arc<PollEnd>>,
    }

    /// Starts a poll of an incarnation on this thread.
    #[inline]
    pub(crate) fn enter() -> Scope {
        let outer = STATE.replace(INSIDE);
        let outer_end = if outer == ASKED { END.take() } else { None };
        Scope { outer, outer_end }
    }

    impl Scope {
        /// Ends the poll: replies dropped in it learn how it ended (`outcome` is asked only
        /// then).
        #[inline]
        pub(crate) fn finish<'a>(self, outcome: impl FnOnce() -> PollOutcome<'a>) {
            let asked = STATE.replace(self.outer) == ASKED;
            if asked || self.outer_end.is_some() {
                let end = END.replace(self.outer_end);
                if let (true, Some(end)) = (asked, end) {
                    end.finish(outcome());
                }
            }
        }
    }

    /// The end of the poll running now, made on first use; `None` outside a poll.
    pub(super) fn current() -> Option<Arc<PollEnd>> {
        match STATE.get() {
            OUTSIDE => None,
            INSIDE => {
                let end = Arc::new(PollEnd::new(tokio::task::try_id(), true));
                END.set(Some(Arc::clone(&end)));
                STATE.set(ASKED);
                Some(end)
            }
            _ => END.with_borrow(Clone::clone),
        }
    }
}

/// Why a call got no answer (S14.4).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No answer within the call's timeout.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The incarnation that held the request ended before replying.
    #[error(
        "the worker exited before replying: {reason}{}",
        in_message(reason, message)
    )]
    Exited {
        /// How it ended.
        reason: ExitReason,
        /// The last message it took (S19.2): the request itself, or one taken after it.
        message: Option<LastMessage>,
    },
    /// The worker dropped the request without replying, and kept running.
    #[error("the worker dropped the request without replying")]
    Unanswered,
    /// The child is gone (S9.8): nothing will ever read the request.
    #[error("the child is gone: {0}")]
    Gone(Gone),
    /// The child declared no mailbox.
    #[error("the child has no mailbox")]
    NoMailbox,
}

/// The message a call's worker was handling, unless its exit names it already (S12.8).
fn in_message(reason: &ExitReason, message: &Option<LastMessage>) -> String {
    match (reason, message) {
        (ExitReason::HeartbeatsLost { busy: Some(_), .. }, _) | (_, None) => String::new(),
        (_, Some(m)) => format!(", while handling {m}"),
    }
}

/// The last exits of a node's incarnations, each with its task, for calls waiting to learn why
/// the incarnation that held their request ended. Made on the first call that needs it: nodes
/// nobody calls pay one pointer.
#[derive(Default)]
pub(crate) struct Exits {
    notify: Notify,
    last: Mutex<VecDeque<(tokio::task::Id, Ended)>>,
}

/// How an incarnation ended, and the last message it took (S19.2).
pub(crate) type Ended = (ExitReason, Option<LastMessage>);

/// Exits kept: a call looks for the exit of a stop that has just happened, never an old one;
/// the margin covers callers woken late while their worker restarts again and again.
const EXITS_KEPT: usize = 32;

impl Exits {
    pub(crate) fn record(&self, task: tokio::task::Id, ended: Ended) {
        if let Ok(mut last) = self.last.lock() {
            if last.len() == EXITS_KEPT {
                last.pop_front();
            }
            last.push_back((task, ended));
        }
        self.notify.notify_waiters();
    }

    /// The exit of the incarnation that ran as `task`, if it is recorded.
    pub(crate) fn get(&self, task: tokio::task::Id) -> Option<Ended> {
        let last = self.last.lock().ok()?;
        last.iter()
            .find(|(t, _)| *t == task)
            .map(|(_, ended)| ended.clone())
    }

    /// The exit of the incarnation that ran as `task`, once it is recorded.
    pub(crate) async fn of(&self, task: tokio::task::Id) -> Ended {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(reason) = self.get(task) {
                return reason;
            }
            notified.await;
        }
    }
}

/// The node's slot for [`Exits`].
pub(crate) type ExitsSlot = OnceLock<Arc<Exits>>;

/// What a caller receives: the answer, or how the request was dropped.
pub(crate) type Answer<T> = oneshot::Receiver<Result<T, Dropped>>;

/// A reply slot and the receiver the caller waits on.
pub(crate) fn reply<T>() -> (Reply<T>, Answer<T>) {
    let (tx, rx) = oneshot::channel();
    (Reply { tx: Some(tx) }, rx)
}
