use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [stdio = json_rpc],
    }
}

fn main() {}
