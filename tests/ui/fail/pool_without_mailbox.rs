use supervisor::{supervision_tree, ChildContext};

pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: pool(size = 2) { worker(idle) },
    }
}

async fn idle(ctx: ChildContext, _slot: usize) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

fn main() {}
