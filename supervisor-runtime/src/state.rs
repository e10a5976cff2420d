//! Where a child is in its life, as handles see it.

/// Where a child is in its life (S9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChildState {
    /// Its current incarnation is being started (a worker's `init`, a supervisor's children).
    Starting,
    /// An incarnation is running.
    Running,
    /// Its supervisor is stopping the running incarnation.
    Stopping,
    /// It exited and waits for its restart (backoff, or a group restart in progress).
    Restarting,
    /// Not running: terminated, exited without restart, or its supervisor is not running.
    Stopped,
    /// It exhausted its own restart budget and is held, not restarted, until resumed (S18.1).
    Quarantined,
    /// Paused by an operator: stopped and held, not restarted, until resumed (S18.3).
    Paused,
    /// The child no longer exists, and never will again under this handle.
    Gone(Gone),
}

/// How a child went away for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gone {
    /// Removed with `delete_child`.
    Deleted,
    /// It ended without a restart and its spec went with it (a temporary child, or a dynamic
    /// child that was not restarted, S5.5).
    Ended,
    /// It was added at run time and the incarnation of its supervisor that held it ended.
    SupervisorEnded,
    /// The whole tree ended (shutdown, the root gave up, or the handle was dropped).
    TreeEnded,
}

impl Gone {
    /// Lower-case description (`deleted`, `ended`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Gone::Deleted => "deleted",
            Gone::Ended => "ended without restart",
            Gone::SupervisorEnded => "its supervisor ended",
            Gone::TreeEnded => "the tree ended",
        }
    }
}

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ChildState {
    pub(crate) const GONE: u8 = 8;

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            ChildState::Starting => 0,
            ChildState::Running => 1,
            ChildState::Stopping => 2,
            ChildState::Restarting => 3,
            ChildState::Stopped => 4,
            ChildState::Quarantined => 5,
            ChildState::Paused => 6,
            ChildState::Gone(Gone::Deleted) => Self::GONE,
            ChildState::Gone(Gone::Ended) => Self::GONE + 1,
            ChildState::Gone(Gone::SupervisorEnded) => Self::GONE + 2,
            ChildState::Gone(Gone::TreeEnded) => Self::GONE + 3,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
            0 => ChildState::Starting,
            1 => ChildState::Running,
            2 => ChildState::Stopping,
            3 => ChildState::Restarting,
            4 => ChildState::Stopped,
            5 => ChildState::Quarantined,
            6 => ChildState::Paused,
            8 => ChildState::Gone(Gone::Deleted),
            9 => ChildState::Gone(Gone::Ended),
            10 => ChildState::Gone(Gone::SupervisorEnded),
            _ => ChildState::Gone(Gone::TreeEnded),
        }
    }

    /// Lower-case name (`running`, `restarting`, `gone`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ChildState::Starting => "starting",
            ChildState::Running => "running",
            ChildState::Stopping => "stopping",
            ChildState::Restarting => "restarting",
            ChildState::Stopped => "stopped",
            ChildState::Quarantined => "quarantined",
            ChildState::Paused => "paused",
            ChildState::Gone(_) => "gone",
        }
    }

    /// How the child went away, if it did.
    pub fn gone(self) -> Option<Gone> {
        match self {
            ChildState::Gone(how) => Some(how),
            _ => None,
        }
    }
}

/// Where a breaker stands (S13.2-S13.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls pass.
    Closed,
    /// Calls fail at once until the reset timeout has passed.
    Open,
    /// A few trial calls pass; their outcome closes or reopens the breaker.
    HalfOpen,
}

impl BreakerState {
    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
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
