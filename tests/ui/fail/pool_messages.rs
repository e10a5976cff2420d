// Mistakes in a pool are told as a pool's: its template, its options.
use supervisor::{supervision_tree, ChildContext};

async fn slot(mut ctx: ChildContext<u32>, _n: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        none: pool(size = 2) {},
        two: pool(size = 2) {
            worker(slot) [mailbox = u32],
            worker(slot) [mailbox = u32],
        },
        nested: pool(size = 2) {
            pool(size = 2) { worker(slot) [mailbox = u32] }
        },
        latest: pool(size = 2, overflow = drop_oldst) {
            worker(slot) [mailbox = u32]
        },
    }
}

fn main() {}
