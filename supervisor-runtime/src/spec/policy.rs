//! The plain settings of a tree: strategies, restart types, shutdown, intensity (S1.3).

use std::time::Duration;

/// How a supervisor reacts when a child that must be restarted exits (S5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Restart only the child that exited.
    #[default]
    OneForOne,
    /// Stop every other child, then restart them all.
    OneForAll,
    /// Stop the children started after the one that exited, then restart it and them.
    RestForOne,
}

impl Strategy {
    /// The strategy's name as written in the DSL (`one_for_one`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::OneForOne => "one_for_one",
            Strategy::OneForAll => "one_for_all",
            Strategy::RestForOne => "rest_for_one",
        }
    }
}

/// When a child is restarted (S3.2-S3.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always, even after a normal exit.
    #[default]
    Permanent,
    /// Only after an abnormal exit (error, panic, escalation, killed).
    Transient,
    /// Never; the spec is dropped when the child exits.
    Temporary,
}

impl Restart {
    /// The restart type's name as written in the DSL.
    pub const fn name(self) -> &'static str {
        match self {
            Restart::Permanent => "permanent",
            Restart::Transient => "transient",
            Restart::Temporary => "temporary",
        }
    }
}

/// How a child is stopped by its supervisor (S6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Abort the task at once.
    BrutalKill,
    /// Cancel the child's token, wait up to this long, then abort it (exit reason `killed`).
    Timeout(Duration),
    /// Cancel the child's token and wait as long as it takes.
    Infinity,
}

/// Whether a declared child counts for the tree's readiness (S16.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Readiness {
    /// The tree is ready only while this child (a pool: one of its slots) is running and not
    /// unhealthy; a supervisor also needs its own children that count.
    #[default]
    Counts,
    /// The child, and everything below it, is reported but never makes the tree unready: a
    /// cache the service can work without, say.
    Ignored,
}

/// What happens when a child exceeds its own restart budget (S18.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnExhausted {
    /// Its supervisor gives up at once (S4.4), as for an `escalate` directive.
    #[default]
    Escalate,
    /// The child is left quarantined: not restarted, shown as such, not ready, until
    /// resumed with a fresh budget; its supervisor carries on.
    Quarantine,
}

/// A child's own restart budget (S18.1): at most `max_restarts` restarts within `within`,
/// counted before its supervisor's intensity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Budget {
    /// The restarts it allows within `within`.
    pub max_restarts: u32,
    /// The sliding window.
    pub within: std::time::Duration,
    /// What happens when one more restart would exceed it.
    pub on_exhausted: OnExhausted,
}

/// Whether a child is a worker, a supervisor or an operating-system process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// A task doing work.
    Worker,
    /// A supervisor of its own children.
    Supervisor,
    /// An operating-system process (S20).
    Process,
}

/// When a supervisor stops by itself because significant children exited (S8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoShutdown {
    /// Never (the default).
    #[default]
    Never,
    /// When any significant child exits on its own and is not restarted.
    AnySignificant,
    /// When no significant child is left.
    AllSignificant,
}

/// Restart intensity: more than `max_restarts` restarts within `period` and the supervisor gives
/// up (S4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Intensity {
    /// Restarts allowed within `period`.
    pub max_restarts: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Intensity {
    /// 3 restarts within 5 seconds: Elixir's default, which we follow rather than OTP's 1 in 5
    /// (S1.3).
    pub const DEFAULT: Intensity = Intensity {
        max_restarts: 3,
        period: Duration::from_secs(5),
    };
}

impl Default for Intensity {
    /// [`Intensity::DEFAULT`].
    fn default() -> Self {
        Intensity::DEFAULT
    }
}

/// A child's plain policies in one value: restart type, shutdown, significance and backoff.
/// Built in a `const`, one value serves every child declared alike: `supervision_tree!` writes
/// one per distinct set its children share, for both the spec and the description.
///
/// ```
/// use std::time::Duration;
/// use supervisor::{Backoff, ChildContext, ChildPolicy, ChildSpec, Restart};
///
/// const FLAKY: ChildPolicy = ChildPolicy::DEFAULT
///     .restart(Restart::Transient)
///     .backoff(Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1)));
///
/// async fn run(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }
/// let a = ChildSpec::worker("a", run).policy(FLAKY);
/// let b = ChildSpec::worker("b", run).policy(FLAKY);
/// # let _ = (a, b);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChildPolicy {
    /// When the child is restarted.
    pub restart: Restart,
    /// How it is stopped; `None` for its kind's default (5 s for a worker, infinity for a
    /// supervisor, S1.3).
    pub shutdown: Option<Shutdown>,
    /// Whether its end counts for its supervisor's `auto_shutdown` (S8).
    pub significant: bool,
    /// The delay before each of its restarts.
    pub backoff: crate::Backoff,
}

impl ChildPolicy {
    /// Permanent, its kind's shutdown, not significant, no backoff.
    pub const DEFAULT: ChildPolicy = ChildPolicy {
        restart: Restart::Permanent,
        shutdown: None,
        significant: false,
        backoff: crate::Backoff::NONE,
    };

    /// With this restart type.
    pub const fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// With this shutdown.
    pub const fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Significant (or not).
    pub const fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// With this backoff.
    pub const fn backoff(mut self, backoff: crate::Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

impl Default for ChildPolicy {
    /// [`ChildPolicy::DEFAULT`].
    fn default() -> Self {
        ChildPolicy::DEFAULT
    }
}

/// The default shutdown timeout of a worker (S1.3).
pub const DEFAULT_WORKER_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_secs(5));
/// The default capacity of a child's mailbox.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// What a send does when its slot cannot take the message now (S14.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Wait for room (the default).
    #[default]
    Wait,
    /// Fail at once with [`PoolError::Full`](crate::PoolError::Full), the message given back.
    Reject,
    /// Drop the message, count it ([`PoolRef::dropped`](crate::PoolRef::dropped)) and report it in a warning.
    DropNewest,
    /// Drop the oldest message queued for the chosen slot to make room, count it and report it:
    /// latest wins, as telemetry wants. The slots' mailboxes never make a sender wait.
    DropOldest,
}

impl Overflow {
    /// The word the macro uses for it.
    pub const fn name(self) -> &'static str {
        match self {
            Overflow::Wait => "wait",
            Overflow::Reject => "reject",
            Overflow::DropNewest => "drop_newest",
            Overflow::DropOldest => "drop_oldest",
        }
    }
}
