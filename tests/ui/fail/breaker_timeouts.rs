// A breaker's reset timeout above its maximum, and a call timeout of zero (every call would
// fail), are rejected as the same mistakes in a backoff are.
use supervisor::supervision_tree;
use supervisor::ChildContext;

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: worker(run),
    }
    breakers {
        llm: breaker(reset_timeout = 30s, max_reset_timeout = 1s),
        db: breaker(call_timeout = 0s),
    }
}

fn main() {}
