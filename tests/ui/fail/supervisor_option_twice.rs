use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(max_restarts = 3, within = 5s, max_restarts = 4) {
        db: worker(run),
        sessions: dynamic(max_children = 10, max_children = 20) {
            worker(|ctx, _: ()| run(ctx))
        },
    }
}

fn main() {}
