use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: worker(run) [backoff = exponential(1s)],
        b: worker(run) [backoff = fixed(1s, multiplier = 2)],
        c: worker(run) [backoff = quadratic(1s)],
        d: worker(run) [backoff = 1s],
    }
}

fn main() {}
