use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        sessions: dynamic(max_children = 0) {
            worker(|ctx, _: ()| run(ctx)),
        },
    }
}

fn main() {}
