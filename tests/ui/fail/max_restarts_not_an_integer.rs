use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(max_restarts = 2.5) {
        api: one_for_all(max_restarts = 99999999999) {
            db: worker(run),
        },
    }
}

fn main() {}
