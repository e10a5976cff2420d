//! W1-W5: the supervisor against a bare-tokio floor written in the same harness and measured in
//! the same run. `cargo bench` prints one table; `cargo bench -- quick` runs fewer repetitions.
//!
//! Memory (W2) is measured in a fresh child process per figure, so that memory freed by an
//! earlier workload and kept by the allocator cannot hide the cost.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supervisor::{ChildContext, ChildSpec, Supervisor, SupervisorSpec};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod workloads;

use workloads::{crash, median, w1_ours, w3_ours, Restarts, UpCounter};

const CHILD_ENV: &str = "SUPERVISOR_BENCH_MEMORY";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn runtime_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn percentile(xs: &[Duration], p: f64) -> Duration {
    let mut v = xs.to_vec();
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

// W1 -------------------------------------------------------------------------------------

async fn w1_floor(n: usize, panic: bool) -> Vec<Duration> {
    let state = Arc::new(Mutex::new(Restarts::default()));
    let mut set = JoinSet::new();
    let spawn = |set: &mut JoinSet<Result<(), &'static str>>| {
        let s = Arc::clone(&state);
        set.spawn(async move {
            if !s.lock().unwrap().started(n) {
                return Ok(());
            }
            s.lock().unwrap().crash_at = Some(Instant::now());
            crash(panic)
        });
    };
    spawn(&mut set);
    while let Some(result) = set.join_next().await {
        match result {
            Ok(Ok(())) => break,
            Ok(Err(_)) | Err(_) => spawn(&mut set),
        }
    }
    let samples = std::mem::take(&mut state.lock().unwrap().samples);
    samples
}

// W2 -------------------------------------------------------------------------------------

fn idle_spec(id: &str, n: usize) -> SupervisorSpec {
    SupervisorSpec::new(id).children((0..n).map(|i| {
        ChildSpec::worker(i.to_string(), |ctx: ChildContext| async move {
            ctx.cancelled().await;
            Ok::<(), std::convert::Infallible>(())
        })
    }))
}

/// `idle_spec` whose children say when their own task runs.
fn counted_idle_spec(id: &str, n: usize, up: &Arc<UpCounter>) -> SupervisorSpec {
    SupervisorSpec::new(id).children((0..n).map(|i| {
        let up = Arc::clone(up);
        ChildSpec::worker(i.to_string(), move |ctx: ChildContext| {
            let up = Arc::clone(&up);
            async move {
                up.one_up();
                ctx.cancelled().await;
                Ok::<(), std::convert::Infallible>(())
            }
        })
    }))
}

/// Until every child's own task has run.
async fn w2_ours(n: usize) -> (Duration, Box<dyn std::any::Any + Send>) {
    let up = Arc::new(UpCounter::default());
    let spec = counted_idle_spec("w2", n, &up);
    up.arm(n);
    let t = Instant::now();
    let app = Supervisor::start(spec).await.expect("start");
    up.all_up.notified().await;
    (t.elapsed(), Box::new(app))
}

type FloorTree = (JoinSet<()>, tokio_util::sync::DropGuard);

/// Until every task has run.
async fn w2_floor(n: usize) -> (Duration, Box<dyn std::any::Any + Send>) {
    let up = Arc::new(UpCounter::default());
    let stop = CancellationToken::new();
    up.arm(n);
    let t = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..n {
        let (stop, up) = (stop.clone(), Arc::clone(&up));
        set.spawn(async move {
            up.one_up();
            stop.cancelled().await
        });
    }
    up.all_up.notified().await;
    (t.elapsed(), Box::new((set, stop.drop_guard())))
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Runs in a child process: prints resident bytes per child for one variant.
fn memory_child(spec: &str) {
    let (variant, n) = spec.split_once(':').expect("variant:n");
    let n: usize = n.parse().expect("n");
    let rt = runtime();
    let before = rss_bytes();
    // Plain idle children (no bench instrumentation in them), each polled once.
    let keep: Box<dyn std::any::Any> = rt.block_on(async {
        let keep: Box<dyn std::any::Any> = match variant {
            "ours" => Box::new(Supervisor::start(idle_spec("w2", n)).await.expect("start")),
            _ => {
                let stop = CancellationToken::new();
                let mut set = JoinSet::new();
                for _ in 0..n {
                    let stop = stop.clone();
                    set.spawn(async move { stop.cancelled().await });
                }
                Box::new((set, stop.drop_guard()))
            }
        };
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        keep
    });
    let after = rss_bytes();
    println!("{}", (after.saturating_sub(before)) / n);
    drop(keep);
}

fn memory_per_child(variant: &str, n: usize) -> Option<usize> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .env(CHILD_ENV, format!("{variant}:{n}"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

// W3 -------------------------------------------------------------------------------------

async fn w3_floor(n: usize, reps: usize) -> Vec<Duration> {
    let up = Arc::new(UpCounter::default());
    let trigger = Arc::new(Notify::new());
    let spawn_all =
        |set: &mut JoinSet<(usize, bool)>,
         tokens: &mut Vec<(CancellationToken, tokio::task::AbortHandle)>| {
            tokens.clear();
            for i in 0..n {
                let (up, trigger) = (Arc::clone(&up), Arc::clone(&trigger));
                let token = CancellationToken::new();
                let t = token.clone();
                let handle = set.spawn(async move {
                    up.one_up();
                    if i == n / 2 {
                        tokio::select! {
                            _ = trigger.notified() => return (i, true),
                            _ = t.cancelled() => {}
                        }
                    } else {
                        t.cancelled().await;
                    }
                    (i, false)
                });
                tokens.push((token, handle));
            }
        };
    let mut set = JoinSet::new();
    let mut tokens = Vec::new();
    up.arm(n);
    spawn_all(&mut set, &mut tokens);
    up.all_up.notified().await;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        up.arm(n);
        let t = Instant::now();
        trigger.notify_one();
        // Detect the crash, stop the others in reverse order, respawn all.
        while let Some(Ok((_, crashed))) = set.join_next().await {
            if crashed {
                break;
            }
        }
        for (token, _) in tokens.iter().rev() {
            token.cancel();
        }
        while set.join_next().await.is_some() {}
        spawn_all(&mut set, &mut tokens);
        up.all_up.notified().await;
        samples.push(t.elapsed());
    }
    for (token, _) in &tokens {
        token.cancel();
    }
    while set.join_next().await.is_some() {}
    samples
}

// W4 -------------------------------------------------------------------------------------

async fn w4_ours(depth: usize, reps: usize) -> Vec<Duration> {
    let up = Arc::new(UpCounter::default());
    let trigger = Arc::new(Notify::new());
    let (u, tr) = (Arc::clone(&up), Arc::clone(&trigger));
    let leaf = ChildSpec::worker("leaf", move |ctx: ChildContext| {
        let (u, tr) = (Arc::clone(&u), Arc::clone(&tr));
        async move {
            u.one_up();
            tokio::select! {
                _ = tr.notified() => Err("crash"),
                _ = ctx.cancelled() => Ok(()),
            }
        }
    });
    let mut child = leaf;
    for level in (1..depth).rev() {
        child = ChildSpec::supervisor(
            SupervisorSpec::new(format!("s{level}"))
                .intensity(0, Duration::from_secs(1))
                .child(child),
        );
    }
    let spec = SupervisorSpec::new("s0")
        .intensity(u32::MAX, Duration::from_nanos(1))
        .child(child);
    up.arm(1);
    let app = Supervisor::start(spec).await.expect("start");
    up.all_up.notified().await;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        up.arm(1);
        let t = Instant::now();
        trigger.notify_one();
        up.all_up.notified().await;
        samples.push(t.elapsed());
    }
    app.shutdown().await.expect("shutdown");
    samples
}

fn floor_chain(
    level: usize,
    depth: usize,
    up: Arc<UpCounter>,
    trigger: Arc<Notify>,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), ()>> + Send>> {
    Box::pin(async move {
        if level == depth - 1 {
            up.one_up();
            trigger.notified().await;
            return Err(());
        }
        // Each level owns its child task and fails when the child fails.
        let child = tokio::spawn(floor_chain(level + 1, depth, up, trigger));
        match child.await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    })
}

async fn w4_floor(depth: usize, reps: usize) -> Vec<Duration> {
    let up = Arc::new(UpCounter::default());
    let trigger = Arc::new(Notify::new());
    let spawn = || tokio::spawn(floor_chain(1, depth, Arc::clone(&up), Arc::clone(&trigger)));
    up.arm(1);
    let mut chain = spawn();
    up.all_up.notified().await;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        up.arm(1);
        let t = Instant::now();
        trigger.notify_one();
        let _ = (&mut chain).await;
        chain = spawn();
        up.all_up.notified().await;
        samples.push(t.elapsed());
    }
    chain.abort();
    samples
}

// W5 -------------------------------------------------------------------------------------

async fn w5_ours(n: usize) -> Duration {
    let app = Supervisor::start(idle_spec("w5", n)).await.expect("start");
    let t = Instant::now();
    app.shutdown().await.expect("shutdown");
    t.elapsed()
}

async fn w5_floor(n: usize) -> Duration {
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let token = CancellationToken::new();
        let t = token.clone();
        tasks.push((token, tokio::spawn(async move { t.cancelled().await })));
    }
    tokio::task::yield_now().await;
    let t = Instant::now();
    for (token, task) in tasks.into_iter().rev() {
        token.cancel();
        let _ = task.await;
    }
    t.elapsed()
}

// ----------------------------------------------------------------------------------------

struct Row {
    name: String,
    ours: Duration,
    floor: Duration,
    target: String,
}

impl Row {
    /// Medians of both sides, against the 2x target every multi-child workload has.
    fn medians(name: String, ours: Vec<Duration>, floor: Vec<Duration>) -> Row {
        Row {
            name,
            ours: median(ours),
            floor: median(floor),
            target: "<= 2x".into(),
        }
    }
}

fn fmt_d(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} us", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        memory_child(&spec);
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    // `cargo bench --bench runtime -- W4` runs the named workloads only.
    let only: Vec<String> = std::env::args().filter(|a| a.starts_with('W')).collect();
    let run = |w: &str| only.is_empty() || only.iter().any(|o| o == w);
    let scale = |full: usize, q: usize| if quick { q } else { full };
    // Panics are part of W1; their default report would flood the output.
    std::panic::set_hook(Box::new(|_| {}));

    let mut rows = Vec::new();
    let w1_n = scale(10_000, 1_000);
    let reps = scale(5, 2);
    let w3_reps = scale(30, 5);
    let w4_reps = scale(500, 50);
    let w5_reps = scale(10, 3);
    for (flavor, rt) in [
        ("current_thread", runtime()),
        ("multi_thread(2)", runtime_mt()),
    ] {
        // Both sides run inside a spawned task, so that on the multi-thread runtime neither
        // pays for waking the thread that `block_on` parks; they alternate, so that neither
        // always runs on a warmer cache.
        let on = |f: std::pin::Pin<Box<dyn Future<Output = Vec<Duration>> + Send>>| {
            rt.block_on(async { tokio::spawn(f).await.expect("bench task") })
        };
        for panic in [true, false].into_iter().filter(|_| run("W1")) {
            let kind = if panic { "panic" } else { "Err" };
            let (mut ours, mut floor) = (Vec::new(), Vec::new());
            for _ in 0..3 {
                floor.extend(on(Box::pin(w1_floor(w1_n, panic))));
                ours.extend(on(Box::pin(w1_ours(w1_n, panic))));
            }
            for (p, label) in [(0.5, "p50"), (0.99, "p99")] {
                rows.push(Row {
                    name: format!("W1 {kind} restart {label}, {flavor}"),
                    ours: percentile(&ours, p),
                    floor: percentile(&floor, p),
                    target: match (panic, label) {
                        (true, "p50") => "<= 1.15x".into(),
                        (false, "p50") => "<= 1 us".into(),
                        _ => String::new(),
                    },
                });
            }
        }
        for n in [10_000, 100_000].into_iter().filter(|_| run("W2")) {
            let (mut ours, mut floor) = (Vec::new(), Vec::new());
            for _ in 0..reps {
                floor.extend(on(Box::pin(async move {
                    let (t, keep) = w2_floor(n).await;
                    if let Ok(floor) = keep.downcast::<FloorTree>() {
                        let (mut set, stop) = *floor;
                        drop(stop);
                        while set.join_next().await.is_some() {}
                    }
                    vec![t]
                })));
                ours.extend(on(Box::pin(async move {
                    let (t, keep) = w2_ours(n).await;
                    if let Ok(app) = keep.downcast::<supervisor::SupervisorHandle>() {
                        app.shutdown().await.expect("shutdown");
                    }
                    vec![t]
                })));
            }
            rows.push(Row::medians(
                format!("W2 start {n} idle children, {flavor}"),
                ours,
                floor,
            ));
        }
        if run("W3") {
            let f = on(Box::pin(w3_floor(1000, w3_reps)));
            let o = on(Box::pin(w3_ours(1000, w3_reps)));
            rows.push(Row::medians(
                format!("W3 one_for_all 1000, one crashes, {flavor}"),
                o,
                f,
            ));
        }
        if run("W4") {
            let f = on(Box::pin(w4_floor(10, w4_reps)));
            let o = on(Box::pin(w4_ours(10, w4_reps)));
            rows.push(Row::medians(
                format!("W4 escalate through 10 levels, {flavor}"),
                o,
                f,
            ));
        }
        if run("W5") {
            let (mut o, mut f) = (Vec::new(), Vec::new());
            for _ in 0..w5_reps {
                f.extend(on(Box::pin(async { vec![w5_floor(10_000).await] })));
                o.extend(on(Box::pin(async { vec![w5_ours(10_000).await] })));
            }
            rows.push(Row::medians(
                format!("W5 ordered shutdown of 10000, {flavor}"),
                o,
                f,
            ));
        }
    }

    println!();
    println!(
        "{:<52} {:>12} {:>12} {:>7}  target",
        "workload (median unless noted)", "supervisor", "bare tokio", "ratio"
    );
    println!("{}", "-".repeat(98));
    for r in &rows {
        println!(
            "{:<52} {:>12} {:>12} {:>6.2}x  {}",
            r.name,
            fmt_d(r.ours),
            fmt_d(r.floor),
            r.ours.as_secs_f64() / r.floor.as_secs_f64().max(1e-12),
            r.target
        );
    }
    for n in [10_000, 100_000].into_iter().filter(|_| run("W2")) {
        let ours = memory_per_child("ours", n);
        let floor = memory_per_child("floor", n);
        let show = |v: Option<usize>| v.map_or("n/a".to_string(), |b| format!("{b} B"));
        println!(
            "{:<52} {:>12} {:>12} {:>7}  <= 1024 B",
            format!("W2 resident memory per child, {n}"),
            show(ours),
            show(floor),
            match (ours, floor) {
                (Some(o), Some(f)) if f > 0 => format!("{:.2}x", o as f64 / f as f64),
                _ => "-".into(),
            }
        );
    }
    println!(
        "\nmachine: {} cores; {} repetitions",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if quick { "quick" } else { "full" },
    );
}
