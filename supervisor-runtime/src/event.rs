//! Observation: the events a subscriber receives, the restart history, and child listings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::exit::{Escalation, ExitReason};
use crate::node::ChildState;
use crate::spec::ChildKind;

/// A transition in the tree (S9.4). Every event carries the path of the node it is about.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// An incarnation of a child is up.
    Started {
        /// The child's path.
        path: Arc<str>,
        /// Its incarnation number (0 for the first start).
        incarnation: u64,
    },
    /// A child exited on its own (or failed to start).
    Exited {
        /// The child's path.
        path: Arc<str>,
        /// Why.
        reason: ExitReason,
    },
    /// A child will be restarted after `delay`.
    Restarting {
        /// The child's path.
        path: Arc<str>,
        /// The backoff delay before the restart.
        delay: Duration,
        /// How many times the child has been restarted, this one included.
        restarts: u32,
    },
    /// A child was stopped by its supervisor.
    Stopped {
        /// The child's path.
        path: Arc<str>,
        /// `shutdown`, or `killed` when its timeout ran out.
        reason: ExitReason,
    },
    /// A supervisor exceeded its restart intensity and gave up; it escalates to its parent.
    GaveUp {
        /// The supervisor's path.
        path: Arc<str>,
        /// What it reports upward.
        escalation: Arc<Escalation>,
    },
    /// A supervisor stopped by itself through auto_shutdown.
    AutoShutdown {
        /// The supervisor's path.
        path: Arc<str>,
    },
}

impl Event {
    /// The path of the node the event is about.
    pub fn path(&self) -> &str {
        match self {
            Event::Started { path, .. }
            | Event::Exited { path, .. }
            | Event::Restarting { path, .. }
            | Event::Stopped { path, .. }
            | Event::GaveUp { path, .. }
            | Event::AutoShutdown { path } => path,
        }
    }
}

/// Capacity of the event stream of a tree; a subscriber that falls further behind loses the
/// oldest events and is told how many (`RecvError::Lagged`).
pub const EVENT_CAPACITY: usize = 1024;

#[derive(Clone)]
pub(crate) struct Events {
    tx: broadcast::Sender<Event>,
    /// Live [`EventStream`]s; read on every transition, so kept apart from the channel's lock.
    listeners: Arc<AtomicUsize>,
}

impl Events {
    pub(crate) fn new() -> Self {
        Events {
            tx: broadcast::channel(EVENT_CAPACITY).0,
            listeners: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Builds and sends the event only when somebody listens: restarts stay cheap otherwise.
    pub(crate) fn emit(&self, event: impl FnOnce() -> Event) {
        if self.listeners.load(Ordering::Relaxed) > 0 {
            let _ = self.tx.send(event());
        }
    }

    pub(crate) fn subscribe(&self) -> EventStream {
        self.listeners.fetch_add(1, Ordering::Relaxed);
        EventStream {
            rx: self.tx.subscribe(),
            listeners: Arc::clone(&self.listeners),
        }
    }
}

/// A subscription to a tree's events (S9.4), from the moment it was made.
///
/// It holds at most [`EVENT_CAPACITY`] unread events; a subscriber that falls further behind
/// loses the oldest and is told how many ([`RecvError::Lagged`]).
#[derive(Debug)]
pub struct EventStream {
    rx: broadcast::Receiver<Event>,
    listeners: Arc<AtomicUsize>,
}

pub use tokio::sync::broadcast::error::{RecvError, TryRecvError};

impl EventStream {
    /// The next event; [`RecvError::Closed`] once the tree is gone and every event was read.
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's id.
    pub id: Arc<str>,
    /// Its state.
    pub state: ChildState,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// How many times it has been restarted.
    pub restarts: u32,
}

/// What `count_children` answers (S9.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChildCounts {
    /// All child specs.
    pub specs: usize,
    /// Children with a running incarnation.
    pub active: usize,
    /// Children that are supervisors.
    pub supervisors: usize,
    /// Children that are workers.
    pub workers: usize,
}
