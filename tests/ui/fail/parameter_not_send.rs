// A tree parameter that is neither `Send` nor `Sync` is one error, at its type.
use std::rc::Rc;
use supervisor::{supervision_tree, ChildContext};

async fn serve(ctx: ChildContext, _port: u32) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App(port: Rc<u32>): one_for_one {
        db: worker(move |ctx| serve(ctx, *port)),
    }
}

fn main() {}
