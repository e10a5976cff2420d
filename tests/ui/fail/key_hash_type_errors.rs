// A `key_hash` closure that takes its message by value, or whose key cannot be hashed, is
// reported at the closure, never at the whole macro call.
use supervisor::{supervision_tree, ChildContext};

pub struct Job(pub u32);

async fn slot(mut ctx: ChildContext<Job>, _n: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        by_value: pool(size = 2, route = key_hash(|j: Job| j.0)) {
            worker(slot) [mailbox = Job]
        },
        not_hash: pool(size = 2, route = key_hash(|j: &Job| j.0 as f64)) {
            worker(slot) [mailbox = Job]
        },
    }
}

fn main() {}
