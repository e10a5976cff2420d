//! Specs: what a tree is made of, and the typed builders that make them (SEMANTICS S1).

use std::any::{Any, TypeId};
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::context::{ChildContext, NoMailbox, RawContext};
use crate::error::{SpecError, SpecRule};
use crate::exit::{ExitReason, IntoExit};
use crate::node::{mailbox_factory, MailboxFactory};
use crate::spawn::{child_span, spawn_incarnation, IntoExitFuture, Report};
use crate::worker::Worker;
use tokio::task::JoinHandle;

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

/// Whether a child is a worker or a supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// A task doing work.
    Worker,
    /// A supervisor of its own children.
    Supervisor,
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

/// The default shutdown timeout of a worker (S1.3).
pub const DEFAULT_WORKER_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_secs(5));
/// The default capacity of a child's mailbox.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ExitReason> + Send + 'static>>;
/// Starts one incarnation. Taking `Arc<Self>` lets the rare slow path (a mailbox still held by
/// the previous incarnation) own the function without a second allocation per child.
pub(crate) trait Start: Send + Sync + 'static {
    fn spawn(self: Arc<Self>, raw: RawContext, report: Report) -> JoinHandle<()>;
}

pub(crate) type StartFn = Arc<dyn Start>;
pub(crate) type AnyArc = Arc<dyn Any + Send + Sync>;

/// A type's identity and its name for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeTag {
    pub id: TypeId,
    pub name: &'static str,
}

impl TypeTag {
    pub(crate) fn of<T: 'static>() -> Self {
        TypeTag {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}

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
    pub mailbox_capacity: u32,
    pub message: fn() -> TypeTag,
    pub mailbox: Option<MailboxFactory>,
}

#[derive(Clone)]
pub(crate) enum Starter {
    /// A function called for each incarnation. `awaits_start` is set for workers with `init`,
    /// whose incarnation counts as started only once `init` returned.
    Fn { call: StartFn, awaits_start: bool },
    /// A nested supervisor: it starts its subtree in its parent's task, then runs its own.
    Supervisor { spec: Arc<SupervisorSpec> },
}

impl ErasedChild {
    pub(crate) fn kind(&self) -> crate::ChildKind {
        match self.start {
            Starter::Fn { .. } => ChildKind::Worker,
            Starter::Supervisor { .. } => ChildKind::Supervisor,
        }
    }

    pub(crate) fn shutdown(&self) -> Shutdown {
        self.shutdown.unwrap_or(match self.kind() {
            ChildKind::Worker => DEFAULT_WORKER_SHUTDOWN,
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
}

/// A child: its id, how to start each incarnation, and its policies (S1.2).
///
/// `M` is the type of the child's mailbox ([`NoMailbox`] when it has none).
///
/// ```
/// use std::time::Duration;
/// use supervisor_runtime::{Backoff, ChildContext, ChildSpec, Restart, Shutdown};
///
/// async fn db(ctx: ChildContext) -> Result<(), std::io::Error> {
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// let spec = ChildSpec::worker("db", db)
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(10)))
///     .backoff(Backoff::fixed(Duration::from_millis(100)));
/// assert_eq!(spec.id(), "db");
/// ```
pub struct ChildSpec<M = NoMailbox> {
    pub(crate) inner: ErasedChild,
    _message: PhantomData<fn() -> M>,
}

impl<M> Clone for ChildSpec<M> {
    fn clone(&self) -> Self {
        ChildSpec {
            inner: self.inner.clone(),
            _message: PhantomData,
        }
    }
}

impl<M> fmt::Debug for ChildSpec<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.inner.id)
            .field("kind", &self.inner.kind())
            .field("restart", &self.inner.restart)
            .field("shutdown", &self.inner.shutdown())
            .field("significant", &self.inner.significant)
            .field("backoff", &self.inner.backoff())
            .finish()
    }
}

fn erased<M: Send + 'static>(id: impl Into<Arc<str>>, start: Starter) -> ErasedChild {
    let mailbox = (TypeId::of::<M>() != TypeId::of::<NoMailbox>()).then(mailbox_factory::<M>);
    ErasedChild {
        mailbox,
        id: id.into(),
        start,
        restart: Restart::Permanent,
        shutdown: None,
        significant: false,
        backoff: None,
        mailbox_capacity: DEFAULT_MAILBOX_CAPACITY as u32,
        message: TypeTag::of::<M>,
    }
}

struct FnStart<M, F> {
    f: F,
    _message: PhantomData<fn() -> M>,
}

impl<M, F, Fut> Start for FnStart<M, F>
where
    M: Send + 'static,
    F: Fn(ChildContext<M>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExit,
{
    fn spawn(self: Arc<Self>, raw: RawContext, report: Report) -> JoinHandle<()> {
        let span = child_span(&raw);
        match ChildContext::<M>::try_attach(raw) {
            Ok(ctx) => spawn_incarnation(IntoExitFuture::new((self.f)(ctx)), report, span),
            Err(pending) => spawn_incarnation(
                async move {
                    let ctx = pending.attach().await;
                    (self.f)(ctx).await.into_exit()
                },
                report,
                span,
            ),
        }
    }
}

/// Builds the erased start function of a child from a function of its typed context.
fn start_fn<M, F, Fut>(f: F) -> StartFn
where
    M: Send + 'static,
    F: Fn(ChildContext<M>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExit,
{
    Arc::new(FnStart {
        f,
        _message: PhantomData,
    })
}

struct WorkerStart<M, F> {
    make: F,
    _message: PhantomData<fn() -> M>,
}

impl<M, W, F> Start for WorkerStart<M, F>
where
    M: Send + 'static,
    W: Worker<M>,
    F: Fn() -> W + Send + Sync + 'static,
{
    fn spawn(self: Arc<Self>, raw: RawContext, report: Report) -> JoinHandle<()> {
        let span = child_span(&raw);
        let run = async move {
            let mut ctx = ChildContext::<M>::attach_async(raw).await;
            let mut worker = (self.make)();
            if let Err(e) = worker.init(&mut ctx).await {
                return ExitReason::error(e);
            }
            ctx.raw.signal_started();
            let result = worker.run(&mut ctx).await;
            worker.stop(&mut ctx).await;
            result.into_exit()
        };
        spawn_incarnation(run, report, span)
    }
}

impl ChildSpec<NoMailbox> {
    /// A worker whose every incarnation is `start(ctx)`: an async fn or closure returning
    /// `Result<(), E>` for any error type. The incarnation counts as started as soon as it is
    /// spawned.
    pub fn worker<F, Fut>(id: impl Into<Arc<str>>, start: F) -> Self
    where
        F: Fn(ChildContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExit,
    {
        ChildSpec::with_mailbox(id, start)
    }

    /// A nested supervisor of any kind. Its shutdown defaults to infinity (S1.3).
    pub fn supervisor(spec: impl AnySupervisorSpec) -> Self {
        let spec = spec.into_spec();
        let id = Arc::clone(&spec.id);
        let spec = Arc::new(spec);
        ChildSpec::from_erased(erased::<NoMailbox>(id, Starter::Supervisor { spec }))
    }
}

impl<M: Send + 'static> ChildSpec<M> {
    /// A worker with a mailbox of type `M`: messages sent through its [`ChildRef`] while it is
    /// restarting wait for the next incarnation. `M` is usually inferred from `start`'s
    /// signature (`async fn run(ctx: ChildContext<MyMsg>)`).
    ///
    /// [`ChildRef`]: crate::ChildRef
    pub fn with_mailbox<F, Fut>(id: impl Into<Arc<str>>, start: F) -> Self
    where
        F: Fn(ChildContext<M>) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExit,
    {
        ChildSpec::from_erased(erased::<M>(
            id,
            Starter::Fn {
                call: start_fn(start),
                awaits_start: false,
            },
        ))
    }

    /// A worker implementing [`Worker`]; `make` builds a fresh value for every incarnation.
    /// The incarnation counts as started once [`Worker::init`] returned `Ok` (S2.1).
    pub fn from_worker<W, F>(id: impl Into<Arc<str>>, make: F) -> Self
    where
        W: Worker<M>,
        F: Fn() -> W + Send + Sync + 'static,
    {
        ChildSpec::from_erased(erased::<M>(
            id,
            Starter::Fn {
                call: Arc::new(WorkerStart {
                    make,
                    _message: PhantomData,
                }),
                awaits_start: true,
            },
        ))
    }
}

impl<M> ChildSpec<M> {
    fn from_erased(inner: ErasedChild) -> Self {
        ChildSpec {
            inner,
            _message: PhantomData,
        }
    }

    /// The child's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Worker or supervisor.
    pub fn kind(&self) -> ChildKind {
        self.inner.kind()
    }

    /// The restart type (default permanent).
    pub fn get_restart(&self) -> Restart {
        self.inner.restart
    }

    /// The shutdown policy (default 5 s for workers, infinity for supervisors).
    pub fn get_shutdown(&self) -> Shutdown {
        self.inner.shutdown()
    }

    /// Whether the child is significant for auto_shutdown.
    pub fn is_significant(&self) -> bool {
        self.inner.significant
    }

    /// The backoff (default none).
    pub fn get_backoff(&self) -> Backoff {
        self.inner.backoff()
    }

    /// Sets the restart type.
    #[must_use]
    pub fn restart(mut self, restart: Restart) -> Self {
        self.inner.restart = restart;
        self
    }

    /// Sets the shutdown policy.
    #[must_use]
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.inner.shutdown = Some(shutdown);
        self
    }

    /// Marks the child significant for its supervisor's auto_shutdown (S8).
    #[must_use]
    pub fn significant(mut self, significant: bool) -> Self {
        self.inner.significant = significant;
        self
    }

    /// Sets the delay before restarts.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.inner.set_backoff(backoff);
        self
    }

    /// Sets the mailbox capacity (default 1024, at least 1); sends beyond it wait or answer
    /// `Full`.
    #[must_use]
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.inner.mailbox_capacity = capacity.min(u32::MAX as usize) as u32;
        self
    }
}

/// The template of a dynamic supervisor's children: `start(ctx, args)` for each incarnation,
/// with the `args` given to `start_child` (cloned for each restart).
pub struct Template<A, M = NoMailbox> {
    pub(crate) inner: ErasedChild,
    pub(crate) args: TypeTag,
    _types: PhantomData<fn(A) -> M>,
}

impl<A, M> Clone for Template<A, M> {
    fn clone(&self) -> Self {
        Template {
            inner: self.inner.clone(),
            args: self.args,
            _types: PhantomData,
        }
    }
}

impl<A, M> fmt::Debug for Template<A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("args", &self.args.name)
            .field("restart", &self.inner.restart)
            .finish()
    }
}

impl<A, M> Template<A, M>
where
    A: Clone + Send + Sync + 'static,
    M: Send + 'static,
{
    /// A template calling `start(ctx, args)` for every incarnation.
    pub fn new<F, Fut>(start: F) -> Self
    where
        F: Fn(ChildContext<M>, A) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExit,
    {
        let call = start_fn(move |mut ctx: ChildContext<M>| {
            let args = ctx.raw.take_args::<A>();
            let run = args.map(|a| start(ctx, a));
            async move {
                match run {
                    Some(run) => run.await.into_exit(),
                    None => ExitReason::error("dynamic child started without its arguments"),
                }
            }
        });
        Template {
            inner: erased::<M>(
                "template",
                Starter::Fn {
                    call,
                    awaits_start: false,
                },
            ),
            args: TypeTag::of::<A>(),
            _types: PhantomData,
        }
    }
}

impl<A, M> Template<A, M> {
    /// Sets the restart type of every child (default permanent; temporary is usual).
    #[must_use]
    pub fn restart(mut self, restart: Restart) -> Self {
        self.inner.restart = restart;
        self
    }
    /// Sets the shutdown policy of every child.
    #[must_use]
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.inner.shutdown = Some(shutdown);
        self
    }
    /// Sets the backoff of every child.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.inner.set_backoff(backoff);
        self
    }
    /// Sets the mailbox capacity of every child (at least 1).
    #[must_use]
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.inner.mailbox_capacity = capacity.min(u32::MAX as usize) as u32;
        self
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
/// use supervisor_runtime::{ChildContext, ChildSpec, Strategy, SupervisorSpec};
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
pub struct SupervisorSpec {
    pub(crate) id: Arc<str>,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) children: Vec<Arc<ErasedChild>>,
    pub(crate) dynamic: Option<DynamicSpec>,
}

impl fmt::Debug for SupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.children.iter().map(|c| &*c.id).collect();
        f.debug_struct("SupervisorSpec")
            .field("id", &self.id)
            .field("strategy", &self.strategy)
            .field("intensity", &self.intensity)
            .field("auto_shutdown", &self.auto_shutdown)
            .field("children", &ids)
            .field("dynamic", &self.dynamic.is_some())
            .finish()
    }
}

impl SupervisorSpec {
    /// A supervisor with the defaults of S1.3: one_for_one, 3 restarts within 5 s,
    /// auto_shutdown never, and no children yet.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        SupervisorSpec {
            id: id.into(),
            strategy: Strategy::default(),
            intensity: Intensity::default(),
            auto_shutdown: AutoShutdown::default(),
            children: Vec::new(),
            dynamic: None,
        }
    }

    /// A dynamic supervisor (S5.4): no children at start, `start_child(args)` adds children
    /// made from `template`, each restarted one_for_one. A kind of its own (S5.6): it has no
    /// declared children, strategy or auto_shutdown to set.
    pub fn dynamic<A, M>(
        id: impl Into<Arc<str>>,
        template: Template<A, M>,
    ) -> DynamicSupervisorSpec {
        DynamicSupervisorSpec {
            inner: SupervisorSpec {
                dynamic: Some(DynamicSpec {
                    template: template.inner,
                    args: template.args,
                    max_children: None,
                }),
                ..SupervisorSpec::new(id)
            },
        }
    }

    /// The supervisor's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sets the strategy.
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the restart intensity: more than `max_restarts` within `period` and it gives up.
    #[must_use]
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Sets auto_shutdown (S8).
    #[must_use]
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Appends a child; children start in the order they are added.
    pub fn child<M>(mut self, child: ChildSpec<M>) -> Self {
        self.children.push(Arc::new(child.inner));
        self
    }

    /// Appends several children.
    pub fn children<M>(mut self, children: impl IntoIterator<Item = ChildSpec<M>>) -> Self {
        self.children
            .extend(children.into_iter().map(|c| Arc::new(c.inner)));
        self
    }

    /// The strategy.
    pub fn get_strategy(&self) -> Strategy {
        self.strategy
    }

    /// The restart intensity.
    pub fn get_intensity(&self) -> Intensity {
        self.intensity
    }

    /// The auto_shutdown setting.
    pub fn get_auto_shutdown(&self) -> AutoShutdown {
        self.auto_shutdown
    }

    /// Ids of the declared children, in order.
    pub fn child_ids(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|c| &*c.id)
    }

    /// Checks the whole tree against S1.4 and returns the first broken rule, with its path.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.validate_at(&self.id)
    }

    fn validate_at(&self, path: &str) -> Result<(), SpecError> {
        let err = |path: &str, rule| SpecError {
            path: Arc::from(path),
            rule,
        };
        check_id(&self.id).map_err(|r| err(path, r))?;
        if self.intensity.period.is_zero() {
            return Err(err(path, SpecRule::ZeroPeriod));
        }
        check_duration(self.intensity.period, "the intensity period").map_err(|r| err(path, r))?;
        if let Some(d) = &self.dynamic {
            let tpath = format!("{path}/<template>");
            if d.max_children == Some(0) {
                return Err(err(path, SpecRule::ZeroMaxChildren));
            }
            return check_child(&d.template, &tpath, AutoShutdown::Never);
        }
        if self.children.is_empty() {
            return Err(err(path, SpecRule::NoChildren));
        }
        let mut seen = HashSet::with_capacity(self.children.len());
        for child in &self.children {
            let cpath = format!("{path}/{}", child.id);
            check_id(&child.id).map_err(|r| err(&cpath, r))?;
            if !seen.insert(&*child.id) {
                return Err(err(&cpath, SpecRule::DuplicateId(child.id.clone())));
            }
            check_child(child, &cpath, self.auto_shutdown)?;
        }
        if self.auto_shutdown != AutoShutdown::Never && !self.children.iter().any(|c| c.significant)
        {
            return Err(err(path, SpecRule::AutoShutdownWithoutSignificant));
        }
        Ok(())
    }
}

/// A dynamic supervisor's spec (S5.4, S5.6): an id, a template, an intensity and an optional
/// bound on its children. Made with [`SupervisorSpec::dynamic`].
///
/// ```
/// use supervisor_runtime::{ChildContext, SupervisorSpec, Template};
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
/// # use supervisor_runtime::{ChildContext, ChildSpec, SupervisorSpec, Template};
/// # async fn idle(ctx: ChildContext) -> Result<(), std::io::Error> { Ok(()) }
/// let t = Template::new(|ctx: ChildContext, n: u32| async move { Ok::<(), std::io::Error>(()) });
/// let s = SupervisorSpec::dynamic("pool", t).child(ChildSpec::worker("w", idle));
/// ```
///
/// ```compile_fail
/// # use supervisor_runtime::SupervisorSpec;
/// let s = SupervisorSpec::new("app").max_children(3);
/// ```
#[derive(Clone)]
pub struct DynamicSupervisorSpec {
    inner: SupervisorSpec,
}

impl fmt::Debug for DynamicSupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.inner.dynamic.as_ref();
        f.debug_struct("DynamicSupervisorSpec")
            .field("id", &self.inner.id)
            .field("intensity", &self.inner.intensity)
            .field("args", &d.map(|d| d.args.name))
            .field("max_children", &d.and_then(|d| d.max_children))
            .finish()
    }
}

impl DynamicSupervisorSpec {
    /// The supervisor's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Sets the restart intensity: more than `max_restarts` within `period` and it gives up.
    #[must_use]
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.inner = self.inner.intensity(max_restarts, period);
        self
    }

    /// Bounds the number of children; `start_child` beyond it answers `MaxChildren` (S5.5).
    #[must_use]
    pub fn max_children(mut self, max: usize) -> Self {
        if let Some(d) = &mut self.inner.dynamic {
            d.max_children = Some(max);
        }
        self
    }

    /// The restart intensity.
    pub fn get_intensity(&self) -> Intensity {
        self.inner.intensity
    }

    /// The bound on the number of children, if any.
    pub fn get_max_children(&self) -> Option<usize> {
        self.inner.dynamic.as_ref().and_then(|d| d.max_children)
    }

    /// Checks the spec against S1.4 and returns the first broken rule, with its path.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.inner.validate()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::SupervisorSpec {}
    impl Sealed for super::DynamicSupervisorSpec {}
}

/// A supervisor spec of any kind (S5.6): what [`ChildSpec::supervisor`] and
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

fn check_duration(d: Duration, what: &'static str) -> Result<(), SpecRule> {
    if d > crate::time::MAX_DURATION {
        Err(SpecRule::DurationTooLarge(what))
    } else {
        Ok(())
    }
}

fn check_id(id: &str) -> Result<(), SpecRule> {
    if id.is_empty() || id.contains('/') {
        Err(SpecRule::InvalidId(Arc::from(id)))
    } else {
        Ok(())
    }
}

pub(crate) fn check_child(
    child: &ErasedChild,
    path: &str,
    auto_shutdown: AutoShutdown,
) -> Result<(), SpecError> {
    let err = |rule| SpecError {
        path: Arc::from(path),
        rule,
    };
    if child.mailbox.is_some() && child.mailbox_capacity == 0 {
        return Err(err(SpecRule::ZeroMailboxCapacity));
    }
    if let Some(Shutdown::Timeout(limit)) = child.shutdown {
        check_duration(limit, "the shutdown timeout").map_err(err)?;
    }
    if child.significant {
        if child.restart == Restart::Permanent {
            return Err(err(SpecRule::SignificantPermanent));
        }
        if auto_shutdown == AutoShutdown::Never {
            return Err(err(SpecRule::SignificantWithoutAutoShutdown));
        }
    }
    if child.restart == Restart::Temporary && child.backoff.is_some() {
        return Err(err(SpecRule::BackoffOnTemporary));
    }
    child.backoff().check().map_err(err)?;
    if let Starter::Supervisor { spec, .. } = &child.start {
        spec.validate_at(path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn idle(ctx: ChildContext) -> Result<(), std::convert::Infallible> {
        ctx.cancelled().await;
        Ok(())
    }

    // S1.3
    #[test]
    fn defaults_are_those_of_s1_3() {
        let sup = SupervisorSpec::new("app");
        assert_eq!(sup.get_strategy(), Strategy::OneForOne);
        assert_eq!(
            sup.get_intensity(),
            Intensity {
                max_restarts: 3,
                period: Duration::from_secs(5)
            }
        );
        assert_eq!(sup.get_auto_shutdown(), AutoShutdown::Never);
        let w = ChildSpec::worker("w", idle);
        assert_eq!(w.get_restart(), Restart::Permanent);
        assert_eq!(w.get_shutdown(), Shutdown::Timeout(Duration::from_secs(5)));
        assert_eq!(w.get_backoff(), Backoff::NONE);
        assert!(!w.is_significant());
        assert_eq!(w.kind(), ChildKind::Worker);
        let s = ChildSpec::supervisor(SupervisorSpec::new("s").child(w));
        assert_eq!(s.get_shutdown(), Shutdown::Infinity);
        assert_eq!(s.kind(), ChildKind::Supervisor);
    }

    fn rule_of(spec: SupervisorSpec) -> (String, SpecRule) {
        let e = spec.validate().unwrap_err();
        (e.path.to_string(), e.rule)
    }

    // S1.4
    #[test]
    fn invalid_specs_name_path_and_rule() {
        let dup = SupervisorSpec::new("app").child(ChildSpec::supervisor(
            SupervisorSpec::new("api")
                .child(ChildSpec::worker("a", idle))
                .child(ChildSpec::worker("a", idle)),
        ));
        assert_eq!(
            rule_of(dup),
            ("app/api/a".into(), SpecRule::DuplicateId("a".into()))
        );

        let zero = SupervisorSpec::new("app")
            .intensity(1, Duration::ZERO)
            .child(ChildSpec::worker("a", idle));
        assert_eq!(rule_of(zero), ("app".into(), SpecRule::ZeroPeriod));

        let sig_perm = SupervisorSpec::new("app")
            .auto_shutdown(AutoShutdown::AnySignificant)
            .child(ChildSpec::worker("a", idle).significant(true));
        assert_eq!(
            rule_of(sig_perm),
            ("app/a".into(), SpecRule::SignificantPermanent)
        );

        let sig_never = SupervisorSpec::new("app").child(
            ChildSpec::worker("a", idle)
                .restart(Restart::Transient)
                .significant(true),
        );
        assert_eq!(
            rule_of(sig_never),
            ("app/a".into(), SpecRule::SignificantWithoutAutoShutdown)
        );

        let empty = SupervisorSpec::new("app");
        assert_eq!(rule_of(empty), ("app".into(), SpecRule::NoChildren));

        let backoff_temp = SupervisorSpec::new("app").child(
            ChildSpec::worker("a", idle)
                .restart(Restart::Temporary)
                .backoff(Backoff::fixed(Duration::from_secs(1))),
        );
        assert_eq!(
            rule_of(backoff_temp),
            ("app/a".into(), SpecRule::BackoffOnTemporary)
        );

        let slash = SupervisorSpec::new("app").child(ChildSpec::worker("a/b", idle));
        assert_eq!(
            rule_of(slash),
            ("app/a/b".into(), SpecRule::InvalidId("a/b".into()))
        );
    }
}
