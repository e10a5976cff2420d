use supervisor::{supervision_tree, ChildContext};

async fn listen(mut ctx: ChildContext<String>) -> Result<(), String> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        listener: worker(listen) [mailbox = String],
    }
}

async fn use_it(app: app::Handle) {
    let _ = app.listener.send(42u32).await;
    let _ = &app.listenr;
}

fn main() {}
