//! W8 and W9: pools and calls, each beside a bare-tokio floor written in the same harness and
//! measured in the same run, on both runtime flavours. `cargo bench --bench pools` prints one
//! table; `-- quick` runs fewer messages.
//!
//! - W8: a pool of 4 workers handling small messages from 4 senders (round robin, and least
//!   loaded), against 4 tasks with one mpsc channel each and senders going round robin.
//! - W9: a call's round trip to a worker, against a bare request carrying a oneshot to a task.

mod workloads;
use workloads::{header, median, runtime};

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use supervisor::{ChildContext, ChildSpec, PoolSpec, Reply, Supervisor, SupervisorSpec, Template};
use tokio::sync::{mpsc, oneshot, Notify};

/// Counts processed messages and wakes the bench at the target.
struct Done {
    count: AtomicU64,
    target: u64,
    notify: Notify,
}

impl Done {
    fn new(target: u64) -> Arc<Self> {
        Arc::new(Done {
            count: AtomicU64::new(0),
            target,
            notify: Notify::new(),
        })
    }

    fn one(&self) {
        if self.count.fetch_add(1, Ordering::Relaxed) + 1 == self.target {
            self.notify.notify_one();
        }
    }
}

// W8 -------------------------------------------------------------------------------------

async fn w8_ours(messages: u64, least_loaded: bool) -> Duration {
    let done = Done::new(messages);
    let d = Arc::clone(&done);
    let template = Template::<usize, u64>::new(move |mut ctx: ChildContext<u64>, _slot: usize| {
        let d = Arc::clone(&d);
        async move {
            while let Some(m) = ctx.recv().await {
                std::hint::black_box(m);
                d.one();
            }
            Ok::<(), std::convert::Infallible>(())
        }
    });
    let mut spec = PoolSpec::new("pool", 4, template);
    if least_loaded {
        spec = spec.least_loaded();
    }
    let app = Supervisor::start(spec).await.expect("start");
    let pool = app.root().pool::<u64>("").expect("pool");
    let wait = done.notify.notified();
    let t = Instant::now();
    let mut senders = Vec::new();
    for s in 0..4 {
        let pool = pool.clone();
        senders.push(tokio::spawn(async move {
            for m in 0..messages / 4 {
                pool.send(s * messages + m).await.expect("send");
            }
        }));
    }
    wait.await;
    let elapsed = t.elapsed();
    for s in senders {
        s.await.expect("sender");
    }
    app.shutdown().await.expect("shutdown");
    elapsed
}

async fn w8_floor(messages: u64) -> Duration {
    let done = Done::new(messages);
    let mut txs = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        let d = Arc::clone(&done);
        workers.push(tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                std::hint::black_box(m);
                d.one();
            }
        }));
        txs.push(tx);
    }
    let txs = Arc::new(txs);
    let cursor = Arc::new(AtomicUsize::new(0));
    let wait = done.notify.notified();
    let t = Instant::now();
    let mut senders = Vec::new();
    for s in 0..4 {
        let (txs, cursor) = (Arc::clone(&txs), Arc::clone(&cursor));
        senders.push(tokio::spawn(async move {
            for m in 0..messages / 4 {
                let i = cursor.fetch_add(1, Ordering::Relaxed) % txs.len();
                txs[i].send(s * messages + m).await.expect("send");
            }
        }));
    }
    wait.await;
    let elapsed = t.elapsed();
    for s in senders {
        s.await.expect("sender");
    }
    drop(txs);
    for w in workers {
        w.await.expect("worker");
    }
    elapsed
}

// W9 -------------------------------------------------------------------------------------

enum Ask {
    Echo(u64, Reply<u64>),
}

async fn w9_ours(calls: u64) -> Duration {
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
    let t = Instant::now();
    for n in 0..calls {
        let got = echo
            .call(|r| Ask::Echo(n, r), Duration::from_secs(10))
            .await
            .expect("call");
        assert_eq!(got, n);
    }
    let per = t.elapsed() / calls as u32;
    app.shutdown().await.expect("shutdown");
    per
}

async fn w9_floor(calls: u64) -> Duration {
    let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
    let server = tokio::spawn(async move {
        while let Some((n, reply)) = rx.recv().await {
            let _ = reply.send(n);
        }
    });
    let t = Instant::now();
    for n in 0..calls {
        let (reply, answer) = oneshot::channel();
        tx.send((n, reply)).await.expect("send");
        let got = tokio::time::timeout(Duration::from_secs(10), answer)
            .await
            .expect("in time")
            .expect("answer");
        assert_eq!(got, n);
    }
    let per = t.elapsed() / calls as u32;
    drop(tx);
    server.await.expect("server");
    per
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (messages, calls, reps) = if quick {
        (100_000, 20_000, 3)
    } else {
        (1_000_000, 100_000, 5)
    };
    header();
    for flavor in ["current_thread", "multi_thread(2)"] {
        let rt = runtime(flavor);
        for (least, what) in [(false, "round_robin"), (true, "least_loaded")] {
            let (mut ours, mut floor) = (Vec::new(), Vec::new());
            for _ in 0..reps {
                floor.push(rt.block_on(async { tokio::spawn(w8_floor(messages)).await.unwrap() }));
                ours.push(
                    rt.block_on(async { tokio::spawn(w8_ours(messages, least)).await.unwrap() }),
                );
            }
            let (o, f) = (median(ours), median(floor));
            println!(
                "{:<58} {:>12?} {:>12?} {:>6.2}x  <= 1.3x",
                format!("W8 pool of 4, {messages} messages, 4 senders, {what}, {flavor}"),
                o,
                f,
                o.as_secs_f64() / f.as_secs_f64()
            );
        }
        let (mut ours, mut floor) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            floor.push(rt.block_on(async { tokio::spawn(w9_floor(calls)).await.unwrap() }));
            ours.push(rt.block_on(async { tokio::spawn(w9_ours(calls)).await.unwrap() }));
        }
        let (o, f) = (median(ours), median(floor));
        println!(
            "{:<58} {:>12?} {:>12?} {:>6.2}x  <= 1.5x",
            format!("W9 call round trip, {flavor}"),
            o,
            f,
            o.as_secs_f64() / f.as_secs_f64()
        );
    }
    println!(
        "\nmachine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
