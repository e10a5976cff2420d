// A misspelt `size` or `every` is one error, at the typo, not a second one saying the option is
// missing; a malformed breaker is one error, and the children that depend on it are not told
// that the tree declares none.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn slot(mut ctx: ChildContext<u32>, _n: usize) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        agent: worker(run) [heartbeat = phi(evry = 1s), depends_on = llm],
        slots: pool(sise = 2) {
            worker(slot) [mailbox = u32]
        },
    }
    breakers {
        llm: breaker(failure_threshold = five),
    }
}

fn main() {}
