use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [backoff = exponential(100ms, 10s, jitter = 1.5)],
    }
}

fn main() {}
