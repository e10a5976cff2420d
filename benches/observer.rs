//! What the observer (S21) costs the tree it watches, beside the same tree unwatched in the
//! same run, on current_thread and multi_thread(2):
//!
//! - W1 (a child's restart) and W3 (one_for_all of 1,000) with the page served and no page
//!   open: the cost of its one event subscriber;
//! - the same with a page open, reading the stream;
//! - W1 of a small tree beside a tree of 10,000 children restarting 1,000 times a second,
//!   the big tree unwatched or watched by an open page.
//!
//! `cargo bench --bench observer --features observer [-- quick]`. Rounds alternate the two
//! sides, so that neither always runs on a warmer cache.

#[path = "workloads/mod.rs"]
mod workloads;

use std::time::Duration;

use supervisor::observer::{Page, Serving};
use supervisor::{ChildContext, ChildSpec, Supervisor, SupervisorHandle, SupervisorSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workloads::{w1_watched, w3_watched};

/// How the tree is watched during a run.
#[derive(Clone, Copy, PartialEq)]
enum Watch {
    Not,
    /// A bare subscriber, never read: what building and sending the events costs.
    Subscribed,
    Served,
    Page,
}

/// The page, and the task reading its stream as a browser would.
struct Watching {
    _page: Option<Serving>,
    _events: Option<supervisor::EventStream>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        if let Some(r) = &self.reader {
            r.abort();
        }
    }
}

async fn watch(tree: &SupervisorHandle, how: Watch) -> Option<Watching> {
    if how == Watch::Not {
        return None;
    }
    if how == Watch::Subscribed {
        return Some(Watching {
            _page: None,
            _events: Some(tree.subscribe()),
            reader: None,
        });
    }
    let page = Page::new().serve(tree).await.expect("serve");
    let reader = (how == Watch::Page).then(|| {
        let addr = page.addr();
        tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let head = format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            s.write_all(head.as_bytes()).await.expect("send");
            let mut buf = vec![0u8; 64 * 1024];
            while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
        })
    });
    Some(Watching {
        _page: Some(page),
        _events: None,
        reader,
    })
}

fn percentile(xs: &[Duration], p: f64) -> Duration {
    let mut v = xs.to_vec();
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// 10,000 children, each failing every 10 s from a phase of its own: 1,000 restarts a second.
fn busy_spec() -> SupervisorSpec {
    let mut spec = SupervisorSpec::new("busy").intensity(u32::MAX, Duration::from_nanos(1));
    for i in 0..10_000u64 {
        let phase = Duration::from_micros(i * 1_000);
        spec = spec.child(ChildSpec::worker(
            i.to_string(),
            move |ctx: ChildContext| async move {
                let first = ctx.incarnation() == 0;
                let wait = if first {
                    phase
                } else {
                    Duration::from_secs(10)
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => Err("its periodic failure"),
                    () = ctx.cancelled() => Ok(()),
                }
            },
        ));
    }
    spec
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 1_000 } else { 10_000 };
    let rounds = if quick { 3 } else { 5 };
    std::panic::set_hook(Box::new(|_| {}));
    println!("| workload | unwatched | watched | ratio |");
    println!("|---|---|---|---|");
    let row = |name: String, a: Duration, b: Duration| {
        let ratio = b.as_secs_f64() / a.as_secs_f64();
        println!("| {name} | {a:.2?} | {b:.2?} | {ratio:.3}x |");
    };
    for (flavor, rt) in [
        (
            "current_thread",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        ),
        (
            "multi_thread(2)",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        ),
    ] {
        for how in [Watch::Subscribed, Watch::Served, Watch::Page] {
            let label = match how {
                Watch::Subscribed => "a bare subscriber",
                Watch::Served => "served, no page",
                _ => "a page open",
            };
            let (mut plain, mut watched) = (Vec::new(), Vec::new());
            let (mut plain3, mut watched3) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                for (side, out, out3) in [
                    (Watch::Not, &mut plain, &mut plain3),
                    (how, &mut watched, &mut watched3),
                ] {
                    let w1 = rt.block_on(async {
                        tokio::spawn(w1_watched(n, false, move |t| Box::pin(watch(t, side))))
                            .await
                            .unwrap()
                    });
                    out.extend(w1);
                    let w3 = rt.block_on(async {
                        tokio::spawn(w3_watched(1_000, 5, move |t| Box::pin(watch(t, side))))
                            .await
                            .unwrap()
                    });
                    out3.extend(w3);
                }
            }
            row(
                format!("W1 Err restart p50, {label}, {flavor}"),
                percentile(&plain, 0.5),
                percentile(&watched, 0.5),
            );
            row(
                format!("W3 one_for_all 1000 median, {label}, {flavor}"),
                percentile(&plain3, 0.5),
                percentile(&watched3, 0.5),
            );
        }

        // Beside a big tree restarting 1,000 times a second.
        let (mut plain, mut watched) = (Vec::new(), Vec::new());
        rt.block_on(async {
            let busy = Supervisor::start(busy_spec()).await.expect("start");
            // Its phases spread over the first 10 s: wait until every child has failed once.
            tokio::time::sleep(Duration::from_secs(if quick { 3 } else { 11 })).await;
            for _ in 0..rounds {
                plain.extend(
                    tokio::spawn(w1_watched(n, false, |_| Box::pin(async {})))
                        .await
                        .unwrap(),
                );
                let page = watch(&busy, Watch::Page).await;
                // The page's first snapshot and walk are part of opening it, not of W1.
                tokio::time::sleep(Duration::from_millis(1_500)).await;
                watched.extend(
                    tokio::spawn(w1_watched(n, false, |_| Box::pin(async {})))
                        .await
                        .unwrap(),
                );
                drop(page);
            }
            busy.shutdown().await.expect("shutdown");
        });
        row(
            format!("W1 Err restart p50 beside 10,000 children restarting 1,000/s, {flavor}"),
            percentile(&plain, 0.5),
            percentile(&watched, 0.5),
        );
    }
}
