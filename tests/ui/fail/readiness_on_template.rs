use supervisor::{supervision_tree, BoxError, ChildContext};

async fn session(_ctx: ChildContext, _id: u32) -> Result<(), BoxError> {
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        sessions: dynamic {
            worker(session) [args = u32, readiness = ignored]
        },
    }
}

fn main() {}
