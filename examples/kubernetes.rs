//! A service run under Kubernetes (S16): the tree's health report answers the kubelet's probes
//! on `/livez` and `/readyz`, SIGTERM stops the tree in order, and the exit code says whether a
//! restart can help. The sample Deployment is `examples/deploy/deployment.yaml`; its
//! `terminationGracePeriodSeconds` must cover the tree's shutdown budget, which the service
//! checks as it starts (and a test checks against the file).
//!
//! ```sh
//! cargo run --example kubernetes            # serves on port 8080 (PORT to change it)
//! curl -i localhost:8080/readyz
//! ```
//!
//! The database is simulated: a flag says whether its ping answers, another breaks its
//! connection for good, so that a test can make it unhealthy and make the tree give up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use supervisor::{supervision_tree, ChildContext, Exit, Health, HealthProbe, ProbeContext};
use tokio::sync::watch;

/// A database the service depends on (simulated).
pub struct Database {
    answers: AtomicBool,
    broken: watch::Sender<bool>,
}

impl Database {
    pub fn new() -> Arc<Self> {
        Arc::new(Database {
            answers: AtomicBool::new(true),
            broken: watch::Sender::new(false),
        })
    }

    /// Whether its ping answers.
    pub fn set_answers(&self, answers: bool) {
        self.answers.store(answers, Ordering::SeqCst);
    }

    /// Breaks every connection, now and from now on.
    pub fn break_down(&self) {
        self.broken.send_replace(true);
    }
}

/// Holds a connection until asked to stop, or until the database breaks it.
async fn connection(ctx: ChildContext, db: Arc<Database>) -> Result<(), String> {
    let mut broken = db.broken.subscribe();
    tokio::select! {
        _ = ctx.cancelled() => Ok(()),
        _ = broken.wait_for(|b| *b) => Err("connection reset by the database".into()),
    }
}

async fn ping(_probe: ProbeContext, db: Arc<Database>) -> Health {
    if db.answers.load(Ordering::SeqCst) {
        Health::Healthy
    } else {
        Health::unhealthy("ping timed out")
    }
}

/// A client's session (simulated): it ends with an error when its client hangs up abruptly.
pub struct Client {
    pub hung_up: AtomicBool,
}

async fn session(ctx: ChildContext, client: Arc<Client>) -> Result<(), String> {
    if client.hung_up.load(Ordering::SeqCst) {
        return Err("client hung up".into());
    }
    ctx.cancelled().await;
    Ok(())
}

async fn api(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    // Draining in-flight requests would happen here, within the 10 s shutdown.
    Ok(())
}

supervision_tree! {
    /// The service: a database connection, probed, and the API that uses it.
    pub Service(db: Arc<Database>): one_for_one(max_restarts = 3, within = 60s) {
        database: worker(move |ctx| connection(ctx, db)) [
            health = probe(move |p| ping(p, db), interval = 500ms, timeout = 250ms, failure_threshold = 3),
            shutdown = 5s,
        ],
        api: worker(api) [shutdown = 10s],
        /// One per client: sessions come and go, and one in backoff does not take the pod out
        /// of its Service (S16.3).
        sessions: dynamic(max_restarts = 100, within = 10s) {
            worker(session) [args = Arc<Client>, backoff = fixed(5s), shutdown = 1s]
        },
    }
}

/// `/livez` and `/readyz`: 200 or 503, with one line per child.
pub fn probes(health: HealthProbe) -> Router {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .with_state(health)
}

async fn livez(State(health): State<HealthProbe>) -> (StatusCode, String) {
    let report = health.report().await;
    answer(report.live, &report)
}

async fn readyz(State(health): State<HealthProbe>) -> (StatusCode, String) {
    let report = health.report().await;
    answer(report.ready, &report)
}

fn answer(ok: bool, report: &supervisor::HealthReport) -> (StatusCode, String) {
    let mut body = String::new();
    for child in &report.children {
        // Children that do not count for readiness (sessions) are listed, marked so.
        let counts = if child.counts { "" } else { " (not counted)" };
        body += &format!(
            "{} {:?} {:?} restarts={}{counts}\n",
            child.path, child.state, child.health, child.restarts
        );
    }
    if ok {
        (StatusCode::OK, body)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body)
    }
}

/// The grace period Kubernetes gives between SIGTERM and SIGKILL, as the Deployment passes it
/// down (`TERMINATION_GRACE_PERIOD_SECONDS`); 30 s, Kubernetes' default, otherwise.
fn grace_period() -> Duration {
    let seconds = std::env::var("TERMINATION_GRACE_PERIOD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(seconds)
}

#[tokio::main]
async fn main() -> Result<Exit, std::io::Error> {
    tracing_subscriber::fmt().init();
    // Warns when the ordered shutdown could outlast the grace period.
    Service::TREE.shutdown_budget().check(grace_period());

    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    let tree = match Service::start(Database::new()).await {
        Ok(tree) => tree,
        Err(e) => {
            let exit = Exit::StartFailed(e);
            eprintln!("{exit}");
            return Ok(exit);
        }
    };
    println!("probes on http://{}", listener.local_addr()?);
    let app = probes(tree.health_probe());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let exit = tree.run().await;
    server.abort();
    Ok(exit)
}
