//! What a test kit installed on a tree may change (S22): an incarnation's run, a probe's
//! answer, the seed of backoff jitter; and what it is told: every event, as it happens. A tree
//! without one pays a branch where it would be consulted.
#![cfg_attr(not(feature = "testkit"), allow(dead_code))]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::exit::ExitReason;
use crate::state::HealthStatus;

/// What a supervisor asks the kit installed on its tree. It names no type of the modules that
/// hold it (events, handles, health): those import this one.
pub(crate) trait Intercept: Send + Sync {
    /// What this incarnation's run is made to do, if anything.
    fn plan(&self, path: &str, incarnation: u64) -> Option<Plan>;
    /// What this probe of this incarnation answers instead of the probe, if anything: a
    /// status, and a cause for degraded and unhealthy.
    fn probe(&self, path: &str, incarnation: u64) -> Option<(HealthStatus, Arc<str>)>;
    /// The seed of this supervisor's backoff jitter.
    fn seed(&self, path: &str) -> u64;
    /// The tree's root (a `SupervisorRef`), once it exists: what a failure message draws.
    fn attach(&self, root: &dyn std::any::Any);
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

/// Runs `run` as `plan` says; `stop` is the incarnation's stop request.
pub(crate) async fn planned<F>(plan: Plan, stop: CancellationToken, run: F) -> ExitReason
where
    F: Future<Output = ExitReason>,
{
    let mut run = std::pin::pin!(run);
    let strikes = tokio::time::sleep(plan.after);
    match plan.fault {
        Injected::FailStart => ExitReason::error(InjectedError("injected: failed to start")),
        Injected::SlowStart(delay) => {
            tokio::time::sleep(delay).await;
            run.await
        }
        Injected::SlowStop(delay) => {
            // Biased, so that a run replays (S22.2): the stop wins when the run ends with it.
            tokio::select! {
                biased;
                () = stop.cancelled() => {}
                reason = &mut run => return reason,
            }
            tokio::time::sleep(delay).await;
            run.await
        }
        fault => {
            tokio::select! {
                biased;
                reason = &mut run => return reason,
                () = strikes => {}
            }
            match fault {
                Injected::Panic => std::panic::panic_any("injected: panic"),
                Injected::Error => ExitReason::error(InjectedError("injected: error")),
                Injected::Hang => {
                    stop.cancelled().await;
                    ExitReason::Shutdown
                }
                Injected::HangIgnoringStop => std::future::pending().await,
                _ => ExitReason::Normal,
            }
        }
    }
}
