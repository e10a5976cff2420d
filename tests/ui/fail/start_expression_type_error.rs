use supervisor::supervision_tree;

async fn run(port: u16) -> Result<(), String> {
    let _ = port;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        db: worker(run),
    }
}

fn main() {}
