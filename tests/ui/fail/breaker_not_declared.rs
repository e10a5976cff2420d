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
        a: worker(run) [depends_on = lm],
        b: worker(run) [depends_on = [llm, serch]],
    }
    breakers {
        llm: breaker(),
        search: breaker(),
    }
}

fn main() {}
