use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(within = 5sec) {
        db: worker(run) [shutdown = 10mn],
    }
}

fn main() {}
