use supervisor::{supervision_tree, ChildContext};

pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        workers: pool(size = 2) { worker(run) [mailbox = Job, restart = temporary] },
    }
}

fn main() {}
