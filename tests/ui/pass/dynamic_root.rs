use supervisor::{supervision_tree, ChildContext};

async fn session(ctx: ChildContext, user: String) -> Result<(), String> {
    let _ = user;
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    Sessions: dynamic(max_children = 100) {
        worker(session) [restart = temporary, args = String]
    }
}

#[allow(dead_code)]
async fn use_it() -> Result<(), Box<dyn std::error::Error>> {
    let s = Sessions::start().await?;
    let child = s.start_child("ann".to_string()).await?;
    child.terminate().await?;
    s.shutdown().await?;
    Ok(())
}

fn main() {}
