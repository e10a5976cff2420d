//! The page's model of the tree: one row per node, the recent events and the breakers, kept
//! from the event stream and from walks of the tree, and written out as JSON.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use supervisor_runtime::{
    BreakerState, ChildInfo, ChildKind, ChildState, Event, EventKind, ExitReason, HealthStatus,
    IntensityUse, PictureNode,
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
    pub health_cause: Option<String>,
    pub phi: Option<f64>,
    pub waiting_for: Option<String>,
    pub mailbox: Option<(usize, usize)>,
    pub last_exit: Option<String>,
    pub directive: Option<String>,
    /// The last exit's whole chain of causes (`{:#}`).
    pub chain: Option<String>,
    /// Its crash context (S19), one line per entry.
    pub context: Vec<String>,
    pub last_message: Option<String>,
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
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::ShuttingDown => "shutting down",
            Status::Stopped => "stopped",
            Status::GaveUp => "gave up",
        }
    }
}

/// One entry of the timeline.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub at: Instant,
    pub path: Arc<str>,
    pub kind: &'static str,
    pub text: String,
}

/// Everything the page shows, as of the last event and walk.
pub(crate) struct Model {
    pub name: String,
    /// The tree's start, and the same moment on the wall clock: times on the page are
    /// milliseconds since the first, shown as the second.
    pub epoch: Instant,
    pub epoch_wall: SystemTime,
    pub rows: BTreeMap<Arc<str>, Row>,
    pub timeline: VecDeque<Entry>,
    pub history: usize,
    pub breakers: BTreeMap<String, (BreakerState, u32, Option<Instant>)>,
    pub status: Status,
    pub live: bool,
    pub ready: bool,
    /// Paths changed since the last batch.
    pub touched: BTreeSet<Arc<str>>,
    /// Timeline entries not yet sent.
    pub fresh: Vec<Entry>,
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
            rows: BTreeMap::new(),
            timeline: VecDeque::new(),
            history,
            breakers: BTreeMap::new(),
            status: Status::Running,
            live: true,
            ready: false,
            touched: BTreeSet::new(),
            fresh: Vec::new(),
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

    fn reason(&self, reason: &ExitReason) -> String {
        self.said(reason.to_string())
    }

    fn row(&mut self, path: &Arc<str>) -> &mut Row {
        self.touched.insert(Arc::clone(path));
        if !self.rows.contains_key(path) {
            // A node not seen yet: a child added at run time. The next walk draws and labels
            // it.
            self.redraw = true;
        }
        self.rows.entry(Arc::clone(path)).or_insert_with(|| Row {
            order: usize::MAX,
            kind: "worker",
            label: path.rsplit('/').next().unwrap_or_default().to_owned(),
            state: "starting",
            health: "unknown",
            ..Row::default()
        })
    }

    /// Takes one event of the tree into the model and the timeline.
    pub(crate) fn apply(&mut self, event: &Event) {
        let at = event.at;
        let path = &event.path;
        let text = match &event.kind {
            EventKind::Started { incarnation } => {
                let row = self.row(path);
                row.state = "running";
                row.incarnation = Some(*incarnation);
                row.restart_at = None;
                row.stopping = None;
                row.waiting_for = None;
                format!("incarnation {incarnation} up")
            }
            EventKind::StartFailed {
                incarnation,
                reason,
            } => {
                let said = self.reason(reason);
                let row = self.row(path);
                row.last_exit = Some(said.clone());
                format!("incarnation {incarnation} failed to start: {said}")
            }
            EventKind::Exited {
                incarnation,
                reason,
                directive,
                context,
                ..
            } => {
                let said = self.reason(reason);
                let chain = self.said(format!("{reason:#}"));
                let lines: Vec<String> = context
                    .as_ref()
                    .map(|c| {
                        c.recent
                            .iter()
                            .map(|r| {
                                let ago = at.saturating_duration_since(r.at);
                                self.said(format!("-{ago:.3?} {}", r.what))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let message = context
                    .as_ref()
                    .and_then(|c| c.last_message.as_ref())
                    .map(|m| self.said(m.to_string()));
                let row = self.row(path);
                row.state = "exited";
                row.last_exit = Some(said.clone());
                // A normal exit calls for nothing: its restart type alone decides.
                row.directive = reason.is_abnormal().then(|| directive.to_string());
                row.chain = Some(chain);
                if !lines.is_empty() {
                    row.context = lines;
                }
                if message.is_some() {
                    row.last_message = message;
                }
                if reason.is_abnormal() {
                    format!("incarnation {incarnation} exited: {said} ({directive})")
                } else {
                    format!("incarnation {incarnation} exited: {said}")
                }
            }
            EventKind::Health { status, cause, .. } => {
                let cause = cause.as_ref().map(|c| self.said(c.to_string()));
                let row = self.row(path);
                row.health = health_name(*status);
                row.health_cause = cause.clone();
                match cause {
                    Some(c) => format!("{}: {c}", health_name(*status)),
                    None => health_name(*status).to_owned(),
                }
            }
            EventKind::Suspect { phi, .. } => {
                self.row(path).phi = Some(*phi);
                format!("suspect, phi {phi:.1}")
            }
            EventKind::Breaker {
                state,
                consecutive_failures: failures,
                retry_in,
            } => {
                let reopens = retry_in.map(|d| at + d);
                self.breakers
                    .insert(path.to_string(), (*state, *failures, reopens));
                self.breakers_touched = true;
                format!("breaker {}", breaker_name(*state))
            }
            EventKind::AwaitingBreaker { breaker, retry_in } => {
                self.row(path).waiting_for = Some(breaker.to_string());
                format!("restart waits for breaker {breaker} ({retry_in:?})")
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
                format!("restart {restarts} in {delay:?}")
            }
            EventKind::Stopping {
                incarnation,
                kill_after,
            } => {
                let row = self.row(path);
                row.state = "stopping";
                row.stopping = Some((at, kill_after.map(|d| at + d)));
                match kill_after {
                    Some(d) => format!("incarnation {incarnation} stopping, killed in {d:?}"),
                    None => format!("incarnation {incarnation} stopping, waited for"),
                }
            }
            EventKind::Stopped {
                incarnation,
                reason,
            } => {
                let said = self.reason(reason);
                let row = self.row(path);
                row.state = "stopped";
                row.stopping = None;
                row.last_exit = Some(said.clone());
                format!("incarnation {incarnation} stopped: {said}")
            }
            EventKind::Gone { how, undelivered } => {
                self.row(path).state = "gone";
                // Its row and box go at the next walk.
                self.redraw = true;
                format!("gone ({how}), {undelivered} messages undelivered")
            }
            EventKind::GaveUp { escalation } => {
                let said = self.said(escalation.to_string());
                self.row(path).last_exit = Some(said.clone());
                if **path == *self.name {
                    self.status = Status::GaveUp;
                    self.live = false;
                    self.ready = false;
                    self.header_touched = true;
                }
                format!("gave up: {said}")
            }
            EventKind::AutoShutdown => "auto_shutdown".to_owned(),
            _ => return,
        };
        self.push(Entry {
            at,
            path: Arc::clone(path),
            kind: kind_name(&event.kind),
            text,
        });
    }

    /// Adds an entry of the observer's own (an action) to the timeline.
    pub(crate) fn push(&mut self, entry: Entry) {
        self.timeline.push_back(entry.clone());
        while self.timeline.len() > self.history {
            self.timeline.pop_front();
        }
        self.fresh.push(entry);
    }

    /// Takes a supervisor's answer to a walk: each child's line of `which_children`.
    pub(crate) fn refresh(&mut self, sup_path: &str, infos: &[ChildInfo], now: Instant) {
        for info in infos {
            let path: Arc<str> = Arc::from(format!("{sup_path}/{}", info.id));
            let last_exit = info.last_exit.as_ref().map(|r| self.reason(r));
            let last_message = info.last_message.as_ref().map(|m| self.said(m.to_string()));
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
            row.waiting_for = info.waiting_for.as_ref().map(|b| b.to_string());
            row.mailbox = info.mailbox.map(|m| (m.queued, m.capacity));
            if last_exit.is_some() {
                row.last_exit = last_exit;
            }
            if last_message.is_some() {
                row.last_message = last_message;
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
        let present: BTreeSet<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
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
            "dropped": self.dropped,
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
        out.insert("health_cause".into(), json!(row.health_cause));
        out.insert("phi".into(), json!(row.phi.filter(|p| p.is_finite())));
        out.insert("waiting_for".into(), json!(row.waiting_for));
        out.insert("mailbox".into(), json!(row.mailbox));
        out.insert("last_exit".into(), json!(row.last_exit));
        out.insert("directive".into(), json!(row.directive));
        out.insert("chain".into(), json!(row.chain));
        out.insert("context".into(), json!(row.context));
        out.insert("last_message".into(), json!(row.last_message));
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
        json!({ "at_ms": self.at(e.at), "path": &*e.path, "kind": e.kind, "text": e.text })
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
        if self.touched.is_empty()
            && self.fresh.is_empty()
            && !self.breakers_touched
            && !self.header_touched
        {
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
        let events: Vec<Value> = self.fresh.iter().map(|e| self.entry_json(e)).collect();
        self.fresh.clear();
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
        && a.last_exit == b.last_exit
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
