use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) {
    ctx.cancelled().await;
}

supervision_tree! {
    App: one_for_one {
        db: worker(run),
    }
}

fn main() {}
