//! Arguments of temporary dynamic children move into their only incarnation (S3.2, S5.4): a
//! connection is handed to a session of its own, never copied.

use supervisor::{supervision_tree, ChildContext};

/// A connection: it can be moved, not copied.
struct Conn(tokio::sync::oneshot::Sender<String>);

async fn session(ctx: ChildContext, conn: Conn) -> Result<(), String> {
    let _ = conn.0.send(format!("served by {}", ctx.path()));
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        sessions: dynamic { worker(session) [args = Conn, restart = temporary] },
    }
}

// S5.4: each connection reaches its session; a session that ends is gone, and nothing was
// cloned along the way (the type cannot be).
#[tokio::test(start_paused = true)]
async fn a_temporary_session_takes_its_connection() {
    let app = App::start().await.unwrap();
    for n in 0..3 {
        let (tx, rx) = tokio::sync::oneshot::channel();
        app.sessions.start_child(Conn(tx)).await.unwrap();
        assert_eq!(rx.await.unwrap(), format!("served by app/sessions/{n}"));
    }
    app.shutdown().await.unwrap();
}
