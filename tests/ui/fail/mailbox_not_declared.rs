use supervisor::{supervision_tree, ChildContext};

enum Ask {
    Ping,
}

async fn agent(mut ctx: ChildContext<Ask>) -> Result<(), String> {
    while let Some(Ask::Ping) = ctx.recv().await {}
    Ok(())
}

async fn session(_ctx: ChildContext, user: String) -> Result<(), String> {
    let _ = user;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        // Its context names a mailbox the tree does not declare.
        agent: worker(agent),
        // Its arguments are not the template's.
        sessions: dynamic { worker(session) [args = u64] },
    }
}

fn main() {}
