//! The page's model of the tree: one row per node, the recent events and the breakers, kept
//! from the event stream and from walks of the tree, and written out as JSON.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use supervisor_runtime::{
    BreakerState, ChildInfo, ChildKind, ChildState, CrashContext, Directive, Event, EventKind,
    ExitReason, HealthStatus, IntensityUse, LastMessage, PictureNode, ProcessInfo,
};
use tokio::time::Instant;

use crate::Redact;

/// Restart times kept per node, for the ticks beside its row.
const TICKS: usize = 32;

/// One node of the tree as the page shows it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Row {
    /// Its place in the picture's depth-first start order; new nodes go last until drawn.
    pub order: usize,
    pub kind: &'static str,
    pub label: String,
    pub state: &'static str,
    pub incarnation: Option<u64>,
    pub restarts: u32,
    pub intensity: Option<String>,
    /// When its restart is due.
    pub restart_at: Option<Instant>,
    pub health: &'static str,
    pub health_cause: Option<Arc<str>>,
    pub phi: Option<f64>,
    pub waiting_for: Option<Arc<str>>,
    pub mailbox: Option<(usize, usize)>,
    /// A process child's running pid, its command, and the tail of its stderr (S20).
    pub process: Option<ProcessInfo>,
    /// Kept as they came and written out only when a page asks: with no page reading, a
    /// restart costs the model a few field writes.
    pub last_exit: Option<ExitReason>,
    pub directive: Option<Directive>,
    /// Its crash context (S19).
    pub context: Option<Arc<CrashContext>>,
    pub last_message: Option<LastMessage>,
    /// When its stop began and when its kill comes (`None`: it is waited for).
    pub stopping: Option<(Instant, Option<Instant>)>,
    /// When its last restarts were decided.
    pub ticks: VecDeque<Instant>,
}

/// The tree's status in the page's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Running,
    ShuttingDown,
    Stopped,
    GaveUp,
    /// It ended while no page was open: how is not known.
    Ended,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::ShuttingDown => "shutting down",
            Status::Stopped => "stopped",
            Status::GaveUp => "gave up",
            Status::Ended => "ended",
        }
    }
}

/// One entry of the timeline.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Its place in the timeline: batches send the entries after the last one sent.
    pub seq: u64,
    pub at: Instant,
    pub path: Arc<str>,
    pub what: What,
}

/// What an entry says: an event of the tree, written out when a page asks, or a line of the
/// observer's own (an action, or a child's recent life from before the page was open).
#[derive(Clone, Debug)]
pub(crate) enum What {
    Event(EventKind),
    Line(&'static str, String),
}

/// The most timeline entries one batch carries: a page shows a few hundred; the rest of a
/// burst is counted.
const EVENTS_PER_BATCH: usize = 200;

/// Everything the page shows, as of the last event and walk.
pub(crate) struct Model {
    pub name: String,
    /// The tree's start, and the same moment on the wall clock: times on the page are
    /// milliseconds since the first, shown as the second.
    pub epoch: Instant,
    pub epoch_wall: SystemTime,
    /// By path; the page orders them by `order`.
    pub rows: HashMap<Arc<str>, Row>,
    pub timeline: VecDeque<Entry>,
    pub history: usize,
    pub breakers: BTreeMap<String, (BreakerState, u32, Option<Instant>)>,
    pub status: Status,
    pub live: bool,
    pub ready: bool,
    /// Paths changed since the last batch.
    pub touched: HashSet<Arc<str>>,
    /// The next entry's number, and the last one a batch carried.
    pub next_seq: u64,
    pub sent_seq: u64,
    /// Entries left out of batches in bursts, all told.
    pub skipped: u64,
    pub breakers_touched: bool,
    pub header_touched: bool,
    /// The version of the diagram drawn last: the page fetches it again when it changes.
    pub diagram: u64,
    /// Whether the diagram must be drawn again: nodes came.
    pub redraw: bool,
    /// Events a slow page missed, all told (S21.3).
    pub dropped: u64,
    pub redact: Option<Redact>,
}

impl Model {
    pub(crate) fn new(name: String, history: usize, redact: Option<Redact>) -> Self {
        Model {
            name,
            epoch: Instant::now(),
            epoch_wall: SystemTime::now(),
            rows: HashMap::new(),
            timeline: VecDeque::new(),
            history,
            breakers: BTreeMap::new(),
            status: Status::Running,
            live: true,
            ready: false,
            touched: HashSet::new(),
            next_seq: 1,
            sent_seq: 0,
            skipped: 0,
            breakers_touched: false,
            header_touched: false,
            diagram: 0,
            redraw: true,
            dropped: 0,
            redact,
        }
    }

    fn said(&self, text: String) -> String {
        match &self.redact {
            Some(redact) => redact(&text),
            None => text,
        }
    }

    fn row(&mut self, path: &Arc<str>) -> &mut Row {
        self.touched.insert(Arc::clone(path));
        match self.rows.entry(Arc::clone(path)) {
            std::collections::hash_map::Entry::Occupied(row) => row.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                // A node not seen yet: a child added at run time. The next walk draws and
                // labels it.
                self.redraw = true;
                slot.insert(Row {
                    order: usize::MAX,
                    kind: "worker",
                    label: path.rsplit('/').next().unwrap_or_default().to_owned(),
                    state: "starting",
                    health: "unknown",
                    ..Row::default()
                })
            }
        }
    }

    /// Takes one event of the tree into the rows and the timeline; nothing is written out.
    pub(crate) fn apply(&mut self, event: &Event) {
        let at = event.at;
        let path = &event.path;
        match &event.kind {
            EventKind::Started { incarnation } => {
                let row = self.row(path);
                row.state = "running";
                row.incarnation = Some(*incarnation);
                row.restart_at = None;
                row.stopping = None;
                row.waiting_for = None;
            }
            EventKind::StartFailed { reason, .. } => {
                self.row(path).last_exit = Some(reason.clone());
            }
            EventKind::Exited {
                reason,
                directive,
                context,
                ..
            } => {
                let row = self.row(path);
                row.state = "exited";
                // A normal exit calls for nothing: its restart type alone decides.
                row.directive = reason.is_abnormal().then_some(*directive);
                row.last_exit = Some(reason.clone());
                if let Some(context) = context {
                    row.last_message = context.last_message.or(row.last_message);
                    row.context = Some(Arc::clone(context));
                }
            }
            EventKind::Health { status, cause, .. } => {
                let row = self.row(path);
                row.health = health_name(*status);
                row.health_cause = cause.clone();
            }
            EventKind::Suspect { phi, .. } => self.row(path).phi = Some(*phi),
            EventKind::Breaker {
                state,
                consecutive_failures,
                retry_in,
            } => {
                let reopens = retry_in.map(|d| at + d);
                (self.breakers).insert(path.to_string(), (*state, *consecutive_failures, reopens));
                self.breakers_touched = true;
            }
            EventKind::AwaitingBreaker { breaker, .. } => {
                self.row(path).waiting_for = Some(Arc::clone(breaker));
            }
            EventKind::Restarting { delay, restarts } => {
                let row = self.row(path);
                row.state = "restarting";
                row.restarts = *restarts;
                row.restart_at = Some(at + *delay);
                row.ticks.push_back(at);
                if row.ticks.len() > TICKS {
                    row.ticks.pop_front();
                }
            }
            EventKind::Stopping { kill_after, .. } => {
                let row = self.row(path);
                row.state = "stopping";
                row.stopping = Some((at, kill_after.map(|d| at + d)));
            }
            EventKind::Stopped { reason, .. } => {
                let row = self.row(path);
                row.state = "stopped";
                row.stopping = None;
                row.last_exit = Some(reason.clone());
            }
            EventKind::Gone { .. } => {
                self.row(path).state = "gone";
                // Its row and box go at the next walk.
                self.redraw = true;
            }
            EventKind::GaveUp { .. } => {
                if **path == *self.name {
                    self.status = Status::GaveUp;
                    self.live = false;
                    self.ready = false;
                    self.header_touched = true;
                }
            }
            EventKind::AutoShutdown => {}
            _ => return,
        }
        self.push(at, Arc::clone(path), What::Event(event.kind.clone()));
    }

    /// Adds an entry to the timeline.
    pub(crate) fn push(&mut self, at: Instant, path: Arc<str>, what: What) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.timeline.push_back(Entry {
            seq,
            at,
            path,
            what,
        });
        while self.timeline.len() > self.history {
            self.timeline.pop_front();
        }
    }

    /// Adds the recent lives of children (S19) to the timeline, where they are newer than
    /// what it holds: what happened while no page was open.
    pub(crate) fn recall(&mut self, contexts: &[Arc<CrashContext>]) {
        let since = self.timeline.back().map(|e| e.at);
        let mut lines: Vec<(Instant, Arc<str>, String)> = Vec::new();
        for c in contexts {
            for r in &c.recent {
                if since.is_none_or(|s| r.at > s) {
                    lines.push((r.at, Arc::clone(&c.path), r.what.to_string()));
                }
            }
        }
        lines.sort_by_key(|(at, _, _)| *at);
        let keep = lines.len().saturating_sub(self.history);
        for (at, path, text) in lines.into_iter().skip(keep) {
            self.push(at, path, What::Line("recalled", text));
        }
    }

    /// Takes a supervisor's answer to a walk: each child's line of `which_children`.
    pub(crate) fn refresh(&mut self, sup_path: &str, infos: &[ChildInfo], now: Instant) {
        for info in infos {
            let path: Arc<str> = Arc::from(format!("{sup_path}/{}", info.id));
            let before = self.rows.get(&path).cloned();
            let row = self.row(&path);
            if info.kind == ChildKind::Supervisor && row.kind == "worker" {
                row.kind = "supervisor";
            }
            row.state = info.state.name();
            row.incarnation = info.incarnation;
            row.restarts = info.restarts;
            row.restart_at = info.restart_at.filter(|&at| at > now);
            row.health = health_name(info.health);
            row.phi = info.phi;
            row.waiting_for.clone_from(&info.waiting_for);
            row.mailbox = info.mailbox.map(|m| (m.queued, m.capacity));
            row.process.clone_from(&info.process);
            if info.kind == ChildKind::Process {
                row.kind = "process";
            }
            if info.last_exit.is_some() {
                row.last_exit.clone_from(&info.last_exit);
            }
            if info.last_message.is_some() {
                row.last_message = info.last_message;
            }
            if info.context.is_some() {
                row.context.clone_from(&info.context);
            }
            if info.state != ChildState::Stopping {
                row.stopping = None;
            }
            if before.is_some_and(|b| same(&b, row)) {
                self.touched.remove(&path);
            }
        }
    }

    /// Takes a supervisor's intensity in use.
    pub(crate) fn intensity(&mut self, path: &str, used: IntensityUse) {
        let text = used.to_string();
        if let Some(row) = self.rows.get_mut(path) {
            if row.intensity.as_deref() != Some(&text) {
                row.intensity = Some(text);
                self.touched.insert(Arc::from(path));
            }
        }
    }

    /// Takes the picture's labels and kinds; drops the rows of nodes no longer in the tree.
    pub(crate) fn layout(&mut self, nodes: &[PictureNode]) {
        let present: HashSet<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
        let gone: Vec<Arc<str>> = (self.rows.keys())
            .filter(|p| !present.contains(&***p))
            .cloned()
            .collect();
        for path in gone {
            self.rows.remove(&path);
            self.touched.insert(path);
        }
        for (order, node) in nodes.iter().enumerate() {
            let path: Arc<str> = Arc::from(node.path.as_str());
            let root = *path == *self.name;
            let row = self.row(&path);
            row.order = order;
            row.kind = node.kind;
            row.label.clone_from(&node.label);
            if root && row.state == "starting" {
                row.state = "running";
            }
        }
    }

    /// The header's fields.
    fn header(&self, now: Instant) -> Value {
        json!({
            "name": self.name,
            "status": self.status.name(),
            "live": self.live,
            "ready": self.ready,
            "uptime_ms": ms(now.saturating_duration_since(self.epoch)),
            "epoch_wall_ms": self.epoch_wall.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            "now_ms": self.at(now),
            "dropped": self.dropped + self.skipped,
            "diagram": self.diagram,
        })
    }

    fn at(&self, at: Instant) -> u64 {
        ms(at.saturating_duration_since(self.epoch))
    }

    fn row_json(&self, path: &str, row: &Row, now: Instant) -> Value {
        let mut out = Map::new();
        out.insert("path".into(), json!(path));
        out.insert("order".into(), json!(row.order.min(1 << 40)));
        out.insert("kind".into(), json!(row.kind));
        out.insert("label".into(), json!(row.label));
        out.insert("state".into(), json!(row.state));
        out.insert("incarnation".into(), json!(row.incarnation));
        out.insert("restarts".into(), json!(row.restarts));
        out.insert("intensity".into(), json!(row.intensity));
        out.insert(
            "restart_in_ms".into(),
            json!(row
                .restart_at
                .map(|at| ms(at.saturating_duration_since(now)))),
        );
        out.insert("health".into(), json!(row.health));
        let said = |text: Option<String>| text.map(|t| self.said(t));
        out.insert(
            "health_cause".into(),
            json!(said(row.health_cause.as_ref().map(|c| c.to_string()))),
        );
        out.insert("phi".into(), json!(row.phi.filter(|p| p.is_finite())));
        out.insert("waiting_for".into(), json!(row.waiting_for.as_deref()));
        out.insert("mailbox".into(), json!(row.mailbox));
        if let Some(p) = &row.process {
            out.insert("pid".into(), json!(p.pid));
            out.insert("command".into(), json!(self.said(p.command.to_string())));
            let tail: Vec<String> = (p.stderr_tail.iter())
                .map(|l| self.said(l.to_string()))
                .collect();
            out.insert("stderr".into(), json!(tail));
        }
        let exit = row.last_exit.as_ref();
        out.insert("last_exit".into(), json!(said(exit.map(|r| r.to_string()))));
        let directive = row.directive.map(|d| d.to_string());
        out.insert("directive".into(), json!(directive));
        out.insert("chain".into(), json!(said(exit.map(|r| format!("{r:#}")))));
        let context: Vec<String> = row.context.as_ref().map_or_else(Vec::new, |c| {
            let end = c.recent.last().map(|r| r.at);
            c.recent
                .iter()
                .map(|r| {
                    let ago = end.map_or(Duration::ZERO, |e| e.saturating_duration_since(r.at));
                    self.said(format!("-{ago:.3?} {}", r.what))
                })
                .collect()
        });
        out.insert("context".into(), json!(context));
        let message = row.last_message.map(|m| m.to_string());
        out.insert("last_message".into(), json!(said(message)));
        out.insert(
            "stopping".into(),
            json!(row.stopping.map(|(since, kill)| json!({
                "since_ms": self.at(since),
                "kill_in_ms": kill.map(|k| ms(k.saturating_duration_since(now))),
            }))),
        );
        out.insert(
            "ticks".into(),
            json!(row.ticks.iter().map(|&t| self.at(t)).collect::<Vec<_>>()),
        );
        Value::Object(out)
    }

    fn entry_json(&self, e: &Entry) -> Value {
        let (kind, text) = match &e.what {
            What::Event(kind) => (kind_name(kind), self.said(event_text(kind))),
            What::Line(kind, text) => (*kind, self.said(text.clone())),
        };
        json!({ "at_ms": self.at(e.at), "path": &*e.path, "kind": kind, "text": text })
    }

    fn breakers_json(&self, now: Instant) -> Value {
        Value::Array(
            self.breakers
                .iter()
                .map(|(name, (state, failures, reopens))| {
                    json!({
                        "name": name,
                        "state": breaker_name(*state),
                        "failures": failures,
                        "reopens_in_ms": reopens.map(|r| ms(r.saturating_duration_since(now))),
                    })
                })
                .collect(),
        )
    }

    /// The whole model, for a page that starts or resyncs.
    pub(crate) fn snapshot(&self, now: Instant) -> Value {
        json!({
            "header": self.header(now),
            "rows": self.rows.iter().map(|(p, r)| self.row_json(p, r, now)).collect::<Vec<_>>(),
            "timeline": self.timeline.iter().map(|e| self.entry_json(e)).collect::<Vec<_>>(),
            "breakers": self.breakers_json(now),
        })
    }

    /// What changed since the last batch, or `None` when nothing did; clears the changes.
    pub(crate) fn batch(&mut self, now: Instant) -> Option<Value> {
        let fresh = self.timeline.back().is_some_and(|e| e.seq > self.sent_seq);
        if self.touched.is_empty() && !fresh && !self.breakers_touched && !self.header_touched {
            return None;
        }
        let touched = std::mem::take(&mut self.touched);
        let rows: Vec<Value> = touched
            .iter()
            .map(|p| match self.rows.get(p) {
                Some(r) => self.row_json(p, r, now),
                None => json!({ "path": &**p, "removed": true }),
            })
            .collect();
        let new = (self.timeline.iter().rev())
            .take_while(|e| e.seq > self.sent_seq)
            .count();
        // A burst beyond what a page shows is counted, not written out.
        let skip = new.saturating_sub(EVENTS_PER_BATCH);
        self.skipped += skip as u64;
        let first = self.timeline.len() - new + skip;
        let events: Vec<Value> = (self.timeline.range(first..))
            .map(|e| self.entry_json(e))
            .collect();
        self.sent_seq = self.timeline.back().map_or(self.sent_seq, |e| e.seq);
        let breakers = if self.breakers_touched {
            self.breakers_json(now)
        } else {
            Value::Null
        };
        self.breakers_touched = false;
        self.header_touched = false;
        Some(json!({
            "header": self.header(now),
            "rows": rows,
            "events": events,
            "breakers": breakers,
        }))
    }
}

/// Whether a walk found a row as it was: no batch for it then.
fn same(a: &Row, b: &Row) -> bool {
    a.state == b.state
        && a.incarnation == b.incarnation
        && a.restarts == b.restarts
        && a.restart_at == b.restart_at
        && a.health == b.health
        && a.phi == b.phi
        && a.waiting_for == b.waiting_for
        && a.mailbox == b.mailbox
        && a.process == b.process
        && a.last_exit.as_ref().map(ToString::to_string)
            == b.last_exit.as_ref().map(ToString::to_string)
        && a.last_message == b.last_message
        && a.stopping == b.stopping
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

fn health_name(health: HealthStatus) -> &'static str {
    match health {
        HealthStatus::Unknown => "unknown",
        HealthStatus::Healthy => "healthy",
        HealthStatus::Degraded => "degraded",
        HealthStatus::Unhealthy => "unhealthy",
    }
}

fn breaker_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half-open",
    }
}

fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Started { .. } => "started",
        EventKind::StartFailed { .. } => "start_failed",
        EventKind::Exited { .. } => "exited",
        EventKind::Health { .. } => "health",
        EventKind::Suspect { .. } => "suspect",
        EventKind::Breaker { .. } => "breaker",
        EventKind::AwaitingBreaker { .. } => "awaiting_breaker",
        EventKind::Restarting { .. } => "restarting",
        EventKind::Stopping { .. } => "stopping",
        EventKind::Stopped { .. } => "stopped",
        EventKind::Gone { .. } => "gone",
        EventKind::GaveUp { .. } => "gave_up",
        EventKind::AutoShutdown => "auto_shutdown",
        _ => "other",
    }
}

/// An event as the timeline writes it.
fn event_text(kind: &EventKind) -> String {
    match kind {
        EventKind::Started { incarnation } => format!("incarnation {incarnation} up"),
        EventKind::StartFailed {
            incarnation,
            reason,
        } => format!("incarnation {incarnation} failed to start: {reason}"),
        EventKind::Exited {
            incarnation,
            reason,
            directive,
            ..
        } if reason.is_abnormal() => {
            format!("incarnation {incarnation} exited: {reason} ({directive})")
        }
        EventKind::Exited {
            incarnation,
            reason,
            ..
        } => format!("incarnation {incarnation} exited: {reason}"),
        EventKind::Health { status, cause, .. } => match cause {
            Some(c) => format!("{}: {c}", health_name(*status)),
            None => health_name(*status).to_owned(),
        },
        EventKind::Suspect { phi, .. } => format!("suspect, phi {phi:.1}"),
        EventKind::Breaker { state, .. } => format!("breaker {}", breaker_name(*state)),
        EventKind::AwaitingBreaker { breaker, retry_in } => {
            format!("restart waits for breaker {breaker} ({retry_in:?})")
        }
        EventKind::Restarting { delay, restarts } => format!("restart {restarts} in {delay:?}"),
        EventKind::Stopping {
            incarnation,
            kill_after: Some(d),
        } => format!("incarnation {incarnation} stopping, killed in {d:?}"),
        EventKind::Stopping { incarnation, .. } => {
            format!("incarnation {incarnation} stopping, waited for")
        }
        EventKind::Stopped {
            incarnation,
            reason,
        } => format!("incarnation {incarnation} stopped: {reason}"),
        EventKind::Gone { how, undelivered } => {
            format!("gone ({how}), {undelivered} messages undelivered")
        }
        EventKind::GaveUp { escalation } => format!("gave up: {escalation}"),
        EventKind::AutoShutdown => "auto_shutdown".to_owned(),
        _ => String::new(),
    }
}
