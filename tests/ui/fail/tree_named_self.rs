use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    Self: one_for_one {
        w: worker(run),
    }
}

fn main() {}

// Its handles would go in a module `super`, which no module can be.
supervision_tree! {
    Super: one_for_one {
        w: worker(run),
    }
}
