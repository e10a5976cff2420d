//! Circuit breakers (S13, after Akka's `CircuitBreaker`): calls to an outside service go
//! through one, which stops letting them through while the service looks down.
//!
//! The closed state, where almost every call is made, reads one atomic before the call and
//! writes nothing after a success unless failures were counted: no lock, no allocation. State
//! changes are rare and serialised by a mutex.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::directive::Failure;
use crate::event::{EventKind, Events};
use crate::exit::Directive;
use crate::state::BreakerState;

pin_project! {
    /// A call with its timeout, whose timer is armed only if the call does not answer at its
    /// first poll: a call that is ready at once costs no clock read and no timer.
    struct LazyTimeout<F> {
        #[pin]
        call: F,
        limit: Duration,
        #[pin]
        sleep: Option<Sleep>,
    }
}

/// The call timed out.
struct Elapsed;

impl<F: Future> Future for LazyTimeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let mut this = self.project();
        if let std::task::Poll::Ready(out) = this.call.poll(cx) {
            return std::task::Poll::Ready(Ok(out));
        }
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep(*this.limit)));
        }
        match this.sleep.as_pin_mut().map(|s| s.poll(cx)) {
            Some(std::task::Poll::Ready(())) => std::task::Poll::Ready(Err(Elapsed)),
            _ => std::task::Poll::Pending,
        }
    }
}

pin_project! {
    /// The future of [`CircuitBreaker::call`]: admitted at its first poll, as an `async fn`
    /// would be.
    #[must_use = "futures do nothing unless polled"]
    pub struct BreakerCall<'a, E, F> {
        inner: &'a Inner,
        admitted: Option<Admission<'a>>,
        // Set at the first poll: a call is admitted once.
        started: bool,
        disposition: fn(&E) -> Option<Directive>,
        #[pin]
        timed: LazyTimeout<F>,
    }
}

impl<E, F> fmt::Debug for BreakerCall<'_, E, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerCall")
            .field("breaker", &self.inner.name)
            .finish()
    }
}

impl<'a, T, E: 'static, F: Future<Output = Result<T, E>>> Future for BreakerCall<'a, E, F> {
    type Output = Result<T, BreakerError<E>>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let i: &'a Inner = this.inner;
        if *this.started && this.admitted.is_none() {
            // Polled again after it answered.
            return std::task::Poll::Pending;
        }
        if !*this.started {
            *this.started = true;
            match i.admit() {
                Ok(a) => *this.admitted = Some(a),
                Err(retry_in) => {
                    i.rejections.fetch_add(1, Ordering::Relaxed);
                    return std::task::Poll::Ready(Err(BreakerError::Open {
                        breaker: Arc::clone(&i.name),
                        retry_in,
                    }));
                }
            }
        }
        let outcome = std::task::ready!(this.timed.poll(cx));
        let Some(admission) = this.admitted.take() else {
            return std::task::Poll::Pending;
        };
        std::task::Poll::Ready(match outcome {
            Ok(Ok(value)) => {
                i.succeeded(admission);
                Ok(value)
            }
            Ok(Err(error)) => {
                if i.counts(&error, *this.disposition) {
                    i.failed(admission);
                } else {
                    // Not the service's fault: neither a failure nor a success.
                    drop(admission);
                }
                Err(BreakerError::Failed(error))
            }
            Err(Elapsed) => {
                i.failed(admission);
                Err(BreakerError::Timeout {
                    breaker: Arc::clone(&i.name),
                    after: i.config.call_timeout,
                })
            }
        })
    }
}

const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;

type Classifier = Arc<dyn Fn(&dyn std::any::Any) -> bool + Send + Sync>;

/// A breaker's settings (S13.8 defaults).
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct BreakerConfig {
    failure_threshold: u32,
    call_timeout: Duration,
    reset_timeout: Duration,
    max_reset_timeout: Duration,
    half_open_max_calls: u32,
    success_threshold: u32,
    jitter: f64,
    classifier: Option<Classifier>,
}

impl fmt::Debug for BreakerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerConfig")
            .field("failure_threshold", &self.failure_threshold)
            .field("call_timeout", &self.call_timeout)
            .field("reset_timeout", &self.reset_timeout)
            .field("max_reset_timeout", &self.max_reset_timeout)
            .field("half_open_max_calls", &self.half_open_max_calls)
            .field("success_threshold", &self.success_threshold)
            .field("jitter", &self.jitter)
            .field("classifier", &self.classifier.is_some())
            .finish()
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            call_timeout: Duration::from_secs(10),
            reset_timeout: Duration::from_secs(30),
            max_reset_timeout: Duration::from_secs(300),
            half_open_max_calls: 1,
            success_threshold: 1,
            jitter: 0.1,
            classifier: None,
        }
    }
}

impl BreakerConfig {
    /// S13.2, S13.3: a call timeout above zero, a reset timeout not above its maximum.
    pub(crate) fn check(&self) -> Result<(), crate::error::BreakerRule> {
        use crate::error::BreakerRule;
        if self.call_timeout.is_zero() {
            return Err(BreakerRule::ZeroCallTimeout);
        }
        if self.reset_timeout > self.max_reset_timeout {
            return Err(BreakerRule::ResetAboveMax);
        }
        // Thresholds and jitter are kept in range by their setters.
        Ok(())
    }

    /// Consecutive failures that open the breaker (default 5, at least 1).
    pub fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = n.max(1);
        self
    }

    /// Time a call may take before it counts as failed (default 10 s).
    pub fn call_timeout(mut self, limit: Duration) -> Self {
        self.call_timeout = limit;
        self
    }

    /// Time the breaker stays open before letting trial calls through (default 30 s); each
    /// failed trial doubles it, up to [`max_reset_timeout`](Self::max_reset_timeout).
    pub fn reset_timeout(mut self, wait: Duration) -> Self {
        self.reset_timeout = wait;
        self
    }

    /// The longest the reset timeout grows to (default 5 min).
    pub fn max_reset_timeout(mut self, wait: Duration) -> Self {
        self.max_reset_timeout = wait;
        self
    }

    /// Trial calls allowed at once while half-open (default 1, at least 1).
    pub fn half_open_max_calls(mut self, n: u32) -> Self {
        self.half_open_max_calls = n.max(1);
        self
    }

    /// Consecutive successful trials that close the breaker (default 1, at least 1).
    pub fn success_threshold(mut self, n: u32) -> Self {
        self.success_threshold = n.max(1);
        self
    }

    /// How much a doubled reset timeout may be lengthened at random, as a fraction of it (default
    /// 0.1, within `0..=1`), so that breakers opened together do not retry together.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Which errors count as failures (S13.5), given each failed call's error to downcast
    /// (`|e| e.downcast_ref::<DbError>().is_some_and(DbError::is_outage)`). By default every
    /// error does, except one whose disposition is [`Directive::Stop`] (its type's
    /// [`Disposition`](crate::Disposition), or a [`Directed`](crate::Directed) in its source chain): a caller's
    /// own mistake says nothing about the service.
    pub fn classify(
        mut self,
        counts: impl Fn(&dyn std::any::Any) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.classifier = Some(Arc::new(counts));
        self
    }
}

/// Why a call through a breaker did not succeed.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The breaker is open (or half-open with every trial taken): the call was not made.
    Open {
        /// The breaker's name.
        breaker: Arc<str>,
        /// When it will let a trial call through, from now.
        retry_in: Duration,
    },
    /// The call took longer than the breaker's `call_timeout` and was dropped.
    Timeout {
        /// The breaker's name.
        breaker: Arc<str>,
        /// The timeout.
        after: Duration,
    },
    /// The call failed with its own error.
    Failed(E),
}

impl<E> BreakerError<E> {
    /// The call's own error, when it was made and failed.
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Failed(e) => Some(e),
            BreakerError::Open { .. } | BreakerError::Timeout { .. } => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Open { breaker, retry_in } => {
                write!(
                    f,
                    "circuit breaker `{breaker}` is open; retry in {retry_in:?}"
                )
            }
            BreakerError::Timeout { breaker, after } => {
                write!(
                    f,
                    "call through circuit breaker `{breaker}` timed out after {after:?}"
                )
            }
            BreakerError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BreakerError::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// A breaker's counters since it was made (S13.6). Successes are not counted: the closed
/// state's fast path writes nothing shared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerStats {
    /// Calls that counted as failures (errors the classifier counts, and timeouts).
    pub failures: u64,
    /// Calls rejected without being made.
    pub rejections: u64,
    /// Consecutive failures now (closed state).
    pub consecutive_failures: u32,
}

/// A circuit breaker: shared by every clone, by the children that use it, and across their
/// restarts (S13.1).
///
/// ```
/// use std::time::Duration;
/// use supervisor::{BreakerConfig, BreakerError, CircuitBreaker};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let llm = CircuitBreaker::new(
///     "llm",
///     BreakerConfig::default()
///         .failure_threshold(5)
///         .reset_timeout(Duration::from_secs(30)),
/// );
/// let answer: Result<&str, BreakerError<std::io::Error>> =
///     llm.call(async { Ok("a completion") }).await;
/// assert_eq!(answer.unwrap(), "a completion");
/// # }
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    config: BreakerConfig,
    state: AtomicU8,
    consecutive_failures: AtomicU32,
    trials: AtomicU32,
    trial_successes: AtomicU32,
    epoch: Instant,
    /// Nanoseconds since `epoch` at which an open breaker lets trials through.
    open_until: AtomicU64,
    /// The current reset timeout, in nanoseconds.
    reset_timeout: AtomicU64,
    failures: AtomicU64,
    rejections: AtomicU64,
    /// Serialises state changes; holds the jitter's state and the trees to tell.
    slow: Mutex<Slow>,
}

struct Slow {
    jitter: crate::backoff::Jitter,
    sinks: Vec<Events>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.inner.name)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// What `admit` grants: a closed-state call, or a half-open trial holding a permit.
enum Admission<'a> {
    Closed,
    Trial(TrialPermit<'a>),
}

/// A half-open trial's permit, given back when the trial ends, however it ends (a caller that
/// drops the call must not leave the breaker without permits).
struct TrialPermit<'a>(&'a Inner);

impl Drop for TrialPermit<'_> {
    fn drop(&mut self) {
        self.0.trials.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CircuitBreaker {
    /// A closed breaker named `name` (its events carry the name).
    pub fn new(name: impl Into<Arc<str>>, config: BreakerConfig) -> Self {
        let reset = config.reset_timeout.as_nanos().min(u64::MAX as u128) as u64;
        CircuitBreaker {
            inner: Arc::new(Inner {
                name: name.into(),
                config,
                state: AtomicU8::new(CLOSED),
                consecutive_failures: AtomicU32::new(0),
                trials: AtomicU32::new(0),
                trial_successes: AtomicU32::new(0),
                epoch: Instant::now(),
                open_until: AtomicU64::new(0),
                reset_timeout: AtomicU64::new(reset),
                failures: AtomicU64::new(0),
                rejections: AtomicU64::new(0),
                slow: Mutex::new(Slow {
                    jitter: crate::backoff::Jitter::new(),
                    sinks: Vec::new(),
                }),
            }),
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub(crate) fn config(&self) -> &BreakerConfig {
        &self.inner.config
    }

    /// Its state now. An open breaker whose reset timeout has passed reads as half-open.
    pub fn state(&self) -> BreakerState {
        let state = BreakerState::from_u8(self.inner.state.load(Ordering::Acquire));
        if state == BreakerState::Open && self.inner.now() >= self.inner.open_until() {
            return BreakerState::HalfOpen;
        }
        state
    }

    /// Its counters.
    pub fn stats(&self) -> BreakerStats {
        let i = &self.inner;
        BreakerStats {
            failures: i.failures.load(Ordering::Relaxed),
            rejections: i.rejections.load(Ordering::Relaxed),
            consecutive_failures: i.consecutive_failures.load(Ordering::Relaxed),
        }
    }

    /// When an open breaker lets trials through; `None` unless it is open now.
    pub fn reopens_at(&self) -> Option<Instant> {
        let i = &self.inner;
        if i.state.load(Ordering::Acquire) != OPEN {
            return None;
        }
        let at = i.epoch + Duration::from_nanos(i.open_until());
        (at > Instant::now()).then_some(at)
    }

    /// Runs `call` through the breaker (S13.2-S13.5): at once with [`BreakerError::Open`]
    /// while open; within the call timeout otherwise, its outcome counted as the classifier
    /// says.
    ///
    /// # Errors
    ///
    /// [`BreakerError::Open`] at once while the breaker is open; [`BreakerError::Timeout`] when the
    /// call took longer than the call timeout; [`BreakerError::Failed`] with the call's own error.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it cancels the call, which then counts neither as a success nor as a failure; a
    /// half-open trial permit it held is given back.
    pub fn call<T, E, F>(&self, call: F) -> BreakerCall<'_, E, F>
    where
        F: Future<Output = Result<T, E>>,
        E: Failure + 'static,
    {
        // The bound is met here, once: the future reads the disposition through this pointer,
        // so that an error type without one is a single error, at the call.
        BreakerCall {
            inner: &self.inner,
            admitted: None,
            started: false,
            disposition: <E as Failure>::disposition,
            timed: LazyTimeout {
                call,
                limit: self.inner.config.call_timeout,
                sleep: None,
            },
        }
    }

    /// Sends this breaker's state changes to a tree's subscribers too.
    pub(crate) fn attach(&self, events: &Events) {
        if let Ok(mut slow) = self.inner.slow.lock() {
            // Under a test kit, the reopening's jitter replays from its seed (S22.2).
            if let Some(kit) = &events.intercept {
                slow.jitter = crate::backoff::Jitter::seeded(kit.seed(&self.inner.name));
            }
            slow.sinks.push(events.clone());
        }
    }

    /// Opens the breaker now, as reaching its failure threshold would: a test kit's fault
    /// (S22.1).
    #[cfg_attr(not(feature = "testkit"), allow(dead_code))]
    pub(crate) fn trip(&self) {
        self.inner
            .transition(|_, state| (state != OPEN).then_some(OPEN));
    }

    pub(crate) fn same(&self, other: &CircuitBreaker) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Inner {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos().min(u64::MAX as u128) as u64
    }

    fn open_until(&self) -> u64 {
        self.open_until.load(Ordering::Acquire)
    }

    fn retry_in(&self) -> Duration {
        Duration::from_nanos(self.open_until().saturating_sub(self.now()))
    }

    /// S13.2-S13.4: a closed breaker admits; an open one rejects until its reset timeout has
    /// passed, then turns half-open; a half-open one admits up to `half_open_max_calls` trials,
    /// their permits taken atomically.
    fn admit(&self) -> Result<Admission<'_>, Duration> {
        loop {
            match self.state.load(Ordering::Acquire) {
                CLOSED => return Ok(Admission::Closed),
                OPEN => {
                    if self.now() < self.open_until() {
                        return Err(self.retry_in());
                    }
                    self.transition(|i, state| {
                        (state == OPEN && i.now() >= i.open_until()).then(|| {
                            i.trial_successes.store(0, Ordering::Relaxed);
                            HALF_OPEN
                        })
                    });
                }
                _ => {
                    let taken = self.trials.fetch_add(1, Ordering::AcqRel);
                    let permit = TrialPermit(self);
                    if taken < self.config.half_open_max_calls
                        && self.state.load(Ordering::Acquire) == HALF_OPEN
                    {
                        return Ok(Admission::Trial(permit));
                    }
                    drop(permit);
                    if self.state.load(Ordering::Acquire) == HALF_OPEN {
                        return Err(Duration::ZERO);
                    }
                }
            }
        }
    }

    fn succeeded(&self, admission: Admission<'_>) {
        match admission {
            Admission::Closed => {
                // The fast path writes nothing unless there is something to reset.
                if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
                    self.consecutive_failures.store(0, Ordering::Relaxed);
                }
            }
            Admission::Trial(permit) => {
                let n = self.trial_successes.fetch_add(1, Ordering::AcqRel) + 1;
                drop(permit);
                if n >= self.config.success_threshold {
                    self.transition(|i, state| {
                        (state == HALF_OPEN).then(|| {
                            i.consecutive_failures.store(0, Ordering::Relaxed);
                            let base = i.config.reset_timeout.as_nanos().min(u64::MAX as u128);
                            i.reset_timeout.store(base as u64, Ordering::Relaxed);
                            CLOSED
                        })
                    });
                }
            }
        }
    }

    fn failed(&self, admission: Admission<'_>) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        match admission {
            Admission::Closed => {
                let n = self.consecutive_failures.fetch_add(1, Ordering::AcqRel) + 1;
                if n >= self.config.failure_threshold {
                    self.transition(|_, state| (state == CLOSED).then_some(OPEN));
                }
            }
            Admission::Trial(permit) => {
                drop(permit);
                // S13.3: a failed trial reopens, for twice as long, with jitter, up to the cap.
                self.transition(|i, state| {
                    (state == HALF_OPEN).then(|| {
                        let max = i.config.max_reset_timeout.as_nanos().min(u64::MAX as u128);
                        let doubled =
                            (i.reset_timeout.load(Ordering::Relaxed) as u128 * 2).min(max);
                        i.reset_timeout.store(doubled as u64, Ordering::Relaxed);
                        OPEN
                    })
                });
            }
        }
    }

    /// Whether a failed call counts (S13.5).
    fn counts<E: 'static>(&self, error: &E, disposition: fn(&E) -> Option<Directive>) -> bool {
        if let Some(classify) = &self.config.classifier {
            return classify(error);
        }
        disposition(error) != Some(Directive::Stop)
    }

    /// Changes the state under the lock when `change` says to (given the state now), and tells
    /// the trees attached. Opening sets the deadline from the current reset timeout plus jitter.
    fn transition(&self, change: impl FnOnce(&Inner, u8) -> Option<u8>) {
        let Ok(mut slow) = self.slow.lock() else {
            return;
        };
        let state = self.state.load(Ordering::Acquire);
        let Some(next) = change(self, state) else {
            return;
        };
        if next == OPEN {
            let wait = self.reset_timeout.load(Ordering::Relaxed);
            let jitter = if state == HALF_OPEN {
                (wait as f64 * self.config.jitter * slow.jitter.unit()) as u64
            } else {
                0
            };
            let max = self
                .config
                .max_reset_timeout
                .as_nanos()
                .min(u64::MAX as u128) as u64;
            let wait = wait.saturating_add(jitter).min(max.max(wait));
            self.open_until
                .store(self.now().saturating_add(wait), Ordering::Release);
        }
        self.state.store(next, Ordering::Release);
        let event = BreakerState::from_u8(next);
        let failures = self.consecutive_failures.load(Ordering::Relaxed);
        let retry_in = (next == OPEN).then(|| self.retry_in());
        tracing::info!(breaker = %self.name, state = ?event, failures, "circuit breaker");
        crate::telemetry::breaker(&self.name, event);
        slow.sinks.retain(|events| !events.closed());
        for events in &slow.sinks {
            events.emit(|| {
                (
                    Arc::clone(&self.name),
                    EventKind::Breaker {
                        state: event,
                        consecutive_failures: failures,
                        retry_in,
                    },
                )
            });
        }
    }
}
