// Option values are types and expressions with commas of their own: a comma inside `<..>`, a
// turbofish, a closure's parameters or a group is part of the value, not the end of it.
use std::collections::HashMap;

use supervisor::{supervision_tree, ChildContext, Directive, ExitReason};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn results(mut ctx: ChildContext<Result<u32, String>>) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

async fn session(ctx: ChildContext, _scores: HashMap<String, u64>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

fn pick<A, B>(_reason: &ExitReason) -> Directive {
    Directive::Restart
}

supervision_tree! {
    App: one_for_one {
        counts: worker(run) [state = HashMap<String, u64>, decider = pick::<u8, u16>],
        results: worker(results) [mailbox = Result<u32, String>, mailbox_capacity = 8],
        sessions: dynamic {
            worker(session) [args = HashMap<String, u64>, restart = temporary]
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
        app.results.send(Ok(1)).await.unwrap();
        app.sessions.start_child(HashMap::new()).await.unwrap();
        app.shutdown().await.unwrap();
    });
}
