use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(max_children = 5) {
        db: worker(run) [args = u32, max_restarts = 3],
        api: one_for_all [mailbox = String] {
            listener: worker(run),
        },
    }
}

fn main() {}
