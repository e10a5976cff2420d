use supervisor::{supervision_tree, ChildContext};

// Not `Clone`: a broadcast pool could not give every slot a copy.
pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        all: pool(size = 3, route = broadcast) { worker(run) [mailbox = Job] },
    }
}

fn main() {}
