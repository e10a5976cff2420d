use std::rc::Rc;
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run),
        sessions: dynamic {
            worker(|ctx, _n: u32| run(ctx)) [args = u32, mailbox = Rc<u32>]
        },
    }
}

fn main() {}
