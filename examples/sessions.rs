//! A chat-like service: a dynamic supervisor of sessions started at run time with typed
//! arguments, and a router whose typed mailbox keeps messages while it restarts.
//!
//! ```text
//! cargo run --example sessions
//! ```

use std::time::Duration;

use supervisor::{supervision_tree, ChildContext, ChildState, Gone};

/// What the router is told.
#[derive(Debug)]
pub enum Route {
    Deliver { to: String, text: String },
    Crash,
}

async fn router(mut ctx: ChildContext<Route>) -> Result<(), String> {
    println!("  router incarnation {} up", ctx.incarnation());
    while let Some(msg) = ctx.recv().await {
        match msg {
            Route::Deliver { to, text } => println!("  router: deliver {text:?} to {to}"),
            Route::Crash => return Err("router hit a bad message".into()),
        }
    }
    Ok(())
}

async fn session(ctx: ChildContext, user: String) -> Result<(), String> {
    println!("  session for {user} up as {}", ctx.path());
    ctx.cancelled().await;
    println!("  session for {user} closing");
    Ok(())
}

supervision_tree! {
    /// Chat: sessions come and go; the router must not lose messages when it restarts.
    pub Chat: one_for_one(max_restarts = 5, within = 10s) {
        router: worker(router) [mailbox = Route, backoff = fixed(200ms)],
        sessions: dynamic(max_children = 2) {
            worker(session) [restart = temporary, args = String, shutdown = 1s]
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", Chat::TREE);
    let chat = Chat::start().await?;

    println!("starting sessions:");
    let ann = chat.sessions.start_child("ann".to_string()).await?;
    chat.sessions.start_child("bob".to_string()).await?;
    match chat.sessions.start_child("cid".to_string()).await {
        Err(e) => println!("  third session refused: {e}"),
        Ok(_) => println!("  third session started?"),
    }

    println!("routing, with a crash in the middle:");
    let router = &chat.router;
    router
        .send(Route::Deliver {
            to: "ann".into(),
            text: "hi".into(),
        })
        .await?;
    router.send(Route::Crash).await?;
    // Sent while the router waits out its 200 ms backoff: kept for the next incarnation.
    router
        .send(Route::Deliver {
            to: "bob".into(),
            text: "still there?".into(),
        })
        .await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    println!(
        "  router restarted {} time(s), now {:?}",
        router.restart_count(),
        router.state()
    );

    println!("closing ann's session:");
    ann.terminate().await?;
    assert_eq!(ann.state(), ChildState::Gone(Gone::Ended)); // a dynamic child frees its slot
    println!(
        "  sessions left: {}",
        chat.sessions.count_children().await?.active
    );

    println!("shutting down:");
    chat.shutdown().await?;
    println!("done");
    Ok(())
}
