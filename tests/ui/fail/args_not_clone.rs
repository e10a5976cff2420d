use supervisor::{supervision_tree, ChildContext};

/// A connection: moved, never copied.
struct Conn(tokio::sync::oneshot::Sender<String>);

async fn session(_ctx: ChildContext, conn: Conn) -> Result<(), String> {
    let _ = conn.0.send("hello".into());
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        // Restarted after a failure, it would need a copy of its connection.
        sessions: dynamic { worker(session) [args = Conn, restart = transient] },
    }
}

fn main() {}
