//! The supervisor: one task that owns its children's state, takes exits and commands from two
//! channels, and applies SEMANTICS S2-S8.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span};

use crate::backoff::Jitter;
use crate::context::{ContextExtra, RawContext, StartSignal};
use crate::error::{ManagementError, StartError};
use crate::event::{ChildCounts, ChildInfo, Event, Events, RestartRecord, HISTORY_CAPACITY};
use crate::exit::{panic_message, Escalation, ExitReason, IntoExit};
use crate::node::{ChildState, Node, SupNode};
use crate::spec::{
    check_child, AnyArc, AutoShutdown, BoxFuture, ChildKind, ErasedChild, Restart, Shutdown,
    Starter, Strategy, SupervisorSpec,
};
use crate::table::SeqMap;

type Reply<T> = oneshot::Sender<Result<T, ManagementError>>;

/// A request to a running supervisor.
pub(crate) enum Command {
    WhichChildren(oneshot::Sender<Vec<ChildInfo>>),
    CountChildren(oneshot::Sender<ChildCounts>),
    History(oneshot::Sender<Vec<RestartRecord>>),
    /// The child to stop, and the task asking (to recognise a child stopping itself).
    Terminate(Arc<str>, Option<tokio::task::Id>, Reply<()>),
    Restart(Arc<str>, Reply<()>),
    Delete(Arc<str>, Reply<()>),
    StartChild(Box<ErasedChild>, Reply<Arc<Node>>),
    StartDynamic(AnyArc, Reply<Arc<Node>>),
}

/// What a supervisor's one inbox carries: its children's exits and management requests.
pub(crate) enum Msg {
    Exit(Exit),
    Command(Command),
}

/// An incarnation's end, as its task reports it.
pub(crate) struct Exit {
    seq: u64,
    incarnation: u64,
    reason: ExitReason,
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

impl<F: Future<Output = ExitReason>> Future for CatchUnwind<F> {
    type Output = ExitReason;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        let future = self.project().future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(ExitReason::Panic(panic_message(payload))),
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
        let reason = std::task::ready!(this.run.poll(cx));
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
    exits: mpsc::UnboundedSender<Msg>,
    seq: u64,
    incarnation: u64,
    /// Set while the supervisor waits for the incarnation to report its start.
    signal: Option<Arc<StartSignal>>,
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
        let _ = self.exits.send(Msg::Exit(Exit {
            seq: self.seq,
            incarnation: self.incarnation,
            reason,
        }));
    }
}

/// Spawns one incarnation. Generic over the child's future so that the future lives inside the
/// task itself: no second allocation per child.
pub(crate) fn spawn_incarnation<F>(future: F, report: Report, span: Option<Span>) -> JoinHandle<()>
where
    F: Future<Output = ExitReason> + Send + 'static,
{
    let task = Incarnation {
        run: CatchUnwind::new(future),
        report: Some(report),
    };
    match span {
        Some(span) => tokio::spawn(task.instrument(span)),
        None => tokio::spawn(task),
    }
}

/// A span per incarnation, only when someone records it: it costs memory in every task.
pub(crate) fn child_span(raw: &RawContext) -> Option<Span> {
    tracing::enabled!(tracing::Level::DEBUG).then(
        || tracing::debug_span!("child", path = %raw.node.path(), incarnation = raw.incarnation),
    )
}

/// A task handle that aborts the task when dropped, so no path can leave a child behind.
pub(crate) struct TaskHandle<T>(pub JoinHandle<T>);

impl<T> Drop for TaskHandle<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Running {
    task: TaskHandle<()>,
    token: CancellationToken,
}

struct Child {
    spec: Arc<ErasedChild>,
    node: Arc<Node>,
    /// Number of the current (or last) incarnation.
    incarnation: u64,
    started_once: bool,
    running: Option<Running>,
    /// State a child that never failed does without: boxed to keep large flat trees small.
    history: Option<Box<ChildHistory>>,
}

#[derive(Default)]
struct ChildHistory {
    args: Option<AnyArc>,
    restart_at: Option<Instant>,
    last_exit: Option<ExitReason>,
    backoff_level: u32,
    started_at: Option<Instant>,
}

impl Child {
    fn new(spec: Arc<ErasedChild>, node: Arc<Node>, args: Option<AnyArc>) -> Self {
        Child {
            spec,
            node,
            incarnation: 0,
            started_once: false,
            running: None,
            history: args.map(|args| {
                Box::new(ChildHistory {
                    args: Some(args),
                    ..ChildHistory::default()
                })
            }),
        }
    }

    fn history(&mut self) -> &mut ChildHistory {
        self.history.get_or_insert_with(Box::default)
    }

    fn restart_at(&self) -> Option<Instant> {
        self.history.as_ref().and_then(|h| h.restart_at)
    }

    fn set_restart_at(&mut self, at: Option<Instant>) {
        if at.is_some() || self.history.is_some() {
            self.history().restart_at = at;
        }
    }

    fn state(&self) -> ChildState {
        if self.running.is_some() {
            self.node.state()
        } else if self.restart_at().is_some() {
            ChildState::Restarting
        } else {
            ChildState::Stopped
        }
    }

    fn alive(&self) -> bool {
        self.running.is_some() || self.restart_at().is_some()
    }
}

/// The restart intensity window of S4.1: timestamps within `period` of now, full precision.
struct Window {
    stamps: VecDeque<Instant>,
    max: u32,
    period: Duration,
}

impl Window {
    /// Records a restart decision at `now`; `false` when it exceeds the intensity.
    fn allow(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.stamps.front() {
            if now.duration_since(oldest) >= self.period {
                self.stamps.pop_front();
            } else {
                break;
            }
        }
        self.stamps.push_back(now);
        self.stamps.len() <= self.max as usize
    }
}

pub(crate) type StartFuture =
    Pin<Box<dyn Future<Output = Result<JoinHandle<()>, ExitReason>> + Send + 'static>>;

/// Starts a nested supervisor's subtree in the calling (parent's) task, then spawns its
/// supervision loop: the parent learns that the subtree is up (S2.3) without a round trip.
/// A free function returning a boxed future, so that the parent's `start_child` future does not
/// contain itself.
fn start_supervisor(spec: Arc<SupervisorSpec>, raw: RawContext, report: Report) -> StartFuture {
    Box::pin(async move {
        let span = child_span(&raw);
        let mut engine = Engine::new(spec, &raw)?;
        match engine.start().await {
            Ok(()) => {
                let run: BoxFuture = Box::pin(engine.run());
                Ok(spawn_incarnation(run, report, span))
            }
            Err(reason) => {
                engine.close();
                Err(reason)
            }
        }
    })
}

pub(crate) struct Engine {
    spec: Arc<SupervisorSpec>,
    node: Arc<Node>,
    events: Events,
    children: SeqMap<Child>,
    next_seq: u64,
    /// Given to every incarnation to report its exit; the same channel carries commands.
    inbox_tx: mpsc::UnboundedSender<Msg>,
    inbox: mpsc::UnboundedReceiver<Msg>,
    token: CancellationToken,
    window: Window,
    history: VecDeque<RestartRecord>,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Exits of restart attempts that failed to start (S4.3), handled like any exit.
    failed_starts: VecDeque<(u64, ExitReason)>,
    jitter: Jitter,
    span: Span,
}

impl Engine {
    /// The state of one incarnation of a supervisor, ready to start its children; from now on
    /// it takes commands.
    pub(crate) fn new(spec: Arc<SupervisorSpec>, raw: &RawContext) -> Result<Self, ExitReason> {
        let Some(sup) = raw.node.sup.as_deref() else {
            return Err(ExitReason::error(
                "supervisor node without supervisor state",
            ));
        };
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        let mut children = SeqMap::with_capacity(spec.children.len());
        for (i, (s, n)) in spec.children.iter().zip(&sup.children).enumerate() {
            children.push(i as u64, Child::new(Arc::clone(s), Arc::clone(n), None));
        }
        sup.set_sender(Some(inbox_tx.clone()));
        Ok(Engine {
            window: Window {
                stamps: VecDeque::new(),
                max: spec.intensity.max_restarts,
                period: spec.intensity.period,
            },
            next_seq: children.len() as u64,
            children,
            events: sup.events.clone(),
            node: Arc::clone(&raw.node),
            spec,
            inbox_tx,
            inbox,
            token: raw.token.clone(),
            history: VecDeque::new(),
            timers: BinaryHeap::new(),
            failed_starts: VecDeque::new(),
            jitter: Jitter::new(),
            span: tracing::info_span!("supervisor", path = %raw.node.path()),
        })
    }

    /// Starts the children (S2), within the supervisor's span.
    pub(crate) async fn start(&mut self) -> Result<(), ExitReason> {
        let span = self.span.clone();
        self.start_all().instrument(span).await
    }

    /// Supervises until shutdown, auto_shutdown or giving up; returns the supervisor's exit.
    pub(crate) async fn run(mut self) -> ExitReason {
        let span = self.span.clone();
        let reason = self.supervise().instrument(span).await;
        self.close();
        reason
    }

    /// Stops taking commands: requests still queued are answered "not running".
    pub(crate) fn close(&self) {
        if let Some(sup) = self.sup() {
            sup.set_sender(None);
        }
    }

    fn sup(&self) -> Option<&SupNode> {
        self.node.sup.as_deref()
    }

    /// S2.1-S2.2: start in order; on a failure stop the started ones in reverse.
    async fn start_all(&mut self) -> Result<(), ExitReason> {
        // Declared children have sequence numbers 0..n.
        for seq in 0..self.next_seq {
            if let Err(cause) = self.start_child(seq).await {
                self.shutdown_all().await;
                if self.token.is_cancelled() {
                    return Err(ExitReason::Shutdown);
                }
                let (id, path) = match self.children.get(&seq) {
                    Some(c) => (Arc::clone(&c.node.id), Arc::clone(c.node.path())),
                    None => (Arc::from("?"), Arc::clone(self.node.path())),
                };
                tracing::error!(child = %path, %cause, "failed to start child");
                return Err(ExitReason::error(StartError::ChildFailed {
                    id,
                    path,
                    cause,
                }));
            }
        }
        Ok(())
    }

    async fn supervise(&mut self) -> ExitReason {
        loop {
            while let Some((seq, reason)) = self.failed_starts.pop_front() {
                if let Some(end) = self.on_exit(seq, reason).await {
                    return end;
                }
            }
            let next_timer = self.timers.peek().map(|Reverse((at, _))| *at);
            tokio::select! {
                biased;
                _ = self.token.cancelled() => {
                    self.shutdown_all().await;
                    return ExitReason::Shutdown;
                }
                Some(msg) = self.inbox.recv() => match msg {
                    Msg::Exit(exit) => {
                        if let Some(end) = self.handle_exit(exit).await {
                            return end;
                        }
                    }
                    Msg::Command(cmd) => self.handle_command(cmd).await,
                },
                _ = sleep_until(next_timer.unwrap_or_else(Instant::now)), if next_timer.is_some() => {
                    self.fire_timers().await;
                }
            }
        }
    }

    /// Spawns a new incarnation of child `seq` and, for children that report their start,
    /// waits until they have.
    async fn start_child(&mut self, seq: u64) -> Result<(), ExitReason> {
        let shutdown = self.token.clone();
        let exits = self.inbox_tx.clone();
        let Some(child) = self.children.get_mut(&seq) else {
            return Ok(());
        };
        if child.started_once {
            child.incarnation += 1;
        }
        child.started_once = true;
        child.set_restart_at(None);
        if child
            .spec
            .backoff
            .as_ref()
            .is_some_and(|b| b.reset_period().is_some())
        {
            child.history().started_at = Some(Instant::now());
        }
        let token = CancellationToken::new();
        let awaits_start = match &child.spec.start {
            Starter::Fn { awaits_start, .. } => *awaits_start,
            Starter::Supervisor { .. } => false,
        };
        let (signal, started) = if awaits_start {
            let (s, rx) = StartSignal::new();
            (Some(s), Some(rx))
        } else {
            (None, None)
        };
        let extra = ContextExtra {
            last_exit: child.history.as_ref().and_then(|h| h.last_exit.clone()),
            start_signal: signal.clone(),
            args: child.history.as_ref().and_then(|h| h.args.clone()),
        };
        let raw = RawContext::new(
            Arc::clone(&child.node),
            child.incarnation,
            token.clone(),
            extra,
        );
        let incarnation = child.incarnation;
        let report = Report {
            exits,
            seq,
            incarnation,
            signal,
        };
        let task = match &child.spec.start {
            Starter::Fn { call, .. } => {
                child.node.set_state(if awaits_start {
                    ChildState::Starting
                } else {
                    ChildState::Running
                });
                Arc::clone(call).spawn(raw, report)
            }
            Starter::Supervisor { spec } => {
                child.node.set_state(ChildState::Starting);
                let node = Arc::clone(&child.node);
                let mut start = start_supervisor(Arc::clone(spec), raw, report);
                let outcome = tokio::select! {
                    biased;
                    r = &mut start => r,
                    // Asked to stop meanwhile: let the subtree stop in order, then report.
                    _ = shutdown.cancelled() => {
                        token.cancel();
                        start.await
                    }
                };
                match outcome {
                    Ok(task) => {
                        node.set_state(ChildState::Running);
                        task
                    }
                    Err(reason) => {
                        node.set_state(ChildState::Stopped);
                        return Err(reason);
                    }
                }
            }
        };
        child.running = Some(Running {
            task: TaskHandle(task),
            token,
        });
        if let Some(started) = started {
            let outcome = tokio::select! {
                biased;
                r = started => r.unwrap_or(Err(ExitReason::Killed)),
                _ = shutdown.cancelled() => Err(ExitReason::Shutdown),
            };
            if let Err(reason) = outcome {
                if matches!(reason, ExitReason::Shutdown) {
                    self.shutdown_child(seq).await;
                } else if let Some(child) = self.children.get_mut(&seq) {
                    if let Some(mut run) = child.running.take() {
                        let _ = (&mut run.task.0).await;
                    }
                    child.node.set_state(ChildState::Stopped);
                }
                return Err(reason);
            }
        }
        let Some(child) = self.children.get_mut(&seq) else {
            return Ok(());
        };
        if awaits_start {
            child.node.set_state(ChildState::Running);
        }
        let node = &child.node;
        tracing::debug!(child = %node.path(), incarnation, "started");
        self.events.emit(|| Event::Started {
            path: Arc::clone(node.path()),
            incarnation,
        });
        Ok(())
    }

    async fn handle_exit(&mut self, exit: Exit) -> Option<ExitReason> {
        let child = self.children.get_mut(&exit.seq)?;
        if child.running.is_none() || child.incarnation != exit.incarnation {
            // An incarnation this supervisor already stopped: its end is not a failure (S6.4).
            return None;
        }
        child.running = None;
        self.on_exit(exit.seq, exit.reason).await
    }

    /// A child exited on its own, or a restart attempt failed to start: apply S3-S5, S8.
    /// Returns the supervisor's own exit reason when it must stop.
    async fn on_exit(&mut self, seq: u64, reason: ExitReason) -> Option<ExitReason> {
        let strategy = self.strategy();
        let auto_shutdown = self.spec.auto_shutdown;
        let child = self.children.get_mut(&seq)?;
        child.node.set_state(ChildState::Stopped);
        child.history().last_exit = Some(reason.clone());
        let path = Arc::clone(child.node.path());
        if reason.is_abnormal() {
            tracing::warn!(child = %path, %reason, "child exited");
        } else {
            tracing::debug!(child = %path, %reason, "child exited");
        }
        self.events.emit(|| Event::Exited {
            path: Arc::clone(&path),
            reason: reason.clone(),
        });
        let restart = match child.spec.restart {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal(),
            Restart::Temporary => false,
        };
        if !restart {
            // S3.5: no restart, no intensity. S8: only a child's own exit counts.
            let significant = child.spec.significant;
            if child.spec.restart == Restart::Temporary {
                self.remove(seq);
            }
            let stop = significant
                && match auto_shutdown {
                    AutoShutdown::Never => false,
                    AutoShutdown::AnySignificant => true,
                    AutoShutdown::AllSignificant => !self
                        .children
                        .values()
                        .any(|c| c.spec.significant && c.alive()),
                };
            if stop {
                self.shutdown_all().await;
                tracing::info!(supervisor = %self.node.path(), "auto_shutdown");
                let path = Arc::clone(self.node.path());
                self.events.emit(|| Event::AutoShutdown { path });
                return Some(ExitReason::Shutdown);
            }
            return None;
        }

        let now = Instant::now();
        if self.history.len() == HISTORY_CAPACITY {
            self.history.pop_front();
        }
        self.history.push_back(RestartRecord {
            at: now,
            child: Arc::clone(&path),
            reason: reason.clone(),
        });
        if !self.window.allow(now) {
            return Some(self.give_up(path, reason).await);
        }

        let child = self.children.get_mut(&seq)?;
        let backoff = child.spec.backoff();
        let history = child.history();
        if let (Some(reset), Some(started)) = (backoff.reset_period(), history.started_at) {
            if now.duration_since(started) >= reset {
                history.backoff_level = 0;
            }
        }
        let delay = backoff.delay(history.backoff_level, self.jitter.unit());
        history.backoff_level = history.backoff_level.saturating_add(1);

        let group: Vec<u64> = match strategy {
            Strategy::OneForOne => vec![seq],
            Strategy::OneForAll => self.stop_group(seq, ..).await,
            Strategy::RestForOne => self.stop_group(seq, seq..).await,
        };
        self.schedule(&group, delay, seq).await;
        None
    }

    fn strategy(&self) -> Strategy {
        if self.spec.dynamic.is_some() {
            Strategy::OneForOne
        } else {
            self.spec.strategy
        }
    }

    /// Stops the running children of `range` other than `failed`, in reverse start order, and
    /// returns the children to restart: `failed` and those that were alive, less the temporary
    /// ones, which are dropped (S5.2, S5.3).
    async fn stop_group(
        &mut self,
        failed: u64,
        range: impl std::ops::RangeBounds<u64> + Clone,
    ) -> Vec<u64> {
        let members: Vec<u64> = self
            .children
            .range(range)
            .filter(|(s, c)| *s == failed || c.alive())
            .map(|(s, _)| s)
            .collect();
        for &seq in members.iter().rev() {
            if seq != failed {
                self.shutdown_child(seq).await;
            }
        }
        let mut group = Vec::with_capacity(members.len());
        for seq in members {
            let temporary = self
                .children
                .get(&seq)
                .is_some_and(|c| c.spec.restart == Restart::Temporary);
            if temporary && seq != failed {
                self.remove(seq);
            } else {
                group.push(seq);
            }
        }
        group
    }

    /// Restarts `group` (in start order) now, or marks it restarting until `delay` has passed.
    async fn schedule(&mut self, group: &[u64], delay: Duration, failed: u64) {
        let at = Instant::now() + delay;
        for &seq in group {
            if let Some(child) = self.children.get_mut(&seq) {
                let restarts = child.node.count_restart();
                child.node.set_state(ChildState::Restarting);
                child.set_restart_at(Some(at));
                if seq == failed {
                    let path = child.node.path();
                    tracing::info!(child = %path, ?delay, restarts, "restarting");
                    self.events.emit(|| Event::Restarting {
                        path: Arc::clone(path),
                        delay,
                        restarts,
                    });
                }
            }
        }
        if delay.is_zero() {
            self.restart_group(group.to_vec()).await;
        } else {
            for &seq in group {
                self.timers.push(Reverse((at, seq)));
            }
        }
    }

    async fn fire_timers(&mut self) {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(Reverse((at, seq))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            // A child stopped or rescheduled since keeps another deadline (or none).
            if self.children.get(&seq).and_then(Child::restart_at) == Some(at) {
                due.push(seq);
            }
        }
        due.sort_unstable();
        self.restart_group(due).await;
    }

    /// Starts the children of a restart in start order. A child that fails to start becomes an
    /// exit of its own (S4.3); the rest of its group waits for that exit's decision.
    async fn restart_group(&mut self, group: Vec<u64>) {
        for seq in group {
            let pending = self
                .children
                .get(&seq)
                .is_some_and(|c| c.running.is_none() && c.restart_at().is_some());
            if !pending {
                continue;
            }
            if let Err(reason) = self.start_child(seq).await {
                if let Some(child) = self.children.get_mut(&seq) {
                    child.set_restart_at(None);
                }
                if !self.token.is_cancelled() {
                    self.failed_starts.push_back((seq, reason));
                }
                return;
            }
        }
    }

    /// S4.4: stop everything in reverse start order, then report the escalation.
    async fn give_up(&mut self, child: Arc<str>, cause: ExitReason) -> ExitReason {
        self.shutdown_all().await;
        let escalation = Arc::new(Escalation {
            supervisor: Arc::clone(self.node.path()),
            child,
            cause,
        });
        tracing::error!(supervisor = %self.node.path(), %escalation, "restart intensity exceeded; giving up");
        let path = Arc::clone(self.node.path());
        let esc = Arc::clone(&escalation);
        self.events.emit(|| Event::GaveUp {
            path,
            escalation: esc,
        });
        ExitReason::Escalation(escalation)
    }

    /// Stops one child by its shutdown policy (S6.2) and returns how it ended.
    async fn shutdown_child(&mut self, seq: u64) -> Option<ExitReason> {
        let child = self.children.get_mut(&seq)?;
        child.set_restart_at(None);
        let Some(Running { mut task, token }) = child.running.take() else {
            child.node.set_state(ChildState::Stopped);
            return None;
        };
        let reason = match child.spec.shutdown() {
            Shutdown::BrutalKill => {
                task.0.abort();
                let _ = (&mut task.0).await;
                ExitReason::Killed
            }
            Shutdown::Timeout(limit) => {
                token.cancel();
                match timeout(limit, &mut task.0).await {
                    Ok(_) => ExitReason::Shutdown,
                    Err(_) => {
                        task.0.abort();
                        let _ = (&mut task.0).await;
                        ExitReason::Killed
                    }
                }
            }
            Shutdown::Infinity => {
                token.cancel();
                let _ = (&mut task.0).await;
                ExitReason::Shutdown
            }
        };
        child.node.set_state(ChildState::Stopped);
        let node = &child.node;
        tracing::debug!(child = %node.path(), %reason, "stopped");
        self.events.emit(|| Event::Stopped {
            path: Arc::clone(node.path()),
            reason: reason.clone(),
        });
        Some(reason)
    }

    /// S6.1: every child, in reverse start order; a dynamic supervisor's children concurrently
    /// (S5.4).
    async fn shutdown_all(&mut self) {
        self.timers.clear();
        let order: Vec<u64> = self.children.keys().rev().collect();
        if self.spec.dynamic.is_some() {
            self.shutdown_concurrently(&order).await;
        }
        for seq in order {
            self.shutdown_child(seq).await;
        }
    }

    /// Signals every child first, so their timeouts run side by side, then collects them.
    async fn shutdown_concurrently(&mut self, order: &[u64]) {
        let started = Instant::now();
        for seq in order {
            if let Some(Running { task, token }) =
                self.children.get(seq).and_then(|c| c.running.as_ref())
            {
                token.cancel();
                if let Some(Shutdown::BrutalKill) =
                    self.children.get(seq).map(|c| c.spec.shutdown())
                {
                    task.0.abort();
                }
            }
        }
        for &seq in order {
            let Some(child) = self.children.get_mut(&seq) else {
                continue;
            };
            child.set_restart_at(None);
            let Some(Running { mut task, .. }) = child.running.take() else {
                continue;
            };
            let reason = match child.spec.shutdown() {
                Shutdown::Timeout(limit) => {
                    match tokio::time::timeout_at(started + limit, &mut task.0).await {
                        Ok(_) => ExitReason::Shutdown,
                        Err(_) => {
                            task.0.abort();
                            let _ = (&mut task.0).await;
                            ExitReason::Killed
                        }
                    }
                }
                Shutdown::BrutalKill => {
                    let _ = (&mut task.0).await;
                    ExitReason::Killed
                }
                Shutdown::Infinity => {
                    let _ = (&mut task.0).await;
                    ExitReason::Shutdown
                }
            };
            child.node.set_state(ChildState::Stopped);
            let node = &child.node;
            self.events.emit(|| Event::Stopped {
                path: Arc::clone(node.path()),
                reason,
            });
        }
    }

    fn remove(&mut self, seq: u64) {
        if let Some(child) = self.children.remove(&seq) {
            child.node.set_state(ChildState::Deleted);
        }
    }

    fn find(&self, id: &str) -> Result<u64, ManagementError> {
        self.children
            .iter()
            .find(|(_, c)| &*c.node.id == id)
            .map(|(s, _)| s)
            .ok_or_else(|| ManagementError::NotFound(Arc::from(id)))
    }

    async fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::WhichChildren(reply) => {
                let list = self
                    .children
                    .values()
                    .map(|c| ChildInfo {
                        id: Arc::clone(&c.node.id),
                        state: c.state(),
                        kind: c.node.kind,
                        restarts: c.node.restarts(),
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Command::CountChildren(reply) => {
                let mut counts = ChildCounts::default();
                for c in self.children.values() {
                    counts.specs += 1;
                    counts.active += usize::from(c.running.is_some());
                    match c.node.kind {
                        ChildKind::Worker => counts.workers += 1,
                        ChildKind::Supervisor => counts.supervisors += 1,
                    }
                }
                let _ = reply.send(counts);
            }
            Command::History(reply) => {
                let _ = reply.send(self.history.iter().cloned().collect());
            }
            Command::Terminate(id, caller, reply) => self.terminate(&id, caller, reply).await,
            Command::Restart(id, reply) => {
                let result = self.restart_stopped(&id).await;
                let _ = reply.send(result);
            }
            Command::Delete(id, reply) => {
                let result = self.find(&id).and_then(|seq| {
                    match self
                        .children
                        .get(&seq)
                        .map_or(ChildState::Deleted, Child::state)
                    {
                        ChildState::Stopped => {
                            self.remove(seq);
                            Ok(())
                        }
                        ChildState::Restarting => Err(ManagementError::Restarting(id)),
                        _ => Err(ManagementError::Running(id)),
                    }
                });
                let _ = reply.send(result);
            }
            Command::StartChild(spec, reply) => {
                let result = self.add_static(*spec).await;
                let _ = reply.send(result);
            }
            Command::StartDynamic(args, reply) => {
                let result = self.add_dynamic(args).await;
                let _ = reply.send(result);
            }
        }
    }

    /// S9.3: stop a child without counting it as a failure; a temporary child's spec goes.
    async fn terminate(&mut self, id: &str, caller: Option<tokio::task::Id>, reply: Reply<()>) {
        let seq = match self.find(id) {
            Ok(seq) => seq,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        // A child stopping itself waits for this answer; answering only after it stopped would
        // never happen with `Shutdown::Infinity`. It gets the answer first, then its cancellation.
        let own = self
            .children
            .get(&seq)
            .and_then(|c| c.running.as_ref())
            .is_some_and(|r| Some(r.task.0.id()) == caller);
        let reply = if own {
            let _ = reply.send(Ok(()));
            None
        } else {
            Some(reply)
        };
        self.shutdown_child(seq).await;
        if self
            .children
            .get(&seq)
            .is_some_and(|c| c.spec.restart == Restart::Temporary)
        {
            self.remove(seq);
        }
        if let Some(reply) = reply {
            let _ = reply.send(Ok(()));
        }
    }

    async fn restart_stopped(&mut self, id: &Arc<str>) -> Result<(), ManagementError> {
        let seq = self.find(id)?;
        match self
            .children
            .get(&seq)
            .map_or(ChildState::Deleted, Child::state)
        {
            ChildState::Stopped => {}
            ChildState::Restarting => return Err(ManagementError::Restarting(Arc::clone(id))),
            _ => return Err(ManagementError::Running(Arc::clone(id))),
        }
        self.start_child(seq)
            .await
            .map_err(|cause| ManagementError::StartFailed {
                id: Arc::clone(id),
                cause: cause.to_string(),
            })
    }

    async fn add_static(&mut self, spec: ErasedChild) -> Result<Arc<Node>, ManagementError> {
        if self.spec.dynamic.is_some() {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        }
        if self.find(&spec.id).is_ok() {
            return Err(ManagementError::AlreadyExists(spec.id));
        }
        let path = format!("{}/{}", self.node.path(), spec.id);
        check_child(&spec, &path, self.spec.auto_shutdown)?;
        let id = Arc::clone(&spec.id);
        self.add_and_start(Arc::new(spec), id, None).await
    }

    async fn add_dynamic(&mut self, args: AnyArc) -> Result<Arc<Node>, ManagementError> {
        let Some(dynamic) = &self.spec.dynamic else {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        };
        if let Some(max) = dynamic.max_children {
            if self.children.len() >= max {
                return Err(ManagementError::MaxChildren(max));
            }
        }
        let template = Arc::new(dynamic.template.clone());
        let id: Arc<str> = Arc::from(self.next_seq.to_string());
        self.add_and_start(template, id, Some(args)).await
    }

    async fn add_and_start(
        &mut self,
        spec: Arc<ErasedChild>,
        id: Arc<str>,
        args: Option<AnyArc>,
    ) -> Result<Arc<Node>, ManagementError> {
        let Some(sup) = self.sup() else {
            return Err(ManagementError::NotRunning(Arc::clone(self.node.path())));
        };
        let node = Node::instantiate(
            &spec,
            Arc::clone(&id),
            Some(self.node.path()),
            &sup.events,
            spec.mailbox_factory(),
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.children
            .push(seq, Child::new(spec, Arc::clone(&node), args));
        match self.start_child(seq).await {
            Ok(()) => Ok(node),
            Err(cause) => {
                self.remove(seq);
                Err(ManagementError::StartFailed {
                    id,
                    cause: cause.to_string(),
                })
            }
        }
    }
}
