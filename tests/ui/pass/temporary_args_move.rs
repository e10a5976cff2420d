//! A temporary template's arguments move into its only incarnation: they need not be `Clone`.

use supervisor::{supervision_tree, ChildContext};

struct Conn(tokio::sync::oneshot::Sender<String>);

async fn session(_ctx: ChildContext, conn: Conn) -> Result<(), String> {
    let _ = conn.0.send("hello".into());
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        sessions: dynamic { worker(session) [args = Conn, restart = temporary] },
    }
}

fn main() {
    let _ = App::spec;
}
