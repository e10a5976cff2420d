//! The one subscriber of the tree's events: it keeps the model, walks the tree while a page is
//! open, and hands pages numbered batches of changes, so that no page ever calls into the tree.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use supervisor_runtime::{
    ChildInfo, ChildKind, CircuitBreaker, HealthProbe, IntensityUse, RecvError, SupervisorHandle,
    SupervisorRef,
};
use tokio::sync::{broadcast, Notify};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::model::{Model, Status, What};
use crate::Settings;

/// One message of the stream: a numbered batch of changes, as JSON.
#[derive(Debug)]
pub(crate) struct Batch {
    pub id: u64,
    pub json: String,
}

/// What pages read: the model, the latest diagram, and the batches since.
pub(crate) struct Hub {
    model: Mutex<Model>,
    /// Batches as they are made; a page that falls behind by more than the channel holds is
    /// resynced with a snapshot (S21.3).
    pub batches: broadcast::Sender<Arc<Batch>>,
    /// The last batches, for a page that reconnects with `Last-Event-ID`.
    recent: Mutex<VecDeque<Arc<Batch>>>,
    recent_cap: usize,
    next_id: Mutex<u64>,
    /// The diagram as last drawn, without its `<style>` (the page's stylesheet has it: the
    /// page's policy allows no inline style).
    diagram: Mutex<Arc<str>>,
    /// Open streams; the tree is walked only while there is one.
    pub viewers: AtomicUsize,
    /// Batches dropped for pages that fell behind, and the snapshots sent them instead.
    pub skipped: AtomicU64,
    pub resyncs: AtomicU64,
    viewer_came: Notify,
    /// Counts the walks done: a page that opens waits for the one its arrival asked for.
    pub walked: tokio::sync::watch::Sender<u64>,
    pub root: SupervisorRef,
    pub stopped: CancellationToken,
}

impl Hub {
    pub(crate) fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn diagram(&self) -> Arc<str> {
        Arc::clone(&self.diagram.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The model as JSON, with the id of the last batch it includes.
    pub(crate) fn snapshot(&self) -> (u64, String) {
        // The id is read under the model's lock: a batch is numbered under it too.
        let model = self.model();
        let id = *self.next_id.lock().unwrap_or_else(|e| e.into_inner()) - 1;
        (id, model.snapshot(Instant::now()).to_string())
    }

    /// The batches after `id`, when all of them are still kept.
    pub(crate) fn since(&self, id: u64) -> Option<Vec<Arc<Batch>>> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let next = *self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        if id >= next {
            return None;
        }
        if id + 1 == next {
            return Some(Vec::new());
        }
        let first = recent.front()?.id;
        if id + 1 < first {
            return None;
        }
        Some(recent.iter().filter(|b| b.id > id).cloned().collect())
    }

    /// A page opened its stream: walk the tree now rather than at the next period.
    pub(crate) fn viewer_opened(&self) {
        self.viewers.fetch_add(1, Ordering::SeqCst);
        self.viewer_came.notify_one();
    }

    pub(crate) fn viewer_closed(&self) {
        self.viewers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Adds an entry of the observer's own to the timeline (an action).
    pub(crate) fn note(&self, path: &str, kind: &'static str, text: String) {
        (self.model()).push(Instant::now(), Arc::from(path), What::Line(kind, text));
    }

    /// Sends what changed since the last batch, if anything did.
    fn flush(&self) {
        let mut model = self.model();
        let Some(json) = model.batch(Instant::now()) else {
            return;
        };
        let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        let batch = Arc::new(Batch {
            id: *next,
            json: json.to_string(),
        });
        *next += 1;
        drop(next);
        drop(model);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.push_back(Arc::clone(&batch));
        while recent.len() > self.recent_cap {
            recent.pop_front();
        }
        drop(recent);
        // No page open: nobody to send to, and that is fine.
        let _ = self.batches.send(batch);
    }
}

/// Starts the subscriber; it ends when the tree does, or when `stopped` is cancelled.
pub(crate) async fn start(handle: &SupervisorHandle, settings: &Settings) -> Arc<Hub> {
    let root = handle.root().clone();
    let model = Model::new(
        root.id().to_owned(),
        settings.history,
        settings.redact.clone(),
    );
    let (batches, _) = broadcast::channel(settings.stream_buffer.max(1));
    let hub = Arc::new(Hub {
        model: Mutex::new(model),
        batches,
        recent: Mutex::new(VecDeque::new()),
        recent_cap: settings.stream_buffer.max(1),
        next_id: Mutex::new(1),
        diagram: Mutex::new(Arc::from("")),
        viewers: AtomicUsize::new(0),
        skipped: AtomicU64::new(0),
        resyncs: AtomicU64::new(0),
        viewer_came: Notify::new(),
        walked: tokio::sync::watch::Sender::new(0),
        root,
        stopped: CancellationToken::new(),
    });
    let walker = Walker {
        hub: Arc::clone(&hub),
        health: handle.health_probe(),
        breakers: handle.breakers().to_vec(),
        recall: true,
    };
    let mut walker = walker;
    // The first walk before the page is served: a page opened at once finds the tree. The
    // children's recent lives are recalled when the first page opens.
    walker.walk().await;
    walker.recall = true;
    hub.flush();
    let shutdown = handle.shutdown_token();
    tokio::spawn(run(walker, shutdown, settings.tick, settings.refresh));
    hub
}

/// How long the events are still followed after the last page closed: a page that reloads,
/// or reconnects after a network blip, finds the timeline whole.
const LINGER: Duration = Duration::from_secs(30);

async fn run(mut walker: Walker, shutdown: CancellationToken, tick: Duration, refresh: Duration) {
    let hub = Arc::clone(&walker.hub);
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut walks = tokio::time::interval(refresh);
    walks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The tree's events are followed only while a page is open (and a while after): with no
    // page, the observer costs the tree nothing. What happened meanwhile comes back from the
    // children's own records when a page opens (S19).
    let mut events: Option<supervisor_runtime::EventStream> = None;
    let mut last_viewer = Instant::now();
    let mut shutting = false;
    let mut ended = false;
    loop {
        let viewing = hub.viewers.load(Ordering::SeqCst) > 0;
        if viewing {
            last_viewer = Instant::now();
        } else if events.is_some() && last_viewer.elapsed() > LINGER {
            events = None;
        }
        tokio::select! {
            biased;
            () = hub.stopped.cancelled() => break,
            () = shutdown.cancelled(), if !shutting => {
                shutting = true;
                let mut model = hub.model();
                if model.status == Status::Running {
                    model.status = Status::ShuttingDown;
                    model.ready = false;
                    model.header_touched = true;
                }
            }
            got = next(&mut events), if events.is_some() => match got {
                Ok(event) => hub.model().apply(&event),
                Err(RecvError::Lagged(n)) => {
                    // The walk that follows puts the rows right; the timeline keeps a gap.
                    let mut model = hub.model();
                    model.dropped += n;
                    model.header_touched = true;
                }
                Err(RecvError::Closed) => {
                    events = None;
                    ended = true;
                    {
                        let mut model = hub.model();
                        model.status = match model.status {
                            Status::GaveUp => Status::GaveUp,
                            _ if shutting => Status::Stopped,
                            _ => Status::Ended,
                        };
                        model.live = false;
                        model.ready = false;
                        model.header_touched = true;
                    }
                    hub.flush();
                }
            },
            _ = ticks.tick(), if viewing || events.is_some() => hub.flush(),
            _ = walks.tick(), if viewing && !ended => walker.walk().await,
            () = hub.viewer_came.notified() => {
                if events.is_none() && !ended {
                    events = Some(hub.root.subscribe());
                    walker.recall = true;
                }
                if !ended {
                    walker.walk().await;
                }
                hub.flush();
                hub.walked.send_modify(|n| *n += 1);
            }
        }
    }
}

async fn next(
    events: &mut Option<supervisor_runtime::EventStream>,
) -> Result<supervisor_runtime::Event, RecvError> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// Walks the tree for what events do not carry: mailbox depths, intensities, the time left
/// before a restart, readiness, and, when nodes came or went, the diagram.
struct Walker {
    hub: Arc<Hub>,
    health: HealthProbe,
    breakers: Vec<CircuitBreaker>,
    /// Whether the next walk adds the children's recent lives to the timeline: the events
    /// were not followed before it.
    recall: bool,
}

impl Walker {
    async fn walk(&mut self) {
        let mut found = Vec::new();
        let root = self.hub.root.clone();
        let intensity = root.intensity_use().await.ok();
        found.push((root.path().to_owned(), Vec::new(), intensity));
        collect(root, &mut found).await;
        let report = self.health.report().await;
        let now = Instant::now();
        let redraw = {
            let mut model = self.hub.model();
            for (path, infos, used) in &found {
                model.refresh(path, infos, now);
                if let Some(used) = used {
                    model.intensity(path, *used);
                }
            }
            if std::mem::take(&mut self.recall) {
                let contexts: Vec<_> = (found.iter())
                    .flat_map(|(_, infos, _)| infos.iter().filter_map(|i| i.context.clone()))
                    .collect();
                model.recall(&contexts);
            }
            if model.live != report.live || model.ready != report.ready {
                model.live = report.live;
                model.ready = report.ready;
                model.header_touched = true;
            }
            for b in &self.breakers {
                let entry = (b.state(), b.stats().consecutive_failures, b.reopens_at());
                if model.breakers.get(b.name()) != Some(&entry) {
                    model.breakers.insert(b.name().to_owned(), entry);
                    model.breakers_touched = true;
                }
            }
            model.redraw
        };
        if redraw {
            let picture = self.hub.root.picture_with(&self.breakers).await;
            let nodes = picture.nodes();
            let svg = without_style(&picture.svg());
            *self.hub.diagram.lock().unwrap_or_else(|e| e.into_inner()) = Arc::from(svg);
            let mut model = self.hub.model();
            model.layout(&nodes);
            model.redraw = false;
            model.diagram += 1;
            model.header_touched = true;
        }
    }
}

type Found = Vec<(String, Vec<ChildInfo>, Option<IntensityUse>)>;

/// Each supervisor's children and intensity in use, depth first.
fn collect<'a>(
    sup: SupervisorRef,
    out: &'a mut Found,
) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        let Ok(infos) = sup.which_children().await else {
            return;
        };
        let at = out.len() - 1;
        for info in &infos {
            if info.kind == ChildKind::Supervisor {
                if let Ok(inner) = sup.supervisor(&info.id) {
                    let used = inner.intensity_use().await.ok();
                    out.push((inner.path().to_owned(), Vec::new(), used));
                    collect(inner, out).await;
                }
            }
        }
        out[at].1 = infos;
    })
}

/// The diagram without its `<style>` element.
fn without_style(svg: &str) -> String {
    match (svg.find("<style>"), svg.find("</style>")) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{}",
            &svg[..a],
            &svg[b + "</style>\n".len().min(svg.len() - b)..]
        ),
        _ => svg.to_owned(),
    }
}
