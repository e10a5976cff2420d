use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [shutdown = 5 s],
        cache: worker(run) [shutdown = 1.5.s],
    }
}

fn main() {}
