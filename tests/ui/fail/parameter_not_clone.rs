use supervisor::{supervision_tree, ChildContext};

pub struct Config;

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App(config: Config): one_for_one {
        db: worker(run),
    }
}

fn main() {}
