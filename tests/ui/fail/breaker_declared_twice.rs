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
        a: worker(run) [depends_on = llm],
    }
    breakers {
        llm: breaker(failure_threshold = 5),
        llm: breaker(failure_threshold = 3),
    }
}

fn main() {}
