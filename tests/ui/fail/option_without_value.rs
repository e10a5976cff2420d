use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(max_restarts) {
        db: worker(run) [restart, shutdown],
    }
}

fn main() {}
