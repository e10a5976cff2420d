// A float literal too large for an f64 is infinite, and a negative one is still a number: each
// gets the rule of its option, at its value.
use supervisor::supervision_tree;
use supervisor::ChildContext;

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: worker(run) [heartbeat = phi(interval = 1s, threshold = 1e999)],
        b: worker(run) [heartbeat = phi(interval = 1s, threshold = -1.0)],
        c: worker(run) [backoff = exponential(10ms, 1s, multiplier = 1e999, jitter = 1e999)],
    }
    breakers {
        llm: breaker(jitter = 1e999),
    }
}

fn main() {}
