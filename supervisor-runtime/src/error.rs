//! Typed errors of the runtime.

use std::sync::Arc;

use crate::exit::{Escalation, ExitReason};
use crate::state::Gone;

/// Broad kind of an error, for logging and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// The tree description is invalid; fix the code.
    Spec,
    /// A child failed while the tree was starting.
    Start,
    /// A supervisor gave up and the failure reached the caller.
    Escalation,
    /// A management request named a child that is absent or in the wrong state.
    Management,
    /// A supervisor is no longer running.
    Stopped,
    /// A message could not be delivered to a child's mailbox.
    Mailbox,
}

/// The rule of SEMANTICS S1.4 an invalid spec breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecRule {
    /// Two siblings share an id.
    #[error("duplicate child id `{0}`")]
    DuplicateId(Arc<str>),
    /// An id is empty or contains `/`, which separates path segments.
    #[error("invalid id `{0}`: ids are non-empty and contain no `/`")]
    InvalidId(Arc<str>),
    /// The intensity period is zero.
    #[error("restart intensity period must be greater than zero")]
    ZeroPeriod,
    /// A storm limit below the root: it caps the whole tree, so only the root has one (S18.2).
    #[error("only the root supervisor has a storm_limit: it caps the whole tree")]
    StormLimitBelowRoot,
    /// A permanent child cannot be significant: it never exits on its own for good.
    #[error("a permanent child cannot be significant")]
    SignificantPermanent,
    /// A significant child sits under a supervisor with `auto_shutdown = never`.
    #[error("significant child under a supervisor with auto_shutdown never")]
    SignificantWithoutAutoShutdown,
    /// `auto_shutdown` is set but no child is significant.
    #[error("auto_shutdown is set but no child is significant")]
    AutoShutdownWithoutSignificant,
    /// A dynamic supervisor with `max_children = 0` could never start a child.
    #[error("max_children must be at least 1")]
    ZeroMaxChildren,
    /// A backoff whose parameters make no sense.
    #[error("invalid backoff: {0}")]
    Backoff(BackoffRule),
    /// A duration beyond [`MAX_DURATION`](crate::MAX_DURATION), which could overflow a deadline.
    #[error("{0} is longer than the maximum of 100 years")]
    DurationTooLarge(&'static str),
    /// A mailbox of capacity zero could never hold a message.
    #[error("mailbox capacity must be at least 1")]
    ZeroMailboxCapacity,
    /// A temporary child is never restarted, so a backoff on it is a mistake.
    #[error("backoff on a temporary child, which is never restarted")]
    BackoffOnTemporary,
    /// A supervisor needs at least one child (dynamic supervisors excepted).
    #[error("a supervisor needs at least one child")]
    NoChildren,
    /// A health check whose settings make no sense.
    #[error("invalid health check: {0}")]
    Health(HealthRule),
    /// Heartbeat settings that make no sense.
    #[error("invalid heartbeat: {0}")]
    Heartbeat(HeartbeatRule),
    /// Carried state on a supervisor, which no incarnation of a worker would read (S15).
    #[error("only workers carry state across restarts")]
    StateOnSupervisor,
    /// A pool without slots (S14.1).
    #[error("a pool needs at least one slot")]
    ZeroPoolSize,
    /// A mailbox capacity on a child that has no mailbox, where it would be ignored.
    #[error("mailbox capacity on a child without a mailbox")]
    CapacityWithoutMailbox,
    /// A temporary slot would shrink its pool for good when it ends (S14.6).
    #[error("a pool's slots are permanent or transient, not temporary")]
    TemporarySlot,
    /// A template whose arguments move into its only incarnation was made to restart: a
    /// restart would have no arguments.
    #[error("a template whose arguments are moved (`Template::temporary`) must stay temporary")]
    MovedArgsRestarted,
    /// A node a child uses (S17.2), with its name: not one it may use.
    #[error("uses `{0}`: {1}")]
    Uses(Arc<str>, UsesRule),
    /// Breaker settings that make no sense (S13), with the breaker's name.
    #[error("invalid breaker `{0}`: {1}")]
    Breaker(Arc<str>, BreakerRule),
}

/// Why a child may not use a node (S17.2): only a node that starts before it, or an ancestor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsesRule {
    /// No node of that name among its siblings or its ancestors' children.
    #[error("no such node among its siblings or its ancestors' children")]
    Unknown,
    /// The child itself.
    #[error("a child cannot use itself")]
    Itself,
    /// A supervisor declares it: only a worker's incarnation looks up what it uses (so no
    /// child can use its own descendants, which start after it).
    #[error("only workers use nodes: a supervisor's incarnation looks nothing up")]
    OnSupervisor,
    /// A node that starts after the child; the start order of its level is given.
    #[error("it starts later (start order: {0}); use only earlier nodes, or reorder")]
    StartsLater(Arc<str>),
}

/// What is wrong with a breaker's settings (S13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BreakerRule {
    /// Every call would time out and count as a failure.
    #[error("call timeout must be greater than zero")]
    ZeroCallTimeout,
    /// The reset timeout may grow up to its maximum, never start above it.
    #[error("reset timeout above the maximum reset timeout")]
    ResetAboveMax,
}

/// What is wrong with heartbeat settings (S12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum HeartbeatRule {
    /// The expected interval is zero.
    #[error("interval must be greater than zero")]
    ZeroInterval,
    /// A threshold that is not a positive number would convict at once, or never.
    #[error("threshold must be a number greater than zero")]
    BadThreshold,
    /// A deviation needs two intervals.
    #[error("window must hold at least 2 intervals")]
    WindowTooSmall,
    /// A supervisor cannot beat: only workers call `ctx.heartbeat()`.
    #[error("only workers send heartbeats")]
    OnSupervisor,
}

/// What is wrong with a health check (S11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum HealthRule {
    /// Probes would run back to back.
    #[error("interval must be greater than zero")]
    ZeroInterval,
    /// A probe that may take as long as the interval would leave no time between probes.
    #[error("timeout must be greater than zero and below the interval")]
    TimeoutNotBelowInterval,
    /// A threshold of zero would convict, or reset, without a probe.
    #[error("thresholds must be at least 1")]
    ZeroThreshold,
    /// A probe that asks the child through a mailbox its messages do not fit (a JSON-RPC ping
    /// on a child that is not a JSON-RPC process).
    #[error("the probe asks the child with messages its mailbox does not take")]
    AsksAnotherMailbox,
}

/// What is wrong with a backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BackoffRule {
    /// The first delay is above the cap.
    #[error("initial delay above the maximum")]
    InitialAboveMax,
    /// An exponential multiplier below 1 (or not a number) would shrink the delays.
    #[error("multiplier below 1")]
    MultiplierBelowOne,
    /// Jitter is a fraction of the delay, in `0..=1`.
    #[error("jitter outside 0..=1")]
    JitterOutOfRange,
    /// `multiplier` or `jitter` given to a backoff that is not exponential.
    #[error("multiplier and jitter apply to exponential backoff only")]
    NotExponential,
}

/// An invalid tree, rejected before anything starts (S1.4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid spec at `{path}`: {rule}")]
#[non_exhaustive]
pub struct SpecError {
    /// Path of the offending node (`app/api/listener`).
    pub path: Arc<str>,
    /// The broken rule.
    pub rule: SpecRule,
}

/// Why a tree (or a child added at run time) could not start.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A child failed during start; the children already started were stopped (S2.2).
    #[error("failed to start child {id}: {cause}")]
    ChildFailed {
        /// Id of the child that failed.
        id: Arc<str>,
        /// Full path of that child.
        path: Arc<str>,
        /// How its start ended.
        cause: ExitReason,
    },
    /// The supervisor was asked to stop while it was still starting.
    #[error("supervisor `{0}` was stopped while starting")]
    Cancelled(Arc<str>),
}

/// How a whole tree ended badly, as `join` or `shutdown` reports it (S7.2).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The root supervisor gave up; the escalation holds the chain down to the first failure.
    #[error(transparent)]
    GaveUp(Arc<Escalation>),
    /// A child's exit called for the [`Fatal`](crate::Directive::Fatal) directive (S10.1): the
    /// tree stopped in order; the escalation holds the chain down to that exit.
    #[error("fatal: {0}")]
    Fatal(Arc<Escalation>),
    /// The root supervisor's own task panicked or was aborted from outside.
    #[error("the root supervisor task ended abnormally: {0}")]
    Aborted(ExitReason),
    /// The tree restarted more than its storm limit allows (S18.2) and stopped in order.
    #[error(transparent)]
    Storm(Arc<crate::StormReport>),
}

/// A management request that could not be carried out (S9.3). Children are named by path.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManagementError {
    /// No child at that path.
    #[error("no child `{0}`")]
    NotFound(Arc<str>),
    /// The child no longer exists (S9.7): the handle that named it outlived it.
    #[error("child `{path}` is gone: {how}")]
    Gone {
        /// The child's path.
        path: Arc<str>,
        /// How it went.
        how: Gone,
    },
    /// The child is running; stop it first.
    #[error("child `{0}` is running")]
    Running(Arc<str>),
    /// The child is waiting to be restarted.
    #[error("child `{0}` is restarting")]
    Restarting(Arc<str>),
    /// The child is neither paused nor quarantined: there is nothing to resume (S18).
    #[error("child `{0}` is neither paused nor quarantined")]
    NotHeld(Arc<str>),
    /// A sibling already has that id.
    #[error("a child `{0}` already exists")]
    AlreadyExists(Arc<str>),
    /// The dynamic supervisor already has `max_children` children.
    #[error("max_children ({0}) reached")]
    MaxChildren(usize),
    /// The request only applies to dynamic supervisors (or only to static ones).
    #[error("supervisor `{0}` is not of the kind this request needs")]
    WrongKind(Arc<str>),
    /// The supervisor is not running (stopped, restarting, or gave up).
    #[error("supervisor `{0}` is not running")]
    NotRunning(Arc<str>),
    /// The new child's spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The child failed to start (S9.6).
    #[error("failed to start child `{path}`: {cause}")]
    StartFailed {
        /// Path of the child.
        path: Arc<str>,
        /// How its start ended.
        cause: ExitReason,
    },
}

/// A lookup of a child or supervisor by path that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No node at that path.
    #[error("no child at `{0}`")]
    NotFound(Arc<str>),
    /// The node exists but is not a supervisor.
    #[error("`{0}` is not a supervisor")]
    NotASupervisor(Arc<str>),
    /// The node exists but is not a dynamic supervisor, or has other argument types.
    #[error("`{0}` is not a dynamic supervisor with these argument and message types")]
    NotDynamic(Arc<str>),
    /// The node exists but is not a pool.
    #[error("`{0}` is not a pool")]
    NotAPool(Arc<str>),
    /// The child's mailbox carries another message type.
    #[error("child `{path}` has mailbox type `{declared}`, not `{requested}`")]
    WrongMessageType {
        /// Path of the child.
        path: Arc<str>,
        /// The type the child declared.
        declared: &'static str,
        /// The type asked for.
        requested: &'static str,
    },
}

/// A message that could not be put in a child's mailbox; the message is handed back.
#[derive(PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError<M> {
    /// The mailbox is at capacity.
    #[error("mailbox is full")]
    Full(M),
    /// The child is gone (S9.8), so nothing will ever read the message.
    #[error("child is gone: {1}")]
    Gone(M, Gone),
    /// The child declared no mailbox.
    #[error("child has no mailbox")]
    NoMailbox(M),
}

/// Shows the kind of failure, not the message, so that any message type can be an error.
impl<M> std::fmt::Debug for MailboxError<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            MailboxError::Full(_) => "Full",
            MailboxError::Gone(_, _) => "Gone",
            MailboxError::NoMailbox(_) => "NoMailbox",
        };
        write!(f, "MailboxError::{kind}(..)")
    }
}

impl<M> MailboxError<M> {
    /// The message that was not delivered.
    pub fn into_inner(self) -> M {
        match self {
            MailboxError::Full(m) | MailboxError::Gone(m, _) | MailboxError::NoMailbox(m) => m,
        }
    }
}

macro_rules! categorised {
    ($ty:ty, |$s:ident| $cat:expr, |$r:ident| $rec:expr) => {
        impl $ty {
            /// The broad kind of this error.
            pub fn category(&self) -> ErrorCategory {
                let $s = self;
                $cat
            }
            /// `true` when retrying (later, or after fixing the state) can succeed; `false` when
            /// the code or the tree must change.
            pub fn is_recoverable(&self) -> bool {
                let $r = self;
                $rec
            }
        }
    };
}

categorised!(SpecError, |_s| ErrorCategory::Spec, |_r| false);
categorised!(
    StartError,
    |s| match s {
        StartError::Spec(_) => ErrorCategory::Spec,
        StartError::ChildFailed { .. } => ErrorCategory::Start,
        StartError::Cancelled(_) => ErrorCategory::Stopped,
    },
    |r| matches!(r, StartError::ChildFailed { .. } | StartError::Cancelled(_))
);
categorised!(TreeError, |_s| ErrorCategory::Escalation, |_r| true);
categorised!(
    ManagementError,
    |s| match s {
        ManagementError::NotRunning(_) => ErrorCategory::Stopped,
        ManagementError::Spec(_) => ErrorCategory::Spec,
        ManagementError::StartFailed { .. } => ErrorCategory::Start,
        _ => ErrorCategory::Management,
    },
    |r| !matches!(
        r,
        ManagementError::Spec(_) | ManagementError::WrongKind(_) | ManagementError::Gone { .. }
    )
);
categorised!(LookupError, |_s| ErrorCategory::Management, |_r| false);

impl<M> MailboxError<M> {
    /// The broad kind of this error.
    pub fn category(&self) -> ErrorCategory {
        ErrorCategory::Mailbox
    }
    /// `true` for a full mailbox (retry later); `false` otherwise.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, MailboxError::Full(_))
    }
}
