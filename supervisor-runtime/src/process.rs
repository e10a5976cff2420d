//! Running a tree as a process (S16): signals start an ordered shutdown, the end of the root
//! becomes an exit code, and a health report answers liveness and readiness probes.

use std::fmt;
use std::process::{ExitCode, Termination};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{StartError, TreeError};
use crate::exit::{Escalation, ExitReason};
use crate::handle::{Supervisor, SupervisorHandle, SupervisorRef, TreeHandle};
use crate::spec::{AnySupervisorSpec, ChildKind};
use crate::state::{ChildState, HealthStatus};
use crate::systemd::ServiceManager;
use crate::CancellationToken;

/// How a tree run as a process ended (S16.1); it converts into the process's exit code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Exit {
    /// Stopped on request (a signal, `shutdown`) or by auto_shutdown: exit code 0.
    Stopped,
    /// The root gave up: exit code 70 (`EX_SOFTWARE`), so that a service manager restarts it.
    GaveUp(Arc<Escalation>),
    /// A `fatal` directive ended the tree: exit code 78 (`EX_CONFIG`), which a restart cannot
    /// fix (systemd: `RestartPreventExitStatus=78`).
    Fatal(Arc<Escalation>),
    /// The root's task ended abnormally (it panicked, or was aborted from outside): exit code
    /// 70.
    Aborted(ExitReason),
    /// A second signal aborted a shutdown that was taking too long: exit code 70.
    Interrupted,
    /// A restart storm stopped the tree (S18.2): exit code 70.
    Storm(Arc<crate::StormReport>),
    /// The tree did not start: 78 for an invalid spec, 70 otherwise.
    StartFailed(StartError),
}

impl Exit {
    /// `EX_SOFTWARE` (sysexits.h): the software failed.
    pub const SOFTWARE: u8 = 70;
    /// `EX_CONFIG` (sysexits.h): a configuration error.
    pub const CONFIG: u8 = 78;

    /// The process's exit code (S16.1).
    pub fn code(&self) -> u8 {
        match self {
            Exit::Stopped => 0,
            Exit::Fatal(_) | Exit::StartFailed(StartError::Spec(_)) => Self::CONFIG,
            Exit::GaveUp(_)
            | Exit::Storm(_)
            | Exit::Aborted(_)
            | Exit::Interrupted
            | Exit::StartFailed(_) => Self::SOFTWARE,
        }
    }

    fn from_outcome(outcome: Result<(), TreeError>) -> Self {
        match outcome {
            Ok(()) => Exit::Stopped,
            Err(TreeError::GaveUp(e)) => Exit::GaveUp(e),
            Err(TreeError::Fatal(e)) => Exit::Fatal(e),
            Err(TreeError::Aborted(reason)) => Exit::Aborted(reason),
            Err(TreeError::Storm(report)) => Exit::Storm(report),
        }
    }

    /// The one structured log line written before the process exits (S16.1): the exit code,
    /// and the chain of causes down to the first failure.
    fn log(&self) {
        let code = self.code();
        if !tracing::dispatcher::has_been_set() {
            // No subscriber would see the line: a service that ends says why on stderr all the
            // same, once.
            if let Exit::GaveUp(e) | Exit::Fatal(e) = self {
                eprintln!("supervisor: exit {code}: {self} (chain: {e})");
                // What led to the first failure, one event per line (S19.1).
                if let Some(context) = e.chain().last().and_then(|l| l.context) {
                    eprintln!("{context}");
                }
            } else if !matches!(self, Exit::Stopped) {
                eprintln!("supervisor: exit {code}: {self}");
            }
            return;
        }
        match self {
            Exit::Stopped => tracing::info!(exit_code = code, "tree stopped"),
            Exit::GaveUp(e) | Exit::Fatal(e) => {
                let (child, cause) = e.root_cause();
                match e.chain().last().and_then(|l| l.context) {
                    Some(context) => {
                        tracing::error!(exit_code = code, root_cause_child = child, root_cause = %cause, chain = %e, crash_context = %context, "tree ended")
                    }
                    None => {
                        tracing::error!(exit_code = code, root_cause_child = child, root_cause = %cause, chain = %e, "tree ended")
                    }
                }
            }
            Exit::Aborted(reason) => {
                tracing::error!(exit_code = code, reason = %reason, "tree aborted")
            }
            Exit::Interrupted => {
                tracing::error!(exit_code = code, "tree aborted by a second signal")
            }
            Exit::Storm(report) => {
                tracing::error!(exit_code = code, storm = %report, "tree stopped by a restart storm")
            }
            Exit::StartFailed(e) => {
                tracing::error!(exit_code = code, error = %e, "tree did not start")
            }
        }
    }
}

/// One line: how the tree ended and, when it failed, the first failure.
impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Stopped => f.write_str("stopped"),
            Exit::GaveUp(e) => {
                let (child, cause) = e.root_cause();
                write!(f, "gave up: {child} failed: {cause}")
            }
            Exit::Fatal(e) => {
                let (child, cause) = e.root_cause();
                write!(f, "fatal: {child} failed: {cause}")
            }
            Exit::Aborted(reason) => write!(f, "aborted: {reason}"),
            Exit::Storm(report) => write!(f, "{report}"),
            Exit::Interrupted => f.write_str("aborted by a second signal during the shutdown"),
            Exit::StartFailed(e) => write!(f, "did not start: {e}"),
        }
    }
}

/// What began a tree's stop while it ran.
enum Stop {
    Signal,
    Requested,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        self.into()
    }
}

impl Supervisor {
    /// Starts the tree and runs it as the process's main work (S16): SIGINT or SIGTERM stops it
    /// in order, a second signal aborts what is left, and the end is an [`Exit`] that `main` can
    /// return as its exit code, after one log line with the chain of causes.
    ///
    /// # Cancel safety
    ///
    /// Not meant to be cancelled: it is the process's main work. Dropping it leaves the tree
    /// running until the handle it made is dropped, which shuts the tree down in the background.
    pub async fn run(spec: impl AnySupervisorSpec) -> Exit {
        // Listening before the start: a signal that comes while the tree starts is heard once it
        // is up, instead of killing the process by the signal's default action.
        let signals = Signals::new();
        match Supervisor::start(spec).await {
            Ok(handle) => handle.run_with(signals).await,
            Err(e) => {
                let exit = Exit::StartFailed(e);
                exit.log();
                exit
            }
        }
    }
}

impl SupervisorHandle {
    /// Runs the started tree until it ends, or a signal stops it (S16.2); see
    /// [`Supervisor::run`]. With the `systemd` feature, under systemd, it also tells the
    /// service manager (S16.4): `READY=1` now, `WATCHDOG=1` from the root's loop, `STOPPING=1`
    /// when the tree starts to stop or ends, and a `STATUS=` line at each.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the handle, which shuts the tree down in the background.
    pub async fn run(self) -> Exit {
        self.run_with(Signals::new()).await
    }

    async fn run_with(self, mut signals: Signals) -> Exit {
        let manager = ServiceManager::detect();
        let token = self.shutdown_token();
        let mut stopping = false;
        let exit = tokio::select! {
            // Telling the service manager waits for the root's loop, which may be wedged: a
            // signal must still be heard meanwhile.
            outcome = async {
                manager.ready(self.root()).await;
                self.join().await
            } => Exit::from_outcome(outcome),
            stop = async {
                tokio::select! {
                    _ = signals.next() => Stop::Signal,
                    _ = token.cancelled() => Stop::Requested,
                }
            } => {
                stopping = true;
                match stop {
                    Stop::Signal => {
                        tracing::info!(root = %self.root().path(), "signal received; stopping the tree in order");
                        manager.stopping("stopping: signal received");
                        token.cancel();
                    }
                    Stop::Requested => manager.stopping("stopping: shutdown requested"),
                }
                tokio::select! {
                    outcome = self.join() => Exit::from_outcome(outcome),
                    _ = signals.next() => {
                        tracing::warn!(root = %self.root().path(), "second signal; aborting the tree");
                        self.abort.abort();
                        let _ = self.join().await;
                        Exit::Interrupted
                    }
                }
            }
        };
        let summary = exit.to_string();
        if stopping {
            manager.status(&summary);
        } else {
            manager.stopping(&summary);
        }
        exit.log();
        exit
    }

    /// Liveness and readiness, with each child's detail (S16.3), for `/livez` and `/readyz`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn health_report(&self) -> HealthReport {
        self.health_probe().report().await
    }

    /// What answers health probes for this tree, to hand to an HTTP server: it stays valid
    /// while [`run`](Self::run) owns the handle, and after the tree has ended (it then reports
    /// the tree dead).
    pub fn health_probe(&self) -> HealthProbe {
        HealthProbe {
            root: self.root().clone(),
            token: self.shutdown_token(),
            liveness_timeout: HealthProbe::DEFAULT_LIVENESS_TIMEOUT,
        }
    }
}

impl<C> TreeHandle<C> {
    /// See [`SupervisorHandle::run`].
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the handle, which shuts the tree down in the background.
    pub async fn run(self) -> Exit {
        self.into_handle().run().await
    }

    /// See [`SupervisorHandle::health_report`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn health_report(&self) -> HealthReport {
        self.handle().health_report().await
    }

    /// See [`SupervisorHandle::health_probe`].
    pub fn health_probe(&self) -> HealthProbe {
        self.handle().health_probe()
    }
}

/// Answers liveness and readiness probes of a tree (S16.3); cheap to clone.
#[derive(Clone)]
pub struct HealthProbe {
    root: SupervisorRef,
    token: CancellationToken,
    liveness_timeout: Duration,
}

impl fmt::Debug for HealthProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthProbe")
            .field("root", &self.root.path())
            .finish()
    }
}

impl HealthProbe {
    /// How long the tree's supervisors have, together, to answer a report: 1 s.
    pub const DEFAULT_LIVENESS_TIMEOUT: Duration = Duration::from_secs(1);

    /// Sets how long the tree's supervisors have, together, to answer a report; a root that
    /// does not answer within it is not live (its loop is wedged).
    #[must_use]
    pub fn liveness_timeout(mut self, limit: Duration) -> Self {
        self.liveness_timeout = limit;
        self
    }

    /// The tree's health now: live, ready, and each child's detail. Never waits longer than
    /// the liveness timeout: a supervisor that has not answered by then is listed in
    /// [`HealthReport::unanswered`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn report(&self) -> HealthReport {
        let deadline = crate::time::deadline(tokio::time::Instant::now(), self.liveness_timeout);
        let mut walk = Walk {
            deadline,
            children: Vec::new(),
            unanswered: Vec::new(),
        };
        // Live: the root's loop answers in time, and it has not ended.
        let (live, all_ready) = walk
            .supervisor(self.root.clone(), Shape::Static, true)
            .await;
        let ready = live && all_ready && !self.token.is_cancelled() && walk.unanswered.is_empty();
        HealthReport {
            live,
            ready,
            children: walk.children,
            unanswered: walk.unanswered,
        }
    }
}

/// A tree's health (S16.3).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HealthReport {
    /// The root's loop answers and the tree has not ended.
    pub live: bool,
    /// Live, not shutting down, every supervisor answered, and every child that counts is
    /// ready (see [`ChildReport::counts`]).
    pub ready: bool,
    /// Every child of the tree, depth first.
    pub children: Vec<ChildReport>,
    /// Supervisors below the root that did not answer in time: their loops are wedged, and
    /// their subtrees are missing from `children`.
    pub unanswered: Vec<Arc<str>>,
}

/// One child in a [`HealthReport`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChildReport {
    /// Its path.
    pub path: Arc<str>,
    /// Its state.
    pub state: ChildState,
    /// Its health as last probed; degraded is reported here but leaves the tree ready.
    pub health: HealthStatus,
    /// Its restarts so far.
    pub restarts: u32,
    /// Its phi, when it is judged by heartbeats and running (S12.5).
    pub phi: Option<f64>,
    /// Whether it counts for readiness on its own (S16.3): a declared child does unless it (or
    /// an ancestor) is declared [`Readiness::Ignored`](crate::Readiness::Ignored); a dynamic
    /// supervisor's children never do, and a pool's slots count together, through their pool.
    pub counts: bool,
    /// Whether it is ready: running (or ended as its restart type allows) and not unhealthy; a
    /// supervisor also needs its children that count, a pool one ready slot.
    pub ready: bool,
}

/// How a supervisor's children count for readiness (S16.3).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Each declared child counts.
    Static,
    /// Sessions come and go: none counts.
    Dynamic,
    /// One ready slot is enough.
    Pool,
}

/// One walk of the tree for a report, bounded by one deadline.
struct Walk {
    deadline: tokio::time::Instant,
    children: Vec<ChildReport>,
    unanswered: Vec<Arc<str>>,
}

impl Walk {
    /// Walks `sup`'s subtree; answers whether `sup` itself answered (ended, or wedged past the
    /// deadline, it did not) and whether its children make it ready. `counting` is false below
    /// a node that does not count for the tree: their readiness is still reported.
    fn supervisor(
        &mut self,
        sup: SupervisorRef,
        shape: Shape,
        counting: bool,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (bool, bool)> + Send + '_>> {
        Box::pin(async move {
            let Ok(Ok(list)) = tokio::time::timeout_at(self.deadline, sup.which_children()).await
            else {
                return (false, false);
            };
            let mut all = true;
            let mut any = false;
            for info in list {
                let counts = counting
                    && shape == Shape::Static
                    && info.readiness == crate::Readiness::Counts;
                let at = self.children.len();
                self.children.push(ChildReport {
                    path: Arc::from(format!("{}/{}", sup.path(), info.id)),
                    state: info.state,
                    health: info.health,
                    restarts: info.restarts,
                    phi: info.phi,
                    counts,
                    ready: false,
                });
                let mut ready = match info.state {
                    ChildState::Running => info.health != HealthStatus::Unhealthy,
                    // S18.1: quarantined is a failure held, not an end.
                    ChildState::Starting | ChildState::Restarting | ChildState::Quarantined => {
                        false
                    }
                    // Stopped, paused by an operator, or ended as its restart type allows:
                    // nothing is missing that was meant to run.
                    ChildState::Stopped
                    | ChildState::Paused
                    | ChildState::Stopping
                    | ChildState::Gone(_) => true,
                };
                if info.kind == ChildKind::Supervisor {
                    if let Ok(inner) = sup.supervisor(&info.id) {
                        let inner_shape = match &inner.node().sup.as_deref().map(|s| &s.kind) {
                            Some(crate::node::SupShape::Pool(_)) => Shape::Pool,
                            Some(crate::node::SupShape::Dynamic { .. }) => Shape::Dynamic,
                            _ => Shape::Static,
                        };
                        let path: Arc<str> = Arc::from(inner.path());
                        let running = matches!(info.state, ChildState::Running);
                        let (answered, below) = self.supervisor(inner, inner_shape, counts).await;
                        // A supervisor child that is not running has no loop to answer.
                        if !answered && running {
                            self.unanswered.push(path);
                        }
                        ready &= below;
                    }
                }
                self.children[at].ready = ready;
                all &= info.readiness == crate::Readiness::Ignored || ready;
                any |= ready && matches!(info.state, ChildState::Running);
            }
            let ready = match shape {
                Shape::Static => all,
                Shape::Dynamic => true,
                Shape::Pool => any,
            };
            (true, ready)
        })
    }
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere), as one stream.
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            let int = async {
                match &mut self.int {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let term = async {
                match &mut self.term {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = int => {}
                _ = term => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
