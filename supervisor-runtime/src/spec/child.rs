//! Child specs and templates: the typed builders of a tree's leaves and of a dynamic
//! supervisor's children.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::model::{AnySupervisorSpec, ErasedChild, Starter};
use super::policy::{ChildKind, Restart, Shutdown};
use crate::backoff::Backoff;
use crate::context::{ChildContext, Message, NoMailbox, RawContext};
use crate::exit::Directive;
use crate::exit::{ExitReason, IntoExit};
use crate::mailbox::mailbox_factory;
use crate::spawn::{spawn_incarnation, spawning, IntoExitFuture, Report, Start, StartFn};
use crate::types::TypeTag;
use crate::worker::Worker;

/// The policy setters a child and a template share, documented for their subject.
macro_rules! policy_setters {
    ($subject:literal) => {
        #[doc = concat!("Sets the restart type of ", $subject, " (default permanent).")]
        pub fn restart(mut self, restart: Restart) -> Self {
            self.inner.restart = restart;
            self
        }

        #[doc = concat!("Sets the shutdown policy of ", $subject, ".")]
        pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
            self.inner.shutdown = Some(shutdown);
            self
        }

        #[doc = concat!("Sets the delay before each restart of ", $subject, ".")]
        pub fn backoff(mut self, backoff: Backoff) -> Self {
            self.inner.set_backoff(backoff);
            self
        }

        #[doc = concat!(
            "Sets the restart type, shutdown, significance and backoff of ", $subject,
            " at once, from a value children declared alike can share."
        )]
        pub fn policy(mut self, policy: crate::ChildPolicy) -> Self {
            self.inner.restart = policy.restart;
            if let Some(shutdown) = policy.shutdown {
                self.inner.shutdown = Some(shutdown);
            }
            self.inner.significant = policy.significant;
            self.inner.set_backoff(policy.backoff);
            self
        }

        #[doc = concat!(
            "Sets the decider of ", $subject,
            ": a function of each exit reason to the directive it calls for (S10.2). ",
            "Without one, an error's own [`Disposition`](crate::Disposition) decides, else restart."
        )]
        pub fn decider(
            mut self,
            decider: impl Fn(&ExitReason) -> Directive + Send + Sync + 'static,
        ) -> Self {
            self.inner.extras_mut().decider = Some(Arc::new(decider));
            self
        }

        #[doc = concat!(
            "Gives ", $subject, " a health check: a probe of each incarnation once it is up, ",
            "which has it stopped and counted as an abnormal exit after `failure_threshold` ",
            "unhealthy results in a row (S11)."
        )]
        pub fn health(mut self, check: crate::HealthCheck) -> Self {
            self.inner.extras_mut().health = Some(Box::new(check));
            self
        }

        #[doc = concat!(
            "Judges ", $subject, " by its heartbeats (`ctx.heartbeat()`) with a phi-accrual ",
            "detector: a silence that makes phi reach its threshold stops it, and counts as an ",
            "abnormal exit (S12)."
        )]
        pub fn heartbeat(mut self, heartbeat: crate::Heartbeat) -> Self {
            self.inner.extras_mut().heartbeat = Some(Box::new(heartbeat));
            self
        }

        #[doc = concat!(
            "Gives ", $subject, " carried state of type `T` (S15): a stash that starts as ",
            "`T::default()`, lives as long as the child's node (across its restarts and its ",
            "supervisors'), and is reached with `ChildContext::state`."
        )]
        pub fn state<T: Default + Send + 'static>(mut self) -> Self {
            self.inner.extras_mut().state =
                Some(Box::new((crate::stash::factory::<T>, TypeTag::of::<T>())));
            self
        }

        #[doc = concat!(
            "Declares a node ", $subject, " uses (S17): validation checks that it is an ",
            "earlier node or an ancestor, and `ChildContext::used` gives its handle."
        )]
        pub fn uses<H>(mut self, uses: &super::Uses<H>) -> Self {
            let name = uses.shared_name();
            let list = &mut self.inner.extras_mut().uses;
            if !list.contains(&name) {
                *list = list.iter().cloned().chain([name]).collect();
            }
            self
        }

        #[doc = concat!(
            "Names the messages of ", $subject, " in crash contexts (S19.2), by variant for ",
            "example; without it, a message is named by its type."
        )]
        pub fn label_messages(mut self, label: fn(&M) -> &'static str) -> Self
        where
            M: 'static,
        {
            self.inner.extras_mut().label = Some(Arc::new(label));
            self
        }

        #[doc = concat!(
            "Gives ", $subject, " a restart budget of its own (S18.1): at most `max_restarts` ",
            "restarts within `within`, counted before its supervisor's intensity. One more, ",
            "and `on_exhausted` applies: escalate (the supervisor gives up) by default, or ",
            "quarantine."
        )]
        pub fn restart_budget(mut self, max_restarts: u32, within: std::time::Duration) -> Self {
            let extras = self.inner.extras_mut();
            let on_exhausted = extras.budget.map(|b| b.on_exhausted).unwrap_or_default();
            extras.budget = Some(super::policy::Budget {
                max_restarts,
                within,
                on_exhausted,
            });
            self
        }

        #[doc = concat!(
            "What happens when ", $subject, " exceeds its restart budget (S18.1); without a ",
            "budget set, a budget of 3 restarts within 5 s."
        )]
        pub fn on_exhausted(mut self, on_exhausted: super::policy::OnExhausted) -> Self {
            let extras = self.inner.extras_mut();
            let mut budget = extras.budget.unwrap_or(super::policy::Budget {
                max_restarts: 3,
                within: std::time::Duration::from_secs(5),
                on_exhausted,
            });
            budget.on_exhausted = on_exhausted;
            extras.budget = Some(budget);
            self
        }

        #[doc = concat!(
            "Makes the restarts of ", $subject, " wait while `breaker` is open: restarting ",
            "against a service known to be down is pointless (S13.7)."
        )]
        pub fn depends_on(mut self, breaker: &crate::CircuitBreaker) -> Self {
            let deps = &mut self.inner.extras_mut().depends_on;
            if !deps.iter().any(|b| b.same(breaker)) {
                deps.push(breaker.clone());
            }
            self
        }

        #[doc = concat!(
                            "Sets the mailbox capacity of ", $subject,
                            " (default 1024, at least 1); sends beyond it wait or answer `Full`."
                        )]
        pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
            self.inner.mailbox_capacity = Some(capacity.min(u32::MAX as usize) as u32);
            self
        }
    };
}

/// A child: its id, how to start each incarnation, and its policies (S1.2).
///
/// `M` is the type of the child's mailbox ([`NoMailbox`] when it has none).
///
/// ```
/// use std::time::Duration;
/// use supervisor::{Backoff, ChildContext, ChildSpec, Restart, Shutdown};
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
#[must_use = "a builder does nothing until it is used"]
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

pub(crate) fn erased<M: Message>(id: impl Into<Arc<str>>, start: Starter) -> ErasedChild {
    let mailbox = (TypeId::of::<M>() != TypeId::of::<NoMailbox>()).then(mailbox_factory::<M>);
    ErasedChild {
        mailbox,
        id: id.into(),
        start,
        restart: Restart::Permanent,
        shutdown: None,
        significant: false,
        backoff: None,
        mailbox_capacity: None,
        message: TypeTag::of::<M>,
        extras: None,
    }
}

struct FnStart<M, F> {
    f: F,
    _message: PhantomData<fn() -> M>,
}

impl<M, F, Fut> Start for FnStart<M, F>
where
    M: Message,
    F: Fn(ChildContext<M>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExit,
{
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        match ChildContext::<M>::try_attach(raw) {
            Ok(ctx) => spawn_incarnation(IntoExitFuture::new((self.f)(ctx)), report, how),
            Err(pending) => spawn_incarnation(
                async move {
                    let ctx = pending.attach().await;
                    (self.f)(ctx).await.into_exit()
                },
                report,
                how,
            ),
        }
    }
}

/// A template's start function: `start(ctx, args)` with the arguments `take` gets from the
/// context (a copy, or the arguments themselves).
fn start_with_args<A, M, F, Fut>(start: F, take: fn(&mut RawContext) -> Option<A>) -> StartFn
where
    A: Send + 'static,
    M: Message,
    F: Fn(ChildContext<M>, A) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExit,
{
    start_fn(move |mut ctx: ChildContext<M>| {
        let run = take(&mut ctx.raw).map(|a| start(ctx, a));
        async move {
            match run {
                Some(run) => run.await.into_exit(),
                None => ExitReason::error("dynamic child started without its arguments"),
            }
        }
    })
}

/// Builds the erased start function of a child from a function of its typed context.
fn start_fn<M, F, Fut>(f: F) -> StartFn
where
    M: Message,
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
    M: Message,
    W: Worker<M>,
    F: Fn() -> W + Send + Sync + 'static,
{
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        let run = async move {
            let mut ctx = ChildContext::<M>::attach_async(raw).await;
            drive((self.make)(), &mut ctx).await
        };
        spawn_incarnation(run, report, how)
    }
}

/// One incarnation of a [`Worker`]: `init`, then, once it is up, `run` and `stop`.
async fn drive<M: Message, W: Worker<M>>(mut worker: W, ctx: &mut ChildContext<M>) -> ExitReason {
    if let Err(e) = worker.init(ctx).await {
        return ExitReason::error(e);
    }
    ctx.raw.signal_started();
    let result = worker.run(ctx).await;
    worker.stop(ctx).await;
    result.into_exit()
}

/// Starts a [`Worker`] made from a dynamic child's arguments, for every incarnation.
struct TemplateWorkerStart<A, M, F> {
    make: F,
    _types: PhantomData<fn(A) -> M>,
}

impl<A, M, W, F> Start for TemplateWorkerStart<A, M, F>
where
    A: RestartArgs,
    M: Message,
    W: Worker<M>,
    F: Fn(A) -> W + Send + Sync + 'static,
{
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        let run = async move {
            let mut ctx = ChildContext::<M>::attach_async(raw).await;
            match ctx.raw.copy_args::<A>() {
                Some(args) => drive((self.make)(args), &mut ctx).await,
                None => ExitReason::error("dynamic child started without its arguments"),
            }
        };
        spawn_incarnation(run, report, how)
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

impl<M: Message> ChildSpec<M> {
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
    pub(crate) fn from_erased(inner: ErasedChild) -> Self {
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

    /// Marks the child significant for its supervisor's auto_shutdown (S8).
    pub fn significant(mut self, significant: bool) -> Self {
        self.inner.significant = significant;
        self
    }

    /// Says whether the child counts for the tree's readiness (S16.3; by default it does).
    /// A dynamic supervisor's children never count, so a template has no such setting.
    ///
    /// ```
    /// use supervisor::{ChildContext, ChildSpec, Readiness};
    ///
    /// async fn cache(ctx: ChildContext) -> Result<(), std::io::Error> {
    ///     ctx.cancelled().await;
    ///     Ok(())
    /// }
    ///
    /// let spec = ChildSpec::worker("cache", cache).readiness(Readiness::Ignored);
    /// assert_eq!(spec.get_readiness(), Readiness::Ignored);
    /// ```
    pub fn readiness(mut self, readiness: crate::Readiness) -> Self {
        if readiness != crate::Readiness::Counts || self.inner.extras.is_some() {
            self.inner.extras_mut().readiness = readiness;
        }
        self
    }

    /// Whether the child counts for the tree's readiness.
    pub fn get_readiness(&self) -> crate::Readiness {
        self.inner.readiness()
    }

    policy_setters!("the child");
}

/// What the arguments of a template that restarts must be: each restart gets a copy.
#[diagnostic::on_unimplemented(
    message = "the arguments `{Self}` of a template that restarts must be `Clone + Send + 'static`",
    label = "each restart of the child gets a copy of its arguments",
    note = "make the template temporary (`restart = temporary` in the tree, `Template::temporary` in the builder): its arguments then move into its only incarnation and need only be `Send`; or share them in an `Arc`"
)]
pub trait RestartArgs: Clone + Send + 'static {}
impl<T: Clone + Send + 'static> RestartArgs for T {}

/// The template of a dynamic supervisor's children: `start(ctx, args)` for each incarnation,
/// with the `args` given to `start_child` (cloned for each restart).
#[must_use = "a builder does nothing until it is used"]
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

// The bounds on `A` and `M` stand on the functions, not the impl: a mailbox type that is not a
// `Message` is then one error at the type (the macro's own check), not a second "no function
// `new`" beside it.
impl<A, M> Template<A, M> {
    /// A template calling `start(ctx, args)` for every incarnation, each with its own copy
    /// of the arguments given to `start_child`.
    pub fn new<F, Fut>(start: F) -> Self
    where
        A: RestartArgs,
        M: Message,
        F: Fn(ChildContext<M>, A) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExit,
    {
        let call = start_with_args(start, RawContext::copy_args::<A>);
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

impl<A: 'static, M> Template<A, M> {
    /// A template around an erased child, its start taking arguments of `A`.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) fn from_erased(inner: ErasedChild) -> Self {
        Template {
            inner,
            args: TypeTag::of::<A>(),
            _types: PhantomData,
        }
    }
}

impl<A, M> Template<A, M> {
    /// A template of temporary children (S3.2), never restarted, whose arguments move into
    /// their only incarnation: they need only be `Send`, so that an acceptor can hand each
    /// connection to a child of its own.
    ///
    /// ```
    /// use supervisor::{ChildContext, SupervisorSpec, Template};
    ///
    /// async fn session(ctx: ChildContext, conn: tokio::net::TcpStream) -> Result<(), String> {
    ///     let _ = conn; // served until it closes
    ///     ctx.cancelled().await;
    ///     Ok(())
    /// }
    ///
    /// let sessions = SupervisorSpec::dynamic("sessions", Template::temporary(session));
    /// ```
    pub fn temporary<F, Fut>(start: F) -> Self
    where
        A: Send + 'static,
        M: Message,
        F: Fn(ChildContext<M>, A) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExit,
    {
        let call = start_with_args(start, RawContext::move_args::<A>);
        let mut inner = erased::<M>(
            "template",
            Starter::Fn {
                call,
                awaits_start: false,
            },
        );
        inner.restart = Restart::Temporary;
        inner.extras_mut().moves_args = true;
        Template {
            inner,
            args: TypeTag::of::<A>(),
            _types: PhantomData,
        }
    }
}

impl<A, M> Template<A, M> {
    /// A template of [`Worker`]s: `make(args)` builds a fresh one for every incarnation, which
    /// counts as started once [`Worker::init`] returned `Ok` (S2.1), as
    /// [`ChildSpec::from_worker`] does for a static child.
    pub fn from_worker<W, F>(make: F) -> Self
    where
        A: RestartArgs,
        M: Message,
        W: Worker<M>,
        F: Fn(A) -> W + Send + Sync + 'static,
    {
        Template {
            inner: erased::<M>(
                "template",
                Starter::Fn {
                    call: Arc::new(TemplateWorkerStart {
                        make,
                        _types: PhantomData,
                    }),
                    awaits_start: true,
                },
            ),
            args: TypeTag::of::<A>(),
            _types: PhantomData,
        }
    }
}

impl<A, M> Template<A, M> {
    policy_setters!("every child");
}
