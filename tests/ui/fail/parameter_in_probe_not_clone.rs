// A tree parameter used only in a probe is one error, at the parameter, not one more for the
// check of parameters no expression uses.
use supervisor::{supervision_tree, ChildContext, Health, ProbeContext};

pub struct Config;

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ping(_probe: ProbeContext, _config: &Config) -> Health {
    Health::Healthy
}

supervision_tree! {
    App(config: Config): one_for_one {
        db: worker(run) [health = probe(move |p| async move { ping(p, &config).await })],
    }
}

fn main() {}
