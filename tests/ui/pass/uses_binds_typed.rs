//! What a tree declares is bound typed, by name, in the start expression (S17): a node's
//! handle, a breaker and the carried state; nothing is looked up by string.

use supervisor::{supervision_tree, ChildContext, ChildRef, CircuitBreaker, Stash};

#[derive(Default)]
struct Memory(Vec<String>);

async fn db(ctx: ChildContext<String>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn agent(
    ctx: ChildContext,
    db: ChildRef<String>,
    llm: CircuitBreaker,
    memory: Stash<Memory>,
) -> Result<(), String> {
    let _ = (db, llm.name(), memory.lock().0.len());
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(db) [mailbox = String],
        agent: worker(|ctx| agent(ctx, db, llm, state)) [uses = db, depends_on = llm, state = Memory],
    }
    breakers {
        llm: breaker(),
    }
}

fn main() {
    let _ = App::spec;
}
