use supervisor::{supervision_tree, ChildContext};

pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: pool(size = 2, route = key_hash) { worker(run) [mailbox = Job] },
    }
}

fn main() {}
