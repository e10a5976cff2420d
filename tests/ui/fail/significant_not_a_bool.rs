use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(auto_shutdown = any_significant) {
        db: worker(run) [restart = transient, significant = yes],
    }
}

fn main() {}
