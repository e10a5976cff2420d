// Everything a child can declare about failure detection, and the tree's breakers: deciders,
// health checks, heartbeats, breakers and the children that depend on them (S10-S13).
use std::sync::Arc;

use supervisor::{supervision_tree, ChildContext, Directive, ExitReason, Health, ProbeContext};

async fn agent(ctx: ChildContext, _model: Arc<str>) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn session(ctx: ChildContext, _user: String) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ping(_probe: ProbeContext, _model: Arc<str>) -> Health {
    Health::Healthy
}

fn classify(reason: &ExitReason) -> Directive {
    match reason {
        ExitReason::Panic(_) => Directive::Escalate,
        _ => Directive::Restart,
    }
}

supervision_tree! {
    App(model: Arc<str>): one_for_one {
        agent: worker(move |ctx| agent(ctx, model)) [
            decider = classify,
            health = probe(move |p| ping(p, model), interval = 10s, timeout = 2s, failure_threshold = 3),
            heartbeat = phi(interval = 1s, threshold = 8, acceptable_pause = 2s),
            depends_on = llm,
            state = Vec<String>,
        ],
        sessions: dynamic {
            worker(session) [restart = temporary, args = String, depends_on = [llm, search]]
        },
    }
    breakers {
        llm: breaker(failure_threshold = 5, reset_timeout = 30s, call_timeout = 10s, half_open_max_calls = 2),
        search: breaker(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = App::start(Arc::from("m")).await.unwrap();
        assert_eq!(app.breaker("llm").unwrap().name(), "llm");
        assert!(app.breaker("search").is_some());
        assert!(app.agent.phi().is_some());
        app.sessions.start_child("ann".to_string()).await.unwrap();
        app.shutdown().await.unwrap();
    });
}
