//! W6-W7 and the memory of detection: heartbeats, breakers, health checks, each beside a floor
//! written in the same harness and measured in the same run, on both runtime flavours.
//! `cargo bench --bench detection` prints one table; `-- quick` runs shorter.
//!
//! - W6: children beating every 100 ms, the process's CPU time over the run against the same
//!   number of bare tasks doing the same timestamp store; and one `heartbeat()` against one
//!   bare store of the same timestamp.
//! - W7: a call through a closed breaker against awaiting the future directly, from two tasks
//!   at once.
//! - Memory per child with a health check and with heartbeats, above a plain child, each in a
//!   fresh process.

mod workloads;
use workloads::runtime;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use supervisor::{
    BreakerConfig, ChildContext, ChildSpec, CircuitBreaker, Health, HealthCheck, Heartbeat,
    ProbeContext, Supervisor, SupervisorSpec,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

const CHILD_ENV: &str = "SUPERVISOR_BENCH_DETECTION_MEMORY";

/// User plus system CPU time of this process, from /proc (clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the state (field 3).
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((field(11) + field(12)) * 10)
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

// W6 -------------------------------------------------------------------------------------

/// A child that beats every `every` until stopped.
fn beating(id: String, every: Duration) -> ChildSpec {
    ChildSpec::worker(id, move |ctx: ChildContext| async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ctx.cancelled() => return Ok::<(), std::convert::Infallible>(()),
                _ = tick.tick() => ctx.heartbeat(),
            }
        }
    })
    .heartbeat(Heartbeat::every(every))
}

/// CPU time of `n` children beating every 100 ms for `run`, under a supervisor.
async fn w6_ours(n: usize, run: Duration) -> Duration {
    let mut spec = SupervisorSpec::new("fleet");
    for i in 0..n {
        spec = spec.child(beating(format!("a{i}"), Duration::from_millis(100)));
    }
    let app = Supervisor::start(spec).await.expect("start");
    let before = cpu_time();
    tokio::time::sleep(run).await;
    let spent = cpu_time() - before;
    app.shutdown().await.expect("shutdown");
    spent
}

/// The floor: `n` bare tasks storing the same timestamp every 100 ms.
async fn w6_floor(n: usize, run: Duration) -> Duration {
    let stop = CancellationToken::new();
    let epoch = tokio::time::Instant::now();
    let mut set = JoinSet::new();
    let slots: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    for i in 0..n {
        let (stop, slots) = (stop.clone(), Arc::clone(&slots));
        set.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {
                        let now = epoch.elapsed().as_nanos() as u64;
                        slots[i].store(now, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    let before = cpu_time();
    tokio::time::sleep(run).await;
    let spent = cpu_time() - before;
    stop.cancel();
    while set.join_next().await.is_some() {}
    spent
}

/// Nanoseconds per `heartbeat()`, measured inside a child, against a bare store of the same
/// timestamp.
async fn heartbeat_cost(calls: u64) -> (f64, f64) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let spec = SupervisorSpec::new("bench").child(
        ChildSpec::worker("beater", move |ctx: ChildContext| {
            let tx = tx.lock().unwrap().take();
            async move {
                let t = Instant::now();
                for _ in 0..calls {
                    ctx.heartbeat();
                }
                let per = t.elapsed().as_nanos() as f64 / calls as f64;
                if let Some(tx) = tx {
                    let _ = tx.send(per);
                }
                ctx.cancelled().await;
                Ok::<(), std::convert::Infallible>(())
            }
        })
        .heartbeat(Heartbeat::every(Duration::from_secs(1))),
    );
    let app = Supervisor::start(spec).await.expect("start");
    let ours = rx.await.expect("measured");
    app.shutdown().await.expect("shutdown");
    let slot = AtomicU64::new(0);
    let epoch = tokio::time::Instant::now();
    let t = Instant::now();
    for _ in 0..calls {
        slot.store(epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
        std::hint::black_box(&slot);
    }
    let floor = t.elapsed().as_nanos() as f64 / calls as f64;
    (ours, floor)
}

// W7 -------------------------------------------------------------------------------------

/// Nanoseconds per call from two tasks at once: through a closed breaker, and directly. A call
/// that `waits` yields once before answering, as any call that does I/O, so that the breaker
/// arms its call timeout.
async fn w7(calls: u64, waits: bool) -> (f64, f64) {
    let breaker = CircuitBreaker::new("svc", BreakerConfig::default());
    let call = move || async move {
        if waits {
            tokio::task::yield_now().await;
        }
        Ok::<u64, std::io::Error>(std::hint::black_box(1))
    };
    // Alternating, three times each, the faster of each kept: neither side always runs first.
    let mut per = [f64::MAX; 2];
    for (i, through) in [true, false, true, false, true, false]
        .into_iter()
        .enumerate()
    {
        let i = i % 2;
        let t = Instant::now();
        let mut set = JoinSet::new();
        for _ in 0..2 {
            let breaker = breaker.clone();
            set.spawn(async move {
                let mut sum = 0;
                for _ in 0..calls {
                    sum += if through {
                        breaker.call(call()).await.expect("closed")
                    } else {
                        call().await.expect("ok")
                    };
                }
                sum
            });
        }
        while let Some(r) = set.join_next().await {
            assert_eq!(r.expect("task"), calls);
        }
        per[i] = per[i].min(t.elapsed().as_nanos() as f64 / (2 * calls) as f64);
    }
    (per[0], per[1])
}

// Memory ---------------------------------------------------------------------------------

fn idle(id: String) -> ChildSpec {
    ChildSpec::worker(id, |ctx: ChildContext| async move {
        ctx.cancelled().await;
        Ok::<(), std::convert::Infallible>(())
    })
}

/// Runs in a child process: resident bytes per child of one variant.
fn memory_child(spec: &str) {
    let (variant, n) = spec.split_once(':').expect("variant:n");
    let n: usize = n.parse().expect("n");
    let rt = runtime("current_thread");
    let before = rss_bytes();
    let app = rt.block_on(async {
        let mut tree = SupervisorSpec::new("mem");
        for i in 0..n {
            let child = idle(format!("c{i}"));
            tree = tree.child(match variant {
                "health" => child.health(
                    HealthCheck::new(|_p: ProbeContext| async { Health::Healthy })
                        .interval(Duration::from_secs(3600)),
                ),
                "heartbeat" => child.heartbeat(Heartbeat::every(Duration::from_secs(3600))),
                _ => child,
            });
        }
        let app = Supervisor::start(tree).await.expect("start");
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        app
    });
    let after = rss_bytes();
    println!("{}", after.saturating_sub(before) / n);
    drop(app);
}

fn memory_per_child(variant: &str, n: usize) -> Option<usize> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .env(CHILD_ENV, format!("{variant}:{n}"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        memory_child(&spec);
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    let run = if quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    };
    let n = 10_000;
    println!(
        "{:<60} {:>12} {:>12} {:>8}  target",
        "workload", "supervisor", "floor", "ratio"
    );
    println!("{}", "-".repeat(104));
    let row = |name: String, ours: String, floor: String, ratio: f64, target: &str| {
        println!("{name:<60} {ours:>12} {floor:>12} {ratio:>7.2}x  {target}");
    };
    for flavor in ["current_thread", "multi_thread(2)"] {
        let rt = runtime(flavor);
        let floor = rt.block_on(async { tokio::spawn(w6_floor(n, run)).await.unwrap() });
        let ours = rt.block_on(async { tokio::spawn(w6_ours(n, run)).await.unwrap() });
        row(
            format!("W6 CPU, {n} children beating every 100 ms for {run:?}, {flavor}"),
            format!("{ours:?}"),
            format!("{floor:?}"),
            ours.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            "<= 1.3x",
        );
        let (ours, floor) =
            rt.block_on(async { tokio::spawn(heartbeat_cost(10_000_000)).await.unwrap() });
        row(
            format!("W6 one heartbeat(), {flavor}"),
            format!("{ours:.1} ns"),
            format!("{floor:.1} ns"),
            ours / floor.max(1e-9),
            "<= 5 ns",
        );
        for (waits, what) in [(false, "ready at once"), (true, "waiting once")] {
            let (through, direct) =
                rt.block_on(async { tokio::spawn(w7(1_000_000, waits)).await.unwrap() });
            row(
                format!("W7 call through a closed breaker, {what}, 2 tasks, {flavor}"),
                format!("{through:.1} ns"),
                format!("{direct:.1} ns"),
                through / direct.max(1e-9),
                &format!("<= 50 ns added (added: {:.1} ns)", through - direct),
            );
        }
    }
    let plain = memory_per_child("plain", n);
    for variant in ["health", "heartbeat"] {
        let with = memory_per_child(variant, n);
        let show = |v: Option<usize>| v.map_or("n/a".to_string(), |b| format!("{b} B"));
        let added = match (with, plain) {
            (Some(w), Some(p)) => format!("+{} B", w as i64 - p as i64),
            _ => "n/a".into(),
        };
        println!(
            "{:<60} {:>12} {:>12} {:>8}  <= +256 B",
            format!("memory per child with {variant}, {n} children"),
            show(with),
            show(plain),
            added
        );
    }
    println!(
        "\nmachine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
