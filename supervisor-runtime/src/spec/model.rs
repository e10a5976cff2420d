//! The erased model of a tree, as supervisors store it: children with their start functions
//! and policies, supervisors with their children or template. The builders of `child` and
//! `supervisor` make it; `validate` checks it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::policy::{
    AutoShutdown, ChildKind, Intensity, Restart, Shutdown, Strategy, DEFAULT_WORKER_SHUTDOWN,
};
use crate::backoff::Backoff;
use crate::breaker::CircuitBreaker;
use crate::directive::Decider;
use crate::exit::ExitReason;
use crate::health::HealthCheck;
use crate::heartbeat::Heartbeat;
use crate::mailbox::{AnyLabeler, MailboxFactory};
use crate::spawn::StartFn;
use crate::stash::StashFactory;
use crate::types::TypeTag;

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ExitReason> + Send + 'static>>;

/// A child spec with its types erased; what a supervisor stores.
#[derive(Clone)]
pub(crate) struct ErasedChild {
    pub id: Arc<str>,
    pub start: Starter,
    pub restart: Restart,
    pub shutdown: Option<Shutdown>,
    pub significant: bool,
    /// Boxed because most children have none: it keeps per-child memory small.
    pub backoff: Option<Box<Backoff>>,
    /// The capacity given with `mailbox_capacity`, if any.
    pub mailbox_capacity: Option<u32>,
    pub message: fn() -> TypeTag,
    pub mailbox: Option<MailboxFactory>,
    /// What few children have (a decider, and later probes and heartbeats), boxed so that the
    /// others pay one pointer.
    pub extras: Option<Box<ChildExtras>>,
}

/// The settings of a child beyond S1's, boxed in [`ErasedChild`].
#[derive(Clone, Default)]
pub(crate) struct ChildExtras {
    pub decider: Option<Decider>,
    /// Boxed each: a child with one of them does not pay for the other.
    pub health: Option<Box<HealthCheck>>,
    pub heartbeat: Option<Box<Heartbeat>>,
    /// Breakers whose opening holds back this child's restarts (S13.7).
    pub depends_on: Vec<CircuitBreaker>,
    /// How the node makes the child's carried state, and of which type (S15). Boxed: the
    /// extras of every child with a probe, a decider or a breaker would carry it otherwise.
    pub state: Option<Box<(StashFactory, TypeTag)>>,
    /// How its messages are named in its crash context (S19.2).
    pub label: Option<Arc<AnyLabeler>>,
    /// The names of the nodes it uses (S17).
    pub uses: Arc<[Arc<str>]>,
    /// A template whose arguments move into its only incarnation: it must stay temporary.
    pub moves_args: bool,
    /// Whether it counts for the tree's readiness (S16.3).
    pub readiness: super::policy::Readiness,
    /// Its own restart budget (S18.1).
    pub budget: Option<super::policy::Budget>,
}

#[derive(Clone)]
pub(crate) enum Starter {
    /// A function called for each incarnation. `awaits_start` is set for workers with `init`,
    /// whose incarnation counts as started only once `init` returned.
    Fn { call: StartFn, awaits_start: bool },
    /// A nested supervisor: it starts its subtree in its parent's task, then runs its own.
    Supervisor { spec: Arc<SupervisorSpec> },
    /// An operating-system process (S20): `spec` runs one incarnation (it is its own start
    /// function), which counts as started once the process is up by its readiness condition.
    /// One pointer, so that every child's spec stays as small as before it.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    Process { spec: Arc<super::process::Process> },
}

impl ErasedChild {
    pub(crate) fn kind(&self) -> crate::ChildKind {
        match self.start {
            Starter::Fn { .. } => ChildKind::Worker,
            Starter::Supervisor { .. } => ChildKind::Supervisor,
            Starter::Process { .. } => ChildKind::Process,
        }
    }

    pub(crate) fn shutdown(&self) -> Shutdown {
        self.shutdown.unwrap_or(match self.kind() {
            ChildKind::Worker | ChildKind::Process => DEFAULT_WORKER_SHUTDOWN,
            ChildKind::Supervisor => Shutdown::Infinity,
        })
    }

    pub(crate) fn backoff(&self) -> Backoff {
        self.backoff.as_deref().copied().unwrap_or(Backoff::NONE)
    }

    pub(crate) fn set_backoff(&mut self, backoff: Backoff) {
        self.backoff = (!backoff.is_none()).then(|| Box::new(backoff));
    }

    pub(crate) fn mailbox_factory(&self) -> Option<MailboxFactory> {
        self.mailbox
    }

    pub(crate) fn uses(&self) -> &Arc<[Arc<str>]> {
        static NONE: std::sync::LazyLock<Arc<[Arc<str>]>> =
            std::sync::LazyLock::new(|| Arc::from(Vec::new()));
        self.extras.as_ref().map_or(&NONE, |e| &e.uses)
    }

    pub(crate) fn moves_args(&self) -> bool {
        self.extras.as_ref().is_some_and(|e| e.moves_args)
    }

    pub(crate) fn labeler(&self) -> Option<&AnyLabeler> {
        self.extras.as_ref()?.label.as_deref()
    }

    pub(crate) fn extras_mut(&mut self) -> &mut ChildExtras {
        self.extras.get_or_insert_with(Box::default)
    }

    pub(crate) fn decider(&self) -> Option<&Decider> {
        self.extras.as_ref()?.decider.as_ref()
    }

    pub(crate) fn budget(&self) -> Option<super::policy::Budget> {
        self.extras.as_ref()?.budget
    }

    pub(crate) fn readiness(&self) -> super::policy::Readiness {
        self.extras
            .as_ref()
            .map(|e| e.readiness)
            .unwrap_or_default()
    }

    pub(crate) fn health(&self) -> Option<&HealthCheck> {
        self.extras.as_ref()?.health.as_deref()
    }

    pub(crate) fn heartbeat(&self) -> Option<&Heartbeat> {
        self.extras.as_ref()?.heartbeat.as_deref()
    }

    pub(crate) fn state(&self) -> Option<(StashFactory, TypeTag)> {
        self.extras.as_ref()?.state.as_deref().copied()
    }

    pub(crate) fn depends_on(&self) -> &[CircuitBreaker] {
        self.extras.as_ref().map_or(&[], |e| &e.depends_on)
    }
}

/// What a supervisor supervises, and so how it restarts and ends its children.
#[derive(Clone)]
pub(crate) enum SupervisorKind {
    /// Declared children, restarted by its strategy (S1, S3).
    Static { strategy: Strategy },
    /// Children added at run time from one template, restarted one_for_one, gone when they end
    /// without a restart (S5.4, S5.5).
    Dynamic(DynamicSpec),
    /// `size` slots made from one template, restarted one_for_one; a stopped slot stays a slot
    /// (S14.1).
    Pool(DynamicSpec, PoolSettings),
}

impl SupervisorKind {
    /// The strategy its restarts follow: a template's children are restarted one by one.
    pub(crate) fn strategy(&self) -> Strategy {
        match self {
            SupervisorKind::Static { strategy } => *strategy,
            SupervisorKind::Dynamic(_) | SupervisorKind::Pool(..) => Strategy::OneForOne,
        }
    }

    /// The template its children are made from, for the kinds that have one.
    pub(crate) fn template(&self) -> Option<&DynamicSpec> {
        match self {
            SupervisorKind::Static { .. } => None,
            SupervisorKind::Dynamic(d) | SupervisorKind::Pool(d, _) => Some(d),
        }
    }

    /// Its pool settings, when it is a pool.
    pub(crate) fn pool(&self) -> Option<&PoolSettings> {
        match self {
            SupervisorKind::Pool(_, settings) => Some(settings),
            SupervisorKind::Static { .. } | SupervisorKind::Dynamic(_) => None,
        }
    }

    /// Whether a child that ends without a restart goes for good (S5.5): a dynamic child does;
    /// a pool's slot stays, stopped, as a declared child does (S14.1).
    pub(crate) fn removes_ended(&self) -> bool {
        match self {
            SupervisorKind::Dynamic(_) => true,
            SupervisorKind::Static { .. } | SupervisorKind::Pool(..) => false,
        }
    }

    /// Whether its children are stopped all at once rather than in reverse order (S5.4, S14.1).
    pub(crate) fn stops_concurrently(&self) -> bool {
        self.template().is_some()
    }
}

#[derive(Clone)]
pub(crate) struct DynamicSpec {
    pub template: ErasedChild,
    pub args: TypeTag,
    pub max_children: Option<usize>,
}

/// A supervisor: id, strategy, intensity, auto_shutdown and children in order (S1.1).
///
/// ```
/// use std::time::Duration;
/// use supervisor::{ChildContext, ChildSpec, Strategy, SupervisorSpec};
///
/// async fn idle(ctx: ChildContext) -> Result<(), std::convert::Infallible> {
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// let tree = SupervisorSpec::new("app")
///     .strategy(Strategy::RestForOne)
///     .intensity(5, Duration::from_secs(30))
///     .child(ChildSpec::worker("db", idle))
///     .child(ChildSpec::supervisor(
///         SupervisorSpec::new("api").child(ChildSpec::worker("listener", idle)),
///     ));
/// assert!(tree.validate().is_ok());
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct SupervisorSpec {
    pub(crate) id: Arc<str>,
    pub(crate) intensity: Intensity,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) children: Vec<Arc<ErasedChild>>,
    /// Static, dynamic or pool: what it supervises (S5.6, S14).
    pub(crate) kind: SupervisorKind,
    /// Breakers declared here: reachable by name from this supervisor's descendants' contexts,
    /// and, on the root, from the tree's handle (S13.1).
    pub(crate) breakers: Vec<CircuitBreaker>,
    /// The whole tree's restart limit (S18.2): the root's alone.
    pub(crate) storm_limit: Option<Intensity>,
}

impl SupervisorSpec {
    /// Calls `f` on this spec and every supervisor spec below it.
    pub(crate) fn walk(&self, f: &mut dyn FnMut(&SupervisorSpec)) {
        f(self);
        for child in &self.children {
            if let Starter::Supervisor { spec } = &child.start {
                spec.walk(f);
            }
        }
    }
}

impl fmt::Debug for SupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.children.iter().map(|c| &*c.id).collect();
        f.debug_struct("SupervisorSpec")
            .field("id", &self.id)
            .field("strategy", &self.kind.strategy())
            .field("intensity", &self.intensity)
            .field("auto_shutdown", &self.auto_shutdown)
            .field("children", &ids)
            .field("dynamic", &self.kind.template().is_some())
            .finish()
    }
}

/// A dynamic supervisor's spec (S5.4, S5.6): an id, a template, an intensity and an optional
/// bound on its children. Made with [`SupervisorSpec::dynamic`].
///
/// ```
/// use supervisor::{ChildContext, SupervisorSpec, Template};
///
/// let sessions = SupervisorSpec::dynamic(
///     "sessions",
///     Template::new(|ctx: ChildContext, user: String| async move {
///         ctx.cancelled().await;
///         Ok::<(), std::io::Error>(())
///     }),
/// )
/// .max_children(100);
/// assert!(sessions.validate().is_ok());
/// ```
///
/// Settings that mean nothing for the kind cannot be written:
///
/// ```compile_fail
/// # use supervisor::{ChildContext, ChildSpec, SupervisorSpec, Template};
/// # async fn idle(ctx: ChildContext) -> Result<(), std::io::Error> { Ok(()) }
/// let t = Template::new(|ctx: ChildContext, n: u32| async move { Ok::<(), std::io::Error>(()) });
/// let s = SupervisorSpec::dynamic("pool", t).child(ChildSpec::worker("w", idle));
/// ```
///
/// ```compile_fail
/// # use supervisor::SupervisorSpec;
/// let s = SupervisorSpec::new("app").max_children(3);
/// ```
///
/// A template cannot be significant, and a root has no restart type:
///
/// ```compile_fail
/// # use supervisor::{ChildContext, Template};
/// let t = Template::new(|ctx: ChildContext, n: u32| async move { Ok::<(), std::io::Error>(()) })
///     .significant(true);
/// ```
///
/// ```compile_fail
/// # use supervisor::{Restart, SupervisorSpec};
/// let s = SupervisorSpec::new("app").restart(Restart::Transient);
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until it is used"]
pub struct DynamicSupervisorSpec {
    pub(crate) inner: SupervisorSpec,
}

impl fmt::Debug for DynamicSupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.inner.kind.template();
        f.debug_struct("DynamicSupervisorSpec")
            .field("id", &self.inner.id)
            .field("intensity", &self.inner.intensity)
            .field("args", &d.map(|d| d.args.name))
            .field("max_children", &d.and_then(|d| d.max_children))
            .finish()
    }
}

pub(super) mod sealed {
    pub trait Sealed {}
    impl Sealed for super::SupervisorSpec {}
    impl Sealed for super::DynamicSupervisorSpec {}
}

/// A supervisor spec of any kind (S5.6): what [`ChildSpec::supervisor`](crate::ChildSpec::supervisor) and
/// [`Supervisor::start`](crate::Supervisor::start) take. Implemented by [`SupervisorSpec`] and
/// [`DynamicSupervisorSpec`] only.
pub trait AnySupervisorSpec: sealed::Sealed {
    #[doc(hidden)]
    fn into_spec(self) -> SupervisorSpec;
}

impl AnySupervisorSpec for SupervisorSpec {
    fn into_spec(self) -> SupervisorSpec {
        self
    }
}

impl AnySupervisorSpec for DynamicSupervisorSpec {
    fn into_spec(self) -> SupervisorSpec {
        self.inner
    }
}

/// The erased settings of a pool, as its supervisor keeps them.
#[derive(Clone)]
pub(crate) struct PoolSettings {
    pub size: usize,
    pub overflow: super::Overflow,
    /// The typed `Routing`, for the pool's references.
    pub routing: crate::types::AnyArc,
    /// Which routing that is, for descriptions and pictures.
    pub route: crate::describe::RouteKind,
}
