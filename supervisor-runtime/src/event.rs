//! Observation: the events a subscriber receives, the restart history, and child listings.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::exit::{CrashContext, Escalation, ExitReason, Happened};
use crate::exit::{Directive, DirectiveSource};
use crate::spec::ChildKind;
use crate::state::HealthStatus;
use crate::state::{BreakerState, ChildState, Gone};

/// A transition in the tree (S9.4): when, where, and what.
#[derive(Clone, Debug)]
pub struct Event {
    /// When it happened (tokio's clock, so paused-clock tests see exact times).
    pub at: Instant,
    /// The path of the node it is about.
    pub path: Arc<str>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The path of the node the event is about.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// What an [`Event`] reports.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EventKind {
    /// An incarnation of a child is up (S2.4).
    Started {
        /// Its incarnation number (S3.6).
        incarnation: u64,
    },
    /// A start or restart attempt failed before the incarnation was up (S9.6).
    StartFailed {
        /// The incarnation that failed to start.
        incarnation: u64,
        /// Why.
        reason: ExitReason,
    },
    /// A running incarnation exited on its own.
    Exited {
        /// The incarnation that exited.
        incarnation: u64,
        /// Why.
        reason: ExitReason,
        /// What the exit calls for (S10.3).
        directive: Directive,
        /// Where the directive came from.
        source: DirectiveSource,
        /// The child's recent life, this exit included (S19), filled in when the event is
        /// sent.
        context: Option<Arc<CrashContext>>,
    },
    /// A child's health, as its probe found it, changed (S11).
    Health {
        /// The incarnation probed.
        incarnation: u64,
        /// What the probe found.
        status: HealthStatus,
        /// Why, for degraded and unhealthy.
        cause: Option<Arc<str>>,
    },
    /// A child's heartbeats are late: phi crossed half its threshold (S12.5).
    Suspect {
        /// The incarnation judged.
        incarnation: u64,
        /// phi then.
        phi: f64,
    },
    /// A circuit breaker changed state (S13.6); the event's path is the breaker's name.
    Breaker {
        /// Its new state.
        state: BreakerState,
        /// Consecutive failures counted when it changed.
        consecutive_failures: u32,
        /// For an open breaker, when it lets a trial through, from now.
        retry_in: Option<Duration>,
    },
    /// A restart waits for an open breaker the child depends on to let trials through (S13.7).
    AwaitingBreaker {
        /// The breaker's name.
        breaker: Arc<str>,
        /// How long until it does.
        retry_in: Duration,
    },
    /// A child will be restarted after `delay`.
    Restarting {
        /// The backoff delay before the restart.
        delay: Duration,
        /// How many times the child has been restarted, this one included.
        restarts: u32,
    },
    /// A supervisor asked a running incarnation to stop (S6.2): at shutdown, for a restart of
    /// its group, or on request. `Stopped` follows when it has.
    Stopping {
        /// The incarnation asked.
        incarnation: u64,
        /// How long it has before it is killed, from now: zero for `brutal_kill`, `None` for
        /// `infinity`.
        kill_after: Option<Duration>,
    },
    /// A running incarnation was stopped by its supervisor.
    Stopped {
        /// The incarnation that was stopped.
        incarnation: u64,
        /// `shutdown`, or `killed` when its timeout ran out or its supervisor was killed.
        reason: ExitReason,
    },
    /// The child is gone for good; `undelivered` messages were left in its mailbox (S9.8).
    Gone {
        /// How it went.
        how: Gone,
        /// Messages still queued, dropped with the mailbox.
        undelivered: usize,
    },
    /// A supervisor exceeded its restart intensity and gave up; it escalates to its parent.
    GaveUp {
        /// What it reports upward.
        escalation: Arc<Escalation>,
    },
    /// A supervisor stopped by itself through auto_shutdown.
    AutoShutdown,
    /// The child exceeded its own restart budget (S18.1) and is held until resumed: at most
    /// `max_restarts` within `within`.
    Quarantined {
        /// The budget's restarts.
        max_restarts: u32,
        /// The budget's window.
        within: std::time::Duration,
    },
    /// The child was paused: stopped by its shutdown policy and held (S18.3).
    Paused,
    /// A quarantined or paused child was resumed, to be started again (S18.1, S18.3).
    Resumed,
}

impl EventKind {
    /// What a child's crash context keeps of this event (S19.1), and whether it begins a
    /// record: a child keeps none until it fails (S19.3).
    pub(crate) fn happened(&self) -> Option<(Happened, bool)> {
        Some(match self {
            EventKind::Started { incarnation } => (
                Happened::Started {
                    incarnation: *incarnation,
                },
                false,
            ),
            EventKind::StartFailed {
                incarnation,
                reason,
            } => (
                Happened::StartFailed {
                    incarnation: *incarnation,
                    reason: reason.clone(),
                    restart_in: None,
                },
                true,
            ),
            EventKind::Exited {
                incarnation,
                reason,
                directive,
                ..
            } => (
                Happened::Exited {
                    incarnation: *incarnation,
                    reason: reason.clone(),
                    directive: *directive,
                    restart_in: None,
                },
                true,
            ),
            EventKind::Stopped {
                incarnation,
                reason,
            } => (
                Happened::Stopped {
                    incarnation: *incarnation,
                    reason: reason.clone(),
                },
                false,
            ),
            EventKind::Restarting { delay, .. } => (Happened::Restarting { delay: *delay }, false),
            EventKind::AwaitingBreaker { breaker, retry_in } => (
                Happened::AwaitingBreaker {
                    breaker: Arc::clone(breaker),
                    retry_in: *retry_in,
                },
                true,
            ),
            EventKind::Health { status, cause, .. } => (
                Happened::Health {
                    status: *status,
                    cause: cause.clone(),
                },
                *status != HealthStatus::Healthy,
            ),
            EventKind::Suspect { phi, .. } => (Happened::Suspect { phi: *phi }, true),
            EventKind::Breaker { .. }
            | EventKind::Stopping { .. }
            | EventKind::Gone { .. }
            | EventKind::GaveUp { .. }
            | EventKind::AutoShutdown
            | EventKind::Quarantined { .. }
            | EventKind::Paused
            | EventKind::Resumed => return None,
        })
    }
}

/// Capacity of the event stream of a tree; a subscriber that falls further behind loses the
/// oldest events and is told how many (`RecvError::Lagged`).
pub const EVENT_CAPACITY: usize = 1024;

/// A test kit installed on a tree (S22): told every event, and asked by the supervisors.
pub(crate) trait Kit: crate::intercept::Intercept {
    /// Every event of the tree, as it is emitted, whether or not anyone subscribed.
    fn record(&self, event: &Event);
}

thread_local! {
    /// The kit installed on this thread: trees started from it get it.
    static INSTALLED: RefCell<Option<Arc<dyn Kit>>> = const { RefCell::new(None) };
}

/// The kit trees started on this thread now get.
pub(crate) fn installed() -> Option<Arc<dyn Kit>> {
    INSTALLED.with(|i| i.borrow().clone())
}

/// Installs `kit` on this thread; returns the one it replaced, for [`restore`].
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) fn install(kit: Arc<dyn Kit>) -> Option<Arc<dyn Kit>> {
    INSTALLED.with(|i| i.borrow_mut().replace(kit))
}

/// Puts back what [`install`] replaced.
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) fn restore(previous: Option<Arc<dyn Kit>>) {
    INSTALLED.with(|i| *i.borrow_mut() = previous);
}

#[derive(Clone)]
pub(crate) struct Events {
    /// The channel's sender, taken out when the tree ends so that streams close (the nodes that
    /// share this outlive the tree as long as a handle does).
    tx: Arc<RwLock<Option<broadcast::Sender<Event>>>>,
    /// Live [`EventStream`]s; read on every transition, so kept apart from the channel's lock.
    listeners: Arc<AtomicUsize>,
    /// The test kit installed on the tree, told every event (S22).
    /// The tree's restart limit (S18.2), on a tree that has one.
    pub(crate) storm: Option<Arc<crate::storm::Storm>>,
    pub(crate) intercept: Option<Arc<dyn Kit>>,
}

impl Events {
    pub(crate) fn new() -> Self {
        Events::with_capacity(EVENT_CAPACITY)
    }

    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Events {
            tx: Arc::new(RwLock::new(Some(broadcast::channel(capacity.max(1)).0))),
            listeners: Arc::new(AtomicUsize::new(0)),
            intercept: None,
            storm: None,
        }
    }

    /// Builds and sends the event only when somebody listens: restarts stay cheap otherwise,
    /// and a worker's path is not even joined.
    pub(crate) fn emit(&self, event: impl FnOnce() -> (Arc<str>, EventKind)) {
        if let Some(kit) = &self.intercept {
            return self.emit_to_kit(kit, event);
        }
        if self.listeners.load(Ordering::Relaxed) > 0 {
            if let Some(tx) = self.tx.read().ok().as_deref().and_then(Option::as_ref) {
                let (path, kind) = event();
                let _ = tx.send(Event {
                    at: Instant::now(),
                    path,
                    kind,
                });
            }
        }
    }

    /// A tree with a test kit: the kit is told every event, then the listeners get it.
    #[cold]
    fn emit_to_kit(&self, kit: &Arc<dyn Kit>, event: impl FnOnce() -> (Arc<str>, EventKind)) {
        let (path, kind) = event();
        let event = Event {
            at: Instant::now(),
            path,
            kind,
        };
        kit.record(&event);
        if self.listeners.load(Ordering::Relaxed) > 0 {
            if let Some(tx) = self.tx.read().ok().as_deref().and_then(Option::as_ref) {
                let _ = tx.send(event);
            }
        }
    }

    /// Whether the tree these events are of has ended.
    pub(crate) fn closed(&self) -> bool {
        self.tx.read().map_or(true, |tx| tx.is_none())
    }

    pub(crate) fn subscribe(&self) -> EventStream {
        self.listeners.fetch_add(1, Ordering::Relaxed);
        let rx = match self.tx.read().ok().as_deref().and_then(Option::as_ref) {
            Some(tx) => tx.subscribe(),
            // The tree has ended: a stream that is closed at once.
            None => broadcast::channel(1).1,
        };
        EventStream {
            rx,
            listeners: Arc::clone(&self.listeners),
        }
    }

    /// The tree ended: every stream closes once its subscriber has read what was sent.
    pub(crate) fn close(&self) {
        if let Ok(mut tx) = self.tx.write() {
            tx.take();
        }
    }
}

/// Subscriptions made before a tree starts (S9.5): pass it to
/// [`Supervisor::start_observed`](crate::Supervisor::start_observed) and every stream it gave out
/// sees the tree's events from the first start on, a failed start included.
#[derive(Clone)]
pub struct Observer {
    pub(crate) events: Events,
}

impl Observer {
    /// An observer for a tree yet to start; its streams hold [`EVENT_CAPACITY`] unread events.
    pub fn new() -> Self {
        Observer {
            events: Events::new(),
        }
    }

    /// An observer whose streams hold up to `capacity` unread events (at least 1): for a
    /// subscriber that must see every event of a busy tree (an audit log, a test).
    pub fn with_capacity(capacity: usize) -> Self {
        Observer {
            events: Events::with_capacity(capacity),
        }
    }

    /// A stream of the events of the tree this observer is given to.
    pub fn subscribe(&self) -> EventStream {
        self.events.subscribe()
    }
}

impl Default for Observer {
    fn default() -> Self {
        Observer::new()
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field(
                "subscribers",
                &self.events.listeners.load(Ordering::Relaxed),
            )
            .finish()
    }
}

/// A subscription to a tree's events (S9.4), from the moment it was made.
///
/// It holds at most [`EVENT_CAPACITY`] unread events; a subscriber that falls further behind
/// loses the oldest and is told how many ([`RecvError::Lagged`]): never silently skipped (S9.5).
#[derive(Debug)]
pub struct EventStream {
    rx: broadcast::Receiver<Event>,
    listeners: Arc<AtomicUsize>,
}

pub use tokio::sync::broadcast::error::{RecvError, TryRecvError};

impl EventStream {
    /// The next event; [`RecvError::Lagged`] with the number missed when it fell behind,
    /// [`RecvError::Closed`] once the tree is gone and every event was read.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] when this stream fell behind, [`RecvError::Closed`] once the tree is
    /// gone and every event was read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event not returned stays for the next call.
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        self.rx.try_recv()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One restart decision, as kept in a supervisor's bounded history.
#[derive(Clone, Debug)]
pub struct RestartRecord {
    /// When the decision was taken.
    pub at: Instant,
    /// Path of the child whose exit caused it.
    pub child: Arc<str>,
    /// That exit.
    pub reason: ExitReason,
}

/// How many restart decisions a supervisor remembers.
pub const HISTORY_CAPACITY: usize = 64;

/// One line of `which_children` (S9.1).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChildInfo {
    /// The child's id.
    pub id: Arc<str>,
    /// Its state.
    pub state: ChildState,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// The number of its current (or last) incarnation (S3.6); `None` before its first start.
    pub incarnation: Option<u64>,
    /// When a restarting child's restart is due.
    pub restart_at: Option<Instant>,
    /// Its health as last probed (S11.3).
    pub health: HealthStatus,
    /// The breaker a restarting child waits for (S13.7).
    pub waiting_for: Option<Arc<str>>,
    /// The phi of a running child judged by its heartbeats (S12.5).
    pub phi: Option<f64>,
    /// How its last incarnation ended, once one has (S19).
    pub last_exit: Option<ExitReason>,
    /// The last message it took, once no incarnation holds its mailbox (S19.2).
    pub last_message: Option<crate::exit::LastMessage>,
    /// Whether it counts for the tree's readiness (S16.3).
    pub readiness: crate::Readiness,
    /// How full its mailbox is, for a child with one.
    pub mailbox: Option<MailboxUse>,
    /// Whether its running incarnation is at work on a message it took, or a process on a call
    /// it has not answered: with `mailbox`, the load a pool's least-loaded routing reads
    /// (S14.2).
    pub busy: bool,
    /// Its recent life, once it has failed (S19): what a watcher that was not listening then
    /// can still show.
    pub context: Option<Arc<crate::CrashContext>>,
    /// Its process, for an operating-system process child (S20).
    pub process: Option<ProcessInfo>,
}

/// What a process child runs now (S20).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// The pid of its running incarnation, which is also its process group.
    pub pid: Option<u32>,
    /// The command as it is shown: the program, and its arguments only when the child's
    /// process shows them.
    pub command: Arc<str>,
    /// The last lines its running (or last) incarnation wrote to stderr, oldest first.
    pub stderr_tail: Vec<Arc<str>>,
}

/// How full a mailbox is: messages queued against its capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxUse {
    /// Messages waiting to be taken.
    pub queued: usize,
    /// The most it holds.
    pub capacity: usize,
}

/// How much of a supervisor's restart intensity is in use (S4): restarts decided within its
/// period, until now. Displayed as `2/3 in 5s`: two of three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntensityUse {
    /// Restarts decided within the last `within`.
    pub restarts: u32,
    /// The most it allows within `within`; one more and it gives up.
    pub max_restarts: u32,
    /// The period.
    pub within: std::time::Duration,
}

impl std::fmt::Display for IntensityUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} in {:?}",
            self.restarts, self.max_restarts, self.within
        )
    }
}

/// Exit reasons compare by what they say: errors have no equality of their own.
impl PartialEq for ChildInfo {
    fn eq(&self, other: &Self) -> bool {
        let said = |e: &Option<ExitReason>| e.as_ref().map(ToString::to_string);
        self.id == other.id
            && self.state == other.state
            && self.kind == other.kind
            && self.restarts == other.restarts
            && self.incarnation == other.incarnation
            && self.restart_at == other.restart_at
            && self.health == other.health
            && self.waiting_for == other.waiting_for
            && self.phi == other.phi
            && said(&self.last_exit) == said(&other.last_exit)
            && self.last_message == other.last_message
            && self.readiness == other.readiness
            && self.mailbox == other.mailbox
            && self.process == other.process
            && self.context.as_ref().map(ToString::to_string)
                == other.context.as_ref().map(ToString::to_string)
    }
}

/// What `count_children` answers (S9.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChildCounts {
    /// All child specs; for a dynamic supervisor, its number of children (S5.5).
    pub specs: usize,
    /// Children with a running incarnation.
    pub active: usize,
    /// Children that are supervisors.
    pub supervisors: usize,
    /// Children that are workers.
    pub workers: usize,
}
