//! What the benches share: the runtime of each flavour, and the workloads W1 and W3 on our side,
//! measured as they are and under a watcher (the observer's bench).
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supervisor::{ChildContext, ChildSpec, Supervisor, SupervisorSpec};
use tokio::sync::Notify;

/// The head of a table of workloads, each beside its floor.
pub fn header() {
    println!(
        "{:<58} {:>12} {:>12} {:>7}  target",
        "workload (median)", "supervisor", "floor", "ratio"
    );
    println!("{}", "-".repeat(100));
}

/// The median of a run's repetitions.
pub fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

/// A runtime of the flavour a row names: `current_thread`, or two worker threads.
pub fn runtime(flavor: &str) -> tokio::runtime::Runtime {
    let mut b = if flavor == "current_thread" {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    b.enable_all().build().expect("runtime")
}

/// What starts watching a tree: whatever it returns is kept until the run ends.
pub type Watcher<'a, G> = std::pin::Pin<Box<dyn std::future::Future<Output = G> + Send + 'a>>;

/// Latencies from a crash to the next incarnation running, shared by ours and the floor.
#[derive(Default)]
pub struct Restarts {
    pub crash_at: Option<Instant>,
    pub samples: Vec<Duration>,
}

impl Restarts {
    /// Called when an incarnation starts; `true` while more crashes are wanted.
    pub fn started(&mut self, wanted: usize) -> bool {
        if let Some(c) = self.crash_at.take() {
            self.samples.push(c.elapsed());
        }
        self.samples.len() < wanted
    }
}

pub fn crash(panic: bool) -> Result<(), &'static str> {
    if panic {
        std::panic::panic_any("crash")
    }
    Err("crash")
}

pub async fn w1_ours(n: usize, panic: bool) -> Vec<Duration> {
    w1_watched(n, panic, |_| Box::pin(async {})).await
}

/// W1 with `watch` called on the tree once it is up, its result kept for the run: how a
/// watcher of the tree changes its figures.
pub async fn w1_watched<W, G>(n: usize, panic: bool, watch: W) -> Vec<Duration>
where
    W: for<'a> FnOnce(&'a supervisor::SupervisorHandle) -> Watcher<'a, G>,
{
    let state = Arc::new(Mutex::new(Restarts::default()));
    let done = Arc::new(Notify::new());
    let (s, d) = (Arc::clone(&state), Arc::clone(&done));
    let spec = SupervisorSpec::new("w1")
        .intensity(1, Duration::from_nanos(1))
        .child(ChildSpec::worker("c", move |ctx: ChildContext| {
            let (s, d) = (Arc::clone(&s), Arc::clone(&d));
            async move {
                // Up when the incarnation's own task runs, not when its start closure is called.
                let more = s.lock().unwrap().started(n);
                if !more {
                    d.notify_one();
                    ctx.cancelled().await;
                    return Ok(());
                }
                s.lock().unwrap().crash_at = Some(Instant::now());
                crash(panic)
            }
        }));
    let app = Supervisor::start(spec).await.expect("start");
    let watching = watch(&app).await;
    done.notified().await;
    drop(watching);
    app.shutdown().await.expect("shutdown");
    let samples = std::mem::take(&mut state.lock().unwrap().samples);
    samples
}

/// Counts incarnations that came up and wakes the bench when `target` have since the reset.
#[derive(Default)]
pub struct UpCounter {
    pub up: AtomicUsize,
    pub target: AtomicUsize,
    pub all_up: Notify,
}

impl UpCounter {
    pub fn arm(&self, target: usize) {
        self.up.store(0, Ordering::SeqCst);
        self.target.store(target, Ordering::SeqCst);
    }
    pub fn one_up(&self) {
        if self.up.fetch_add(1, Ordering::SeqCst) + 1 == self.target.load(Ordering::SeqCst) {
            self.all_up.notify_one();
        }
    }
}

pub async fn w3_ours(n: usize, reps: usize) -> Vec<Duration> {
    w3_watched(n, reps, |_| Box::pin(async {})).await
}

/// W3 with `watch` called on the tree once it is up, as [`w1_watched`] does.
pub async fn w3_watched<W, G>(n: usize, reps: usize, watch: W) -> Vec<Duration>
where
    W: for<'a> FnOnce(&'a supervisor::SupervisorHandle) -> Watcher<'a, G>,
{
    let up = Arc::new(UpCounter::default());
    let trigger = Arc::new(Notify::new());
    let mut spec = SupervisorSpec::new("w3")
        .strategy(supervisor::Strategy::OneForAll)
        .intensity(u32::MAX, Duration::from_nanos(1));
    for i in 0..n {
        let (up, trigger) = (Arc::clone(&up), Arc::clone(&trigger));
        spec = spec.child(ChildSpec::worker(
            i.to_string(),
            move |ctx: ChildContext| {
                let (up, trigger) = (Arc::clone(&up), Arc::clone(&trigger));
                async move {
                    up.one_up();
                    if i == n / 2 {
                        tokio::select! {
                            _ = trigger.notified() => return Err("crash"),
                            _ = ctx.cancelled() => {}
                        }
                    } else {
                        ctx.cancelled().await;
                    }
                    Ok(())
                }
            },
        ));
    }
    up.arm(n);
    let app = Supervisor::start(spec).await.expect("start");
    up.all_up.notified().await;
    let watching = watch(&app).await;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        up.arm(n);
        let t = Instant::now();
        trigger.notify_one();
        up.all_up.notified().await;
        samples.push(t.elapsed());
    }
    drop(watching);
    app.shutdown().await.expect("shutdown");
    samples
}
