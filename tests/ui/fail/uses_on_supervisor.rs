use supervisor::{async_trait, supervision_tree, ChildContext, Worker};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

struct Poller;

#[async_trait]
impl Worker for Poller {
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), supervisor::BoxError> {
        ctx.cancelled().await;
        Ok(())
    }
}

supervision_tree! {
    App: one_for_one {
        db: worker(run),
        web: one_for_one [uses = db] { page: worker(run) },
        poller: from_worker(Poller) [uses = db],
    }
}

fn main() {}
