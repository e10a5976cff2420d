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
        a: worker(run) [health = probe(ping, evry = 10s)],
        b: worker(run) [health = probe(interval = 10s)],
        c: worker(run) [health = check(ping)],
    }
}

fn main() {}
