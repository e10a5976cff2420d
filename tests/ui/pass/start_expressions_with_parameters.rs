// Every form a start expression that uses tree parameters may take: each incarnation gets its
// own clones (a closure gets them at the top of its body; the expansion calls no closure it has
// just written, which `cargo clippy` on the workspace's own trees checks).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use supervisor::{async_trait, supervision_tree, BoxError, ChildContext, Worker};

type BoxFut = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

async fn serve(ctx: ChildContext, _name: Arc<str>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn session(ctx: ChildContext, _user: String, _name: Arc<str>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

fn make(name: Arc<str>) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
    move |ctx| Box::pin(serve(ctx, name.clone()))
}

struct Cache(Arc<str>);

#[async_trait]
impl Worker for Cache {
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        let _ = &self.0;
        ctx.cancelled().await;
        Ok(())
    }
}

supervision_tree! {
    App(name: Arc<str>): one_for_one {
        moves: worker(move |ctx| serve(ctx, name)),
        borrows: worker(|ctx| serve(ctx, name)),
        returns: worker(move |ctx| -> BoxFut { Box::pin(serve(ctx, name)) }),
        made: worker(make(name)),
        cache: from_worker(Cache(name)),
        sessions: dynamic {
            worker(move |ctx, user| session(ctx, user, name)) [args = String]
        },
    }
}

fn main() {
    let _ = App::spec(Arc::from("app"));
}
