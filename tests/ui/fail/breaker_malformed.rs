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
        a: worker(run),
    }
    breakers {
        llm: breaker(failure = 5),
        db: circuit(failure_threshold = 5),
    }
}

fn main() {}
