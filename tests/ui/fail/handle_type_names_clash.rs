use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        a: one_for_one {
            b: one_for_one {
                w: worker(run),
            },
        },
        a_b: one_for_one {
            w: worker(run),
        },
        root: one_for_one {
            w: worker(run),
        },
    }
}

fn main() {}
