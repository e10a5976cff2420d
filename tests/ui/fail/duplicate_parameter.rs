use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App(port: u16, port: u16): one_for_one {
        db: worker(run),
    }
}

fn main() {}
