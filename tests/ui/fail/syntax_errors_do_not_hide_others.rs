// A slip in one subtree does not hide the mistakes elsewhere: each child that does not parse
// is skipped up to the next `,`, and the rest of the tree is still checked.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        api: one_for_one {
            listener: worker(run) [restart = transient]
            admin: worker(run),
        },
        db: worker(run) [restart = permanant],
        cache worker(run),
        jobs: worker(run) [shutdown = 5x],
    }
}

fn main() {}
