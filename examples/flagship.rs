//! A small tree whose children crash, restart, back off and finally escalate to the root,
//! printing an account of what happens.
//!
//! ```text
//! cargo run --example flagship
//! cargo run --example flagship -- --mermaid   # the tree as a Mermaid chart
//! ```

use std::time::Duration;

use supervisor::{supervision_tree, ChildContext, EventKind};
use tokio::time::Instant;

supervision_tree! {
    /// An ingestion service whose upstream is down.
    pub Service: one_for_one(max_restarts = 2, within = 10s) {
        metrics: worker(metrics),
        ingest: rest_for_one(max_restarts = 2, within = 5s) {
            fetcher: worker(fetcher) [backoff = exponential(100ms, 1s)],
            parser: worker(parser),
        },
    }
}

async fn metrics(ctx: ChildContext) -> Result<(), std::io::Error> {
    ctx.cancelled().await;
    Ok(())
}

/// Talks to an upstream that is down: every incarnation times out after 50 ms.
async fn fetcher(ctx: ChildContext) -> Result<(), String> {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(50)) => {
            Err(format!("upstream timed out (incarnation {})", ctx.incarnation()))
        }
        _ = ctx.cancelled() => Ok(()),
    }
}

async fn parser(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    // `cargo run --example flagship -- --mermaid` draws the tree as a Mermaid chart (the
    // README's).
    if std::env::args().any(|a| a == "--mermaid") {
        print!("{}", supervisor::Picture::from(&Service::TREE).mermaid());
        return;
    }
    println!("{}", Service::TREE);
    let app = Service::start().await.expect("the tree starts");
    let mut events = app.subscribe();
    let t0 = Instant::now();
    let account = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            let at = event.at.duration_since(t0).as_secs_f64();
            let path = &event.path;
            let line = match event.kind {
                EventKind::Started { incarnation } => {
                    format!("{path} up (incarnation {incarnation})")
                }
                EventKind::StartFailed { reason, .. } => {
                    format!("{path} failed to start: {reason}")
                }
                EventKind::Exited { reason, .. } => format!("{path} exited: {reason}"),
                EventKind::Restarting { delay, restarts } => {
                    format!("{path} restarts in {delay:?} (restart #{restarts})")
                }
                EventKind::Stopped { reason, .. } => {
                    format!("{path} stopped ({})", reason.kind())
                }
                EventKind::GaveUp { .. } => {
                    format!("{path} GAVE UP: too many restarts, escalating")
                }
                EventKind::AutoShutdown => format!("{path} shut itself down"),
                EventKind::Gone { how, .. } => format!("{path} is gone ({how})"),
                other => format!("{path}: {other:?}"),
            };
            println!("{at:7.3}s  {line}");
        }
    });

    println!(
        "tree up; fetcher is {:?} and has restarted {} times\n",
        app.ingest.fetcher.state(),
        app.ingest.fetcher.restart_count()
    );
    let outcome = app.join().await;
    let _ = account.await;
    match outcome {
        Ok(()) => println!("\nthe tree stopped cleanly"),
        Err(supervisor::TreeError::GaveUp(escalation)) => {
            println!("\nthe root gave up; the chain down to the first failure:");
            for link in escalation.chain() {
                println!(
                    "  {} <- {}: {}",
                    link.supervisor,
                    link.child,
                    link.reason.kind()
                );
            }
            let (child, cause) = escalation.root_cause();
            println!("first failure: {child}: {cause}");
        }
        Err(other) => println!("\nthe tree ended abnormally: {other}"),
    }
}
