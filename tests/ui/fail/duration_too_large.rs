use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(within = 876001h) {
        db: worker(run) [shutdown = 99999999999999999999s],
    }
}

fn main() {}
