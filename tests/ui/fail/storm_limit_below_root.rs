use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one(storm_limit = 1000 within 60s) {
        ingest: one_for_one(storm_limit = 100 within 10s) {
            fetch: worker(run),
        },
    }
}

fn main() {}
