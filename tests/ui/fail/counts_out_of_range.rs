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
        a: worker(run) [health = probe(ping, failure_threshold = 0)],
        b: worker(run) [heartbeat = phi(interval = 1s, threshold = 0, window = 1)],
    }
    breakers {
        llm: breaker(half_open_max_calls = 0),
    }
}

fn main() {}
