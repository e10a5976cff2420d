use supervisor::{supervision_tree, ChildContext, SupervisorRef};

async fn db(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn agent(ctx: ChildContext, _store: SupervisorRef) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        store: one_for_one { db: worker(db) },
        agent: worker(agent) [uses = store],
    }
}

fn main() {}
