//! Why a child stopped, and the chain of causes a supervisor carries when it gives up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A type-erased error a child returned.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an incarnation of a child ended (SEMANTICS S3.1).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ExitReason {
    /// The child returned `Ok(())` on its own.
    Normal,
    /// The child was stopped by its supervisor (shutdown, a sibling's restart, `terminate_child`)
    /// or a supervisor child stopped itself through auto_shutdown.
    Shutdown,
    /// The child returned `Err`.
    Error(Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The child panicked; the panic message is kept.
    Panic(Arc<str>),
    /// A child supervisor gave up.
    Escalation(Arc<Escalation>),
    /// The child did not stop within its shutdown timeout (or had `brutal_kill`) and was aborted.
    Killed,
    /// The child's health check found it unhealthy `failure_threshold` times in a row, and its
    /// supervisor stopped it (S11.2); the last probe's cause is kept.
    Unhealthy(Arc<str>),
    /// The child stopped sending heartbeats: phi reached its threshold after `silence`, and its
    /// supervisor stopped it (S12.3).
    HeartbeatsLost {
        /// phi when the child was convicted.
        phi: f64,
        /// The time since its last heartbeat.
        silence: std::time::Duration,
        /// What it was busy with (S12.8): none for a child that never took a message.
        busy: Option<Busy>,
    },
}

/// What a convicted incarnation was busy with (S12.8): the last message it took, so that a
/// message that wedges workers is found without a log search.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Busy {
    /// The message's number: how many messages the child had taken, this one included, over
    /// all its incarnations.
    pub message: u64,
    /// The type of its messages.
    pub message_type: &'static str,
    /// How long it had been busy: since its last wait for a message ended.
    pub since: std::time::Duration,
}

impl ExitReason {
    /// Wraps any error a child returned.
    pub fn error(error: impl Into<BoxError>) -> Self {
        ExitReason::Error(Arc::from(error.into()))
    }

    /// `true` for error, panic, escalation, killed, unhealthy and heartbeats lost: the exits a
    /// transient child is restarted after (S3.3).
    pub fn is_abnormal(&self) -> bool {
        !matches!(self, ExitReason::Normal | ExitReason::Shutdown)
    }

    /// A short name of the kind of exit (`normal`, `shutdown`, `error`, `panic`, `escalation`,
    /// `killed`, `unhealthy`, `heartbeats lost`).
    pub fn kind(&self) -> &'static str {
        match self {
            ExitReason::Normal => "normal",
            ExitReason::Shutdown => "shutdown",
            ExitReason::Error(_) => "error",
            ExitReason::Panic(_) => "panic",
            ExitReason::Escalation(_) => "escalation",
            ExitReason::Killed => "killed",
            ExitReason::Unhealthy(_) => "unhealthy",
            ExitReason::HeartbeatsLost { .. } => "heartbeats lost",
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal exit"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::Error(e) => write!(f, "{e}"),
            ExitReason::Panic(msg) => write!(f, "panicked: {msg}"),
            ExitReason::Escalation(e) => write!(f, "{e}"),
            ExitReason::Killed => f.write_str("killed: aborted before it finished stopping"),
            ExitReason::Unhealthy(cause) => write!(f, "unhealthy: {cause}"),
            ExitReason::HeartbeatsLost { phi, silence, busy } => {
                write!(f, "heartbeats lost: no beat for {silence:?} (phi {phi:.1})")?;
                match busy {
                    Some(b) => write!(
                        f,
                        ", busy for {:?} with message {} ({})",
                        b.since,
                        b.message,
                        crate::types::short(b.message_type)
                    ),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What a supervisor does about one exit of a child (S10.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Directive {
    /// Apply the child's restart type, the intensity and the backoff (S3-S5): the default.
    #[default]
    Restart,
    /// Do not restart this time: the child stays stopped, as a transient one after a normal
    /// exit. Does not count toward the intensity.
    Stop,
    /// The supervisor gives up at once (S4.4), whatever its intensity.
    Escalate,
    /// The whole tree stops in order, and the root ends with this cause
    /// ([`TreeError::Fatal`](crate::TreeError::Fatal)).
    Fatal,
}

impl Directive {
    /// The directive's name (`restart`, `stop`, `escalate`, `fatal`).
    pub const fn name(self) -> &'static str {
        match self {
            Directive::Restart => "restart",
            Directive::Stop => "stop",
            Directive::Escalate => "escalate",
            Directive::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a directive came from (S10.2, S10.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DirectiveSource {
    /// Neither a decider nor the error said anything: [`Directive::Restart`].
    Default,
    /// The error declared its disposition ([`Disposition`](crate::Disposition), carried by
    /// [`Directed`](crate::Directed)).
    Disposition,
    /// The child's decider.
    Decider,
    /// A child supervisor ended with a fatal directive from below: the tree stops.
    Fatal,
}

/// What a supervisor that gave up reports to its parent (S4.4, S7, S10.1).
///
/// `cause` is the exit that made it give up; when that exit is itself an escalation,
/// [`chain`](Escalation::chain) walks down to the first failure.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Escalation {
    /// Path of the supervisor that gave up (`app/api`).
    pub supervisor: Arc<str>,
    /// Path of the child whose exit made it give up (`app/api/listener`).
    pub child: Arc<str>,
    /// That child's exit.
    pub cause: ExitReason,
    /// Why it gave up: [`Directive::Restart`] when the restart exceeded the intensity,
    /// [`Directive::Escalate`] or [`Directive::Fatal`] when the exit called for it.
    pub directive: Directive,
    /// That child's recent life (S19.1): what led to the exit.
    pub context: Option<Arc<CrashContext>>,
}

/// One link of an escalation chain: `supervisor` gave up because `child` exited with `reason`.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ChainLink<'a> {
    /// The supervisor that gave up.
    pub supervisor: &'a str,
    /// The child whose exit tripped it.
    pub child: &'a str,
    /// That child's exit reason (an escalation for every link but the last).
    pub reason: &'a ExitReason,
    /// That child's recent life (S19.1).
    pub context: Option<&'a CrashContext>,
}

impl Escalation {
    /// Whether a fatal directive (S10.1) made the tree stop: such an escalation goes up to the
    /// root whatever the supervisors above would decide.
    pub fn is_fatal(&self) -> bool {
        self.directive == Directive::Fatal
    }

    /// The links from this supervisor down to the first failure, outermost first.
    pub fn chain(&self) -> Vec<ChainLink<'_>> {
        let mut links = Vec::new();
        let mut current = self;
        loop {
            links.push(ChainLink {
                supervisor: &current.supervisor,
                child: &current.child,
                reason: &current.cause,
                context: current.context.as_deref(),
            });
            match &current.cause {
                ExitReason::Escalation(inner) => current = inner,
                _ => return links,
            }
        }
    }

    /// The first failure: the exit at the bottom of the chain, with the path of the child.
    pub fn root_cause(&self) -> (&str, &ExitReason) {
        let first = self.innermost();
        (&first.child, &first.cause)
    }

    /// The supervisor that gave up first, at the bottom of the chain.
    fn innermost(&self) -> &Escalation {
        let mut current = self;
        while let ExitReason::Escalation(inner) = &current.cause {
            current = inner;
        }
        current
    }
}

/// One line; the alternate form (`{:#}`) adds the recent life of the child that failed first,
/// one event per line (S19.1).
impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.innermost();
        write!(f, "supervisor `{}` gave up", self.supervisor)?;
        for link in self.chain().iter().skip(1) {
            write!(f, " <- `{}` gave up", link.supervisor)?;
        }
        write!(f, " after `{}` exited ({})", first.child, first.cause)?;
        let context = first.context.as_deref();
        // A conviction names its message already (S12.8).
        let names_message = matches!(
            first.cause,
            ExitReason::HeartbeatsLost { busy: Some(_), .. }
        );
        if let Some(last) = context.and_then(|c| c.last_message.as_ref()) {
            if !names_message {
                write!(f, " while handling {last}")?;
            }
        }
        // The bottom of the chain says why the first supervisor gave up.
        if first.directive != Directive::Restart {
            write!(f, "; directive: {}", first.directive)?;
        }
        match context {
            Some(context) if f.alternate() => write!(f, "\n{context}"),
            _ => Ok(()),
        }
    }
}

/// How many events a child's crash context keeps (S19.1).
pub const CRASH_CONTEXT_EVENTS: usize = 16;

/// A child's recent life (S19): its last events and the last message it took, carried by its
/// exits and by each level of an escalation chain, so that a failure explains itself.
///
/// A child keeps no record until its first failure (S19.3): its record then begins with it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CrashContext {
    /// The child's path.
    pub path: Arc<str>,
    /// Its last [`CRASH_CONTEXT_EVENTS`] events, oldest first.
    pub recent: Vec<Recent>,
    /// The last message it took, for a child with a mailbox that took one (S19.2).
    pub last_message: Option<LastMessage>,
}

/// One event of a child's recent life (S19.1).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Recent {
    /// When it happened, on tokio's clock.
    pub at: tokio::time::Instant,
    /// What happened.
    pub what: Happened,
}

/// What a [`Recent`] event was.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Happened {
    /// An incarnation came up.
    Started {
        /// Its number (S3.6).
        incarnation: u64,
    },
    /// An incarnation failed to start.
    StartFailed {
        /// Its number.
        incarnation: u64,
        /// Why.
        reason: ExitReason,
        /// The delay of the restart decided on it, if one was.
        restart_in: Option<Duration>,
    },
    /// An incarnation exited on its own, or was convicted.
    Exited {
        /// Its number.
        incarnation: u64,
        /// Why.
        reason: ExitReason,
        /// What the exit called for.
        directive: Directive,
        /// The delay of the restart decided on it, if one was.
        restart_in: Option<Duration>,
    },
    /// An incarnation was stopped by its supervisor.
    Stopped {
        /// Its number.
        incarnation: u64,
        /// `shutdown` or `killed`.
        reason: ExitReason,
    },
    /// A restart was decided, after `delay`, on no exit of its own (a group's).
    Restarting {
        /// The backoff delay.
        delay: Duration,
    },
    /// A restart waits for an open breaker to let trials through (S13.7).
    AwaitingBreaker {
        /// The breaker's name.
        breaker: Arc<str>,
        /// How long until it does.
        retry_in: Duration,
    },
    /// Its probe found it degraded or unhealthy, or healthy again (S11).
    Health {
        /// What the probe found.
        status: crate::state::HealthStatus,
        /// Why, for degraded and unhealthy.
        cause: Option<Arc<str>>,
    },
    /// Its heartbeats were late (S12.5).
    Suspect {
        /// phi then.
        phi: f64,
    },
}

/// The last message a child took (S19.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastMessage {
    /// How many messages the child had taken, this one included, over all its incarnations.
    pub number: u64,
    /// Its label: the one the child's spec gives
    /// ([`ChildSpec::label_messages`](crate::ChildSpec::label_messages)), else its type's name.
    pub label: &'static str,
    /// When it was taken. A message taken at once from a queue the child was working through,
    /// without waiting, carries the time its run of such messages began: reading the clock for
    /// each would cost a quarter of a pool's round trip.
    pub taken: tokio::time::Instant,
}

impl fmt::Display for LastMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message {} ({})",
            self.number,
            crate::types::short(self.label)
        )
    }
}

impl fmt::Display for Happened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Happened::Started { incarnation } => write!(f, "started (incarnation {incarnation})"),
            Happened::StartFailed {
                incarnation,
                reason,
                restart_in,
            } => {
                write!(f, "failed to start (incarnation {incarnation}): {reason}")?;
                write_restart(f, *restart_in)
            }
            Happened::Exited {
                incarnation,
                reason,
                directive,
                restart_in,
            } => {
                write!(f, "exited (incarnation {incarnation}): {reason}")?;
                // `restart` only says the restart type and intensity apply: whether a restart
                // was decided is said after.
                if *directive != Directive::Restart {
                    write!(f, "; directive: {directive}")?;
                }
                write_restart(f, *restart_in)
            }
            Happened::Stopped {
                incarnation,
                reason,
            } => write!(f, "stopped (incarnation {incarnation}): {reason}"),
            Happened::Restarting { delay } if delay.is_zero() => {
                f.write_str("restart decided, at once")
            }
            Happened::Restarting { delay } => write!(f, "restart decided, in {delay:?}"),
            Happened::AwaitingBreaker { breaker, retry_in } => {
                write!(f, "restart waits for breaker `{breaker}`, {retry_in:?}")
            }
            Happened::Health { status, cause } => {
                write!(f, "health: {status:?}")?;
                match cause {
                    Some(cause) => write!(f, " ({cause})"),
                    None => Ok(()),
                }
            }
            Happened::Suspect { phi } => write!(f, "suspect: phi {phi:.1}"),
        }
    }
}

fn write_restart(f: &mut fmt::Formatter<'_>, restart_in: Option<Duration>) -> fmt::Result {
    match restart_in {
        Some(d) if d.is_zero() => f.write_str("; restarted at once"),
        Some(d) => write!(f, "; restart in {d:?}"),
        None => Ok(()),
    }
}

/// A time before the last event of a record: `-1.234ms`, or `0` for the last one.
struct Ago(Duration);

impl fmt::Display for Ago {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_zero() {
            f.pad("0")
        } else {
            f.pad(&format!("-{:.3?}", self.0))
        }
    }
}

/// Lines, indented, times relative to the last event: `-1.2s started (incarnation 3)`.
impl fmt::Display for CrashContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  recent life of `{}`:", self.path)?;
        let end = self.recent.last().map(|r| r.at);
        for recent in &self.recent {
            let before = end.map_or(Duration::ZERO, |end| end.duration_since(recent.at));
            write!(f, "\n    {:>10} {}", Ago(before), recent.what)?;
        }
        if let Some(last) = &self.last_message {
            write!(f, "\n    last {last}")?;
            if let Some(end) = end {
                let ago = end.saturating_duration_since(last.taken);
                write!(f, ", taken {ago:.3?} before the last event")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Escalation {}

/// Turns what a child returned into an [`ExitReason`].
///
/// Implemented for `Result<(), E>` with any `E` convertible to [`BoxError`] (every
/// `std::error::Error + Send + Sync`, `String`, `&str`, `anyhow::Error`, ...).
#[diagnostic::on_unimplemented(
    message = "a child must return `Result<(), E>`, not `{Self}`",
    label = "this child's future returns `{Self}`",
    note = "return `Ok(())` when the child ends normally and `Err(e)` when it fails: the error \
            type `E` is anything convertible to `Box<dyn Error + Send + Sync>`"
)]
pub trait IntoExit {
    /// The exit reason this value stands for.
    fn into_exit(self) -> ExitReason;
}

impl IntoExit for ExitReason {
    fn into_exit(self) -> ExitReason {
        self
    }
}

impl<E: Into<BoxError>> IntoExit for Result<(), E> {
    fn into_exit(self) -> ExitReason {
        match self {
            Ok(()) => ExitReason::Normal,
            Err(e) => ExitReason::error(e),
        }
    }
}

/// The payload of an injected panic: its message is `injected: panic`, and the panic hook the
/// kit installs keeps it out of the test's output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InjectedPanic;

impl InjectedPanic {
    pub(crate) const MESSAGE: &'static str = "injected: panic";
}

pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> Arc<str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Arc::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Arc::from(s.as_str())
    } else if payload.is::<InjectedPanic>() {
        Arc::from(InjectedPanic::MESSAGE)
    } else {
        Arc::from("<non-string panic payload>")
    }
}
