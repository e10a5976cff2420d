use supervisor::{supervision_tree, ChildContext};

async fn run(mut ctx: ChildContext<String>) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [mailbox = String, mailbox_capacity = 0],
    }
}

fn main() {}
