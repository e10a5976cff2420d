//! Spawning one incarnation: its task, the panic guard around the child's future, and the report
//! of its end to the supervisor.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::task::JoinHandle;
use tracing::{Instrument, Span};

use crate::call::PollOutcome;
use crate::context::{RawContext, StartSignal};
use crate::exit::{panic_message, ExitReason, IntoExit};
use tokio_util::sync::CancellationToken;

/// Starts one incarnation. Taking `Arc<Self>` lets the rare slow path (a mailbox still held by
/// the previous incarnation) own the function without a second allocation per child.
pub(crate) trait Start: Send + Sync + 'static {
    fn spawn(self: Arc<Self>, raw: RawContext, report: Report) -> JoinHandle<()>;
}

pub(crate) type StartFn = Arc<dyn Start>;

/// Without the feature `process` no process child can be declared (`ChildSpec::process` does not
/// exist); should one be started all the same, its start fails and says why.
#[cfg(not(all(unix, feature = "process")))]
impl Start for crate::spec::Process {
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        let fail =
            async { ExitReason::error("operating-system processes need the feature `process`") };
        spawn_incarnation(fail, report, how)
    }
}

/// An incarnation's end, as its task reports it: the child, and the task, which names the
/// incarnation (its number is the supervisor's to know, so the task does not carry it).
pub(crate) struct Exit {
    pub seq: u64,
    pub task: tokio::task::Id,
    pub reason: ExitReason,
}

/// Where incarnations report their ends: the supervisor's inbox, known here only by this.
pub(crate) trait ExitSink: Send + Sync + 'static {
    fn exit(&self, exit: Exit);
}

/// An [`ExitSink`] behind a thin pointer: every incarnation's task holds one, and a fat pointer
/// there would grow every task.
pub(crate) struct ExitTx(Box<dyn ExitSink>);

impl ExitTx {
    pub(crate) fn new(sink: impl ExitSink) -> Self {
        ExitTx(Box::new(sink))
    }
}

pin_project! {
    /// Catches a panic of the wrapped future so that it becomes an exit reason, not a lost task.
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        future: F,
    }
}

impl<F> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> Self {
        CatchUnwind { future }
    }
}

/// What a caught panic becomes: an exit reason for a child, an unhealthy result for a probe.
pub(crate) trait FromPanic {
    fn from_panic(message: Arc<str>) -> Self;
}

impl FromPanic for ExitReason {
    fn from_panic(message: Arc<str>) -> Self {
        ExitReason::Panic(message)
    }
}

impl<F: Future<Output: FromPanic>> Future for CatchUnwind<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(FromPanic::from_panic(panic_message(payload))),
        }
    }
}

pin_project! {
    /// One incarnation's task: the child's future and where to report its end. Written by hand
    /// rather than as an `async` block, which would store the child's future twice.
    struct Incarnation<F> {
        #[pin]
        run: CatchUnwind<F>,
        report: Option<Report>,
    }
}

impl<F: Future<Output = ExitReason>> Future for Incarnation<F> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // A reply dropped in this poll learns whether the incarnation ended in it (S14.4).
        let scope = crate::call::poll_scope::enter();
        let poll = this.run.poll(cx);
        let report = &*this.report;
        scope.finish(|| match &poll {
            Poll::Pending => PollOutcome::RanOn,
            // Ended by itself its reason is known here; stopped, its supervisor says why.
            Poll::Ready(reason) => {
                let own = report.as_ref().is_some_and(|r| !r.stop.is_cancelled());
                PollOutcome::Ended(own.then_some(reason))
            }
        });
        let reason = std::task::ready!(poll);
        if let Some(report) = this.report.take() {
            report.send(reason);
        }
        Poll::Ready(())
    }
}

pin_project! {
    /// Maps what a child returned to its exit reason, without an `async` block's extra copy.
    pub(crate) struct IntoExitFuture<F> {
        #[pin]
        future: F,
    }
}

impl<F> IntoExitFuture<F> {
    pub(crate) fn new(future: F) -> Self {
        IntoExitFuture { future }
    }
}

impl<F> Future for IntoExitFuture<F>
where
    F: Future,
    F::Output: IntoExit,
{
    type Output = ExitReason;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        self.project().future.poll(cx).map(IntoExit::into_exit)
    }
}

/// Where an incarnation reports its end.
pub(crate) struct Report {
    pub exits: Arc<ExitTx>,
    pub seq: u64,
    /// Set while the supervisor waits for the incarnation to report its start.
    pub signal: Option<Arc<StartSignal>>,
    /// The incarnation's stop request: once it is made, the supervisor collects the end itself.
    pub stop: CancellationToken,
    /// Its task's name in tokio-console.
    pub name: TaskName,
}

impl Report {
    fn send(self, reason: ExitReason) {
        // An incarnation that ends before reporting its start failed to start: the supervisor
        // waiting for it gets the reason, and nothing else must.
        if let Some(signal) = self.signal {
            if signal.send(Err(reason.clone())) {
                return;
            }
        }
        // A stopped incarnation's end is collected by the supervisor that stopped it, which
        // ignores a report of it (S6.4): sending one would only cost every stop a message.
        if self.stop.is_cancelled() {
            return;
        }
        // Sent from the incarnation's own task, whose id its supervisor holds.
        let Some(task) = tokio::task::try_id() else {
            return;
        };
        self.exits.0.exit(Exit {
            seq: self.seq,
            task,
            reason,
        });
    }
}

/// Spawns one incarnation. Generic over the child's future so that the future lives inside the
/// task itself: no second allocation per child.
pub(crate) fn spawn_incarnation<F>(future: F, report: Report, how: Spawning) -> JoinHandle<()>
where
    F: Future<Output = ExitReason> + Send + 'static,
{
    let Spawning { span, steer } = how;
    if let Some(steer) = steer {
        return spawn_steered(future, report, span, steer);
    }
    let name = report.name.clone();
    let task = Incarnation {
        run: CatchUnwind::new(future),
        report: Some(report),
    };
    match span {
        Some(span) => spawn_named(task.instrument(span), name),
        None => spawn_named(task, name),
    }
}

/// [`spawn_incarnation`] of an incarnation a test kit steers (S22).
#[cold]
fn spawn_steered<F>(
    future: F,
    report: Report,
    span: Option<Span>,
    steer: Box<crate::intercept::Steer>,
) -> JoinHandle<()>
where
    F: Future<Output = ExitReason> + Send + 'static,
{
    let name = report.name.clone();
    let run = crate::intercept::planned(steer, report.stop.clone(), future);
    let task = Incarnation {
        run: CatchUnwind::new(run),
        report: Some(report),
    };
    match span {
        Some(span) => spawn_named(task.instrument(span), name),
        None => spawn_named(task, name),
    }
}

/// A task's name in tokio-console: its node's path, with the feature `tokio-console` under
/// `tokio_unstable` (where tasks have names); empty otherwise, at no cost.
#[derive(Clone)]
pub(crate) struct TaskName {
    #[cfg(all(tokio_unstable, feature = "tokio-console"))]
    name: Arc<str>,
}

/// The name of a task, made only when tasks have names.
#[inline]
pub(crate) fn task_name(name: impl FnOnce() -> Arc<str>) -> TaskName {
    #[cfg(all(tokio_unstable, feature = "tokio-console"))]
    return TaskName { name: name() };
    #[cfg(not(all(tokio_unstable, feature = "tokio-console")))]
    {
        drop(name);
        TaskName {}
    }
}

/// Spawns a task of the tree, named in tokio-console when built with
/// `RUSTFLAGS="--cfg tokio_unstable"`.
#[inline]
pub(crate) fn spawn_named<F>(future: F, name: TaskName) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[cfg(all(tokio_unstable, feature = "tokio-console"))]
    {
        // tokio's builder fails only where `tokio::spawn` would panic: outside a runtime.
        tokio::task::Builder::new()
            .name(&name.name)
            .spawn(future)
            .expect("spawned from within a tokio runtime")
    }
    #[cfg(not(all(tokio_unstable, feature = "tokio-console")))]
    {
        let TaskName {} = name;
        tokio::spawn(future)
    }
}

/// What an incarnation's task is spawned with besides its future: its span, and the fault a
/// test kit makes it have (S22), taken from its context so that no task carries the field.
pub(crate) struct Spawning {
    span: Option<Span>,
    steer: Option<Box<crate::intercept::Steer>>,
}

/// How to spawn the incarnation `raw` is the context of.
pub(crate) fn spawning(raw: &mut RawContext) -> Spawning {
    Spawning {
        span: child_span(raw),
        steer: raw.extra.as_mut().and_then(|e| e.steer.take()),
    }
}

/// A span per incarnation, only when someone records it: it costs memory in every task.
fn child_span(raw: &RawContext) -> Option<Span> {
    tracing::enabled!(tracing::Level::DEBUG).then(
        || tracing::debug_span!("child", path = %raw.node.path(), incarnation = raw.incarnation()),
    )
}

/// A task handle that aborts the task when dropped, so no path can leave a child behind.
pub(crate) struct TaskHandle(Option<JoinHandle<()>>);

impl TaskHandle {
    pub(crate) fn new(handle: JoinHandle<()>) -> Self {
        TaskHandle(Some(handle))
    }

    /// The task, to be awaited; `None` once taken.
    pub(crate) fn get(&mut self) -> Option<&mut JoinHandle<()>> {
        self.0.as_mut()
    }

    pub(crate) fn abort(&self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }

    pub(crate) fn id(&self) -> Option<tokio::task::Id> {
        self.0.as_ref().map(JoinHandle::id)
    }

    /// Aborts the task and hands it over to be awaited elsewhere.
    pub(crate) fn abort_and_take(&mut self) -> Option<JoinHandle<()>> {
        let h = self.0.take()?;
        h.abort();
        Some(h)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.abort();
    }
}
