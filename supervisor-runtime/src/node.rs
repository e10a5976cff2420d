//! The live tree: one node per child, created once and kept across restarts, so that handles and
//! mailboxes outlive incarnations. A node that goes away is marked gone for good (S9.7, S9.8):
//! no handle taken before can reach anything else through it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::call::{Exits, ExitsSlot};
use crate::context::NodeView;
use crate::error::ManagementError;
use crate::event::{ChildCounts, ChildInfo, EventKind, Events, RestartRecord};
use crate::exit::ExitReason;
use crate::health::Health;
use crate::heartbeat::Beats;
use crate::mailbox::{ErasedMailbox, MailboxInner};
use crate::os::ProcessSlot;
use crate::spawn::Exit;
use crate::spec::{
    ChildKind, ErasedChild, PoolSettings, Shutdown, Starter, SupervisorKind, SupervisorSpec,
    DEFAULT_MAILBOX_CAPACITY,
};
use crate::stash::StashSlot;
use crate::state::HealthStatus;
use crate::state::{ChildState, Gone};
use crate::types::{AnyArc, TypeTag};

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ManagementError>>;

/// A request to a running supervisor. Children are named by their node, resolved by the
/// caller: an old handle can only ever reach the child it was made for.
pub(crate) enum Command {
    WhichChildren(oneshot::Sender<Vec<ChildInfo>>),
    /// The supervisor's spec and each child's spec beside its line of `which_children`: what a
    /// live picture draws, with the shapes and labels of a static one.
    Layout(oneshot::Sender<Layout>),
    CountChildren(oneshot::Sender<ChildCounts>),
    History(oneshot::Sender<Vec<RestartRecord>>),
    Intensity(oneshot::Sender<crate::IntensityUse>),
    /// The child to stop, and the task asking (to recognise a child stopping itself).
    Terminate(Arc<Node>, Option<tokio::task::Id>, Reply<()>),
    Restart(Arc<Node>, Reply<()>),
    Delete(Arc<Node>, Reply<()>),
    /// Stop the child by its shutdown policy and hold it (S18.3).
    Pause(Arc<Node>, Reply<()>),
    /// Start a quarantined or paused child again, with a fresh budget (S18.1, S18.3).
    Resume(Arc<Node>, Reply<()>),
    StartChild(Box<ErasedChild>, Reply<Arc<Node>>),
    StartDynamic(AnyArc, Reply<Arc<Node>>),
    /// A pool to this many slots: new ones start; the highest are stopped and go, and the
    /// messages queued for them are handed back (each slot's a `Vec<M>`), to be routed to the
    /// remaining slots (S14.5).
    Resize(usize, Reply<Vec<(usize, Box<dyn std::any::Any + Send>)>>),
    /// Calls `beat` from the supervisor's own loop now and every `every` after, for as long as
    /// the loop runs: a wedged or ended loop stops the beats (S16.4).
    #[cfg_attr(not(feature = "systemd"), allow(dead_code))]
    Pulse(Pulse, oneshot::Sender<()>),
}

/// A running supervisor as a picture draws it: its spec, and its children as they run now,
/// each with the spec it was started from (a dynamic child's or a pool slot's is its template's).
pub(crate) struct Layout {
    pub spec: Arc<SupervisorSpec>,
    pub children: Vec<(ChildInfo, Arc<ErasedChild>)>,
}

/// A beat sent from a supervisor's loop, such as a service manager's watchdog ping (S16.4).
pub(crate) struct Pulse {
    pub every: std::time::Duration,
    pub beat: Box<dyn FnMut(&Vitals) + Send>,
}

/// What a supervisor's loop tells its pulse: how the nodes below it are doing, at every depth.
#[cfg_attr(not(feature = "systemd"), allow(dead_code))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Vitals {
    /// Nodes with a running incarnation.
    pub running: usize,
    /// Nodes waiting for their restart.
    pub restarting: usize,
    /// All the nodes below it.
    pub children: usize,
    /// Their restarts so far, all told.
    pub restarts: u64,
}

impl Vitals {
    /// Counts the nodes below `node`, at every depth: declared children and those added at run
    /// time (S16.4's status line is about the whole tree).
    pub(crate) fn of(node: &Node) -> Vitals {
        let mut v = Vitals::default();
        v.count_below(node);
        v
    }

    fn count_below(&mut self, node: &Node) {
        let Some(sup) = node.sup.as_deref() else {
            return;
        };
        let added: Vec<Arc<Node>> = sup
            .added
            .lock()
            .map(|a| a.values().cloned().collect())
            .unwrap_or_default();
        for child in sup.children.iter().chain(&added) {
            match child.state() {
                ChildState::Gone(_) => continue,
                ChildState::Running => self.running += 1,
                ChildState::Restarting => self.restarting += 1,
                _ => {}
            }
            self.children += 1;
            self.restarts += u64::from(child.restarts());
            self.count_below(child);
        }
    }
}

/// What a supervisor's one inbox carries: its children's exits and management requests.
pub(crate) enum Msg {
    Exit(Exit),
    Command(Command),
    /// An idle wait of a judged incarnation ended, its judge parked (S12.7).
    Unparked {
        seq: u64,
        incarnation: u64,
    },
    /// A probe of an incarnation answered (S11).
    Probed {
        seq: u64,
        incarnation: u64,
        health: Health,
    },
}

/// A task aborted when its supervisor was killed, left for the killer to await (S6.3).
pub(crate) struct Aborted {
    pub node: Arc<Node>,
    pub task: Option<JoinHandle<()>>,
    /// The incarnation that was running, whose stop is reported once its task is gone.
    pub incarnation: Option<u64>,
    pub then_gone: Option<Gone>,
}

/// The supervisors whose children a child may use (S17.1): its own, then each ancestor's.
pub(crate) struct Scope {
    pub sup: Arc<Node>,
    pub up: Option<Arc<Scope>>,
}

/// What an incarnation may look up (S17.1): the names its spec declared, in its supervisor's
/// scope. A supervisor's incarnation declares none; it hands the scope on to its children.
pub(crate) struct Visible {
    pub scope: Arc<Scope>,
    pub names: Arc<[Arc<str>]>,
}

/// One child of the live tree.
pub(crate) struct Node {
    pub id: Arc<str>,
    /// The parent's path, shared by siblings; the node's own is joined on first use, since most
    /// workers' paths are only ever needed for events nobody listens to.
    parent_path: Option<Arc<str>>,
    path: OnceLock<Arc<str>>,
    pub kind: ChildKind,
    /// The child's place in its supervisor's start order (S5.3): fixed for the node's life.
    pub seq: u64,
    state: AtomicU8,
    /// Whether its incarnation is working on a message it took (S14.2's "in progress"): from
    /// the moment it takes one until it waits for the next.
    busy: AtomicBool,
    /// The [`HealthStatus`] its probe last found.
    health: AtomicU8,
    restarts: AtomicU32,
    /// Starts so far: the next incarnation's number (S3.6).
    starts: AtomicU64,
    /// The child's mailbox; the type of its messages is the mailbox's.
    mailbox: Option<Box<dyn ErasedMailbox>>,
    /// What few children have, behind one pointer: most nodes never make it.
    rare: OnceLock<Box<Rare>>,
    pub sup: Option<Box<SupNode>>,
}

/// The parts of a node that only some children have.
#[derive(Default)]
struct Rare {
    /// Its heartbeats, when it is judged by them (S12).
    beats: Option<Beats>,
    /// Its carried state, when it declared one (S15).
    stash: Option<StashSlot>,
    /// The exits of its incarnations, for calls whose request was dropped (S14.4); made by the
    /// first call.
    exits: ExitsSlot,
    /// Its running process, when it is an operating-system process (S20).
    process: Option<ProcessSlot>,
}

/// The parts of a node that only supervisors have.
pub(crate) struct SupNode {
    /// Commands to the running incarnation; `None` while it is not running.
    pub cmd: Mutex<Option<mpsc::UnboundedSender<Msg>>>,
    /// Nodes of the declared children, in order.
    pub children: Vec<Arc<Node>>,
    /// Indexes of `children`, sorted by id: lookups are binary searches (S9.7). Built on the
    /// first lookup: a large flat tree that is never searched by id does not pay for the sort.
    by_id: OnceLock<Box<[u32]>>,
    /// Children added at run time to the current incarnation, by id.
    pub added: Mutex<HashMap<Arc<str>, Arc<Node>>>,
    /// Ids of dynamic children: unique for the life of the tree, across restarts.
    pub next_dynamic: AtomicU64,
    /// What its references need of its kind.
    pub kind: SupShape,
    /// Its restart intensity (S4.1), for those who check it from outside.
    pub intensity: crate::Intensity,
    pub events: Events,
    /// Tasks of children aborted because this supervisor was killed, awaited by its parent so
    /// that a killed subtree is gone when its stop returns (S6.3).
    pub aborted: Mutex<Vec<Aborted>>,
}

impl Node {
    /// Its supervisor's path; `None` for the root.
    pub(crate) fn parent_path(&self) -> Option<&Arc<str>> {
        self.parent_path.as_ref()
    }

    /// The full path from the root (`app/api/listener`).
    pub(crate) fn path(&self) -> &Arc<str> {
        self.path.get_or_init(|| match &self.parent_path {
            Some(parent) => join_path(parent, &self.id),
            None => Arc::clone(&self.id),
        })
    }

    /// Whether its incarnation is working on a message it took (S14.2).
    #[inline]
    pub(crate) fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn state(&self) -> ChildState {
        ChildState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Publishes `state`; a gone node stays gone.
    pub(crate) fn set_state(&self, state: ChildState) {
        // Only the engine that owns the node writes its state while it is not gone (`go` is
        // called by that engine, or by its killer once it is dead): no compare-and-swap needed.
        if self.state.load(Ordering::Acquire) < ChildState::GONE {
            self.state.store(state.to_u8(), Ordering::Release);
        }
    }

    pub(crate) fn health(&self) -> HealthStatus {
        HealthStatus::from_u8(self.health.load(Ordering::Relaxed))
    }

    pub(crate) fn set_health(&self, health: HealthStatus) {
        self.health.store(health.to_u8(), Ordering::Relaxed);
    }

    /// Its heartbeats, when it is judged by them (S12).
    pub(crate) fn beats(&self) -> Option<&Beats> {
        self.rare.get()?.beats.as_ref()
    }

    /// Its running process, when it is an operating-system process (S20).
    pub(crate) fn process_slot(&self) -> Option<&ProcessSlot> {
        self.rare.get()?.process.as_ref()
    }

    /// The record of this node's exits, made on first use.
    pub(crate) fn exits(&self) -> Arc<Exits> {
        let rare = self.rare.get_or_init(Box::default);
        Arc::clone(rare.exits.get_or_init(Arc::default))
    }

    /// Tells calls waiting on this node that the incarnation that ran as `task` ended with
    /// `reason`.
    pub(crate) fn record_exit(&self, task: Option<tokio::task::Id>, reason: &ExitReason) {
        let exits = self.rare.get().and_then(|r| r.exits.get());
        if let (Some(exits), Some(task)) = (exits, task) {
            exits.record(task, (reason.clone(), self.last_message()));
        }
    }

    pub(crate) fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub(crate) fn count_restart(&self) -> u32 {
        let n = self.restarts.load(Ordering::Relaxed) + 1;
        self.restarts.store(n, Ordering::Relaxed);
        n
    }

    /// The number of the incarnation about to start (S3.6: it never goes back).
    pub(crate) fn next_incarnation(&self) -> u64 {
        // Only the engine that owns the node starts it: a load and a store, no read-modify-write.
        let n = self.starts.load(Ordering::Relaxed);
        self.starts.store(n + 1, Ordering::Relaxed);
        n
    }

    /// The number of the current (or last) incarnation; `None` before the first start.
    pub(crate) fn incarnation(&self) -> Option<u64> {
        self.starts.load(Ordering::Relaxed).checked_sub(1)
    }

    /// Marks the node, and every node below it, gone for good: mailboxes close and their
    /// leftover messages are reported (S9.8). Returns `false` if it already was.
    pub(crate) fn go(&self, how: Gone, events: &Events) -> bool {
        let v = ChildState::Gone(how).to_u8();
        let first = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                (old < ChildState::GONE).then_some(v)
            });
        if first.is_err() {
            return false;
        }
        let undelivered = self.mailbox.as_ref().map_or(0, |m| m.close());
        if let (Some(kit), Some(mailbox)) = (&events.intercept, &self.mailbox) {
            if let Some(delivery) = mailbox.delivery(undelivered) {
                kit.delivered(self.path(), delivery);
            }
        }
        // S15.2: the carried state goes with the node.
        if let Some(stash) = self.rare.get().and_then(|r| r.stash.as_ref()) {
            stash.clear();
        }
        if undelivered > 0 {
            tracing::warn!(child = %self.path(), undelivered, "messages left in a gone child's mailbox");
        }
        events.emit(|| {
            (
                Arc::clone(self.path()),
                EventKind::Gone { how, undelivered },
            )
        });
        if let Some(sup) = &self.sup {
            sup.set_sender(None);
            if let SupShape::Pool(pool) = &sup.kind {
                pool.shared.up.notify_waiters();
            }
            for child in &sup.children {
                child.go(how, events);
            }
            for child in sup.take_added() {
                child.go(how, events);
            }
        }
        true
    }

    /// Builds the node of `spec` (and of its whole subtree) under `parent_path`.
    pub(crate) fn instantiate(
        spec: &ErasedChild,
        id: Arc<str>,
        seq: u64,
        parent_path: Option<&Arc<str>>,
        events: &Events,
    ) -> Arc<Node> {
        let path = OnceLock::new();
        let parent_path = parent_path.cloned();
        let sup = match &spec.start {
            Starter::Fn { .. } | Starter::Process { .. } => None,
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
            seq,
            busy: AtomicBool::new(false),
            state: AtomicU8::new(ChildState::Stopped.to_u8()),
            health: AtomicU8::new(0),
            restarts: AtomicU32::new(0),
            starts: AtomicU64::new(0),
            mailbox: spec.mailbox_factory().map(|make| {
                make(
                    spec.mailbox_capacity
                        .map_or(DEFAULT_MAILBOX_CAPACITY, |c| c as usize),
                    spec.labeler(),
                    events.intercept.is_some(),
                )
            }),
            rare: {
                let beats = spec.heartbeat().map(|_| Beats::new());
                let stash = spec.state().map(|(make, _)| StashSlot::new(make));
                let process = match &spec.start {
                    Starter::Process { spec: p, .. } => Some(ProcessSlot::new(
                        Arc::from(p.command_line()),
                        p.tail_lines,
                        match spec.shutdown() {
                            Shutdown::Timeout(limit) => Some(limit),
                            Shutdown::BrutalKill => Some(Duration::ZERO),
                            Shutdown::Infinity => None,
                        },
                    )),
                    _ => None,
                };
                if beats.is_some() || stash.is_some() || process.is_some() {
                    OnceLock::from(Box::new(Rare {
                        beats,
                        stash,
                        exits: ExitsSlot::new(),
                        process,
                    }))
                } else {
                    OnceLock::new()
                }
            },
            sup,
            parent_path,
            path,
        })
    }

    /// A node that names no child: it is gone from the start, so every operation on it says so.
    pub(crate) fn unbound(parent_path: &Arc<str>) -> Arc<Node> {
        Arc::new(Node {
            id: Arc::from("<unbound>"),
            parent_path: Some(Arc::clone(parent_path)),
            path: OnceLock::new(),
            kind: ChildKind::Worker,
            seq: u64::MAX,
            busy: AtomicBool::new(false),
            state: AtomicU8::new(ChildState::Gone(Gone::TreeEnded).to_u8()),
            health: AtomicU8::new(0),
            restarts: AtomicU32::new(0),
            starts: AtomicU64::new(0),
            mailbox: None,
            rare: OnceLock::new(),
            sup: None,
        })
    }

    pub(crate) fn instantiate_root(spec: &SupervisorSpec, events: &Events) -> Arc<Node> {
        Arc::new(Node {
            id: Arc::clone(&spec.id),
            parent_path: None,
            path: OnceLock::from(Arc::clone(&spec.id)),
            kind: ChildKind::Supervisor,
            seq: 0,
            busy: AtomicBool::new(false),
            state: AtomicU8::new(ChildState::Stopped.to_u8()),
            health: AtomicU8::new(0),
            restarts: AtomicU32::new(0),
            starts: AtomicU64::new(0),
            mailbox: None,
            rare: OnceLock::new(),
            sup: Some(Box::new(SupNode::instantiate(spec, &spec.id, events))),
        })
    }
}

impl Node {
    /// The type of the child's messages ([`NoMailbox`](crate::NoMailbox) without a mailbox).
    pub(crate) fn message(&self) -> TypeTag {
        self.mailbox
            .as_ref()
            .map_or_else(TypeTag::of::<crate::NoMailbox>, |m| m.message())
    }

    /// Closes the mailbox and takes the messages queued in it (a `Vec<M>`, and their number),
    /// for a retired pool slot whose messages go to the remaining slots (S14.5).
    pub(crate) fn take_queued(&self) -> Option<(usize, Box<dyn std::any::Any + Send>)> {
        self.mailbox.as_ref().map(|m| m.take())
    }

    pub(crate) fn mailbox<M: 'static>(&self) -> Option<&MailboxInner<M>> {
        self.mailbox
            .as_ref()?
            .as_any()
            .downcast_ref::<MailboxInner<M>>()
    }
}

impl NodeView for Node {
    fn id(&self) -> &Arc<str> {
        &self.id
    }

    fn path(&self) -> &Arc<str> {
        Node::path(self)
    }

    fn mailbox(&self) -> Option<&dyn ErasedMailbox> {
        self.mailbox.as_deref()
    }

    fn beat(&self) {
        if let Some(beats) = self.beats() {
            beats.beat();
        }
    }

    fn stash(&self) -> Option<AnyArc> {
        self.rare.get()?.stash.as_ref()?.get()
    }

    fn process(&self) -> Option<&ProcessSlot> {
        self.process_slot()
    }

    fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Relaxed);
    }

    fn took(&self) {
        if let Some(beats) = self.beats() {
            beats.took();
        }
    }

    fn enter_idle(&self, for_message: bool) {
        if for_message {
            self.busy.store(false, Ordering::Relaxed);
        }
        if let Some(beats) = self.beats() {
            beats.enter_idle();
        }
    }

    fn leave_idle(&self, took: bool) {
        if took {
            self.busy.store(true, Ordering::Relaxed);
        }
        if let Some(beats) = self.beats() {
            beats.leave_idle();
        }
    }
}

impl Node {
    /// The last message its incarnations took (S19.2), once none holds its mailbox.
    /// How full its mailbox is, for a child with one.
    pub(crate) fn mailbox_use(&self) -> Option<crate::MailboxUse> {
        self.mailbox.as_deref().map(|m| m.used())
    }

    pub(crate) fn last_message(&self) -> Option<crate::exit::LastMessage> {
        self.mailbox.as_ref()?.last_message()
    }
}

/// `parent/id` in one allocation: the pieces are assembled in a reused buffer, since
/// `Arc<str>` can only be made by copying.
pub(crate) fn join_path(parent: &str, id: &str) -> Arc<str> {
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
        let children: Vec<Arc<Node>> = spec
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| Node::instantiate(c, Arc::clone(&c.id), i as u64, Some(path), events))
            .collect();
        SupNode {
            cmd: Mutex::new(None),
            children,
            by_id: OnceLock::new(),
            added: Mutex::new(HashMap::new()),
            next_dynamic: AtomicU64::new(0),
            kind: match &spec.kind {
                SupervisorKind::Static { .. } => SupShape::Static,
                SupervisorKind::Dynamic(d) => SupShape::Dynamic {
                    args: d.args,
                    message: d.template.message,
                },
                SupervisorKind::Pool(d, settings) => SupShape::Pool(Box::new(PoolNode {
                    shared: PoolShared::default(),
                    settings: settings.clone(),
                    message: d.template.message,
                })),
            },
            intensity: spec.intensity,
            events: events.clone(),
            aborted: Mutex::new(Vec::new()),
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

    /// The child with this id: a declared one, or one added to the current incarnation.
    pub(crate) fn lookup(&self, id: &str) -> Option<Arc<Node>> {
        let by_id = self.by_id.get_or_init(|| {
            let mut ids: Vec<(&str, u32)> = (self.children.iter())
                .enumerate()
                .map(|(i, c)| (&*c.id, i as u32))
                .collect();
            ids.sort_unstable();
            ids.into_iter().map(|(_, i)| i).collect()
        });
        let declared = by_id
            .binary_search_by(|&i| (*self.children[i as usize].id).cmp(id))
            .ok()
            .map(|i| Arc::clone(&self.children[by_id[i] as usize]));
        declared.or_else(|| self.added.lock().ok()?.get(id).cloned())
    }

    pub(crate) fn register(&self, node: &Arc<Node>) {
        if let Ok(mut added) = self.added.lock() {
            added.insert(Arc::clone(&node.id), Arc::clone(node));
        }
    }

    pub(crate) fn unregister(&self, node: &Arc<Node>) {
        if let Ok(mut added) = self.added.lock() {
            if added.get(&node.id).is_some_and(|n| Arc::ptr_eq(n, node)) {
                added.remove(&node.id);
            }
        }
    }

    pub(crate) fn take_added(&self) -> Vec<Arc<Node>> {
        self.added
            .lock()
            .map(|mut a| a.drain().map(|(_, n)| n).collect())
            .unwrap_or_default()
    }

    pub(crate) fn take_aborted(&self) -> Vec<Aborted> {
        self.aborted
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }
}

/// What a pool's supervisor publishes for its references: the running slots, in order.
/// A supervisor's kind as its references see it: the types of its template, a pool's slots.
pub(crate) enum SupShape {
    Static,
    Dynamic {
        args: TypeTag,
        message: fn() -> TypeTag,
    },
    Pool(Box<PoolNode>),
}

/// A pool's slots as its references see them, its settings and its slots' message type (S14).
pub(crate) struct PoolNode {
    pub shared: PoolShared,
    pub settings: PoolSettings,
    pub message: fn() -> TypeTag,
}

impl PoolShared {
    /// Counts `n` messages dropped by the pool at `path` (S14.3: dropped messages are counted
    /// and reported).
    pub(crate) fn drop_messages(&self, n: u64, path: &str, why: &str) {
        if n > 0 {
            let total = self.dropped.fetch_add(n, Ordering::Relaxed) + n;
            tracing::warn!(pool = %path, dropped = total, "{why}");
        }
    }
}

#[derive(Default)]
pub(crate) struct PoolShared {
    pub slots: std::sync::RwLock<Arc<[Arc<Node>]>>,
    /// Bumped at every change of `slots`: a reference's cache of them is current while its
    /// generation is this one.
    pub generation: AtomicU64,
    pub cursor: std::sync::atomic::AtomicUsize,
    pub dropped: AtomicU64,
    /// Woken when a slot comes up, the slots change or the pool goes: sends and calls that wait
    /// for a slot (S14.3) look again.
    pub up: tokio::sync::Notify,
}
