use supervisor::{supervision_tree, ChildContext};

pub struct Job;

async fn run(mut ctx: ChildContext<Job>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: one_for_one(overflow = reject) {
            b: pool(size = 1) { worker(run) [mailbox = Job] },
        },
        c: pool(size = 2, max_children = 3) { worker(run) [mailbox = Job, args = u32] },
    }
}

fn main() {}
