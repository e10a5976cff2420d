//! The supervisor: one task that owns its children's state, takes exits and commands from one
//! inbox, and applies SEMANTICS S2-S9.
//!
//! Each child is in exactly one [`Phase`], changed only by [`Engine::enter`], which also
//! publishes the state handles see, emits the event and writes the trace. Timers are typed
//! entries keyed by deadline, generation and child: a stale one is recognised by its generation,
//! and each due group is handled on its own, so one failed restart cannot strand another.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span};

use super::core::decide::{
    decide_exit, ends_for_good, group, held_by, restarts, ExitFacts, ExitPlan, Member, Retry,
    Rules, Window,
};
use super::core::monitor::{JudgeMonitor, Monitor, ProbeMonitor, Step, Then, Watched};
use super::core::phase::{self, Hold, Illegal};
use super::core::timers::{Timer, TimerKey, Timers};
use crate::backoff::Jitter;
use crate::breaker::CircuitBreaker;
use crate::context::{ContextExtra, NodeView, RawContext, StartSignal};
use crate::error::{ManagementError, SpecError, StartError};
use crate::event::{ChildCounts, ChildInfo, EventKind, Events, RestartRecord, HISTORY_CAPACITY};
use crate::exit::{CrashContext, Escalation, ExitReason, Happened, Recent, CRASH_CONTEXT_EVENTS};
use crate::exit::{Directive, DirectiveSource};
use crate::health::Health;
use crate::node::{
    Aborted, Command, Layout, Msg, Node, Pulse, Reply, Scope, SupNode, SupShape, Visible, Vitals,
};
use crate::spawn::{
    spawn_incarnation, spawn_named, spawning, task_name, Exit, ExitSink, ExitTx, Report, TaskHandle,
};
use crate::spec::{
    check_child, AutoShutdown, BoxFuture, ChildKind, ErasedChild, Restart, Shutdown, Starter,
    Strategy, SupervisorKind, SupervisorSpec,
};
use crate::state::{ChildState, Gone};
use crate::table::SeqMap;
use crate::telemetry;
use crate::time::deadline;
use crate::types::AnyArc;

/// The supervisor's inbox, as its incarnations see it: they report their ends here.
struct Inbox(mpsc::UnboundedSender<Msg>);

impl ExitSink for Inbox {
    fn exit(&self, exit: Exit) {
        // A supervisor that already ended has no use for the exit.
        let _ = self.0.send(Msg::Exit(exit));
    }
}

/// A child's running (or starting, or stopping) incarnation.
struct Running {
    task: TaskHandle,
    token: CancellationToken,
    incarnation: u64,
}

/// A child's phase, with the driver's incarnation in it.
type Phase = phase::Phase<Running>;

struct Child {
    spec: Arc<ErasedChild>,
    node: Arc<Node>,
    phase: Phase,
    /// State a child that never failed does without: boxed to keep large flat trees small.
    history: Option<Box<ChildHistory>>,
    /// What watches its running incarnation (S11, S12), for children that declared it.
    watch: Option<Box<Watch>>,
}

/// The supervisor's watch over one running incarnation: its monitors (S11, S12), each with one
/// timer in the supervisor's heap keyed by the incarnation, so that a timer of an incarnation
/// that ended is recognised and dropped: no task per child.
struct Watch {
    incarnation: u64,
    probe: Option<ProbeMonitor>,
    judge: Option<JudgeMonitor>,
    /// The probe in flight, aborted with the watch: none outlives its incarnation (S11.4).
    probing: Option<TaskHandle>,
}

impl Watch {
    /// Watches the incarnation that just came up, and sets its monitors' first timers.
    fn start(child: &Child, incarnation: u64, seq: u64, timers: &mut Timers) -> Option<Box<Watch>> {
        let (check, heartbeat) = (child.spec.health(), child.spec.heartbeat());
        if check.is_none() && heartbeat.is_none() {
            return None;
        }
        let mut arm = |key: TimerKey, first: Instant| timers.push(first, key, seq);
        let node = &child.node;
        let probe = check.map(|c| ProbeMonitor::start(c, node, Instant::now()));
        let judge = heartbeat.and_then(|h| JudgeMonitor::start(h, node));
        let probe = probe.map(|(m, first)| {
            arm(m.key(incarnation), first);
            m
        });
        let judge = judge.map(|(m, first)| {
            arm(m.key(incarnation), first);
            m
        });
        Some(Box::new(Watch {
            incarnation,
            probe,
            judge,
            probing: None,
        }))
    }

    /// The monitor whose timers have `key`, while it watches.
    fn monitor(&mut self, key: TimerKey) -> Option<&mut dyn Monitor> {
        if key.incarnation() != Some(self.incarnation) {
            return None;
        }
        match key {
            TimerKey::Probe { .. } => self.probe.as_mut().map(|m| m as &mut dyn Monitor),
            TimerKey::Judge { .. } => self.judge.as_mut().map(|m| m as &mut dyn Monitor),
            TimerKey::Restart { .. } => None,
        }
    }
}

#[derive(Default)]
struct ChildHistory {
    args: Option<AnyArc>,
    last_exit: Option<ExitReason>,
    retry: Retry,
    /// Its own restart budget's window (S18.1), made by its first restart decision.
    budget: Option<Window>,
    /// Its recent life (S19.1), from its first failure on.
    recent: VecDeque<Recent>,
}

impl Child {
    fn new(spec: Arc<ErasedChild>, node: Arc<Node>, args: Option<AnyArc>) -> Self {
        Child {
            spec,
            node,
            phase: Phase::Stopped,
            watch: None,
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

    fn alive(&self) -> bool {
        self.phase.alive()
    }

    /// Keeps `kind` in the child's recent life (S19.1), at `now` (read only if kept); a child
    /// that never failed keeps nothing (S19.3). A restart decided on an exit is written into
    /// that exit's entry.
    fn remember(&mut self, kind: &EventKind, now: impl FnOnce() -> Instant) {
        let Some((what, begins)) = kind.happened() else {
            return;
        };
        let recent = match (&mut self.history, begins) {
            (Some(history), _) => &mut history.recent,
            (None, true) => &mut self.history().recent,
            (None, false) => return,
        };
        if let Happened::Restarting { delay } = what {
            let last = recent.back_mut().map(|r| &mut r.what);
            if let Some(
                Happened::Exited { restart_in, .. } | Happened::StartFailed { restart_in, .. },
            ) = last
            {
                if restart_in.is_none() {
                    *restart_in = Some(delay);
                    return;
                }
            }
        }
        if recent.len() == CRASH_CONTEXT_EVENTS {
            recent.pop_front();
        }
        recent.push_back(Recent { at: now(), what });
    }

    /// Its crash context (S19): its recent life and the last message it took.
    fn crash_context(&self) -> Option<Arc<CrashContext>> {
        let recent: Vec<Recent> = self
            .history
            .as_ref()
            .map(|h| h.recent.iter().cloned().collect())
            .unwrap_or_default();
        let last_message = self.node.last_message();
        if recent.is_empty() && last_message.is_none() {
            return None;
        }
        Some(Arc::new(CrashContext {
            path: Arc::clone(self.node.path()),
            recent,
            last_message,
        }))
    }
}

/// Whether a child does without a scope: a worker that uses no node. Supervisors get one, for
/// their children.
fn without_scope(spec: &ErasedChild) -> bool {
    matches!(spec.start, Starter::Fn { .. }) && spec.uses().is_empty()
}

/// How long a convicted incarnation has to stop before it is aborted (S11.2), never more than
/// its shutdown timeout.
const CONVICTION_GRACE: Duration = Duration::from_secs(1);

pub(crate) type StartFuture =
    Pin<Box<dyn Future<Output = Result<JoinHandle<()>, ExitReason>> + Send + 'static>>;

/// Starts a nested supervisor's subtree in the calling (parent's) task, then spawns its
/// supervision loop: the parent learns that the subtree is up (S2.3) without a round trip.
/// A free function returning a boxed future, so that the parent's `start_child` future does not
/// contain itself.
fn start_supervisor(
    spec: Arc<SupervisorSpec>,
    node: Arc<Node>,
    mut raw: RawContext,
    report: Report,
) -> StartFuture {
    Box::pin(async move {
        // A supervisor's own run can be made to fail too: a panic of its loop is its exit.
        let how = spawning(&mut raw);
        let extra = raw.extra.as_ref();
        let inherited = extra.and_then(|e| e.breakers.clone());
        let scope = extra.and_then(|e| e.scope.clone());
        let scope = scope.and_then(|s| Some(Arc::clone(&s.downcast_ref::<Visible>()?.scope)));
        let mut engine = Engine::new(spec, node, raw.token, false, inherited, scope)?;
        engine.start().await?;
        let run: BoxFuture = Box::pin(engine.run());
        Ok(spawn_incarnation(run, report, how))
    })
}

/// Awaits the tasks of a killed supervisor's subtree, level by level, so that whoever killed it
/// returns only once every descendant task is gone (S6.3).
fn reap(node: Arc<Node>, events: Events) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let Some(sup) = node.sup.as_deref() else {
            return;
        };
        for aborted in sup.take_aborted() {
            if let Some(task) = aborted.task {
                let _ = task.await;
            }
            reap(Arc::clone(&aborted.node), events.clone()).await;
            if let Some(incarnation) = aborted.incarnation {
                let kind = EventKind::Stopped {
                    incarnation,
                    reason: ExitReason::Killed,
                };
                let dynamic = matches!(sup.kind, SupShape::Dynamic { .. });
                record(&aborted.node, dynamic, &kind);
                events.emit(|| (Arc::clone(aborted.node.path()), kind));
            }
            if let Some(how) = aborted.then_gone {
                aborted.node.go(how, &events);
            }
        }
    })
}

pub(crate) struct Engine {
    spec: Arc<SupervisorSpec>,
    node: Arc<Node>,
    root: bool,
    events: Events,
    children: SeqMap<Child>,
    next_seq: u64,
    /// Given to every incarnation to report its exit; the same channel carries commands.
    exits: Arc<ExitTx>,
    /// The same channel, for the monitors of incarnations.
    inbox_tx: mpsc::UnboundedSender<Msg>,
    inbox: mpsc::UnboundedReceiver<Msg>,
    token: CancellationToken,
    window: Window,
    history: VecDeque<RestartRecord>,
    timers: Timers,
    next_generation: u64,
    /// Restart attempts that failed to start (S4.3), handled like any exit, with the rest of
    /// their group, which waits for that exit's decision.
    failed_starts: VecDeque<FailedStart>,
    /// The breakers declared with this supervisor and above, for its children's contexts.
    breakers: Option<Arc<[CircuitBreaker]>>,
    /// Where its children look up the nodes they use (S17.1).
    scope: Arc<Scope>,
    /// The time an exit was handled at, read once for its event, its record (S19.1) and its
    /// decision.
    clock: Option<Instant>,
    /// Set while a pool starts its slots, so that they are published once (S14).
    starting_slots: bool,
    /// Children with a running incarnation, for the active-children gauge.
    running: usize,
    /// The shutdown timeout of the child being stopped, reset for each (S6.2).
    stop_timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// A beat from this loop and when it is next due (S16.4).
    pulse: Option<(Pulse, Instant)>,
    jitter: Jitter,
    span: Span,
}

struct FailedStart {
    seq: u64,
    reason: ExitReason,
    generation: u64,
    rest: Vec<u64>,
}

impl Engine {
    /// The state of one incarnation of a supervisor, ready to start its children; from now on
    /// it takes commands.
    pub(crate) fn new(
        spec: Arc<SupervisorSpec>,
        node: Arc<Node>,
        token: CancellationToken,
        root: bool,
        inherited: Option<Arc<[CircuitBreaker]>>,
        up: Option<Arc<Scope>>,
    ) -> Result<Self, ExitReason> {
        // The breakers its children can reach: those declared above, then its own (S13.1).
        let breakers = if spec.breakers.is_empty() {
            inherited
        } else {
            let above = inherited.iter().flat_map(|b| b.iter());
            Some(above.chain(&spec.breakers).cloned().collect())
        };
        let Some(sup) = node.sup.as_deref() else {
            return Err(ExitReason::error(
                "supervisor node without supervisor state",
            ));
        };
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        let mut children = SeqMap::with_capacity(spec.children.len());
        for (s, n) in spec.children.iter().zip(&sup.children) {
            // A declared child whose spec was dropped (temporary and ended, or deleted) is gone
            // for the life of the tree: later incarnations of its supervisor do without it.
            if n.state().gone().is_none() {
                children.push(n.seq, Child::new(Arc::clone(s), Arc::clone(n), None));
            }
        }
        sup.set_sender(Some(inbox_tx.clone()));
        let span = tracing::info_span!("supervisor", path = %node.path());
        // Under a test kit, jitter replays from its seed (S22.2).
        let jitter = match &sup.events.intercept {
            Some(kit) => Jitter::seeded(kit.seed(node.path())),
            None => Jitter::new(),
        };
        let scope = Arc::new(Scope {
            sup: Arc::clone(&node),
            up,
        });
        Ok(Engine {
            scope,
            clock: None,
            window: Window::new(spec.intensity.max_restarts, spec.intensity.period),
            next_seq: spec.children.len() as u64,
            children,
            events: sup.events.clone(),
            node,
            root,
            spec,
            exits: Arc::new(ExitTx::new(Inbox(inbox_tx.clone()))),
            inbox_tx,
            inbox,
            token,
            history: VecDeque::new(),
            timers: Timers::default(),
            next_generation: 0,
            failed_starts: VecDeque::new(),
            pulse: None,
            running: 0,
            stop_timer: None,
            breakers,
            starting_slots: false,
            jitter,
            span,
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
        self.supervise().instrument(span).await
    }

    fn sup(&self) -> Option<&SupNode> {
        self.node.sup.as_deref()
    }

    /// The rules the core decides by, from the spec of this incarnation.
    fn rules(&self) -> Rules {
        Rules {
            strategy: self.spec.kind.strategy(),
            removes_ended: self.spec.kind.removes_ended(),
            auto_shutdown: self.spec.auto_shutdown,
        }
    }

    /// The one place a child's phase changes: applies `step`, a transition of the core, then
    /// publishes the state handles see, counts running children, starts or ends the watch of
    /// its incarnation, and traces and emits `what`. A transition the phase does not allow
    /// changes nothing, and is reported as the defect it is.
    fn transit<T>(
        &mut self,
        seq: u64,
        what: Option<EventKind>,
        step: impl FnOnce(&mut Phase) -> Result<T, Illegal>,
    ) -> Option<T> {
        let child = self.children.get_mut(&seq)?;
        let was = child.phase.running().is_some();
        let out = match step(&mut child.phase) {
            Ok(out) => out,
            Err(illegal) => {
                tracing::error!(child = %child.node.path(), ?illegal, "illegal phase transition");
                debug_assert!(false, "illegal phase transition: {illegal:?}");
                return None;
            }
        };
        child.node.set_state(child.phase.published());
        let is = child.phase.running().is_some();
        if was != is {
            self.running = if is {
                self.running + 1
            } else {
                self.running.saturating_sub(1)
            };
            telemetry::active(self.node.path(), self.running);
        }
        // A slot that comes up wakes the sends and calls waiting for one (S14.3).
        if let (Phase::Running(_), Some(SupShape::Pool(pool))) =
            (&child.phase, self.node.sup.as_deref().map(|s| &s.kind))
        {
            pool.shared.up.notify_waiters();
        }
        // An incarnation that is up is watched from then on, not before (S11.4, S12.2); one
        // that stops, or is being stopped, no longer (its probe in flight is aborted).
        match &child.phase {
            Phase::Running(r) => {
                let watched = child.watch.as_ref().map(|w| w.incarnation);
                if watched != Some(r.incarnation) {
                    child.watch = Watch::start(child, r.incarnation, seq, &mut self.timers);
                }
            }
            _ => child.watch = None,
        }
        if let Some(mut kind) = what {
            record(&child.node, self.spec.kind.removes_ended(), &kind);
            let clock = self.clock;
            child.remember(&kind, || clock.unwrap_or_else(Instant::now));
            let child = &*child;
            self.events.emit(|| {
                if let EventKind::Exited { context, .. } = &mut kind {
                    *context = child.crash_context();
                }
                (Arc::clone(child.node.path()), kind)
            });
        }
        Some(out)
    }

    /// Removes a child for good (S3.4, S5.5, S9.3): its node is gone and its mailbox closed.
    fn remove(&mut self, seq: u64, how: Gone) {
        if let Some(child) = self.children.remove(&seq) {
            if let Some(sup) = self.node.sup.as_deref() {
                sup.unregister(&child.node);
            }
            child.node.go(how, &self.events);
            self.publish_slots();
        }
    }

    /// A pool's slots, in order, for its references to route over (S14.2).
    fn publish_slots(&self) {
        let Some(SupShape::Pool(pool)) = self.sup().map(|s| &s.kind) else {
            return;
        };
        let slots: Arc<[Arc<Node>]> = self
            .children
            .values()
            .map(|c| Arc::clone(&c.node))
            .collect();
        if let Ok(mut published) = pool.shared.slots.write() {
            *published = slots;
        }
        pool.shared
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        pool.shared.up.notify_waiters();
    }

    /// S2.1-S2.2: start in order; on a failure stop the started ones in reverse. A pool starts
    /// its slots, each given its number (S14.1).
    async fn start_all(&mut self) -> Result<(), ExitReason> {
        let slots = self.spec.kind.pool().map_or(0, |p| p.size);
        // The slots are published once, when all are up.
        self.starting_slots = true;
        for slot in 0..slots {
            if let Err(e) = self.add_slot(slot).await {
                self.shutdown_all().await;
                if self.token.is_cancelled() {
                    return Err(ExitReason::Shutdown);
                }
                self.starting_slots = false;
                let (path, cause) = match e {
                    ManagementError::StartFailed { path, cause } => (path, cause),
                    other => (Arc::clone(self.node.path()), ExitReason::error(other)),
                };
                return Err(ExitReason::error(StartError::ChildFailed {
                    id: Arc::from(slot.to_string()),
                    path,
                    cause,
                }));
            }
        }
        self.starting_slots = false;
        self.publish_slots();
        // Declared children have sequence numbers 0..n; gone ones are not in the table.
        for seq in 0..self.spec.children.len() as u64 {
            if self.children.get(&seq).is_none() {
                continue;
            }
            if let Err(cause) = self.start_child(seq).await {
                self.shutdown_all().await;
                if self.token.is_cancelled() {
                    return Err(ExitReason::Shutdown);
                }
                let (id, path) = match self.children.get(&seq) {
                    Some(c) => (Arc::clone(&c.node.id), Arc::clone(c.node.path())),
                    None => (Arc::from("?"), Arc::clone(self.node.path())),
                };
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
            while let Some(failed) = self.failed_starts.pop_front() {
                let FailedStart {
                    seq,
                    reason,
                    generation,
                    rest,
                } = failed;
                let (directive, _) = self.decide(seq, &reason);
                if let Some(end) = self.on_exit(seq, reason, directive).await {
                    return end;
                }
                // Whatever the decision was, the rest of the group is not left waiting.
                self.restart_group(generation, rest).await;
            }
            let next_timer = self.timers.next();
            let next_beat = self.pulse.as_ref().map(|(_, at)| *at);
            tokio::select! {
                biased;
                _ = self.token.cancelled() => {
                    self.shutdown_all().await;
                    return ExitReason::Shutdown;
                }
                // Before the inbox, so that a busy loop still beats.
                _ = sleep_until(next_beat.unwrap_or_else(Instant::now)), if next_beat.is_some() => {
                    self.beat();
                }
                Some(msg) = self.inbox.recv() => match msg {
                    Msg::Exit(exit) => {
                        if let Some(end) = self.handle_exit(exit).await {
                            return end;
                        }
                    }
                    Msg::Command(cmd) => self.handle_command(cmd).await,
                    Msg::Unparked { seq, incarnation } => {
                        let timer = Timer { seq, at: Instant::now(), key: TimerKey::Judge { incarnation } };
                        if let Some(end) = self.watch_due(timer, Instant::now()).await {
                            return end;
                        }
                    }
                    Msg::Probed { seq, incarnation, health } => {
                        if let Some(end) = self.probed(seq, incarnation, health).await {
                            return end;
                        }
                    }
                },
                _ = sleep_until(next_timer.unwrap_or_else(Instant::now)), if next_timer.is_some() => {
                    if let Some(end) = self.fire_timers().await {
                        return end;
                    }
                }
            }
        }
    }

    /// Spawns a new incarnation of child `seq` and, for children that report their start,
    /// waits until they have (S2.4). A failure is a start-failed event (S9.6).
    async fn start_child(&mut self, seq: u64) -> Result<(), ExitReason> {
        let shutdown = self.token.clone();
        let exits = Arc::clone(&self.exits);
        let Some(child) = self.children.get_mut(&seq) else {
            return Ok(());
        };
        let incarnation = child.node.next_incarnation();
        let backoff = child.spec.backoff();
        if backoff.reset_period().is_some() {
            child.history().retry.started(&backoff, Instant::now());
        }
        let token = CancellationToken::new();
        let awaits_start = match &child.spec.start {
            Starter::Fn { awaits_start, .. } => *awaits_start,
            Starter::Supervisor { .. } => false,
            // Up once its readiness condition holds (S20.1).
            Starter::Process { .. } => true,
        };
        let (signal, started) = if awaits_start {
            let (s, rx) = StartSignal::new();
            (Some(s), Some(rx))
        } else {
            (None, None)
        };
        let extra = ContextExtra {
            incarnation,
            last_exit: child.history.as_ref().and_then(|h| h.last_exit.clone()),
            start_signal: signal.clone(),
            args: child.history.as_ref().and_then(|h| h.args.clone()),
            breakers: self.breakers.clone(),
            scope: (!without_scope(&child.spec)).then(|| {
                Arc::new(Visible {
                    scope: Arc::clone(&self.scope),
                    names: Arc::clone(child.spec.uses()),
                }) as AnyArc
            }),
            steer: (self.events.intercept.as_ref())
                .and_then(|kit| kit.steer(child.node.path(), incarnation)),
        };
        let view: Arc<dyn NodeView> = Arc::clone(&child.node) as _;
        let raw = RawContext::new(view, token.clone(), extra);
        let report = Report {
            exits,
            seq,
            signal,
            stop: token.clone(),
            name: task_name(|| Arc::clone(child.node.path())),
        };
        // What starts it, taken out of the table so that the table can change meanwhile.
        let how = match &child.spec.start {
            Starter::Fn { call, .. } => Ok(Arc::clone(call)),
            Starter::Process { spec } => Ok(Arc::clone(spec) as crate::spawn::StartFn),
            Starter::Supervisor { spec } => Err((Arc::clone(spec), Arc::clone(&child.node))),
        };
        let running = |task| Running {
            task: TaskHandle::new(task),
            token: token.clone(),
            incarnation,
        };
        match how {
            Ok(call) => {
                let task = call.spawn(raw, report);
                if awaits_start {
                    self.transit(seq, None, |p| p.start(Some(running(task))));
                } else {
                    let started = Some(EventKind::Started { incarnation });
                    self.transit(seq, started, |p| p.run(running(task)));
                    return Ok(());
                }
            }
            Err((sup_spec, node)) => {
                self.transit(seq, None, |p| p.start(None));
                let mut start = start_supervisor(sup_spec, node, raw, report);
                let outcome = tokio::select! {
                    biased;
                    r = &mut start => r,
                    // Asked to stop meanwhile: let the subtree stop in order, then report.
                    _ = shutdown.cancelled() => {
                        token.cancel();
                        start.await
                    }
                };
                return match outcome {
                    Ok(task) => {
                        let started = Some(EventKind::Started { incarnation });
                        self.transit(seq, started, |p| p.up(Some(running(task))));
                        Ok(())
                    }
                    Err(reason) => {
                        self.start_failed(seq, incarnation, &reason);
                        Err(reason)
                    }
                };
            }
        }
        // A worker with `init`: up once `init` returned `Ok` (S2.4).
        let outcome = match started {
            Some(started) => tokio::select! {
                biased;
                r = started => r.unwrap_or(Err(ExitReason::Killed)),
                _ = shutdown.cancelled() => Err(ExitReason::Shutdown),
            },
            None => Ok(()),
        };
        match outcome {
            Ok(()) => {
                let started = Some(EventKind::Started { incarnation });
                self.transit(seq, started, |p| p.up(None));
                Ok(())
            }
            Err(ExitReason::Shutdown) => {
                self.shutdown_child(seq).await;
                Err(ExitReason::Shutdown)
            }
            Err(reason) => {
                // The incarnation ended during `init`; its task is finishing.
                if let Some(r) = self
                    .children
                    .get_mut(&seq)
                    .and_then(|c| c.phase.running_mut())
                {
                    if let Some(task) = r.task.get() {
                        let _ = task.await;
                    }
                }
                self.start_failed(seq, incarnation, &reason);
                Err(reason)
            }
        }
    }

    fn start_failed(&mut self, seq: u64, incarnation: u64, reason: &ExitReason) {
        if let Some(child) = self.children.get_mut(&seq) {
            child.history().last_exit = Some(reason.clone());
            let task = child.phase.running().and_then(|r| r.task.id());
            child.node.record_exit(task, reason);
        }
        let failed = EventKind::StartFailed {
            incarnation,
            reason: reason.clone(),
        };
        self.transit(seq, Some(failed), Phase::end);
    }

    async fn handle_exit(&mut self, exit: Exit) -> Option<ExitReason> {
        let child = self.children.get(&exit.seq)?;
        let incarnation = match &child.phase {
            Phase::Running(r) if r.task.id() == Some(exit.task) => r.incarnation,
            // An incarnation this supervisor already stopped, or is stopping: not a failure
            // (S6.4).
            _ => return None,
        };
        // A supervisor whose own loop failed (a panicking decider, say) left its children's
        // tasks aborted: they are gone, and their ends reported, before its own exit is (S6.3).
        if child.node.sup.is_some() {
            reap(Arc::clone(&child.node), self.events.clone()).await;
        }
        let (directive, source) = self.decide(exit.seq, &exit.reason);
        if let Some(child) = self.children.get(&exit.seq) {
            child.node.record_exit(Some(exit.task), &exit.reason);
        }
        self.clock = Some(Instant::now());
        let exited = EventKind::Exited {
            incarnation,
            reason: exit.reason.clone(),
            directive,
            source,
            context: None,
        };
        self.transit(exit.seq, Some(exited), Phase::end);
        self.on_exit(exit.seq, exit.reason, directive).await
    }

    /// The directive for an exit of child `seq` (S10.2).
    fn decide(&self, seq: u64, reason: &ExitReason) -> (Directive, DirectiveSource) {
        let decider = self.children.get(&seq).and_then(|c| c.spec.decider());
        crate::directive::decide(decider, reason)
    }

    /// A child exited on its own, or a restart attempt failed to start: apply the directive
    /// (S10), then S3-S5 and S8, as the core decides. Returns the supervisor's own exit reason
    /// when it must stop.
    async fn on_exit(
        &mut self,
        seq: u64,
        reason: ExitReason,
        directive: Directive,
    ) -> Option<ExitReason> {
        let now = self.clock.take().unwrap_or_else(Instant::now);
        let rules = self.rules();
        // Only S8's all_significant asks, and only about a significant child: a large
        // dynamic supervisor does not scan its children on every exit.
        let asks = rules.auto_shutdown == AutoShutdown::AllSignificant
            && self.children.get(&seq).is_some_and(|c| c.spec.significant);
        let other_significant_alive = asks
            && self
                .children
                .iter()
                .any(|(s, c)| s != seq && c.spec.significant && c.alive());
        let child = self.children.get_mut(&seq)?;
        child.history().last_exit = Some(reason.clone());
        let path = Arc::clone(child.node.path());
        let facts = ExitFacts {
            directive,
            restart: child.spec.restart,
            abnormal: reason.is_abnormal(),
            significant: child.spec.significant,
            other_significant_alive,
        };
        if restarts(&facts) {
            // The restart history (S9) records every restart decision, the one that exceeds
            // the intensity too.
            if self.history.len() == HISTORY_CAPACITY {
                self.history.pop_front();
            }
            self.history.push_back(RestartRecord {
                at: now,
                child: Arc::clone(&path),
                reason: reason.clone(),
            });
        }
        let budget = child.spec.budget();
        let budget = budget.map(|b| {
            let window = (child.history().budget)
                .get_or_insert_with(|| Window::new(b.max_restarts, b.within));
            (window, b.on_exhausted)
        });
        match decide_exit(&facts, &rules, &mut self.window, budget, now) {
            ExitPlan::GiveUp(directive) => {
                let context = self.children.get(&seq).and_then(Child::crash_context);
                Some(self.give_up(path, reason, directive, context).await)
            }
            ExitPlan::Leave { remove, shut_down } => {
                if remove {
                    self.remove(seq, Gone::Ended);
                }
                if !shut_down {
                    return None;
                }
                self.shutdown_all().await;
                tracing::info!(supervisor = %self.node.path(), "auto_shutdown");
                self.events
                    .emit(|| (Arc::clone(self.node.path()), EventKind::AutoShutdown));
                Some(ExitReason::Shutdown)
            }
            ExitPlan::Quarantine => {
                let budget = self.children.get(&seq)?.spec.budget()?;
                tracing::warn!(
                    child = %path,
                    "quarantined: more than {} restarts within {:?}",
                    budget.max_restarts,
                    budget.within
                );
                let quarantined = EventKind::Quarantined {
                    max_restarts: budget.max_restarts,
                    within: budget.within,
                };
                self.transit(seq, Some(quarantined), |p| p.hold(Hold::Quarantined));
                None
            }
            ExitPlan::Restart(strategy) => {
                if let Some(storm) = &self.events.storm {
                    storm.restarted(&path, now);
                }
                let child = self.children.get_mut(&seq)?;
                let backoff = child.spec.backoff();
                let unit = self.jitter.unit();
                let delay = child.history().retry.next_delay(&backoff, now, unit);
                let restarts = child.node.count_restart();
                // The decision is taken now, and its event says so; the backoff counts from
                // the exit, not from the end of the group's stop.
                let at = deadline(now, delay);
                let generation = self.next_generation;
                self.next_generation += 1;
                let restarting = EventKind::Restarting { delay, restarts };
                self.transit(seq, Some(restarting), |p| p.pend(at, generation, None));
                let group = self.stop_group(strategy, seq).await;
                self.schedule(seq, group, (at, now), generation).await;
                None
            }
        }
    }

    /// Stops the others of `failed`'s group, in reverse start order, drops the temporary ones
    /// among them, and returns the children to restart, in start order (S3.1-S3.3, S5.2, S5.3).
    async fn stop_group(&mut self, strategy: Strategy, failed: u64) -> Vec<u64> {
        let members = self.children.iter().map(|(seq, c)| Member {
            seq,
            alive: c.alive(),
            temporary: c.spec.restart == Restart::Temporary,
        });
        let plan = group(strategy, failed, members);
        for &seq in &plan.stop {
            self.shutdown_child(seq).await;
        }
        for &seq in &plan.remove {
            self.remove(seq, Gone::Ended);
        }
        plan.restart
    }

    /// Restarts `group` (in start order) at `at`: each member waits in `Pending` under one
    /// generation, so the group restarts together and a stale timer is recognised. The failed
    /// child is pending already. A restart due by `decided` (the exit's time) starts now: the
    /// clock need not be read again to know it.
    async fn schedule(
        &mut self,
        failed: u64,
        group: Vec<u64>,
        (at, decided): (Instant, Instant),
        generation: u64,
    ) {
        for &seq in &group {
            if seq == failed {
                continue;
            }
            if let Some(child) = self.children.get(&seq) {
                child.node.count_restart();
                self.transit(seq, None, |p| p.pend(at, generation, None));
            }
        }
        if at <= decided || at <= Instant::now() {
            self.restart_group(generation, group).await;
        } else {
            for seq in group {
                self.timers.push(at, TimerKey::Restart { generation }, seq);
            }
        }
    }

    /// Restarts every group whose deadline has come, each on its own.
    async fn fire_timers(&mut self) -> Option<ExitReason> {
        let now = Instant::now();
        let due = self.timers.due(now);
        for timer in due.watches {
            if let Some(end) = self.watch_due(timer, now).await {
                return Some(end);
            }
        }
        for (generation, group) in due.restarts {
            self.restart_group(generation, group).await;
        }
        None
    }

    /// A monitor's timer fired; one of an incarnation that ended is dropped.
    async fn watch_due(&mut self, timer: Timer, now: Instant) -> Option<ExitReason> {
        let Timer { seq, at: due, key } = timer;
        let inbox = &self.inbox_tx;
        let child = self.children.get_mut(&seq)?;
        let watch = child.watch.as_deref_mut()?;
        let incarnation = watch.incarnation;
        let unpark = || -> Box<dyn FnOnce() + Send> {
            let inbox = inbox.clone();
            Box::new(move || {
                let _ = inbox.send(Msg::Unparked { seq, incarnation });
            })
        };
        let watched = Watched {
            node: &child.node,
            spec: &child.spec,
            incarnation,
            unpark: &unpark,
        };
        let step = watch.monitor(key)?.wake(watched, due, now);
        self.follow(seq, key, step).await
    }

    /// A probe of a child's incarnation answered (S11.2, S11.3).
    async fn probed(&mut self, seq: u64, incarnation: u64, health: Health) -> Option<ExitReason> {
        let key = TimerKey::Probe { incarnation };
        let child = self.children.get_mut(&seq)?;
        let watch = child.watch.as_deref_mut()?;
        watch.probing = None;
        let watched = Watched {
            node: &child.node,
            spec: &child.spec,
            incarnation,
            unpark: &|| Box::new(|| {}),
        };
        let step = watch.monitor(key)?.answer(watched, health, Instant::now());
        self.follow(seq, key, step).await
    }

    /// Carries out what a monitor decided.
    async fn follow(&mut self, seq: u64, key: TimerKey, step: Step) -> Option<ExitReason> {
        let incarnation = key.incarnation()?;
        let child = self.children.get_mut(&seq)?;
        if let Some(note) = step.note {
            child.remember(&note, Instant::now);
            self.events.emit(|| (Arc::clone(child.node.path()), note));
        }
        match step.then {
            Then::Wake(at) => {
                self.timers.push(at, key, seq);
                None
            }
            Then::Idle => None,
            Then::Probe => {
                let watch = child.watch.as_deref_mut()?;
                let check = child.spec.health()?;
                // Only a check that asks the child itself holds its node.
                let node = check
                    .asks
                    .map(|_| Arc::clone(&child.node) as crate::types::AnyArc);
                let probe = crate::health::probe_once(
                    check,
                    Arc::clone(child.node.path()),
                    incarnation,
                    node,
                );
                let scripted = (self.events.intercept.as_ref())
                    .and_then(|kit| kit.probe(child.node.path(), incarnation))
                    .map(|(status, cause)| crate::health::Health::scripted(status, cause));
                let inbox = self.inbox_tx.clone();
                let name = task_name(|| Arc::from(format!("probe of {}", child.node.path())));
                let task = spawn_named(
                    async move {
                        let health = match scripted {
                            Some(health) => health,
                            None => probe.await,
                        };
                        let _ = inbox.send(Msg::Probed {
                            seq,
                            incarnation,
                            health,
                        });
                    },
                    name,
                );
                watch.probing = Some(TaskHandle::new(task));
                None
            }
            Then::Convict(reason) => self.convict(seq, incarnation, reason).await,
        }
    }

    /// Starts the members of a group restart still pending under `generation`, in start order.
    /// A member that fails to start becomes an exit of its own (S4.3); the rest of the group
    /// waits for that exit's decision.
    async fn restart_group(&mut self, generation: u64, group: Vec<u64>) {
        // S13.7: while a breaker a member depends on is open, the group waits for it to let
        // trials through; the wait shows in which_children.
        let open = group
            .iter()
            .filter_map(|seq| self.children.get(seq))
            .flat_map(|c| c.spec.depends_on())
            .filter_map(|b| b.reopens_at().map(|at| (at, b)));
        if let Some((at, breaker)) = held_by(open) {
            let waiting: Arc<str> = Arc::from(breaker.name());
            let retry_in = at.saturating_duration_since(Instant::now());
            for &seq in &group {
                let pending = self
                    .children
                    .get(&seq)
                    .is_some_and(|c| c.phase.pending_in(generation));
                if pending {
                    let held = EventKind::AwaitingBreaker {
                        breaker: Arc::clone(&waiting),
                        retry_in,
                    };
                    let waiting = Some(Arc::clone(&waiting));
                    self.transit(seq, Some(held), |p| p.pend(at, generation, waiting));
                    self.timers.push(at, TimerKey::Restart { generation }, seq);
                }
            }
            return;
        }
        let mut members = group.into_iter();
        while let Some(seq) = members.next() {
            let pending = self
                .children
                .get(&seq)
                .is_some_and(|c| c.phase.pending_in(generation));
            if !pending {
                continue;
            }
            if let Err(reason) = self.start_child(seq).await {
                if !self.token.is_cancelled() {
                    self.failed_starts.push_back(FailedStart {
                        seq,
                        reason,
                        generation,
                        rest: members.collect(),
                    });
                }
                return;
            }
        }
    }

    /// S4.4, S10.1: give up (the event is stamped with the decision), stop everything in
    /// reverse start order, then report the escalation. `directive` says why: `Restart` when
    /// the restart exceeded the intensity, else the directive the exit called for.
    async fn give_up(
        &mut self,
        child: Arc<str>,
        cause: ExitReason,
        directive: Directive,
        context: Option<Arc<CrashContext>>,
    ) -> ExitReason {
        let escalation = Arc::new(Escalation {
            supervisor: Arc::clone(self.node.path()),
            child,
            cause,
            directive,
            context,
        });
        match directive {
            Directive::Restart => {
                tracing::error!(supervisor = %self.node.path(), %escalation, "restart intensity exceeded; giving up")
            }
            Directive::Fatal => {
                tracing::error!(supervisor = %self.node.path(), %escalation, "fatal exit; stopping the tree")
            }
            _ => {
                tracing::error!(supervisor = %self.node.path(), %escalation, "an exit called for escalation; giving up")
            }
        }
        telemetry::gave_up(self.node.path());
        let esc = Arc::clone(&escalation);
        self.events.emit(|| {
            (
                Arc::clone(self.node.path()),
                EventKind::GaveUp { escalation: esc },
            )
        });
        self.shutdown_all().await;
        ExitReason::Escalation(escalation)
    }

    /// Stops one child by its shutdown policy (S6.2) and returns how it ended.
    async fn shutdown_child(&mut self, seq: u64) -> Option<ExitReason> {
        let since = Instant::now();
        self.signal_stop(seq);
        self.collect_stopped(seq, since).await
    }

    /// Asks a child to stop (cancels its token, or aborts it for brutal_kill) without waiting.
    fn signal_stop(&mut self, seq: u64) {
        let Some(child) = self.children.get_mut(&seq) else {
            return;
        };
        let policy = child.spec.shutdown();
        let brutal = policy == Shutdown::BrutalKill;
        // Nothing running: a pending restart is cancelled.
        let asked = self.transit(seq, None, |p| {
            Ok(p.stop().map(|r| {
                r.token.cancel();
                if brutal {
                    r.task.abort();
                }
                r.incarnation
            }))
        });
        if let (Some(Some(incarnation)), Some(child)) = (asked, self.children.get(&seq)) {
            let kill_after = match policy {
                Shutdown::BrutalKill => Some(Duration::ZERO),
                Shutdown::Timeout(limit) => Some(limit),
                Shutdown::Infinity => None,
            };
            self.events.emit(|| {
                let kind = EventKind::Stopping {
                    incarnation,
                    kill_after,
                };
                (Arc::clone(child.node.path()), kind)
            });
        }
    }

    /// Waits for a child signalled by [`signal_stop`](Self::signal_stop), killing it when its
    /// timeout (counted from `since`) runs out, and reaps a killed supervisor's subtree.
    async fn collect_stopped(&mut self, seq: u64, since: Instant) -> Option<ExitReason> {
        let (incarnation, task, reason) = self.await_stopped(seq, since, None).await?;
        if let Some(child) = self.children.get(&seq) {
            child.node.record_exit(task, &reason);
        }
        let stopped = EventKind::Stopped {
            incarnation,
            reason: reason.clone(),
        };
        self.transit(seq, Some(stopped), Phase::stopped);
        Some(reason)
    }

    /// [`collect_stopped`](Self::collect_stopped) without the phase change and the record: the
    /// incarnation, its task and how it ended. `grace` shortens the shutdown policy for a
    /// convicted incarnation (S11.2).
    async fn await_stopped(
        &mut self,
        seq: u64,
        since: Instant,
        grace: Option<Duration>,
    ) -> Option<(u64, Option<tokio::task::Id>, ExitReason)> {
        let child = self.children.get_mut(&seq)?;
        let policy = match (child.spec.shutdown(), grace) {
            (Shutdown::Timeout(limit), Some(grace)) => Shutdown::Timeout(limit.min(grace)),
            (Shutdown::Infinity, Some(grace)) => Shutdown::Timeout(grace),
            (policy, _) => policy,
        };
        let Phase::Stopping(r) = &mut child.phase else {
            return None;
        };
        let incarnation = r.incarnation;
        let id = r.task.id();
        let task = r.task.get()?;
        let reason = match policy {
            Shutdown::BrutalKill => {
                let _ = task.await;
                ExitReason::Killed
            }
            Shutdown::Timeout(limit) => {
                // One timer, moved from stop to stop: registering a new one for each of many
                // children, as an ordered shutdown does, costs the time driver's lock and, on
                // several threads, wakes the worker that holds the driver.
                let at = deadline(since, limit);
                let timer = match &mut self.stop_timer {
                    Some(timer) => {
                        timer.as_mut().reset(at);
                        timer
                    }
                    None => self.stop_timer.insert(Box::pin(sleep_until(at))),
                };
                tokio::select! {
                    biased;
                    _ = &mut *task => ExitReason::Shutdown,
                    _ = timer.as_mut() => {
                        task.abort();
                        let _ = task.await;
                        ExitReason::Killed
                    }
                }
            }
            Shutdown::Infinity => {
                let _ = task.await;
                ExitReason::Shutdown
            }
        };
        if matches!(reason, ExitReason::Killed) {
            if let Some(node) = self.children.get(&seq).map(|c| Arc::clone(&c.node)) {
                #[cfg(all(unix, feature = "process"))]
                crate::subprocess::until_group_empty(&node).await;
                reap(node, self.events.clone()).await;
            }
        }
        Some((incarnation, id, reason))
    }

    /// A monitor convicted a running incarnation (S11.2): it is stopped by its shutdown policy,
    /// and the stop is its exit, with `reason`, through S10 and S3-S5 like any other.
    async fn convict(
        &mut self,
        seq: u64,
        incarnation: u64,
        reason: ExitReason,
    ) -> Option<ExitReason> {
        let current = self
            .children
            .get(&seq)
            .is_some_and(|c| matches!(&c.phase, Phase::Running(r) if r.incarnation == incarnation));
        if !current {
            // That incarnation ended meanwhile: its own exit was handled.
            return None;
        }
        // A wedged task rarely answers its cancellation: it gets a short grace, then it is
        // aborted, and either way it exits with the conviction's reason (S11.2, S12.3).
        let since = Instant::now();
        self.signal_stop(seq);
        let stopped = self.await_stopped(seq, since, Some(CONVICTION_GRACE)).await;
        let (directive, source) = self.decide(seq, &reason);
        if let Some(child) = self.children.get(&seq) {
            child
                .node
                .record_exit(stopped.and_then(|(_, task, _)| task), &reason);
        }
        let exited = EventKind::Exited {
            incarnation,
            reason: reason.clone(),
            directive,
            source,
            context: None,
        };
        self.transit(seq, Some(exited), Phase::stopped);
        self.on_exit(seq, reason, directive).await
    }

    /// S6.1: every child, in reverse start order, one after another; a dynamic supervisor's
    /// children concurrently (S5.4).
    async fn shutdown_all(&mut self) {
        self.timers.clear();
        let order: Vec<u64> = self.children.keys().rev().collect();
        if self.spec.kind.stops_concurrently() {
            let since = Instant::now();
            for &seq in &order {
                self.signal_stop(seq);
            }
            for seq in order {
                self.collect_stopped(seq, since).await;
            }
        } else {
            for seq in order {
                self.shutdown_child(seq).await;
            }
        }
    }

    /// The child of this incarnation a handle names, or why there is none.
    fn locate(&self, node: &Arc<Node>) -> Result<u64, ManagementError> {
        match self.children.get(&node.seq) {
            Some(c) if Arc::ptr_eq(&c.node, node) => Ok(node.seq),
            _ => Err(gone_or_missing(node)),
        }
    }

    async fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::WhichChildren(reply) => {
                let list = self.children.values().map(info).collect();
                let _ = reply.send(list);
            }
            Command::Layout(reply) => {
                let children = (self.children.values())
                    .map(|c| (info(c), Arc::clone(&c.spec)))
                    .collect();
                let spec = Arc::clone(&self.spec);
                let _ = reply.send(Layout { spec, children });
            }
            Command::CountChildren(reply) => {
                let mut counts = ChildCounts::default();
                for c in self.children.values() {
                    counts.specs += 1;
                    counts.active += usize::from(c.phase.running().is_some());
                    match c.node.kind {
                        // As OTP counts them: whatever is not a supervisor is a worker.
                        ChildKind::Worker | ChildKind::Process => counts.workers += 1,
                        ChildKind::Supervisor => counts.supervisors += 1,
                    }
                }
                let _ = reply.send(counts);
            }
            Command::History(reply) => {
                let _ = reply.send(self.history.iter().cloned().collect());
            }
            Command::Intensity(reply) => {
                let _ = reply.send(self.window.used(Instant::now()));
            }
            Command::Terminate(node, caller, reply) => self.terminate(&node, caller, reply).await,
            Command::Restart(node, reply) => {
                let result = self.restart_stopped(&node).await;
                let _ = reply.send(result);
            }
            Command::Pause(node, reply) => {
                let result = self.pause(&node).await;
                let _ = reply.send(result);
            }
            Command::Resume(node, reply) => {
                let result = self.resume(&node).await;
                let _ = reply.send(result);
            }
            Command::Delete(node, reply) => {
                let result = self.locate(&node).and_then(|seq| {
                    match self.children.get(&seq).map(|c| c.phase.published()) {
                        Some(
                            ChildState::Stopped | ChildState::Paused | ChildState::Quarantined,
                        ) => {
                            self.remove(seq, Gone::Deleted);
                            Ok(())
                        }
                        Some(ChildState::Restarting) => {
                            Err(ManagementError::Restarting(Arc::clone(node.path())))
                        }
                        _ => Err(ManagementError::Running(Arc::clone(node.path()))),
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
            Command::Resize(size, reply) => {
                let result = self.resize(size).await;
                if let Err(Ok(queued)) = reply.send(result) {
                    if let Some(SupShape::Pool(pool)) = self.sup().map(|s| &s.kind) {
                        let n = queued.iter().map(|(n, _)| n).sum::<usize>() as u64;
                        let why = "a cancelled resize dropped its retired slots' messages";
                        pool.shared.drop_messages(n, self.node.path(), why);
                    }
                }
            }
            Command::Pulse(pulse, reply) => {
                self.pulse = Some((pulse, Instant::now()));
                self.beat();
                let _ = reply.send(());
            }
        }
    }

    /// Sends the pulse's beat and sets the next one, one period on (S16.4). A late loop does not
    /// catch up with a burst: one beat says as much as several.
    fn beat(&mut self) {
        let now = Instant::now();
        let vitals = Vitals::of(&self.node);
        if let Some((pulse, next)) = &mut self.pulse {
            (pulse.beat)(&vitals);
            *next = deadline(now, pulse.every);
        }
    }

    /// S14.5: a pool to `size` slots. New slots start, numbered on; the highest stop by their
    /// shutdown policy, leave the table and the published slots, and are handed back with
    /// their mailboxes open.
    async fn resize(
        &mut self,
        size: usize,
    ) -> Result<Vec<(usize, Box<dyn std::any::Any + Send>)>, ManagementError> {
        if self.spec.kind.pool().is_none() {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        }
        if size == 0 {
            return Err(ManagementError::Spec(SpecError {
                path: Arc::clone(self.node.path()),
                rule: crate::error::SpecRule::ZeroPoolSize,
            }));
        }
        let slots: Vec<u64> = self.children.range(..).map(|(s, _)| s).collect();
        for slot in slots.len()..size {
            self.add_slot(slot).await?;
        }
        let mut queued = Vec::new();
        for &seq in slots.iter().skip(size).rev() {
            self.shutdown_child(seq).await;
            // Its messages are taken before it goes, so that none counts as undelivered, and it
            // goes now, before its path can name a new slot (S9.10).
            if let Some(messages) = self.children.get(&seq).and_then(|c| c.node.take_queued()) {
                queued.push(messages);
            }
            self.remove(seq, Gone::Deleted);
        }
        queued.reverse();
        Ok(queued)
    }

    /// S9.3: stop a child without counting it as a failure; a temporary or dynamic child's spec
    /// goes (S5.5).
    async fn terminate(
        &mut self,
        node: &Arc<Node>,
        caller: Option<tokio::task::Id>,
        reply: Reply<()>,
    ) {
        let seq = match self.locate(node) {
            Ok(seq) => seq,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        // A child stopping itself waits for this answer; answering only after it stopped would
        // never happen with `Shutdown::Infinity`. It gets the answer first, then its cancellation.
        let own = caller.is_some()
            && self
                .children
                .get(&seq)
                .and_then(|c| c.phase.running())
                .is_some_and(|r| r.task.id() == caller);
        let reply = if own {
            let _ = reply.send(Ok(()));
            None
        } else {
            Some(reply)
        };
        self.shutdown_child(seq).await;
        let rules = self.rules();
        if self
            .children
            .get(&seq)
            .is_some_and(|c| ends_for_good(&rules, c.spec.restart))
        {
            self.remove(seq, Gone::Ended);
        }
        if let Some(reply) = reply {
            let _ = reply.send(Ok(()));
        }
    }

    /// S18.3: stopped by its shutdown policy, without counting as an exit of its own, and held.
    async fn pause(&mut self, node: &Arc<Node>) -> Result<(), ManagementError> {
        let seq = self.locate(node)?;
        self.shutdown_child(seq).await;
        if self
            .children
            .get(&seq)
            .is_some_and(|c| c.phase.published() == ChildState::Paused)
        {
            return Ok(());
        }
        self.transit(seq, Some(EventKind::Paused), |p| p.hold(Hold::Paused));
        Ok(())
    }

    /// S18.1, S18.3: a held child released, with a fresh budget, and started.
    async fn resume(&mut self, node: &Arc<Node>) -> Result<(), ManagementError> {
        let seq = self.locate(node)?;
        let child = self.children.get_mut(&seq);
        let Some(child) = child.filter(|c| matches!(c.phase, Phase::Held(_))) else {
            return Err(ManagementError::NotHeld(Arc::clone(node.path())));
        };
        if let Some(history) = child.history.as_mut() {
            history.budget = None;
        }
        self.transit(seq, Some(EventKind::Resumed), Phase::release);
        self.start_child(seq)
            .await
            .map_err(|cause| ManagementError::StartFailed {
                path: Arc::clone(node.path()),
                cause,
            })
    }

    async fn restart_stopped(&mut self, node: &Arc<Node>) -> Result<(), ManagementError> {
        let seq = self.locate(node)?;
        match self.children.get(&seq).map(|c| c.phase.published()) {
            Some(ChildState::Stopped) => {}
            // A held child is resumed.
            Some(ChildState::Paused | ChildState::Quarantined) => return self.resume(node).await,
            Some(ChildState::Restarting) => {
                return Err(ManagementError::Restarting(Arc::clone(node.path())))
            }
            _ => return Err(ManagementError::Running(Arc::clone(node.path()))),
        }
        self.start_child(seq)
            .await
            .map_err(|cause| ManagementError::StartFailed {
                path: Arc::clone(node.path()),
                cause,
            })
    }

    async fn add_static(&mut self, spec: ErasedChild) -> Result<Arc<Node>, ManagementError> {
        let Some(sup) = self.sup() else {
            return Err(ManagementError::NotRunning(Arc::clone(self.node.path())));
        };
        if self.spec.kind.template().is_some() {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        }
        if sup
            .lookup(&spec.id)
            .is_some_and(|n| n.state().gone().is_none())
        {
            return Err(ManagementError::AlreadyExists(spec.id));
        }
        let path = crate::node::join_path(self.node.path(), &spec.id);
        check_child(&spec, &path, self.spec.auto_shutdown)?;
        let id = Arc::clone(&spec.id);
        self.add_and_start(Arc::new(spec), id, None).await
    }

    /// A pool's slot number `slot`: its id is its number, whatever the pool's incarnation, so
    /// that its path and metric labels stay the same across the pool's restarts (S14.2).
    async fn add_slot(&mut self, slot: usize) -> Result<Arc<Node>, ManagementError> {
        let SupervisorKind::Pool(template, _) = &self.spec.kind else {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        };
        let template = Arc::new(template.template.clone());
        let id: Arc<str> = Arc::from(slot.to_string());
        self.add_and_start(template, id, Some(crate::context::args_slot(slot)))
            .await
    }

    async fn add_dynamic(&mut self, args: AnyArc) -> Result<Arc<Node>, ManagementError> {
        let (SupervisorKind::Dynamic(dynamic), Some(sup)) = (&self.spec.kind, self.sup()) else {
            return Err(ManagementError::WrongKind(Arc::clone(self.node.path())));
        };
        if let Some(max) = dynamic.max_children {
            if self.children.len() >= max {
                return Err(ManagementError::MaxChildren(max));
            }
        }
        let template = Arc::new(dynamic.template.clone());
        let number = sup
            .next_dynamic
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id: Arc<str> = Arc::from(number.to_string());
        self.add_and_start(template, id, Some(args)).await
    }

    async fn add_and_start(
        &mut self,
        spec: Arc<ErasedChild>,
        id: Arc<str>,
        args: Option<AnyArc>,
    ) -> Result<Arc<Node>, ManagementError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let node = Node::instantiate(&spec, id, seq, Some(self.node.path()), &self.events);
        if let Some(sup) = self.sup() {
            sup.register(&node);
        }
        self.children
            .push(seq, Child::new(spec, Arc::clone(&node), args));
        if !self.starting_slots {
            self.publish_slots();
        }
        match self.start_child(seq).await {
            Ok(()) => Ok(node),
            Err(cause) => {
                self.remove(seq, Gone::Ended);
                Err(ManagementError::StartFailed {
                    path: Arc::clone(node.path()),
                    cause,
                })
            }
        }
    }
}

/// Why a node is not among the children of its supervisor's current incarnation.
pub(crate) fn gone_or_missing(node: &Node) -> ManagementError {
    match node.state().gone() {
        Some(how) => ManagementError::Gone {
            path: Arc::clone(node.path()),
            how,
        },
        None => ManagementError::NotFound(Arc::clone(node.path())),
    }
}

/// One line of `which_children` (S9.1).
fn info(c: &Child) -> ChildInfo {
    ChildInfo {
        id: Arc::clone(&c.node.id),
        state: c.phase.published(),
        kind: c.node.kind,
        restarts: c.node.restarts(),
        incarnation: c.node.incarnation(),
        restart_at: match c.phase {
            Phase::Pending { at, .. } => Some(at),
            _ => None,
        },
        health: c.node.health(),
        waiting_for: match &c.phase {
            Phase::Pending { waiting_for, .. } => waiting_for.clone(),
            _ => None,
        },
        phi: match c.phase {
            Phase::Running(_) => c.node.beats().and_then(|b| b.phi()),
            _ => None,
        },
        last_exit: c.history.as_ref().and_then(|h| h.last_exit.clone()),
        last_message: match c.phase {
            Phase::Running(_) => None,
            _ => c.node.last_message(),
        },
        readiness: c.spec.readiness(),
        mailbox: c.node.mailbox_use(),
        busy: matches!(c.phase, Phase::Running(_))
            && c.node.mailbox_use().is_some()
            && c.node.busy(),
        context: match c.history {
            Some(_) => c.crash_context(),
            None => None,
        },
        process: c.node.process_slot().map(|p| crate::event::ProcessInfo {
            pid: p.group().and_then(|g| u32::try_from(g).ok()),
            command: p.command(),
            stderr_tail: p.stderr_tail(),
        }),
    }
}

/// The trace of a transition, and its count (the `metrics` feature). The path is joined only if
/// the level is enabled: most workers' paths are never needed. A dynamic supervisor's children
/// are counted together, their ids being unbounded.
fn record(node: &Node, dynamic: bool, kind: &EventKind) {
    let labels = || telemetry::ChildLabels {
        supervisor: node.parent_path().unwrap_or(&node.id),
        child: (!dynamic).then_some(&node.id),
    };
    match kind {
        EventKind::StartFailed { .. } => telemetry::start_failed(labels()),
        EventKind::Exited { reason, .. } | EventKind::Stopped { reason, .. } => {
            telemetry::exited(labels(), reason)
        }
        EventKind::Restarting { .. } => telemetry::restarting(labels()),
        _ => {}
    }
    match kind {
        EventKind::Started { incarnation } => {
            tracing::debug!(child = %node.path(), incarnation, "started")
        }
        EventKind::StartFailed {
            incarnation,
            reason,
        } => tracing::error!(child = %node.path(), incarnation, %reason, "failed to start"),
        EventKind::Exited { reason, .. } if reason.is_abnormal() => {
            tracing::warn!(child = %node.path(), %reason, "child exited")
        }
        EventKind::Exited { reason, .. } => {
            tracing::debug!(child = %node.path(), %reason, "child exited")
        }
        EventKind::Restarting { delay, restarts } => {
            tracing::info!(child = %node.path(), ?delay, restarts, "restarting")
        }
        EventKind::Stopped { reason, .. } => {
            tracing::debug!(child = %node.path(), %reason, "stopped")
        }
        _ => {}
    }
}

impl Drop for Engine {
    /// Ends this incarnation. Normally every child is stopped by now; if the supervisor was
    /// killed (its task aborted), its children are aborted here and their tasks left for the
    /// killer to await, which reports each stop once its task is gone (S6.3). Children added at run time
    /// go with the incarnation; the root takes the whole tree with it.
    fn drop(&mut self) {
        telemetry::active(self.node.path(), 0);
        let own = Arc::clone(&self.node);
        let Some(sup) = own.sup.as_deref() else {
            return;
        };
        sup.set_sender(None);
        let declared = self.spec.children.len() as u64;
        // The usual end: every child stopped, none added at run time. Nothing to account for.
        let idle = self
            .children
            .iter()
            .all(|(seq, c)| seq < declared && matches!(c.phase, Phase::Stopped));
        if idle {
            if self.root {
                self.node.go(Gone::TreeEnded, &self.events);
                self.events.close();
            }
            return;
        }
        let seqs: Vec<u64> = self.children.keys().rev().collect();
        let mut aborted = Vec::new();
        for seq in seqs {
            let Some(old) = self.transit(seq, None, |p| Ok(p.abandon())) else {
                continue;
            };
            let Some(child) = self.children.get(&seq) else {
                continue;
            };
            let node = Arc::clone(&child.node);
            // Children added at run time go with this incarnation; the root's with the tree.
            let how = if self.root {
                Gone::TreeEnded
            } else {
                Gone::SupervisorEnded
            };
            let then_gone = (seq >= declared).then_some(how);
            let (task, incarnation) = match old {
                Phase::Starting(Some(mut r)) | Phase::Running(mut r) | Phase::Stopping(mut r) => {
                    (r.task.abort_and_take(), Some(r.incarnation))
                }
                // A supervisor child starting its subtree in this task: the subtree's own
                // engine was dropped with that start.
                Phase::Starting(None) => (None, None),
                Phase::Stopped | Phase::Pending { .. } | Phase::Held(_) => {
                    if let Some(how) = then_gone {
                        node.go(how, &self.events);
                    }
                    continue;
                }
            };
            aborted.push(Aborted {
                node,
                task,
                incarnation,
                then_gone,
            });
        }
        if let Ok(mut list) = sup.aborted.lock() {
            list.extend(aborted);
        }
        // The incarnation's run-time children are accounted for above; none is reachable now.
        drop(sup.take_added());
        if self.root {
            self.node.go(Gone::TreeEnded, &self.events);
            self.events.close();
        }
    }
}
