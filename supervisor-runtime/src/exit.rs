//! Why a child stopped, and the chain of causes a supervisor carries when it gives up.

use std::fmt;
use std::sync::Arc;

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
            ExitReason::Killed => f.write_str("killed after its shutdown timeout"),
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
}

/// One link of an escalation chain: `supervisor` gave up because `child` exited with `reason`.
#[derive(Clone, Copy, Debug)]
pub struct ChainLink<'a> {
    /// The supervisor that gave up.
    pub supervisor: &'a str,
    /// The child whose exit tripped it.
    pub child: &'a str,
    /// That child's exit reason (an escalation for every link but the last).
    pub reason: &'a ExitReason,
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

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (child, cause) = self.root_cause();
        write!(f, "supervisor `{}` gave up", self.supervisor)?;
        for link in self.chain().iter().skip(1) {
            write!(f, " <- `{}` gave up", link.supervisor)?;
        }
        write!(f, " after `{child}` exited ({cause})")?;
        // The bottom of the chain says why the first supervisor gave up.
        match self.innermost().directive {
            Directive::Restart => Ok(()),
            other => write!(f, "; directive: {other}"),
        }
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

pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> Arc<str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Arc::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Arc::from(s.as_str())
    } else {
        Arc::from("<non-string panic payload>")
    }
}
