//! Handles: the running tree, its supervisors, and stable references to children.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::breaker::CircuitBreaker;
use crate::call::{CallError, Reply};
use crate::context::{Message, NoMailbox};
use crate::error::{LookupError, MailboxError, ManagementError, StartError, TreeError};
use crate::event::{ChildCounts, ChildInfo, EventStream, Events, Observer, RestartRecord};
use crate::exit::ExitReason;
use crate::mailbox::Tx;
use crate::node::{join_path, Command, Msg, Node};
use crate::node::{PoolShared, SupShape};
use crate::spawn::CatchUnwind;
use crate::spec::PoolSettings;
use crate::spec::{AnySupervisorSpec, ChildSpec};
use crate::state::HealthStatus;
use crate::state::{ChildState, Gone};
use crate::supervise::{gone_or_missing, Engine};

/// Starts supervision trees.
#[derive(Debug)]
pub struct Supervisor;

impl Supervisor {
    /// Validates `spec` (S1.4), starts the whole tree (S2) and returns once every child is up.
    ///
    /// Must be called within a tokio runtime. If a child fails to start, the children already
    /// started are stopped in reverse order and the error names it (S2.2).
    ///
    /// # Errors
    ///
    /// [`StartError::Spec`] for an invalid spec, before anything starts;
    /// [`StartError::ChildFailed`] when a child failed to start (the children started before it are
    /// stopped first).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropped before the tree is up, it aborts whatever it started (the
    /// children's tasks, not an ordered stop).
    pub async fn start(spec: impl AnySupervisorSpec) -> Result<SupervisorHandle, StartError> {
        Supervisor::start_observed(spec, &Observer::new()).await
    }

    /// [`start`](Self::start), with the observer's streams receiving every event from the first
    /// start on, a start that fails included (S9.5).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    ///
    /// # Cancel safety
    ///
    /// As [`start`](Self::start).
    pub async fn start_observed(
        spec: impl AnySupervisorSpec,
        observer: &Observer,
    ) -> Result<SupervisorHandle, StartError> {
        let spec = spec.into_spec();
        spec.validate()?;
        let mut events = observer.events.clone();
        // A test kit installed on this thread watches and steers the tree (S22).
        events.intercept = crate::event::installed();
        let token = CancellationToken::new();
        events.storm = (spec.storm_limit).map(|limit| {
            let storm = crate::storm::Storm::new(limit.max_restarts, limit.period, token.clone());
            Arc::new(storm)
        });
        let spec = Arc::new(spec);
        // Breakers declared anywhere in the tree report their state changes to it (S13.6).
        spec.walk(&mut |s| s.breakers.iter().for_each(|b| b.attach(&events)));
        let breakers: Arc<[CircuitBreaker]> = spec.breakers.iter().cloned().collect();
        let node = Node::instantiate_root(&spec, &events);
        if let Some(kit) = &events.intercept {
            let root = SupervisorRef {
                node: Arc::clone(&node),
            };
            kit.attach(&root);
        }
        // The root's children start in the caller's task. Should the caller drop this future
        // before the tree is up, dropping the engine aborts whatever it started.
        let mut engine = Engine::new(spec, Arc::clone(&node), token.clone(), true, None, None)
            .map_err(|r| start_error(&node, r))?;
        node.next_incarnation();
        if let Err(reason) = engine.start().await {
            drop(engine);
            return Err(start_error(&node, reason));
        }
        node.set_state(ChildState::Running);
        let name = crate::spawn::task_name(|| Arc::clone(node.path()));
        let task = crate::spawn::spawn_named(CatchUnwind::new(engine.run()), name);
        Ok(SupervisorHandle {
            root: SupervisorRef { node },
            events,
            token,
            abort: task.abort_handle(),
            task: tokio::sync::Mutex::new(Some(task)),
            outcome: OnceLock::new(),
            breakers,
        })
    }
}

fn start_error(node: &Node, reason: ExitReason) -> StartError {
    if let ExitReason::Error(e) = &reason {
        if let Some(start) = e.downcast_ref::<StartError>() {
            return start.clone();
        }
    }
    if matches!(reason, ExitReason::Shutdown) {
        return StartError::Cancelled(Arc::clone(node.path()));
    }
    StartError::ChildFailed {
        id: Arc::clone(&node.id),
        path: Arc::clone(node.path()),
        cause: reason,
    }
}

/// The running tree, as the application holds it.
///
/// It dereferences to the root's [`SupervisorRef`]. Dropping it asks the tree to shut down;
/// [`shutdown`](Self::shutdown) does so and waits until every task is gone. Any number of tasks
/// may [`join`](Self::join) or shut it down (through a shared reference): all see the same
/// outcome (S9.9).
#[must_use = "dropping the handle shuts the tree down"]
pub struct SupervisorHandle {
    root: SupervisorRef,
    events: Events,
    token: CancellationToken,
    /// The root's task, awaited by the first joiner; the others wait for its outcome.
    task: tokio::sync::Mutex<Option<JoinHandle<ExitReason>>>,
    /// Aborts the root's task: what a second signal does (S16.2).
    pub(crate) abort: tokio::task::AbortHandle,
    outcome: OnceLock<Result<(), TreeError>>,
    breakers: Arc<[CircuitBreaker]>,
}

impl fmt::Debug for SupervisorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorHandle")
            .field("root", &self.root.path())
            .finish()
    }
}

impl std::ops::Deref for SupervisorHandle {
    type Target = SupervisorRef;
    fn deref(&self) -> &SupervisorRef {
        &self.root
    }
}

impl SupervisorHandle {
    /// The root supervisor.
    pub fn root(&self) -> &SupervisorRef {
        &self.root
    }

    /// The circuit breaker named `name` declared with the root (S13.1).
    pub fn breaker(&self, name: &str) -> Option<&CircuitBreaker> {
        self.breakers.iter().find(|b| b.name() == name)
    }

    /// The circuit breakers declared with the root (S13.1), in declaration order.
    pub fn breakers(&self) -> &[CircuitBreaker] {
        &self.breakers
    }

    /// The tree's event stream (S9.4), from now on. To see the first start's events, subscribe
    /// through an [`Observer`] given to [`Supervisor::start_observed`].
    pub fn subscribe(&self) -> EventStream {
        self.events.subscribe()
    }

    /// Waits until the tree ends: `Ok` after a shutdown or auto_shutdown, the root's escalation
    /// when it gave up (S7.2). Returns once every task of the tree is gone.
    ///
    /// # Errors
    ///
    /// The root's [`TreeError`] when it gave up (S7.2) or a child called for a fatal stop (S10).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: any number of tasks may wait, and a cancelled wait changes nothing.
    pub async fn join(&self) -> Result<(), TreeError> {
        if let Some(outcome) = self.outcome.get() {
            return outcome.clone();
        }
        let mut task = self.task.lock().await;
        if let Some(handle) = task.as_mut() {
            // Awaited in place: a joiner that gives up waiting leaves it for the others.
            let reason = handle.await.unwrap_or(ExitReason::Killed);
            let storm = self.events.storm.as_ref().and_then(|s| s.tripped());
            let _ = self.outcome.set(match reason {
                // S18.2: the storm stopped the tree, in order.
                ExitReason::Normal | ExitReason::Shutdown if storm.is_some() => {
                    Err(TreeError::Storm(storm.unwrap_or_else(|| unreachable!())))
                }
                ExitReason::Normal | ExitReason::Shutdown => Ok(()),
                ExitReason::Escalation(e) if e.is_fatal() => Err(TreeError::Fatal(e)),
                ExitReason::Escalation(e) => Err(TreeError::GaveUp(e)),
                other => Err(TreeError::Aborted(other)),
            });
            *task = None;
        }
        self.outcome.get().cloned().unwrap_or(Ok(()))
    }

    /// Stops the whole tree in order (S6) and returns when every task is gone. Calling it again,
    /// or after the tree ended, returns the same outcome.
    ///
    /// # Errors
    ///
    /// As [`join`](SupervisorHandle::join): the tree may have given up before it was asked to stop.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the shutdown, which goes on in the background.
    pub async fn shutdown(&self) -> Result<(), TreeError> {
        self.token.cancel();
        self.join().await
    }

    /// A token that, once cancelled, shuts the tree down (as [`shutdown`](Self::shutdown)
    /// does, without waiting).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.token.clone()
    }
}

impl Drop for SupervisorHandle {
    fn drop(&mut self) {
        // An orderly shutdown in the background: the root task ends by itself once it has
        // stopped every child.
        self.token.cancel();
    }
}

/// A running tree with typed access to its root's children: the handle `supervision_tree!`
/// generates (`app::Handle` is `TreeHandle<app::Root>`). It dereferences to `C`, the generated
/// struct of the root's children (`app.api.listener`), which dereferences to the root's
/// [`SupervisorRef`]. Dropping it shuts the tree down, as dropping a [`SupervisorHandle`] does.
#[must_use = "dropping the handle shuts the tree down"]
pub struct TreeHandle<C> {
    handle: SupervisorHandle,
    children: C,
}

impl<C> TreeHandle<C> {
    /// The typed handle of a tree and of its root's children; what the expansion of
    /// `supervision_tree!` calls.
    #[doc(hidden)]
    pub fn __new(handle: SupervisorHandle, children: C) -> Self {
        TreeHandle { handle, children }
    }

    /// The tree's untyped handle.
    pub fn handle(&self) -> &SupervisorHandle {
        &self.handle
    }

    /// The tree's untyped handle, for what consumes it (running the tree as a process).
    pub(crate) fn into_handle(self) -> SupervisorHandle {
        self.handle
    }

    /// The root supervisor.
    pub fn root(&self) -> &SupervisorRef {
        self.handle.root()
    }

    /// See [`SupervisorHandle::breaker`].
    pub fn breaker(&self, name: &str) -> Option<&CircuitBreaker> {
        self.handle.breaker(name)
    }

    /// See [`SupervisorHandle::subscribe`].
    pub fn subscribe(&self) -> EventStream {
        self.handle.subscribe()
    }

    /// See [`SupervisorHandle::join`]: any number of tasks may wait, all see one outcome.
    ///
    /// # Errors
    ///
    /// The root's [`TreeError`] when it gave up (S7.2) or a child called for a fatal stop (S10).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: any number of tasks may wait, and a cancelled wait changes nothing.
    pub async fn join(&self) -> Result<(), TreeError> {
        self.handle.join().await
    }

    /// See [`SupervisorHandle::shutdown`].
    ///
    /// # Errors
    ///
    /// As [`join`](SupervisorHandle::join): the tree may have given up before it was asked to stop.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the shutdown, which goes on in the background.
    pub async fn shutdown(&self) -> Result<(), TreeError> {
        self.handle.shutdown().await
    }

    /// See [`SupervisorHandle::shutdown_token`].
    pub fn shutdown_token(&self) -> CancellationToken {
        self.handle.shutdown_token()
    }
}

impl<C> std::ops::Deref for TreeHandle<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.children
    }
}

impl<C> fmt::Debug for TreeHandle<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.handle, f)
    }
}

/// A handle to a supervisor anywhere in the tree, valid across its restarts: requests go to its
/// current incarnation.
#[derive(Clone)]
pub struct SupervisorRef {
    node: Arc<Node>,
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorRef")
            .field("path", &self.path())
            .finish()
    }
}

impl SupervisorRef {
    /// The supervisor's path.
    pub fn path(&self) -> &str {
        self.node.path()
    }

    /// The supervisor's id.
    pub fn id(&self) -> &str {
        &self.node.id
    }

    pub(crate) async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ManagementError> {
        let not_running = || ManagementError::NotRunning(Arc::clone(self.node.path()));
        let tx = self
            .node
            .sup
            .as_deref()
            .and_then(|s| s.sender())
            .ok_or_else(not_running)?;
        let (reply, answer) = oneshot::channel();
        tx.send(Msg::Command(make(reply)))
            .map_err(|_| not_running())?;
        answer.await.map_err(|_| not_running())
    }

    /// The children in start order, with state, kind and restart count (S9.1).
    ///
    /// # Errors
    ///
    /// [`ManagementError::NotRunning`] or [`ManagementError::Gone`] when the supervisor is not
    /// running.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ManagementError> {
        self.call(Command::WhichChildren).await
    }

    /// This supervisor's spec and its children with theirs, for a live picture.
    pub(crate) async fn layout(&self) -> Result<crate::node::Layout, ManagementError> {
        self.call(Command::Layout).await
    }

    /// Calls `beat` from this supervisor's own loop now and every `every` after (S16.4).
    #[cfg_attr(not(feature = "systemd"), allow(dead_code))]
    pub(crate) async fn pulse(
        &self,
        every: std::time::Duration,
        beat: impl FnMut(&crate::node::Vitals) + Send + 'static,
    ) -> Result<(), ManagementError> {
        let pulse = crate::node::Pulse {
            every,
            beat: Box::new(beat),
        };
        self.call(|reply| Command::Pulse(pulse, reply)).await
    }

    /// Counts of specs, running children, supervisors and workers (S9.2).
    ///
    /// # Errors
    ///
    /// As [`which_children`](Self::which_children).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn count_children(&self) -> Result<ChildCounts, ManagementError> {
        self.call(Command::CountChildren).await
    }

    /// The last restart decisions, oldest first (at most [`HISTORY_CAPACITY`]).
    ///
    /// [`HISTORY_CAPACITY`]: crate::HISTORY_CAPACITY
    ///
    /// # Errors
    ///
    /// As [`which_children`](Self::which_children).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn restart_history(&self) -> Result<Vec<RestartRecord>, ManagementError> {
        self.call(Command::History).await
    }

    /// The events of the tree this supervisor belongs to (S9.4), from now on: what
    /// [`SupervisorHandle::subscribe`] gives, for a holder of a reference. The stream ends when
    /// the tree does.
    pub fn subscribe(&self) -> crate::EventStream {
        match self.node.sup.as_deref() {
            Some(sup) => sup.events.subscribe(),
            None => {
                let events = crate::event::Events::new();
                events.close();
                events.subscribe()
            }
        }
    }

    /// The restart intensity it runs with (S4.1).
    pub fn intensity(&self) -> crate::Intensity {
        self.node
            .sup
            .as_deref()
            .map_or(crate::Intensity::DEFAULT, |s| s.intensity)
    }

    /// How much of its restart intensity is in use now (S4): `2/3 in 5s` is one restart away
    /// from giving up.
    ///
    /// # Errors
    ///
    /// As [`which_children`](Self::which_children).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn intensity_use(&self) -> Result<crate::IntensityUse, ManagementError> {
        self.call(Command::Intensity).await
    }

    /// The child node with this id, in O(log n) (S9.7).
    fn resolve(&self, id: &str) -> Result<Arc<Node>, ManagementError> {
        self.node
            .sup
            .as_deref()
            .and_then(|s| s.lookup(id))
            .ok_or_else(|| ManagementError::NotFound(join_path(self.node.path(), id)))
    }

    /// Stops a child by its shutdown policy; the spec stays (a temporary or dynamic one's goes,
    /// S5.5). Not a failure: no intensity, no auto_shutdown (S6.4, S9.3).
    ///
    /// # Errors
    ///
    /// [`ManagementError::NotFound`] or [`ManagementError::Gone`] for a child that is not there;
    /// [`ManagementError::NotRunning`] when the supervisor is not running.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn terminate_child(&self, id: &str) -> Result<(), ManagementError> {
        self.terminate_node(self.resolve(id)?).await
    }

    /// Starts a stopped child again; a running or restarting one is an error (S9.3). A paused
    /// or quarantined child is resumed (S18).
    ///
    /// # Errors
    ///
    /// [`ManagementError::Running`] or [`ManagementError::Restarting`] for a child that is not
    /// stopped; [`ManagementError::StartFailed`] when it fails to start; as
    /// [`terminate_child`](Self::terminate_child) for a child that is not there.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn restart_child(&self, id: &str) -> Result<(), ManagementError> {
        self.restart_node(self.resolve(id)?).await
    }

    /// Pauses a child (S18.3): it is stopped by its shutdown policy (a restart due is
    /// cancelled) and held, not restarted by anything, until [`resume_child`](Self::resume_child).
    /// Messages sent to it meanwhile wait in its mailbox, up to its capacity. A pause is not an
    /// exit of the child's own: it counts toward no intensity and triggers no auto_shutdown.
    /// Pausing a held child pauses it.
    ///
    /// # Errors
    ///
    /// As [`terminate_child`](Self::terminate_child) for a child that is not there.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn pause_child(&self, id: &str) -> Result<(), ManagementError> {
        self.pause_node(self.resolve(id)?).await
    }

    /// Starts a paused or quarantined child again (S18.1, S18.3), its restart budget fresh.
    ///
    /// # Errors
    ///
    /// [`ManagementError::NotHeld`] for a child that is neither;
    /// [`ManagementError::StartFailed`] when it fails to start; as
    /// [`terminate_child`](Self::terminate_child) for a child that is not there.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn resume_child(&self, id: &str) -> Result<(), ManagementError> {
        self.resume_node(self.resolve(id)?).await
    }

    /// Removes a stopped child for good; a running or restarting one is an error (S9.3).
    ///
    /// # Errors
    ///
    /// [`ManagementError::Running`] or [`ManagementError::Restarting`] for a child that is not
    /// stopped; as [`terminate_child`](Self::terminate_child) for a child that is not there.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn delete_child(&self, id: &str) -> Result<(), ManagementError> {
        self.delete_node(self.resolve(id)?).await
    }

    async fn terminate_node(&self, node: Arc<Node>) -> Result<(), ManagementError> {
        let caller = tokio::task::try_id();
        self.on_node(node, |n, r| Command::Terminate(n, caller, r))
            .await
    }

    async fn restart_node(&self, node: Arc<Node>) -> Result<(), ManagementError> {
        self.on_node(node, Command::Restart).await
    }

    async fn pause_node(&self, node: Arc<Node>) -> Result<(), ManagementError> {
        self.on_node(node, Command::Pause).await
    }

    async fn resume_node(&self, node: Arc<Node>) -> Result<(), ManagementError> {
        self.on_node(node, Command::Resume).await
    }

    async fn delete_node(&self, node: Arc<Node>) -> Result<(), ManagementError> {
        self.on_node(node, Command::Delete).await
    }

    /// A request about one child node; a gone node answers at once, saying how it went.
    async fn on_node(
        &self,
        node: Arc<Node>,
        make: impl FnOnce(Arc<Node>, oneshot::Sender<Result<(), ManagementError>>) -> Command,
    ) -> Result<(), ManagementError> {
        if node.state().gone().is_some() {
            return Err(gone_or_missing(&node));
        }
        match self.call(|r| make(Arc::clone(&node), r)).await {
            // The supervisor ended meanwhile, taking the child with it.
            Err(ManagementError::NotRunning(_)) if node.state().gone().is_some() => {
                Err(gone_or_missing(&node))
            }
            other => other?,
        }
    }

    /// Adds a child to a static supervisor (after the others) and starts it.
    ///
    /// # Errors
    ///
    /// [`ManagementError::WrongKind`] on a dynamic supervisor or a pool;
    /// [`ManagementError::AlreadyExists`] for an id in use; [`ManagementError::Spec`] for an
    /// invalid spec; [`ManagementError::StartFailed`] when it fails to start.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn start_child<M: Message>(
        &self,
        spec: ChildSpec<M>,
    ) -> Result<ChildRef<M>, ManagementError> {
        let node = self
            .call(|r| Command::StartChild(Box::new(spec.inner), r))
            .await??;
        Ok(ChildRef::new(node, self.clone()))
    }

    /// The child at `path` below this supervisor (`"api/listener"`), typed by its mailbox.
    /// Asking for [`NoMailbox`] works for any child (without sending).
    pub fn child<M: Message>(&self, path: &str) -> Result<ChildRef<M>, LookupError> {
        let (parent, node) = self.walk(path)?;
        let wanted = TypeId::of::<M>();
        let declared = node.message();
        if wanted != TypeId::of::<NoMailbox>() && declared.id != wanted {
            return Err(LookupError::WrongMessageType {
                path: Arc::clone(node.path()),
                declared: declared.name,
                requested: std::any::type_name::<M>(),
            });
        }
        Ok(ChildRef::new(node, parent))
    }

    /// The supervisor at `path` below this one.
    pub fn supervisor(&self, path: &str) -> Result<SupervisorRef, LookupError> {
        let (_, node) = self.walk(path)?;
        if node.sup.is_none() {
            return Err(LookupError::NotASupervisor(Arc::clone(node.path())));
        }
        Ok(SupervisorRef { node })
    }

    /// The dynamic supervisor at `path` below this one (`""` for this one), typed by its
    /// template's argument and mailbox types.
    pub fn dynamic<A: 'static, M: 'static>(
        &self,
        path: &str,
    ) -> Result<DynamicRef<A, M>, LookupError> {
        let sup = if path.is_empty() {
            self.clone()
        } else {
            self.supervisor(path)?
        };
        match sup.node.sup.as_deref().map(|s| &s.kind) {
            Some(SupShape::Dynamic { args, message })
                if args.id == TypeId::of::<A>() && message().id == TypeId::of::<M>() =>
            {
                Ok(DynamicRef {
                    sup,
                    _types: PhantomData,
                })
            }
            _ => Err(LookupError::NotDynamic(Arc::clone(sup.node.path()))),
        }
    }

    /// A pool's shared slots and settings, if this supervisor is a pool.
    pub(crate) fn pool_parts(&self) -> Option<(&PoolShared, &PoolSettings)> {
        match &self.node.sup.as_deref()?.kind {
            SupShape::Pool(pool) => Some((&pool.shared, &pool.settings)),
            SupShape::Static | SupShape::Dynamic { .. } => None,
        }
    }

    /// This supervisor's node.
    pub(crate) fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// This supervisor's state.
    pub(crate) fn node_state(&self) -> ChildState {
        self.node.state()
    }

    /// Walks `path` down from this supervisor, one O(log n) lookup per segment (S9.7).
    fn walk(&self, path: &str) -> Result<(SupervisorRef, Arc<Node>), LookupError> {
        let not_found = || LookupError::NotFound(join_path(self.node.path(), path));
        let mut parent = Arc::clone(&self.node);
        let mut segments = path.split('/').peekable();
        loop {
            let seg = segments.next().ok_or_else(not_found)?;
            let sup = parent.sup.as_deref().ok_or_else(not_found)?;
            let node = sup
                .lookup(seg)
                .filter(|n| n.state().gone().is_none())
                .ok_or_else(not_found)?;
            if segments.peek().is_none() {
                return Ok((SupervisorRef { node: parent }, node));
            }
            parent = node;
        }
    }
}

/// How the handles `supervision_tree!` generates bind to a started tree: by position among a
/// supervisor's declared children, which the expansion knows from the spec it wrote, so that no
/// lookup by name can fail. A position past the declared children (which the expansion never
/// asks for) gets a reference that answers "gone", not a panic.
#[doc(hidden)]
pub(crate) mod bind {
    use super::*;

    /// The declared child at `index` of `sup`, typed by its mailbox.
    pub fn child<M: 'static>(sup: &SupervisorRef, index: usize) -> ChildRef<M> {
        ChildRef::new(sup.declared(index), sup.clone())
    }

    /// The declared supervisor at `index` of `sup`.
    pub fn supervisor(sup: &SupervisorRef, index: usize) -> SupervisorRef {
        SupervisorRef {
            node: sup.declared(index),
        }
    }

    /// The declared dynamic supervisor at `index` of `sup`.
    pub fn dynamic<A, M>(sup: &SupervisorRef, index: usize) -> DynamicRef<A, M> {
        this_dynamic(&supervisor(sup, index))
    }

    /// `sup` itself as the dynamic supervisor it is (a tree's dynamic root).
    pub fn this_dynamic<A, M>(sup: &SupervisorRef) -> DynamicRef<A, M> {
        DynamicRef {
            sup: sup.clone(),
            _types: PhantomData,
        }
    }
}

impl SupervisorRef {
    pub(crate) fn of(node: Arc<Node>) -> Self {
        SupervisorRef { node }
    }

    /// A reference that answers "gone", for a scope that is missing.
    pub(crate) fn unbound(path: &str) -> Self {
        SupervisorRef {
            node: Node::unbound(&Arc::from(path)),
        }
    }

    /// Whether one of its children is called `id`.
    pub(crate) fn declares(&self, id: &str) -> bool {
        (self.node.sup.as_deref()).is_some_and(|s| s.lookup(id).is_some())
    }

    fn declared(&self, index: usize) -> Arc<Node> {
        let declared = self.node.sup.as_deref().and_then(|s| s.children.get(index));
        declared.map_or_else(|| Node::unbound(self.node.path()), Arc::clone)
    }
}

/// A stable reference to a child, valid across its restarts (and its supervisors'): state,
/// restart count, management, and its typed mailbox.
///
/// It names one child for good: once that child is gone (deleted, ended without restart, added
/// at run time under a supervisor incarnation that ended, or its tree ended), every operation
/// answers a typed "gone" error and [`state`](Self::state) says how it went; it never reaches a
/// newer child that took the same id.
pub struct ChildRef<M = NoMailbox> {
    node: Arc<Node>,
    parent: SupervisorRef,
    tx: Option<Tx<M>>,
}

impl<M> Clone for ChildRef<M> {
    fn clone(&self) -> Self {
        ChildRef {
            node: Arc::clone(&self.node),
            parent: self.parent.clone(),
            tx: self.tx.clone(),
        }
    }
}

impl<M> fmt::Debug for ChildRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildRef")
            .field("path", &self.path())
            .field("state", &self.state())
            .finish()
    }
}

impl<M: 'static> ChildRef<M> {
    pub(crate) fn new(node: Arc<Node>, parent: SupervisorRef) -> Self {
        let tx = node.mailbox::<M>().map(|m| m.tx.clone());
        ChildRef { node, parent, tx }
    }
}

impl<M> ChildRef<M> {
    /// The child's id.
    pub fn id(&self) -> &str {
        &self.node.id
    }

    /// The child's full path.
    pub fn path(&self) -> &str {
        self.node.path()
    }

    /// The current state of the child; [`ChildState::Gone`] for good once it no longer
    /// exists.
    pub fn state(&self) -> ChildState {
        self.node.state()
    }

    /// The child's health as its probe last found it (S11.3); `Unknown` without a probe or
    /// before the current incarnation's first probe.
    pub fn health(&self) -> HealthStatus {
        self.node.health()
    }

    /// The current phi of a child judged by its heartbeats (S12.5): how unlikely its silence
    /// is, `-log10` of the probability that a live child would be this late; `None` for a
    /// child without heartbeats or with no running incarnation.
    pub fn phi(&self) -> Option<f64> {
        if !matches!(self.node.state(), ChildState::Running) {
            return None;
        }
        self.node.beats()?.phi()
    }

    /// How many times the child's supervisor restarted it (S3.6).
    pub fn restart_count(&self) -> u32 {
        self.node.restarts()
    }

    /// The number of the current (or last) incarnation: 0 for the first start, then one more
    /// for every start whatever its cause; it never goes back (S3.6). `None` before the first
    /// start.
    pub fn incarnation(&self) -> Option<u64> {
        self.node.incarnation()
    }

    /// The child's supervisor.
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.parent
    }

    /// This child as a supervisor, if it is one.
    pub fn as_supervisor(&self) -> Option<SupervisorRef> {
        self.node.sup.as_ref().map(|_| SupervisorRef {
            node: Arc::clone(&self.node),
        })
    }

    /// Stops the child (see [`SupervisorRef::terminate_child`]).
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::terminate_child`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn terminate(&self) -> Result<(), ManagementError> {
        self.parent.terminate_node(Arc::clone(&self.node)).await
    }

    /// Starts the stopped child again (see [`SupervisorRef::restart_child`]).
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::restart_child`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn restart(&self) -> Result<(), ManagementError> {
        self.parent.restart_node(Arc::clone(&self.node)).await
    }

    /// Pauses the child (see [`SupervisorRef::pause_child`]).
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::pause_child`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn pause(&self) -> Result<(), ManagementError> {
        self.parent.pause_node(Arc::clone(&self.node)).await
    }

    /// Starts the paused or quarantined child again (see [`SupervisorRef::resume_child`]).
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::resume_child`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn resume(&self) -> Result<(), ManagementError> {
        self.parent.resume_node(Arc::clone(&self.node)).await
    }

    /// Removes the stopped child (see [`SupervisorRef::delete_child`]).
    ///
    /// # Errors
    ///
    /// As [`SupervisorRef::delete_child`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn delete(&self) -> Result<(), ManagementError> {
        self.parent.delete_node(Arc::clone(&self.node)).await
    }

    /// Puts a message in the child's mailbox, waiting while it is full. Messages sent while the
    /// child restarts are delivered to the next incarnation; a child that is gone, or goes while
    /// the sender waits, gives the message back at once (S9.8).
    ///
    /// # Errors
    ///
    /// [`MailboxError::Gone`] once the child is gone (S9.8), [`MailboxError::NoMailbox`] for a
    /// child without one; the message is given back.
    ///
    /// # Cancel safety
    ///
    /// Cancelling a send that waits for room drops the message, which was not delivered.
    pub async fn send(&self, msg: M) -> Result<(), MailboxError<M>> {
        let (tx, msg) = self.sender(msg)?;
        tx.send(msg).await.map(drop).map_err(|m| self.closed(m))
    }

    /// Puts a message in the child's mailbox if there is room now.
    pub fn try_send(&self, msg: M) -> Result<(), MailboxError<M>> {
        let (tx, msg) = self.sender(msg)?;
        tx.try_send(msg).map(drop).map_err(|e| match e {
            TrySendError::Full(m) => MailboxError::Full(m),
            TrySendError::Closed(m) => self.closed(m),
        })
    }

    fn sender(&self, msg: M) -> Result<(&Tx<M>, M), MailboxError<M>> {
        match (&self.tx, self.node.state()) {
            (None, _) => Err(MailboxError::NoMailbox(msg)),
            (Some(_), ChildState::Gone(how)) => Err(MailboxError::Gone(msg, how)),
            (Some(tx), _) => Ok((tx, msg)),
        }
    }

    /// Sends a request made by `make` around a reply slot, and waits for the answer, all within
    /// `timeout` (S14.4). It never hangs because the worker died holding the request: the call
    /// ends with that incarnation's exit reason. A request sent while the child restarts is
    /// answered by its next incarnation (S9.8).
    ///
    /// ```
    /// use std::time::Duration;
    /// use supervisor::{ChildContext, ChildSpec, Reply, Supervisor, SupervisorSpec};
    ///
    /// enum Ask { Square(u64, Reply<u64>) }
    ///
    /// async fn squarer(mut ctx: ChildContext<Ask>) -> Result<(), String> {
    ///     while let Some(Ask::Square(n, reply)) = ctx.recv().await {
    ///         let _ = reply.send(n * n);
    ///     }
    ///     Ok(())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = SupervisorSpec::new("app").child(ChildSpec::with_mailbox("squarer", squarer));
    /// let app = Supervisor::start(spec).await?;
    /// let squarer = app.child::<Ask>("squarer")?;
    /// let nine = squarer.call(|r| Ask::Square(3, r), Duration::from_secs(1)).await?;
    /// assert_eq!(nine, 9);
    /// # app.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`CallError::Timeout`] when no answer came within `timeout`; [`CallError::Exited`] with the
    /// exit of the incarnation that held the request; [`CallError::Unanswered`] when the worker
    /// dropped it and ran on; [`CallError::Gone`] or [`CallError::NoMailbox`] as for
    /// [`send`](Self::send).
    ///
    /// # Cancel safety
    ///
    /// Cancelling the call abandons it: the worker sees [`Reply::is_abandoned`] and its answer is
    /// given back to it.
    pub async fn call<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> M,
        timeout: std::time::Duration,
    ) -> Result<T, CallError> {
        let (reply, answer) = crate::call::reply();
        self.call_prepared(make(reply), answer, timeout).await
    }

    /// [`call`](Self::call) with the request already made around its reply slot.
    pub(crate) async fn call_prepared<T>(
        &self,
        request: M,
        answer: crate::call::Answer<T>,
        timeout: std::time::Duration,
    ) -> Result<T, CallError> {
        let deadline = crate::time::deadline(tokio::time::Instant::now(), timeout);
        // One timer for the whole call, made only once a step must wait: on a multi-thread
        // runtime a new timer can wake the worker parked on the driver, and a timer per step
        // made a call to a process wake it twice.
        let mut limit = std::pin::pin!(None);
        // Made before the request leaves, so that the exit of whoever holds it is recorded.
        let exits = self.node.exits();
        match within(limit.as_mut(), deadline, self.send(request)).await {
            None => return Err(CallError::Timeout(timeout)),
            Some(Err(MailboxError::Gone(_, how))) => return Err(CallError::Gone(how)),
            Some(Err(MailboxError::NoMailbox(_))) => return Err(CallError::NoMailbox),
            // `send` waits for room: a full mailbox is the timeout above.
            Some(Err(MailboxError::Full(_))) => return Err(CallError::Timeout(timeout)),
            Some(Ok(())) => {}
        }
        let dropped = match within(limit.as_mut(), deadline, answer).await {
            Some(Ok(Ok(answer))) => return Ok(answer),
            None => return Err(CallError::Timeout(timeout)),
            Some(Ok(Err(dropped))) => dropped,
            // A reply slot that was forgotten rather than dropped.
            Some(Err(_)) => return Err(CallError::Unanswered),
        };
        // Dropped in a poll of an incarnation, the poll says what became of it, even if the
        // child is gone since; dropped elsewhere (a gone child's mailbox closed), gone says it.
        let gone = || self.node.state().gone();
        if let (false, Some(how)) = (dropped.in_poll, gone()) {
            return Err(CallError::Gone(how));
        }
        // S14.4: with the reason of the incarnation that held it.
        let Some(ended) = within(limit.as_mut(), deadline, dropped.ended()).await else {
            return Err(CallError::Timeout(timeout));
        };
        let unanswered = || gone().map_or(CallError::Unanswered, CallError::Gone);
        let exited = |(reason, message)| CallError::Exited { reason, message };
        match (ended, dropped.task) {
            (None, _) | (Some(None), None) => Err(unanswered()),
            // Ended in the poll that dropped the request: the message it was handling is
            // recorded with the exit, or still in the mailbox until a restart takes it over.
            (Some(Some(reason)), task) => {
                let message = match task.and_then(|task| exits.get(task)) {
                    Some((_, message)) => message,
                    None => self.node.last_message(),
                };
                Err(exited((reason, message)))
            }
            // Stopped by its supervisor, which records why once the task is gone.
            (Some(None), Some(task)) => {
                if let Some(ended) = exits.get(task) {
                    return Err(exited(ended));
                }
                if let Some(how) = gone() {
                    return Err(CallError::Gone(how));
                }
                match within(limit.as_mut(), deadline, exits.of(task)).await {
                    Some(ended) => Err(exited(ended)),
                    None => Err(CallError::Timeout(timeout)),
                }
            }
        }
    }

    /// A closed mailbox belongs to a gone child.
    fn closed(&self, msg: M) -> MailboxError<M> {
        MailboxError::Gone(msg, self.node.state().gone().unwrap_or(Gone::TreeEnded))
    }
}

/// A dynamic supervisor, typed by its template's argument (`A`) and mailbox (`M`) types.
pub struct DynamicRef<A, M = NoMailbox> {
    sup: SupervisorRef,
    _types: PhantomData<fn(A) -> M>,
}

impl<A, M> Clone for DynamicRef<A, M> {
    fn clone(&self) -> Self {
        DynamicRef {
            sup: self.sup.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, M> fmt::Debug for DynamicRef<A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicRef")
            .field("path", &self.sup.path())
            .finish()
    }
}

impl<A, M> std::ops::Deref for DynamicRef<A, M> {
    type Target = SupervisorRef;
    fn deref(&self) -> &SupervisorRef {
        &self.sup
    }
}

impl<A: Send + 'static, M: Message> DynamicRef<A, M> {
    /// Starts a child from the template with `args`; its id is a number unique for the life of
    /// the tree (never reused, even after this supervisor restarts). A full supervisor answers [`ManagementError::MaxChildren`] (S9.3).
    ///
    /// # Errors
    ///
    /// [`ManagementError::MaxChildren`] when the supervisor is full;
    /// [`ManagementError::StartFailed`] when the child fails to start;
    /// [`ManagementError::NotRunning`] or [`ManagementError::Gone`] when the supervisor is not
    /// running.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the wait does not cancel the request: the supervisor carries it out all the same.
    pub async fn start_child(&self, args: A) -> Result<ChildRef<M>, ManagementError> {
        let node = self
            .sup
            .call(|r| Command::StartDynamic(crate::context::args_slot(args), r))
            .await??;
        Ok(ChildRef::new(node, self.sup.clone()))
    }
}

/// `step` unless `deadline` passes first (`None`). The call's one timer, in `limit`, is made
/// and registered only when a step is not ready at once, and then serves the later steps.
async fn within<F: std::future::Future>(
    mut limit: std::pin::Pin<&mut Option<tokio::time::Sleep>>,
    deadline: tokio::time::Instant,
    step: F,
) -> Option<F::Output> {
    use std::future::Future as _;
    use std::task::Poll;
    let mut step = std::pin::pin!(step);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = step.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if limit.is_none() {
            limit.set(Some(tokio::time::sleep_until(deadline)));
        }
        match limit.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => Poll::Ready(None),
        }
    })
    .await
}

#[cfg(all(unix, feature = "process"))]
impl ChildRef<crate::rpc::Rpc> {
    /// Sends `method` with `params` as a request and waits for its result, all within
    /// `timeout`; a request that reaches the process as it dies ends with its exit (S14.4).
    ///
    /// # Errors
    ///
    /// [`RequestError::Call`](crate::RequestError::Call) without an answer,
    /// [`RequestError::Rpc`](crate::RequestError::Rpc) with the process's
    /// error object.
    pub async fn request(
        &self,
        method: impl Into<String>,
        params: serde_json::Value,
        timeout: std::time::Duration,
    ) -> Result<serde_json::Value, crate::rpc::RequestError> {
        let method = method.into();
        Ok(self
            .call(
                |reply| crate::rpc::Rpc::request(method, params, reply),
                timeout,
            )
            .await??)
    }

    /// Sends `method` with `params` as a notification, waiting for room in the mailbox.
    ///
    /// # Errors
    ///
    /// As [`ChildRef::send`].
    pub async fn notify(
        &self,
        method: impl Into<String>,
        params: serde_json::Value,
    ) -> Result<(), MailboxError<crate::rpc::Rpc>> {
        self.send(crate::rpc::Rpc::notify(method, params)).await
    }
}

#[cfg(all(unix, feature = "process"))]
impl ChildRef<crate::rpc::Line> {
    /// Writes `line` to the process and waits for the next line of its output that no earlier
    /// call took, all within `timeout`; a call the process dies holding ends with its exit
    /// (S14.4).
    ///
    /// # Errors
    ///
    /// [`LineError::NotOneLine`](crate::LineError::NotOneLine) for text with a line break,
    /// [`LineError::Call`](crate::LineError::Call) without an answer.
    pub async fn call_line(
        &self,
        line: impl Into<String>,
        timeout: std::time::Duration,
    ) -> Result<String, crate::rpc::LineError> {
        let line = line.into();
        if !crate::rpc::one_line(&line) {
            return Err(crate::rpc::LineError::NotOneLine);
        }
        let make = |reply| crate::rpc::Line::Call { line, reply };
        self.call(make, timeout).await?
    }

    /// Writes `line` to the process, waiting for room in the mailbox; no answer is read.
    ///
    /// # Errors
    ///
    /// [`LineError::NotOneLine`](crate::LineError::NotOneLine) for text with a line break,
    /// [`LineError::Call`](crate::LineError::Call) when the child is gone.
    pub async fn send_line(&self, line: impl Into<String>) -> Result<(), crate::rpc::LineError> {
        let line = line.into();
        if !crate::rpc::one_line(&line) {
            return Err(crate::rpc::LineError::NotOneLine);
        }
        self.send(crate::rpc::Line::Write(line))
            .await
            .map_err(|error| match error {
                MailboxError::Gone(_, how) => CallError::Gone(how).into(),
                // `send` waits for room: only a child without this mailbox is left.
                MailboxError::Full(_) | MailboxError::NoMailbox(_) => CallError::NoMailbox.into(),
            })
    }
}
