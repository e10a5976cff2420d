use supervisor::{supervision_tree, ChildContext, Health, ProbeContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ping(_probe: ProbeContext) -> Health {
    Health::Healthy
}

supervision_tree! {
    App: one_for_one {
        api: one_for_one [heartbeat = phi(interval = 1s)] {
            a: worker(run),
        },
    }
}

fn main() {}
