//! Health checks (S11): a probe per child, run by a task that belongs to the incarnation, which
//! has its supervisor stop an incarnation that stays unhealthy.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, timeout, Instant};

use crate::event::{EventKind, Events};
use crate::exit::{BoxError, ExitReason};
use crate::node::{Msg, Node};
use crate::spawn::{CatchUnwind, FromPanic};

/// What one probe found (S11.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// All is well.
    Healthy,
    /// Working, but not well: visible in the child's health, never a reason to restart it
    /// (S11.3).
    Degraded(Arc<str>),
    /// Not working; `failure_threshold` of these in a row stop the incarnation (S11.2).
    Unhealthy(Arc<str>),
}

impl Health {
    /// A degraded result, with why.
    pub fn degraded(why: impl Into<Arc<str>>) -> Self {
        Health::Degraded(why.into())
    }

    /// An unhealthy result, with why.
    pub fn unhealthy(why: impl Into<Arc<str>>) -> Self {
        Health::Unhealthy(why.into())
    }

    fn status(&self) -> HealthStatus {
        match self {
            Health::Healthy => HealthStatus::Healthy,
            Health::Degraded(_) => HealthStatus::Degraded,
            Health::Unhealthy(_) => HealthStatus::Unhealthy,
        }
    }

    fn cause(&self) -> Option<&Arc<str>> {
        match self {
            Health::Healthy => None,
            Health::Degraded(why) | Health::Unhealthy(why) => Some(why),
        }
    }
}

/// What a probe returns: a [`Health`], or a `Result` whose error counts as unhealthy.
#[diagnostic::on_unimplemented(
    message = "a probe must return `Health`, `Result<(), E>` or `Result<Health, E>`, not `{Self}`",
    label = "this probe's future returns `{Self}`"
)]
pub trait IntoHealth {
    /// The health this value stands for.
    fn into_health(self) -> Health;
}

impl IntoHealth for Health {
    fn into_health(self) -> Health {
        self
    }
}

impl<E: Into<BoxError>> IntoHealth for Result<(), E> {
    fn into_health(self) -> Health {
        match self {
            Ok(()) => Health::Healthy,
            Err(e) => Health::Unhealthy(Arc::from(e.into().to_string())),
        }
    }
}

impl<E: Into<BoxError>> IntoHealth for Result<Health, E> {
    fn into_health(self) -> Health {
        match self {
            Ok(health) => health,
            Err(e) => Health::Unhealthy(Arc::from(e.into().to_string())),
        }
    }
}

/// A child's health as last probed, as its handle shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HealthStatus {
    /// Not probed yet in this incarnation, or the child has no probe.
    #[default]
    Unknown,
    /// The last probe found it healthy.
    Healthy,
    /// The last probe found it degraded.
    Degraded,
    /// The last probe found it unhealthy.
    Unhealthy,
}

impl HealthStatus {
    pub(crate) fn to_u8(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
            1 => HealthStatus::Healthy,
            2 => HealthStatus::Degraded,
            3 => HealthStatus::Unhealthy,
            _ => HealthStatus::Unknown,
        }
    }
}

/// What a probe is given: which incarnation of which child it looks at.
#[derive(Clone, Debug)]
pub struct ProbeContext {
    path: Arc<str>,
    incarnation: u64,
}

impl ProbeContext {
    /// The child's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The incarnation being probed (S3.6).
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }
}

type ProbeFuture = Pin<Box<dyn Future<Output = Health> + Send>>;
type ProbeFn = Arc<dyn Fn(ProbeContext) -> ProbeFuture + Send + Sync>;

/// A child's health check (S11): the probe and when and how its results count.
///
/// ```
/// use std::time::Duration;
/// use supervisor_runtime::{ChildContext, ChildSpec, Health, HealthCheck, ProbeContext};
///
/// async fn db(ctx: ChildContext) -> Result<(), std::io::Error> {
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// async fn ping(_probe: ProbeContext) -> Health {
///     Health::Healthy // a query, a socket, a queue length: the probe decides
/// }
///
/// let spec = ChildSpec::worker("db", db).health(
///     HealthCheck::new(ping)
///         .interval(Duration::from_secs(10))
///         .timeout(Duration::from_secs(2))
///         .failure_threshold(3),
/// );
/// ```
#[derive(Clone)]
pub struct HealthCheck {
    probe: ProbeFn,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) failure_threshold: u32,
    pub(crate) success_threshold: u32,
    pub(crate) initial_delay: Duration,
}

impl fmt::Debug for HealthCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthCheck")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("failure_threshold", &self.failure_threshold)
            .field("success_threshold", &self.success_threshold)
            .field("initial_delay", &self.initial_delay)
            .finish_non_exhaustive()
    }
}

impl HealthCheck {
    /// Default time between the end of a probe and the start of the next (S11.5).
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
    /// Default time a probe may take before it counts as unhealthy.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default number of unhealthy results in a row that stop the incarnation.
    pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
    /// Default number of healthy results in a row that reset the count of failures.
    pub const DEFAULT_SUCCESS_THRESHOLD: u32 = 1;

    /// A check by `probe`, with the defaults of S11.5: every 10 s, a 5 s timeout, 3 failures
    /// in a row stop the incarnation, 1 success resets the count, no initial delay.
    pub fn new<F, Fut>(probe: F) -> Self
    where
        F: Fn(ProbeContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHealth,
    {
        HealthCheck {
            probe: Arc::new(move |ctx| {
                let fut = probe(ctx);
                Box::pin(async move { fut.await.into_health() })
            }),
            interval: Self::DEFAULT_INTERVAL,
            timeout: Self::DEFAULT_TIMEOUT,
            failure_threshold: Self::DEFAULT_FAILURE_THRESHOLD,
            success_threshold: Self::DEFAULT_SUCCESS_THRESHOLD,
            initial_delay: Duration::ZERO,
        }
    }

    /// Time from the end of one probe to the start of the next (greater than zero).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Time a probe may take before it counts as unhealthy (below the interval).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Unhealthy results in a row that stop the incarnation (at least 1).
    #[must_use]
    pub fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = n;
        self
    }

    /// Healthy results in a row that reset the count of failures (at least 1).
    #[must_use]
    pub fn success_threshold(mut self, n: u32) -> Self {
        self.success_threshold = n;
        self
    }

    /// Time from the incarnation being up to its first probe.
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }
}

/// Probes one incarnation until `failure_threshold` unhealthy results in a row, then asks the
/// supervisor to stop it. Runs as a task the incarnation owns: it is aborted when the
/// incarnation stops, so no probe runs before the incarnation is up or after it ends (S11.4).
pub(crate) async fn monitor(
    check: HealthCheck,
    node: Arc<Node>,
    incarnation: u64,
    events: Events,
    supervisor: mpsc::UnboundedSender<Msg>,
) {
    let path = Arc::clone(node.path());
    node.set_health(HealthStatus::Unknown);
    sleep(check.initial_delay).await;
    let mut failures = 0u32;
    let mut successes = 0u32;
    let mut last = HealthStatus::Unknown;
    loop {
        let ctx = ProbeContext {
            path: Arc::clone(&path),
            incarnation,
        };
        // A panicking probe is an unhealthy result, not a lost task.
        let run = CatchUnwind::new((check.probe)(ctx));
        let health = match timeout(check.timeout, run).await {
            Ok(health) => health,
            Err(_) => Health::unhealthy(format!("probe timed out after {:?}", check.timeout)),
        };
        let ended = Instant::now();
        let status = health.status();
        node.set_health(status);
        if status != last {
            last = status;
            let cause = health.cause().cloned();
            events.emit(|| {
                (
                    Arc::clone(&path),
                    EventKind::Health {
                        incarnation,
                        status,
                        cause,
                    },
                )
            });
        }
        match health {
            Health::Healthy => {
                successes = successes.saturating_add(1);
                if successes >= check.success_threshold {
                    failures = 0;
                }
            }
            // S11.3: neither a failure nor a success.
            Health::Degraded(_) => {}
            Health::Unhealthy(cause) => {
                successes = 0;
                failures += 1;
                if failures >= check.failure_threshold {
                    let _ = supervisor.send(Msg::Convict {
                        seq: node.seq,
                        incarnation,
                        reason: ExitReason::Unhealthy(cause),
                    });
                    return;
                }
            }
        }
        // S11.1: from the end of this probe: probes never overlap, missed ticks never bunch.
        sleep_until(ended + check.interval).await;
    }
}

impl FromPanic for Health {
    fn from_panic(message: Arc<str>) -> Self {
        Health::Unhealthy(Arc::from(format!("probe panicked: {message}")))
    }
}
