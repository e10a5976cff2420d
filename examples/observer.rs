//! A tree with flaky children, watched live in a browser (S21).
//!
//! ```sh
//! cargo run --example observer --features observer        # prints the page's address
//! OBSERVER_ACTIONS=1 cargo run --example observer --features observer   # with actions
//! ```
//!
//! A pool of database connections whose pings sometimes degrade, a job queue that fills and
//! drains, an agent calling a model through a circuit breaker that trips, a worker that
//! crashes every few seconds, and sessions that come and go. `OBSERVER_RUN_FOR=10` ends it
//! after ten seconds (otherwise Ctrl-C: watch the ordered shutdown on the page).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use supervisor::observer::Page;
use supervisor::{
    supervision_tree, BreakerError, ChildContext, CircuitBreaker, Exit, Health, ProbeContext,
};

/// A cheap generator: the example needs variety, not quality.
fn roll(n: u64) -> u64 {
    static SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let mut x = SEED.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % n
}

async fn connection(ctx: ChildContext<String>, _slot: usize) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ping(_p: ProbeContext) -> Health {
    match roll(10) {
        0 => Health::degraded("slow ping"),
        _ => Health::Healthy,
    }
}

/// Takes jobs slowly: its mailbox fills when jobs come in bursts.
async fn jobs(mut ctx: ChildContext<u64>) -> Result<(), String> {
    while let Some(job) = ctx.recv().await {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if job % 97 == 96 {
            return Err(format!("job {job} poisoned the worker"));
        }
    }
    Ok(())
}

/// Feeds the job queue in bursts.
async fn feeder(ctx: ChildContext, jobs: supervisor::ChildRef<u64>) -> Result<(), String> {
    let mut n = 0;
    loop {
        for _ in 0..roll(12) {
            n += 1;
            let _ = jobs.try_send(n);
        }
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Calls a model through the breaker; the model fails in streaks.
async fn agent(ctx: ChildContext, llm: CircuitBreaker) -> Result<(), String> {
    loop {
        let reply = llm
            .call(async {
                match roll(4) {
                    0 => Err("model overloaded".to_string()),
                    _ => Ok("an answer"),
                }
            })
            .await;
        if let Err(BreakerError::Open { .. }) = reply {
            return Err("the model is unavailable".into());
        }
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(400)) => {}
        }
    }
}

/// Crashes every few seconds.
async fn flaky(_ctx: ChildContext) -> Result<(), String> {
    tokio::time::sleep(Duration::from_secs(2 + roll(4))).await;
    panic!("flaky crashed, as it does");
}

async fn session(ctx: ChildContext, user: u64) -> Result<(), String> {
    tokio::select! {
        () = ctx.cancelled() => Ok(()),
        () = tokio::time::sleep(Duration::from_secs(3 + roll(5))) => match roll(3) {
            0 => Err(format!("user {user} hung up")),
            _ => Ok(()),
        },
    }
}

supervision_tree! {
    /// A service with something going wrong somewhere, always.
    pub Service: one_for_one(max_restarts = 50, within = 10s) {
        db: pool(size = 3) {
            worker(connection) [mailbox = String, health = probe(ping, interval = 1s, timeout = 500ms)]
        },
        work: rest_for_one(max_restarts = 20, within = 10s) {
            jobs: worker(jobs) [mailbox = u64, mailbox_capacity = 32, shutdown = 2s],
            feeder: worker(|ctx| feeder(ctx, jobs)) [uses = [jobs]],
        },
        agent: worker(|ctx| agent(ctx, llm)) [uses = [llm], depends_on = llm, backoff = fixed(500ms)],
        flaky: worker(flaky) [backoff = exponential(200ms, 2s), shutdown = 1s],
        sessions: dynamic(max_restarts = 100, within = 10s) {
            worker(session) [args = u64, restart = transient, backoff = fixed(1s)]
        },
    }
    breakers {
        llm: breaker(failure_threshold = 3, reset_timeout = 2s),
    }
}

#[tokio::main]
async fn main() -> Result<Exit, Box<dyn std::error::Error>> {
    let tree = match Service::start().await {
        Ok(tree) => tree,
        Err(e) => return Ok(Exit::StartFailed(e)),
    };
    let actions = std::env::var_os("OBSERVER_ACTIONS").is_some();
    let page = Page::new().actions(actions).serve(tree.handle()).await?;
    println!("the tree, live: {}", page.url());

    // Sessions come and go.
    let sessions = tree.sessions.clone();
    tokio::spawn(async move {
        for user in 0.. {
            if sessions.start_child(user).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(700 + 100 * roll(10))).await;
        }
    });
    if let Some(secs) = std::env::var("OBSERVER_RUN_FOR")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        let token = tree.shutdown_token();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            token.cancel();
        });
    }
    let exit = tree.run().await;
    drop(page);
    Ok(exit)
}
