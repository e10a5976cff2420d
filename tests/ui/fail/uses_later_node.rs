use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        api: worker(|ctx| { let _ = &cache; run(ctx) }) [uses = cache],
        cache: worker(run),
        web: one_for_one {
            handler: worker(|ctx| { let _ = &metrics; run(ctx) }) [uses = [metrics]],
        },
        metrics: worker(run),
    }
}

fn main() {}
