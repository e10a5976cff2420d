use supervisor::{supervision_tree, ChildContext};

pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: pool(size = 0) { worker(run) [mailbox = Job] },
        b: pool(route = least_loaded) { worker(run) [mailbox = Job] },
    }
}

fn main() {}
