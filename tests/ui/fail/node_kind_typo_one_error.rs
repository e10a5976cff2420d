// A misspelt node kind, in a tree the program uses: one error, at the typo; the handle keeps its
// fields and the tree its TREE, so nothing else in the program fails.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: workr(run),
        api: one_for_on {
            listener: worker(run),
        },
        cache: worker(run),
    }
}

#[allow(dead_code)]
async fn use_it() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", App::TREE);
    let app: app::Handle = App::start().await?;
    let _ = app.db.state();
    let _ = app.api.listener.state();
    let _ = app.cache.state();
    app.shutdown().await?;
    Ok(())
}

fn main() {}
