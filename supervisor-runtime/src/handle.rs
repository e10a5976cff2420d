//! Handles: the running tree, its supervisors, and stable references to children.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::{ContextExtra, NoMailbox, RawContext};
use crate::engine::{CatchUnwind, Command, Engine, Msg};
use crate::error::{LookupError, MailboxError, ManagementError, StartError, TreeError};
use crate::event::{ChildCounts, ChildInfo, EventStream, Events, RestartRecord};
use crate::exit::ExitReason;
use crate::node::{ChildState, Node};
use crate::spec::{ChildSpec, SupervisorSpec};

/// Starts supervision trees.
#[derive(Debug)]
pub struct Supervisor;

impl Supervisor {
    /// Validates `spec` (S1.4), starts the whole tree (S2) and returns once every child is up.
    ///
    /// Must be called within a tokio runtime. If a child fails to start, the children already
    /// started are stopped in reverse order and the error names it (S2.2).
    pub async fn start(spec: SupervisorSpec) -> Result<SupervisorHandle, StartError> {
        spec.validate()?;
        let events = Events::new();
        let spec = Arc::new(spec);
        let node = Node::instantiate_root(&spec, &events);
        let token = CancellationToken::new();
        let raw = RawContext::new(Arc::clone(&node), 0, token.clone(), ContextExtra::default());
        // The root's children start in the caller's task. Should the caller drop this future
        // before the tree is up, dropping the engine aborts whatever it started.
        let mut engine = Engine::new(spec, &raw).map_err(|r| start_error(&node, r))?;
        if let Err(reason) = engine.start().await {
            engine.close();
            return Err(start_error(&node, reason));
        }
        let task = tokio::spawn(CatchUnwind::new(engine.run()));
        Ok(SupervisorHandle {
            root: SupervisorRef { node },
            events,
            token,
            task: Some(task),
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
/// [`shutdown`](Self::shutdown) does so and waits until every task is gone.
pub struct SupervisorHandle {
    root: SupervisorRef,
    events: Events,
    token: CancellationToken,
    task: Option<JoinHandle<ExitReason>>,
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

    /// The tree's event stream (S9.4).
    pub fn subscribe(&self) -> EventStream {
        self.events.subscribe()
    }

    /// Waits until the tree ends: `Ok` after a shutdown or auto_shutdown, the root's escalation
    /// when it gave up (S7.2).
    pub async fn join(mut self) -> Result<(), TreeError> {
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let reason = match task.await {
            Ok(reason) => reason,
            Err(e) => ExitReason::error(e.to_string()),
        };
        match reason {
            ExitReason::Normal | ExitReason::Shutdown => Ok(()),
            ExitReason::Escalation(e) => Err(TreeError::GaveUp(e)),
            other => Err(TreeError::Aborted(other)),
        }
    }

    /// Stops the whole tree in order (S6) and returns when every task is gone.
    pub async fn shutdown(self) -> Result<(), TreeError> {
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

    async fn call<T>(
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
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ManagementError> {
        self.call(Command::WhichChildren).await
    }

    /// Counts of specs, running children, supervisors and workers (S9.2).
    pub async fn count_children(&self) -> Result<ChildCounts, ManagementError> {
        self.call(Command::CountChildren).await
    }

    /// The last restart decisions, oldest first (at most [`HISTORY_CAPACITY`]).
    ///
    /// [`HISTORY_CAPACITY`]: crate::HISTORY_CAPACITY
    pub async fn restart_history(&self) -> Result<Vec<RestartRecord>, ManagementError> {
        self.call(Command::History).await
    }

    /// Stops a child by its shutdown policy; the spec stays (a temporary one's goes). Not a
    /// failure: no intensity, no auto_shutdown (S6.4, S9.3).
    pub async fn terminate_child(&self, id: &str) -> Result<(), ManagementError> {
        self.call(|r| Command::Terminate(Arc::from(id), tokio::task::try_id(), r))
            .await?
    }

    /// Starts a stopped child again; a running or restarting one is an error (S9.3).
    pub async fn restart_child(&self, id: &str) -> Result<(), ManagementError> {
        self.call(|r| Command::Restart(Arc::from(id), r)).await?
    }

    /// Removes a stopped child's spec; a running or restarting one is an error (S9.3).
    pub async fn delete_child(&self, id: &str) -> Result<(), ManagementError> {
        self.call(|r| Command::Delete(Arc::from(id), r)).await?
    }

    /// Adds a child to a static supervisor (after the others) and starts it.
    pub async fn start_child<M: Send + 'static>(
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
    pub fn child<M: Send + 'static>(&self, path: &str) -> Result<ChildRef<M>, LookupError> {
        let (parent, node) = self.walk(path)?;
        let wanted = TypeId::of::<M>();
        let declared = (node.message)();
        if wanted != TypeId::of::<NoMailbox>() && declared.id != wanted {
            return Err(LookupError::WrongMessageType {
                path: node.path().to_string(),
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
            return Err(LookupError::NotASupervisor(node.path().to_string()));
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
        match sup.node.sup.as_deref().and_then(|s| s.dynamic) {
            Some((args, msg)) if args.id == TypeId::of::<A>() && msg().id == TypeId::of::<M>() => {
                Ok(DynamicRef {
                    sup,
                    _types: PhantomData,
                })
            }
            _ => Err(LookupError::NotDynamic(sup.node.path().to_string())),
        }
    }

    fn walk(&self, path: &str) -> Result<(SupervisorRef, Arc<Node>), LookupError> {
        let not_found = || LookupError::NotFound(format!("{}/{}", self.node.path(), path));
        let mut parent = Arc::clone(&self.node);
        let mut segments = path.split('/').peekable();
        loop {
            let seg = segments.next().ok_or_else(not_found)?;
            let sup = parent.sup.as_deref().ok_or_else(not_found)?;
            let node = sup
                .children
                .iter()
                .find(|c| &*c.id == seg)
                .cloned()
                .ok_or_else(not_found)?;
            if segments.peek().is_none() {
                return Ok((SupervisorRef { node: parent }, node));
            }
            parent = node;
        }
    }
}

/// A stable reference to a child, valid across its restarts (and its supervisors'): state,
/// restart count, management, and its typed mailbox.
pub struct ChildRef<M = NoMailbox> {
    node: Arc<Node>,
    parent: SupervisorRef,
    tx: Option<mpsc::Sender<M>>,
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

impl<M: Send + 'static> ChildRef<M> {
    fn new(node: Arc<Node>, parent: SupervisorRef) -> Self {
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

    /// The current state of the child.
    pub fn state(&self) -> ChildState {
        self.node.state()
    }

    /// How many times the child has been restarted.
    pub fn restart_count(&self) -> u32 {
        self.node.restarts()
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
    pub async fn terminate(&self) -> Result<(), ManagementError> {
        self.parent.terminate_child(&self.node.id).await
    }

    /// Starts the stopped child again (see [`SupervisorRef::restart_child`]).
    pub async fn restart(&self) -> Result<(), ManagementError> {
        self.parent.restart_child(&self.node.id).await
    }

    /// Removes the stopped child (see [`SupervisorRef::delete_child`]).
    pub async fn delete(&self) -> Result<(), ManagementError> {
        self.parent.delete_child(&self.node.id).await
    }

    /// Puts a message in the child's mailbox, waiting while it is full. Messages sent while the
    /// child restarts are delivered to the next incarnation.
    pub async fn send(&self, msg: M) -> Result<(), MailboxError<M>> {
        let tx = self.sender(msg)?;
        let (tx, msg) = tx;
        tx.send(msg).await.map_err(|e| MailboxError::Deleted(e.0))
    }

    /// Puts a message in the child's mailbox if there is room now.
    pub fn try_send(&self, msg: M) -> Result<(), MailboxError<M>> {
        let (tx, msg) = self.sender(msg)?;
        tx.try_send(msg).map_err(|e| match e {
            mpsc::error::TrySendError::Full(m) => MailboxError::Full(m),
            mpsc::error::TrySendError::Closed(m) => MailboxError::Deleted(m),
        })
    }

    fn sender(&self, msg: M) -> Result<(&mpsc::Sender<M>, M), MailboxError<M>> {
        match &self.tx {
            None => Err(MailboxError::NoMailbox(msg)),
            Some(_) if self.node.state() == ChildState::Deleted => Err(MailboxError::Deleted(msg)),
            Some(tx) => Ok((tx, msg)),
        }
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

impl<A: Clone + Send + Sync + 'static, M: Send + 'static> DynamicRef<A, M> {
    /// Starts a child from the template with `args`; its id is a number unique in this
    /// supervisor. A full supervisor answers [`ManagementError::MaxChildren`] (S9.3).
    pub async fn start_child(&self, args: A) -> Result<ChildRef<M>, ManagementError> {
        let node = self
            .sup
            .call(|r| Command::StartDynamic(Arc::new(args), r))
            .await??;
        Ok(ChildRef::new(node, self.sup.clone()))
    }
}
