//! The runtime of [`supervisor`](https://docs.rs/supervisor): Erlang/OTP supervision trees on
//! tokio.
//!
//! Describe a tree with [`SupervisorSpec`] and [`ChildSpec`] (or the `supervision_tree!` macro
//! of the `supervisor` crate, which expands into these builders), start it with
//! [`Supervisor::start`], and hold the [`SupervisorHandle`].
//!
//! ```
//! use std::time::Duration;
//! use supervisor::{ChildContext, ChildSpec, Restart, Supervisor, SupervisorSpec};
//!
//! async fn worker(ctx: ChildContext) -> Result<(), std::io::Error> {
//!     ctx.cancelled().await; // serve until asked to stop
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tree = SupervisorSpec::new("app")
//!     .intensity(3, Duration::from_secs(5))
//!     .child(ChildSpec::worker("db", worker))
//!     .child(ChildSpec::worker("cache", worker).restart(Restart::Transient));
//! let app = Supervisor::start(tree).await?;
//! assert_eq!(app.count_children().await?.active, 2);
//! app.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `systemd`: [`Supervisor::run`] tells systemd `READY=1` once the tree is up, pings its
//!   watchdog from the root's own loop, and says `STOPPING=1` and a `STATUS=` line (S16.4).
//! - `metrics`: restarts, exits, give-ups and escalations counted, and running children,
//!   breaker states and phi gauged, through the `metrics` facade; names and labels in
//!   [`telemetry`].
// One `unsafe` block, opt-in: a process child's parent-death signal, set between fork and exec
// (`subprocess::contained`).
#![deny(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

mod backoff;
mod breaker;
mod budget;
mod call;
mod context;
mod describe;
mod directive;
mod error;
mod event;
mod exit;
mod handle;
mod health;
mod heartbeat;
mod intercept;
mod mailbox;
mod node;
mod os;
mod picture;
mod pool;
mod process;
#[cfg(all(unix, feature = "process"))]
mod rpc;
mod spawn;
mod spec;
mod stash;
mod state;
mod storm;
#[cfg(all(unix, feature = "process"))]
mod subprocess;
mod supervise;
mod systemd;
mod table;
pub mod telemetry;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;
mod types;
mod uses;
mod worker;

pub use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use breaker::{BreakerCall, BreakerConfig, BreakerError, BreakerStats, CircuitBreaker};
pub use budget::ShutdownBudget;
pub use call::{CallError, Reply};
pub use context::{ChildContext, Message, NoMailbox};
pub use describe::{NodeDescription, NodeKind, RouteKind, TreeDescription, Watching};
pub use directive::{Directed, Disposition, Failure};
pub use error::{
    BackoffRule, BreakerRule, ErrorCategory, HealthRule, HeartbeatRule, LookupError, MailboxError,
    ManagementError, SpecError, SpecRule, StartError, TreeError, UsesRule,
};
pub use event::{
    ChildCounts, ChildInfo, Event, EventKind, EventStream, IntensityUse, MailboxUse, Observer,
    ProcessInfo, RecvError, RestartRecord, TryRecvError, EVENT_CAPACITY, HISTORY_CAPACITY,
};
pub use exit::{
    BoxError, Busy, ChainLink, CrashContext, Directive, DirectiveSource, Escalation, ExitReason,
    Happened, IntoExit, LastMessage, Recent, CRASH_CONTEXT_EVENTS,
};
pub use handle::{ChildRef, DynamicRef, Supervisor, SupervisorHandle, SupervisorRef, TreeHandle};
pub use health::{Health, HealthCheck, IntoHealth, ProbeContext};
pub use heartbeat::Heartbeat;
pub use picture::{Live, Picture, PictureNode};
pub use pool::{jump_hash, PoolError, PoolRef};
pub use process::{ChildReport, Exit, HealthProbe, HealthReport};
#[cfg(all(unix, feature = "process"))]
pub use rpc::{Line, LineError, RequestError, Rpc, RpcError};
pub use spec::{
    AnySupervisorSpec, AutoShutdown, Budget, ChildKind, ChildPolicy, ChildSpec,
    DynamicSupervisorSpec, Intensity, OnExhausted, Overflow, PoolSpec, Process, ProcessExit,
    ProcessStartError, Readiness, Ready, Restart, RestartArgs, Routing, Shutdown, StderrTail,
    Strategy, SupervisorSpec, Template, Uses, DEFAULT_MAILBOX_CAPACITY, DEFAULT_WORKER_SHUTDOWN,
};
pub use stash::Stash;
pub use state::{BreakerState, ChildState, Gone, HealthStatus};
pub use storm::StormReport;
pub use time::MAX_DURATION;
pub use uses::Usable;
pub use worker::Worker;

/// What the `supervision_tree!` expansion names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use core::time::Duration;
    pub use std::sync::Arc;

    /// What a tree parameter must be: it is cloned into every incarnation that uses it.
    #[diagnostic::on_unimplemented(
        message = "tree parameter of type `{Self}` must be `Clone + Send + Sync + 'static`",
        label = "a tree parameter is cloned into every incarnation that uses it"
    )]
    pub trait TreeParam: Sized {
        /// The clone given to one incarnation.
        fn clone_param(&self) -> Self;
    }
    // `Send` is left to the closures the parameter is cloned into, which require it: rustc
    // reports each unmet bound of one obligation as its own error, and a value that is neither
    // (an `Rc`) would otherwise be two errors for one mistake. The types that are `Sync` and not
    // `Send` (lock guards) are not `Clone + 'static`.
    impl<T: Clone + Sync + 'static> TreeParam for T {
        fn clone_param(&self) -> Self {
            self.clone()
        }
    }

    /// Fails to compile, at the parameter's type, when it is not a [`TreeParam`].
    pub const fn assert_tree_param<T: TreeParam>() {}

    /// Fails to compile, at the mailbox type written in the tree, when it is not a
    /// [`Message`](crate::Message).
    pub const fn assert_message<T: crate::Message>() {}

    /// Binds the nodes a child uses (S17), by position.
    pub use crate::uses::used_at;

    /// Binds a child's carried state (S15) as the tree declared it: a child declared with
    /// `state = T` always has one, so the detached stash is never reached.
    pub fn stash<T: Default + Send + 'static, M>(ctx: &crate::ChildContext<M>) -> crate::Stash<T> {
        ctx.state::<T>()
            .unwrap_or_else(|| crate::stash::detached(T::default()))
    }

    /// Binds the generated handles' fields, by position (S9.7).
    pub mod bind {
        pub use crate::handle::bind::*;
        pub use crate::pool::bind_pool as pool;
    }

    /// What a broadcast pool's message type must be: every slot gets a clone.
    #[diagnostic::on_unimplemented(
        message = "a broadcast pool's message type `{Self}` must be `Clone`: every slot gets a clone",
        label = "the mailbox type of a pool with `route = broadcast`"
    )]
    pub trait BroadcastMessage: Clone {}
    impl<T: Clone> BroadcastMessage for T {}

    // The constructors of children with a mailbox, their bounds on the functions: the expansion
    // names the mailbox type as written in the tree (`with_mailbox::<Msg, _, _>`), so that a type
    // that is not a `Message` fails each of them at that type, where `assert_message` fails in the
    // same body, and rustc reports it once.

    /// [`ChildSpec::with_mailbox`](crate::ChildSpec::with_mailbox).
    pub fn with_mailbox<M: crate::Message, F, Fut>(
        id: impl Into<Arc<str>>,
        start: F,
    ) -> crate::ChildSpec<M>
    where
        F: Fn(crate::ChildContext<M>) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::ChildSpec::with_mailbox(id, start)
    }

    /// The context a start function named by path takes (`worker(run)`): that of the mailbox
    /// the tree declares, said in one error at the name when it is another.
    #[diagnostic::on_unimplemented(
        message = "this child's context is `ChildContext<{M}>`, but its start function takes `{Self}`",
        label = "the context's type is the mailbox the tree declares for this child",
        note = "for a function of `ChildContext<Ask>`, declare `[mailbox = Ask]`; a child without a mailbox gets `ChildContext`"
    )]
    pub trait ContextOf<M>: Sized {
        /// The context itself.
        fn context(ctx: crate::ChildContext<M>) -> Self;
    }

    impl<M> ContextOf<M> for crate::ChildContext<M> {
        fn context(ctx: crate::ChildContext<M>) -> Self {
            ctx
        }
    }

    /// The arguments a template's start function named by path takes: the `args` type the
    /// tree declares, said in one error at the name when it is another.
    #[diagnostic::on_unimplemented(
        message = "this template's arguments are `{A}`, but its start function takes `{Self}`",
        label = "the second argument's type is the template's `args`",
        note = "declare the type the function takes: `[args = {Self}]`"
    )]
    pub trait ArgsOf<A>: Sized {
        /// The arguments themselves.
        fn args(args: A) -> Self;
    }

    impl<A> ArgsOf<A> for A {
        fn args(args: A) -> Self {
            args
        }
    }

    /// A worker started by a function named by path, of the context the tree declares.
    pub fn worker_fn<M: crate::Message, C, F, Fut>(
        id: impl Into<Arc<str>>,
        start: F,
    ) -> crate::ChildSpec<M>
    where
        C: ContextOf<M>,
        F: Fn(C) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::ChildSpec::with_mailbox(id, move |ctx| start(C::context(ctx)))
    }

    /// A template started by a function named by path; its arguments copied for each restart.
    pub fn template_fn<A: crate::RestartArgs, M: crate::Message, C, B, F, Fut>(
        start: F,
    ) -> crate::Template<A, M>
    where
        C: ContextOf<M>,
        B: ArgsOf<A>,
        F: Fn(C, B) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::Template::new(move |ctx, args| start(C::context(ctx), B::args(args)))
    }

    /// A temporary template started by a function named by path; its arguments moved.
    pub fn template_once_fn<A: Send + 'static, M: crate::Message, C, B, F, Fut>(
        start: F,
    ) -> crate::Template<A, M>
    where
        C: ContextOf<M>,
        B: ArgsOf<A>,
        F: Fn(C, B) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::Template::temporary(move |ctx, args| start(C::context(ctx), B::args(args)))
    }

    /// [`ChildSpec::from_worker`](crate::ChildSpec::from_worker).
    pub fn from_worker<M: crate::Message, W, F>(
        id: impl Into<Arc<str>>,
        make: F,
    ) -> crate::ChildSpec<M>
    where
        W: crate::Worker<M>,
        F: Fn() -> W + Send + Sync + 'static,
    {
        crate::ChildSpec::from_worker(id, make)
    }

    /// [`Template::new`](crate::Template::new).
    pub fn template<A, M: crate::Message, F, Fut>(start: F) -> crate::Template<A, M>
    where
        A: crate::RestartArgs,
        F: Fn(crate::ChildContext<M>, A) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::Template::new(start)
    }

    /// [`Template::temporary`](crate::Template::temporary).
    pub fn template_once<A, M: crate::Message, F, Fut>(start: F) -> crate::Template<A, M>
    where
        A: Send + 'static,
        F: Fn(crate::ChildContext<M>, A) -> Fut + Send + Sync + 'static,
        Fut: core::future::Future + Send + 'static,
        Fut::Output: crate::IntoExit,
    {
        crate::Template::temporary(start)
    }

    /// [`Template::from_worker`](crate::Template::from_worker).
    pub fn template_from_worker<A, M: crate::Message, W, F>(make: F) -> crate::Template<A, M>
    where
        A: crate::RestartArgs,
        W: crate::Worker<M>,
        F: Fn(A) -> W + Send + Sync + 'static,
    {
        crate::Template::from_worker(make)
    }

    /// Makes `pool` a broadcast pool; the expansion spans the call at the mailbox type written
    /// in the tree, so that a type that cannot be cloned is reported there.
    pub fn broadcast<M: BroadcastMessage + crate::Message>(
        pool: crate::spec::PoolSpec<M>,
    ) -> crate::spec::PoolSpec<M> {
        pool.broadcast()
    }
}
