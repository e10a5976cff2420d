// A mailbox type that is not `Send` is reported at the type, for a static child and for a
// template alike, and nowhere else in the expansion; the start function's future, which holds a
// context of that mailbox, is then not `Send` either, which rustc says at the function.
use std::rc::Rc;
use supervisor::{supervision_tree, ChildContext};

async fn run<M>(ctx: ChildContext<M>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        cache: worker(run) [mailbox = Rc<u8>],
        sessions: dynamic {
            worker(|ctx, _n: u32| run(ctx)) [args = u32, mailbox = Rc<u32>]
        },
    }
}

fn main() {}
