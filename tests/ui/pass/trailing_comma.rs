// A start expression may end with a comma, as any Rust argument list.
use supervisor::{supervision_tree, ChildContext};

async fn serve(ctx: ChildContext, _p: u32) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App(p: u32): one_for_one {
        db: worker(move |ctx| serve(ctx, p),),
        cache: worker(run,),
    }
}

fn main() {
    let _ = App::spec(7);
}
