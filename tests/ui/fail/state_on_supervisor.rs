use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

#[derive(Default)]
pub struct Memory;

supervision_tree! {
    App: one_for_one {
        api: one_for_one [state = Memory] {
            a: worker(run),
        },
    }
}

fn main() {}
