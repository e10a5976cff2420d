// Children named after a method a handle has: `bind` would clash with the generated helper,
// `path` and `which_children` would silently shadow the supervisor's own methods.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        bind: worker(run),
        path: worker(run),
        api: one_for_one {
            which_children: worker(run),
        },
    }
}

fn main() {}
