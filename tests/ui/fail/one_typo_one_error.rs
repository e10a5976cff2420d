// A misspelt option in a tree the program uses: its children, its description, its handle.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn listen(mut ctx: ChildContext<u32>) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [restart = permanant],
        api: one_for_one {
            listener: worker(listen) [mailbox = u32],
        },
        sessions: dynamic {
            worker(|ctx: ChildContext, _user: String| run(ctx)) [args = String]
        },
    }
}

#[allow(dead_code)]
async fn use_it() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", App::TREE);
    let app: app::Handle = App::start().await?;
    let _ = app.db.state();
    app.api.listener.send(7).await?;
    let _ = app.sessions.start_child("ann".to_string()).await?;
    let _spec = App::spec();
    app.shutdown().await?;
    Ok(())
}

fn main() {}
