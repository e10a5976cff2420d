use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [max_restarts = 2, within = 10s, on_exhausted = quarantined],
    }
}

fn main() {}
