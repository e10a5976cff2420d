// Every node kind can be named with a raw keyword: supervisors, pools and dynamic supervisors
// too, reached through the handle by their raw spelling.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn slot(mut ctx: ChildContext<u32>, _slot: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

async fn session(ctx: ChildContext, _n: u32) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        r#type: one_for_one {
            r#fn: worker(run),
        },
        r#match: pool(size = 2) {
            worker(slot) [mailbox = u32]
        },
        r#loop: dynamic {
            worker(session) [args = u32, restart = temporary]
        },
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = App::start().await.unwrap();
        assert_eq!(app.r#type.r#fn.path(), "app/type/fn");
        app.r#match.send(1).await.unwrap();
        app.r#loop.start_child(7).await.unwrap();
        app.shutdown().await.unwrap();
    });
}
