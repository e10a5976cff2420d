//! What a test kit installed on a tree may change (S22): an incarnation's run, a probe's
//! answer, the seed of backoff jitter; and what it is told: every event, as it happens, and
//! what became of each gone node's messages. A tree without one pays a branch where it would
//! be consulted.
#![cfg_attr(not(feature = "testkit"), allow(dead_code))]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::exit::{ExitReason, InjectedPanic};
use crate::state::HealthStatus;

/// What a supervisor asks the kit installed on its tree. It names no type of the modules that
/// hold it (events, handles, health): those import this one.
pub(crate) trait Intercept: Send + Sync {
    /// How this incarnation is steered: a fault planned for it, and where faults struck
    /// while it runs arrive.
    fn steer(&self, path: &str, incarnation: u64) -> Option<Box<Steer>>;
    /// What this probe of this incarnation answers instead of the probe, if anything: a
    /// status, and a cause for degraded and unhealthy.
    fn probe(&self, path: &str, incarnation: u64) -> Option<(HealthStatus, Arc<str>)>;
    /// The seed of this supervisor's backoff jitter.
    fn seed(&self, path: &str) -> u64;
    /// The tree's root (a `SupervisorRef`), once it exists: what a failure message draws.
    fn attach(&self, root: &dyn std::any::Any);
    /// What became of the messages of the node at `path`, which is going (S22.3).
    fn delivered(&self, path: &str, delivery: Delivery);
}

/// What became of the messages a node's mailbox accepted, told when the node goes (S22.3):
/// each was taken by an incarnation, reported undelivered, dropped to make room (S14.3) or
/// moved to another mailbox (S14.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub accepted: u64,
    pub taken: u64,
    pub undelivered: u64,
    pub dropped: u64,
    pub moved: u64,
}

/// How a kit steers one incarnation.
pub(crate) struct Steer {
    /// The fault planned for it when it started.
    pub plan: Option<Plan>,
    /// Faults struck while it runs (`TestKit::strike`), at once.
    pub strikes: mpsc::UnboundedReceiver<Injected>,
}

/// A fault made to happen to one incarnation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Plan {
    pub fault: Injected,
    /// From the incarnation's start, when the fault strikes.
    pub after: Duration,
}

/// The faults an incarnation can be made to have (S22.1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Injected {
    Panic,
    Error,
    Exit,
    /// Stops working, still answers its stop.
    Hang,
    /// Stops working and ignores its stop: killed at its shutdown timeout.
    HangIgnoringStop,
    /// Takes this much longer to stop once asked.
    SlowStop(Duration),
    /// Fails before it is up.
    FailStart,
    /// Takes this much longer to come up.
    SlowStart(Duration),
}

/// The error an injected fault exits with.
#[derive(Debug)]
pub(crate) struct InjectedError(pub &'static str);

impl std::fmt::Display for InjectedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InjectedError {}

/// Runs `run` as `steer` says; `stop` is the incarnation's stop request. Every choice is
/// biased, so that a run replays (S22.2).
pub(crate) async fn planned<F>(steer: Box<Steer>, stop: CancellationToken, run: F) -> ExitReason
where
    F: Future<Output = ExitReason>,
{
    let Steer { plan, mut strikes } = *steer;
    let mut run = std::pin::pin!(run);
    let mut planned = None;
    let mut slow = None;
    match plan.map(|p| (p.fault, p.after)) {
        Some((Injected::FailStart, _)) => {
            return ExitReason::error(InjectedError("injected: failed to start"));
        }
        Some((Injected::SlowStart(delay), _)) => tokio::time::sleep(delay).await,
        // A slow stop is there from the start, whenever the stop comes.
        Some((Injected::SlowStop(delay), _)) => slow = Some(delay),
        Some((fault, after)) => planned = Some((fault, after)),
        None => {}
    }
    let strikes_at = tokio::time::sleep(planned.map_or(Duration::ZERO, |(_, after)| after));
    let mut strikes_at = std::pin::pin!(strikes_at);
    let mut live = true;
    loop {
        let fault = tokio::select! {
            biased;
            // The stop wins when the run ends with it.
            () = stop.cancelled(), if slow.is_some() => {
                tokio::time::sleep(slow.unwrap_or_default()).await;
                return run.await;
            }
            reason = &mut run => return reason,
            () = &mut strikes_at, if planned.is_some() => planned.take().map(|(f, _)| f),
            struck = strikes.recv(), if live => {
                live = struck.is_some();
                struck
            }
        };
        match fault {
            Some(Injected::Panic) => std::panic::panic_any(InjectedPanic),
            Some(Injected::Error) => return ExitReason::error(InjectedError("injected: error")),
            Some(Injected::Exit) => return ExitReason::Normal,
            Some(Injected::Hang) => {
                stop.cancelled().await;
                return ExitReason::Shutdown;
            }
            Some(Injected::HangIgnoringStop) => return std::future::pending().await,
            Some(Injected::SlowStop(delay)) => slow = Some(delay),
            // Faults of a start strike only a start.
            Some(Injected::FailStart | Injected::SlowStart(_)) | None => {}
        }
    }
}
