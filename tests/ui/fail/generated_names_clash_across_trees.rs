// Two trees in one module whose generated names meet: `App` makes `AppApi` for its child `api`,
// and a tree is named `AppApi`. Each tree is checked on its own, so the macro cannot see the
// clash; rustc reports it at the two names the user wrote.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        api: one_for_one {
            listener: worker(run),
        },
    }
}

supervision_tree! {
    AppApi: one_for_one {
        db: worker(run),
    }
}

fn main() {}
