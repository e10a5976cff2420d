//! Fixed workloads to count instructions with callgrind, which, unlike wall-clock time, repeat
//! exactly on this noisy machine:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/instructions-* start-stop
//! ```
//!
//! Each workload runs on a current-thread runtime: `start-stop` starts a tree of one idle child
//! and shuts it down, 1,000 times; `restart` lets a child fail and be restarted 10,000 times
//! (W1); `escalate` makes a leaf under 9 supervisors of intensity 0 crash 1,000 times, each time
//! escalating to the root, which rebuilds the chain (W4); `call` makes 10,000 calls to a worker
//! with a mailbox (W9); `floor-call` is the same round trip with a bare task and a oneshot.
//! Without valgrind the binary prints the wall-clock time of the workload.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use supervisor::{ChildContext, ChildSpec, Reply, Supervisor, SupervisorSpec};
use tokio::sync::{mpsc, oneshot, Notify};

/// Counts incarnations that ran, and wakes the workload at its target.
#[derive(Default)]
struct Ups {
    n: AtomicU64,
    target: AtomicU64,
    reached: Notify,
}

impl Ups {
    fn up(&self) {
        let n = self.n.fetch_add(1, Ordering::Relaxed) + 1;
        if n == self.target.load(Ordering::Relaxed) {
            self.reached.notify_one();
        }
    }
}

async fn restart(n: u64) {
    let ups = Arc::new(Ups::default());
    ups.target.store(n, Ordering::Relaxed);
    let u = Arc::clone(&ups);
    let spec = SupervisorSpec::new("app")
        .intensity(u32::MAX, Duration::from_nanos(1))
        .child(ChildSpec::worker("c", move |_ctx: ChildContext| {
            let u = Arc::clone(&u);
            async move {
                u.up();
                Err::<(), _>("crash")
            }
        }));
    let app = Supervisor::start(spec).await.expect("start");
    ups.reached.notified().await;
    app.shutdown().await.expect("shutdown");
}

async fn escalate(depth: usize, n: u64) {
    let ups = Arc::new(Ups::default());
    let trigger = Arc::new(Notify::new());
    let (u, tr) = (Arc::clone(&ups), Arc::clone(&trigger));
    let mut child = ChildSpec::worker("leaf", move |ctx: ChildContext| {
        let (u, tr) = (Arc::clone(&u), Arc::clone(&tr));
        async move {
            u.up();
            tokio::select! {
                _ = tr.notified() => Err("crash"),
                _ = ctx.cancelled() => Ok(()),
            }
        }
    });
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
    ups.target.store(1, Ordering::Relaxed);
    let app = Supervisor::start(spec).await.expect("start");
    ups.reached.notified().await;
    for i in 2..=n + 1 {
        ups.target.store(i, Ordering::Relaxed);
        trigger.notify_one();
        ups.reached.notified().await;
    }
    app.shutdown().await.expect("shutdown");
}

async fn start_stop(n: u32) {
    for _ in 0..n {
        let spec = SupervisorSpec::new("app").child(ChildSpec::worker(
            "idle",
            |ctx: ChildContext| async move {
                ctx.cancelled().await;
                Ok::<(), std::convert::Infallible>(())
            },
        ));
        let app = Supervisor::start(spec).await.expect("start");
        app.shutdown().await.expect("shutdown");
    }
}

enum Ask {
    Echo(u64, Reply<u64>),
}

async fn call(n: u64) {
    let spec = SupervisorSpec::new("app").child(ChildSpec::with_mailbox(
        "echo",
        |mut ctx: ChildContext<Ask>| async move {
            while let Some(Ask::Echo(n, reply)) = ctx.recv().await {
                let _ = reply.send(n);
            }
            Ok::<(), std::convert::Infallible>(())
        },
    ));
    let app = Supervisor::start(spec).await.expect("start");
    let echo = app.child::<Ask>("echo").expect("child");
    for i in 0..n {
        let got = echo
            .call(|r| Ask::Echo(i, r), Duration::from_secs(10))
            .await
            .expect("call");
        assert_eq!(got, i);
    }
    app.shutdown().await.expect("shutdown");
}

async fn floor_call(n: u64) {
    let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
    let task = tokio::spawn(async move {
        while let Some((n, reply)) = rx.recv().await {
            let _ = reply.send(n);
        }
    });
    for i in 0..n {
        let (reply, answer) = oneshot::channel();
        tx.send((i, reply)).await.expect("send");
        assert_eq!(answer.await.expect("answer"), i);
    }
    drop(tx);
    task.await.expect("task");
}

fn main() {
    let workload = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "start-stop".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    rt.block_on(async {
        match workload.as_str() {
            "start-stop" => start_stop(1_000).await,
            "restart" => restart(10_000).await,
            "escalate" => escalate(10, 1_000).await,
            "call" => call(10_000).await,
            "floor-call" => floor_call(10_000).await,
            // `cargo bench` runs every bench binary with `--bench`: run the cheapest.
            _ => start_stop(10).await,
        }
    });
    println!("{workload}: {:?}", t.elapsed());
}
