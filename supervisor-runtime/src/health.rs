//! Health checks (S11): a probe per child, run when its timer in the supervisor fires, as a
//! short task that belongs to the incarnation; results in a row have the supervisor stop an
//! incarnation that stays unhealthy.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::exit::BoxError;
use crate::spawn::{CatchUnwind, FromPanic};
use crate::state::HealthStatus;
use crate::types::{AnyArc, TypeTag};

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
    /// A probe's answer as a test kit scripts it (S22): the status, with the cause for
    /// degraded and unhealthy.
    #[cfg_attr(not(feature = "testkit"), allow(dead_code))]
    pub(crate) fn scripted(status: HealthStatus, cause: Arc<str>) -> Self {
        match status {
            HealthStatus::Degraded => Health::Degraded(cause),
            HealthStatus::Unhealthy => Health::Unhealthy(cause),
            _ => Health::Healthy,
        }
    }

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

/// What a probe is given: which incarnation of which child it looks at.
#[derive(Clone, Debug)]
pub struct ProbeContext {
    path: Arc<str>,
    incarnation: u64,
    /// The child's node, for a probe that asks the child itself (a JSON-RPC ping, S20.4).
    child: Option<AnyArc>,
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

    /// The child's node, given to checks that ask the child through its mailbox.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) fn child(&self) -> Option<&AnyArc> {
        self.child.as_ref()
    }
}

type ProbeFuture = Pin<Box<dyn Future<Output = Health> + Send>>;
type ProbeFn = Arc<dyn Fn(ProbeContext) -> ProbeFuture + Send + Sync>;

/// A child's health check (S11): the probe and when and how its results count.
///
/// ```
/// use std::time::Duration;
/// use supervisor::{ChildContext, ChildSpec, Health, HealthCheck, ProbeContext};
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
#[must_use = "a builder does nothing until it is used"]
pub struct HealthCheck {
    pub(crate) probe: ProbeFn,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) failure_threshold: u32,
    pub(crate) success_threshold: u32,
    pub(crate) initial_delay: Duration,
    /// The type of the messages a probe that asks the child sends to its mailbox: such a check
    /// fits only a child with a mailbox of that type.
    pub(crate) asks: Option<TypeTag>,
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
            asks: None,
        }
    }

    /// The check asks the child through a mailbox of `M`: its probe is given the child's node.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) fn asking<M: 'static>(mut self) -> Self {
        self.asks = Some(TypeTag::of::<M>());
        self
    }

    /// Time from the end of one probe to the start of the next (greater than zero).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Time a probe may take before it counts as unhealthy (below the interval).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Unhealthy results in a row that stop the incarnation (at least 1).
    pub fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = n;
        self
    }

    /// Healthy results in a row that reset the count of failures (at least 1).
    pub fn success_threshold(mut self, n: u32) -> Self {
        self.success_threshold = n;
        self
    }

    /// Time from the incarnation being up to its first probe.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }
}

/// One probe of one incarnation, within the check's timeout, a panic being an unhealthy
/// result; what the supervisor spawns when the child's probe timer fires.
pub(crate) fn probe_once(
    check: &HealthCheck,
    path: Arc<str>,
    incarnation: u64,
    child: Option<AnyArc>,
) -> impl Future<Output = Health> + Send + 'static {
    let run = CatchUnwind::new((check.probe)(ProbeContext {
        path,
        incarnation,
        child,
    }));
    let limit = check.timeout;
    async move {
        match tokio::time::timeout(limit, run).await {
            Ok(health) => health,
            Err(_) => Health::unhealthy(format!("probe timed out after {limit:?}")),
        }
    }
}

/// What the supervisor keeps of one incarnation's probes: the results in a row, the last
/// status.
pub(crate) struct Probes {
    failures: u32,
    successes: u32,
    pub(crate) last: HealthStatus,
}

/// What a probe's result means (S11.2, S11.3).
pub(crate) enum Outcome {
    /// Probe again one interval from now; `Some` when the status changed.
    Again(Option<(HealthStatus, Option<Arc<str>>)>),
    /// `failure_threshold` unhealthy results in a row: the incarnation is convicted.
    Convict(Arc<str>),
}

impl Probes {
    pub(crate) fn new() -> Self {
        Probes {
            failures: 0,
            successes: 0,
            last: HealthStatus::Unknown,
        }
    }

    /// Counts one result.
    pub(crate) fn record(&mut self, check: &HealthCheck, health: Health) -> Outcome {
        let status = health.status();
        let changed = (status != self.last).then(|| (status, health.cause().cloned()));
        self.last = status;
        match health {
            Health::Healthy => {
                self.successes = self.successes.saturating_add(1);
                if self.successes >= check.success_threshold {
                    self.failures = 0;
                }
            }
            // S11.3: neither a failure nor a success.
            Health::Degraded(_) => {}
            Health::Unhealthy(cause) => {
                self.successes = 0;
                self.failures += 1;
                if self.failures >= check.failure_threshold {
                    return Outcome::Convict(cause);
                }
            }
        }
        Outcome::Again(changed)
    }
}

impl FromPanic for Health {
    fn from_panic(message: Arc<str>) -> Self {
        Health::Unhealthy(Arc::from(format!("probe panicked: {message}")))
    }
}
