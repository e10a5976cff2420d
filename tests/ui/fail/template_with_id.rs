use supervisor::{supervision_tree, ChildContext};

async fn session(ctx: ChildContext, _args: ()) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        sessions: dynamic {
            session: worker(session) [restart = temporary],
        },
    }
}

fn main() {}
