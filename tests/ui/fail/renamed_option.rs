// grammar: a former key is an error that names the option it became, and the tree keeps it
// (no "needs an interval" for the probe whose `every` is now `interval`).
use supervisor::{supervision_tree, ChildContext, Directive, ExitReason, Health, ProbeContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}
fn classify(_r: &ExitReason) -> Directive {
    Directive::Restart
}
async fn ping(_p: ProbeContext) -> Health {
    Health::Healthy
}

supervision_tree! {
    App: one_for_one {
        db: worker(run) [decide = classify, health = probe(ping, every = 10s, failures = 2)],
        beat: worker(run) [heartbeat = phi(every = 1s, min_std = 50ms), depends_on = llm],
    }
    breakers {
        llm: breaker(reset = 1s, max_reset = 2s, half_open = 1, successes = 1),
    }
}

fn main() {
    let _ = App::TREE;
}
