use supervisor::{supervision_tree, ChildContext};

pub struct Config;

async fn serve(ctx: ChildContext, _config: Config) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App(config: Config): one_for_one {
        db: worker(move |ctx| serve(ctx, config)),
        cache: worker(move |ctx| serve(ctx, config)),
    }
}

fn main() {}
