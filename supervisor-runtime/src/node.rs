//! The live tree: one node per declared child, created once when the tree starts and kept across
//! restarts, so that handles and mailboxes outlive incarnations.

use std::any::Any;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::mpsc;

use crate::engine::Msg;
use crate::event::Events;
use crate::spec::{ChildKind, ErasedChild, Starter, SupervisorSpec, TypeTag};

/// Where a child is in its life (S9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChildState {
    /// Its current incarnation is being started (a worker's `init`, a supervisor's children).
    Starting,
    /// An incarnation is running.
    Running,
    /// It exited and waits for its restart (backoff, or a group restart in progress).
    Restarting,
    /// Not running: terminated, exited without restart, or its supervisor is not running.
    Stopped,
    /// Its spec is gone: deleted, or a temporary child that exited.
    Deleted,
}

impl ChildState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ChildState::Starting,
            1 => ChildState::Running,
            2 => ChildState::Restarting,
            3 => ChildState::Stopped,
            _ => ChildState::Deleted,
        }
    }

    /// Lower-case name (`running`, `restarting`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ChildState::Starting => "starting",
            ChildState::Running => "running",
            ChildState::Restarting => "restarting",
            ChildState::Stopped => "stopped",
            ChildState::Deleted => "deleted",
        }
    }
}

pub(crate) struct MailboxInner<M> {
    pub tx: mpsc::Sender<M>,
    pub rx: Arc<tokio::sync::Mutex<mpsc::Receiver<M>>>,
}

pub(crate) type MailboxFactory = fn(usize) -> Box<dyn Any + Send + Sync>;

pub(crate) fn mailbox_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity| {
        let (tx, rx) = mpsc::channel::<M>(capacity);
        Box::new(MailboxInner {
            tx,
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
        })
    }
}

/// One child of the live tree.
pub(crate) struct Node {
    pub id: Arc<str>,
    /// The parent's path, shared by siblings; the node's own is joined on first use, since most
    /// workers' paths are only ever needed for events nobody listens to.
    parent_path: Option<Arc<str>>,
    path: OnceLock<Arc<str>>,
    pub kind: ChildKind,
    state: AtomicU8,
    restarts: AtomicU32,
    pub mailbox: Option<Box<dyn Any + Send + Sync>>,
    pub message: fn() -> TypeTag,
    pub sup: Option<Box<SupNode>>,
}

/// The parts of a node that only supervisors have.
pub(crate) struct SupNode {
    /// Commands to the running incarnation; `None` while it is not running.
    pub cmd: Mutex<Option<mpsc::UnboundedSender<Msg>>>,
    /// Nodes of the declared children, in order.
    pub children: Vec<Arc<Node>>,
    /// Argument and message types of a dynamic supervisor's template.
    pub dynamic: Option<(TypeTag, fn() -> TypeTag)>,
    pub events: Events,
}

impl Node {
    /// The full path from the root (`app/api/listener`).
    pub(crate) fn path(&self) -> &Arc<str> {
        self.path.get_or_init(|| match &self.parent_path {
            Some(parent) => join_path(parent, &self.id),
            None => Arc::clone(&self.id),
        })
    }

    pub(crate) fn state(&self) -> ChildState {
        ChildState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, state: ChildState) {
        let v = match state {
            ChildState::Starting => 0,
            ChildState::Running => 1,
            ChildState::Restarting => 2,
            ChildState::Stopped => 3,
            ChildState::Deleted => 4,
        };
        self.state.store(v, Ordering::Release);
    }

    pub(crate) fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub(crate) fn count_restart(&self) -> u32 {
        self.restarts.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Builds the node of `spec` (and of its whole subtree) under `parent_path`.
    pub(crate) fn instantiate(
        spec: &ErasedChild,
        id: Arc<str>,
        parent_path: Option<&Arc<str>>,
        events: &Events,
        mailbox: Option<MailboxFactory>,
    ) -> Arc<Node> {
        let path = OnceLock::new();
        let parent_path = parent_path.cloned();
        let sup = match &spec.start {
            Starter::Fn { .. } => None,
            Starter::Supervisor { spec: s, .. } => {
                // A supervisor's path is its children's parent path: made now.
                let own = match &parent_path {
                    Some(p) => join_path(p, &id),
                    None => Arc::clone(&id),
                };
                let _ = path.set(Arc::clone(&own));
                Some(Box::new(SupNode::instantiate(s, &own, events)))
            }
        };
        Arc::new(Node {
            id,
            kind: spec.kind(),
            state: AtomicU8::new(3),
            restarts: AtomicU32::new(0),
            mailbox: mailbox.map(|make| make(spec.mailbox_capacity as usize)),
            message: spec.message,
            sup,
            parent_path,
            path,
        })
    }
}

impl Node {
    pub(crate) fn instantiate_root(spec: &SupervisorSpec, events: &Events) -> Arc<Node> {
        Arc::new(Node {
            id: Arc::clone(&spec.id),
            parent_path: None,
            path: OnceLock::from(Arc::clone(&spec.id)),
            kind: ChildKind::Supervisor,
            state: AtomicU8::new(3),
            restarts: AtomicU32::new(0),
            mailbox: None,
            message: TypeTag::of::<crate::NoMailbox>,
            sup: Some(Box::new(SupNode::instantiate(spec, &spec.id, events))),
        })
    }
}

/// `parent/id` in one allocation: the pieces are assembled in a reused buffer, since
/// `Arc<str>` can only be made by copying.
fn join_path(parent: &str, id: &str) -> Arc<str> {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUF.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            buf.push_str(parent);
            buf.push('/');
            buf.push_str(id);
            Arc::from(buf.as_str())
        }
        Err(_) => Arc::from(format!("{parent}/{id}")),
    })
}

impl SupNode {
    fn instantiate(spec: &SupervisorSpec, path: &Arc<str>, events: &Events) -> SupNode {
        let children = spec
            .children
            .iter()
            .map(|c| {
                let factory = c.mailbox_factory();
                Node::instantiate(c, Arc::clone(&c.id), Some(path), events, factory)
            })
            .collect();
        SupNode {
            cmd: Mutex::new(None),
            children,
            dynamic: spec.dynamic.as_ref().map(|d| (d.args, d.template.message)),
            events: events.clone(),
        }
    }

    pub(crate) fn sender(&self) -> Option<mpsc::UnboundedSender<Msg>> {
        self.cmd.lock().ok()?.clone()
    }

    pub(crate) fn set_sender(&self, tx: Option<mpsc::UnboundedSender<Msg>>) {
        if let Ok(mut slot) = self.cmd.lock() {
            *slot = tx;
        }
    }
}
