//! What counts for readiness (S16.3), on the paused clock: declared children by default, a pool
//! while one slot is ready, never a dynamic supervisor's children nor a child declared
//! `Readiness::Ignored`; degraded is reported and leaves the tree ready.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{MS, S};
use supervisor::{
    supervision_tree, Backoff, BoxError, ChildContext, ChildSpec, ChildState, Health, HealthCheck,
    HealthReport, HealthStatus, PoolSpec, ProbeContext, Readiness, Supervisor, SupervisorSpec,
    Template,
};

/// What each path's probe answers, changed by the test as it goes.
#[derive(Clone, Default)]
struct Answers(Arc<Mutex<HashMap<String, Health>>>);

impl Answers {
    fn set(&self, path: &str, health: Health) {
        self.0.lock().unwrap().insert(path.to_owned(), health);
    }

    /// A probe every second that answers what was set for the probed path (healthy otherwise),
    /// and never restarts anything: a test of readiness, not of convictions.
    fn check(&self) -> HealthCheck {
        let me = self.clone();
        HealthCheck::new(move |p: ProbeContext| {
            let h = me.0.lock().unwrap().get(p.path()).cloned();
            async move { h.unwrap_or(Health::Healthy) }
        })
        .interval(S)
        .timeout(100 * MS)
        .failure_threshold(1_000)
    }
}

async fn idle(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.cancelled().await;
    Ok(())
}

async fn failing(_ctx: ChildContext) -> Result<(), BoxError> {
    Err("refused".into())
}

fn child<'a>(report: &'a HealthReport, path: &str) -> &'a supervisor::ChildReport {
    report
        .children
        .iter()
        .find(|c| &*c.path == path)
        .unwrap_or_else(|| panic!("{path} missing from {report:#?}"))
}

// S16.3: a degraded child is reported but leaves the tree ready; an unhealthy one that counts
// makes it unready.
#[tokio::test(start_paused = true)]
async fn degraded_is_reported_and_ready_unhealthy_is_not() {
    let answers = Answers::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("db", idle).health(answers.check()))
        .child(ChildSpec::worker("api", idle));
    let app = Supervisor::start(spec).await.unwrap();
    answers.set("app/db", Health::degraded("slow queries"));
    tokio::time::sleep(S + 10 * MS).await;
    let report = app.health_report().await;
    assert_eq!(child(&report, "app/db").health, HealthStatus::Degraded);
    assert!(
        report.ready && child(&report, "app/db").ready,
        "{report:#?}"
    );

    answers.set("app/db", Health::unhealthy("ping timed out"));
    tokio::time::sleep(S).await;
    let report = app.health_report().await;
    assert_eq!(child(&report, "app/db").health, HealthStatus::Unhealthy);
    assert!(report.live && !report.ready, "{report:#?}");
    assert!(!child(&report, "app/db").ready && child(&report, "app/api").ready);
    app.shutdown().await.unwrap();
}

// S16.3: a pool is ready while one slot is running and not unhealthy; its slots count through
// it, not one by one.
#[tokio::test(start_paused = true)]
async fn a_pool_is_ready_with_one_healthy_slot() {
    let answers = Answers::default();
    let slot =
        Template::<usize, String>::new(|ctx: ChildContext<String>, _slot: usize| async move {
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        })
        .health(answers.check());
    let spec =
        SupervisorSpec::new("app").child(ChildSpec::supervisor(PoolSpec::new("db", 3, slot)));
    let app = Supervisor::start(spec).await.unwrap();
    answers.set("app/db/0", Health::unhealthy("connection refused"));
    answers.set("app/db/1", Health::unhealthy("connection refused"));
    tokio::time::sleep(S + 10 * MS).await;
    let report = app.health_report().await;
    assert!(report.ready, "two of three slots down: {report:#?}");
    assert!(child(&report, "app/db").counts && child(&report, "app/db").ready);
    assert!(!child(&report, "app/db/0").counts && !child(&report, "app/db/0").ready);
    assert!(child(&report, "app/db/2").ready);

    answers.set("app/db/2", Health::unhealthy("connection refused"));
    tokio::time::sleep(S).await;
    let report = app.health_report().await;
    assert!(
        !report.ready && !child(&report, "app/db").ready,
        "{report:#?}"
    );
    app.shutdown().await.unwrap();
}

// S16.3: a dynamic supervisor's children come and go: one in backoff leaves the tree ready.
#[tokio::test(start_paused = true)]
async fn a_session_in_backoff_leaves_the_tree_ready() {
    let session = Template::<u32>::new(|_ctx: ChildContext, _n: u32| async move {
        Err::<(), BoxError>("upstream closed".into())
    })
    .backoff(Backoff::fixed(10 * S));
    let spec = SupervisorSpec::new("app")
        .intensity(1_000, S)
        .child(ChildSpec::supervisor(SupervisorSpec::dynamic(
            "sessions", session,
        )))
        .child(ChildSpec::worker("api", idle));
    let app = Supervisor::start(spec).await.unwrap();
    let sessions = app
        .root()
        .dynamic::<u32, supervisor::NoMailbox>("sessions")
        .unwrap();
    let s = sessions.start_child(7).await.unwrap();
    tokio::time::sleep(10 * MS).await;
    assert_eq!(s.state(), ChildState::Restarting);
    let report = app.health_report().await;
    assert!(report.ready, "{report:#?}");
    let listed = child(&report, s.path());
    assert!(!listed.counts && !listed.ready && listed.state == ChildState::Restarting);
    app.shutdown().await.unwrap();
}

// S16.3: a child declared `Readiness::Ignored` (and all below it) is reported, never counted;
// the same child counted makes the tree unready while it restarts.
#[tokio::test(start_paused = true)]
async fn an_ignored_child_in_backoff_leaves_the_tree_ready() {
    for readiness in [Readiness::Ignored, Readiness::Counts] {
        let cache = SupervisorSpec::new("cache")
            .intensity(1_000, S)
            .child(ChildSpec::worker("conn", failing).backoff(Backoff::fixed(10 * S)));
        let spec = SupervisorSpec::new("app")
            .child(ChildSpec::supervisor(cache).readiness(readiness))
            .child(ChildSpec::worker("api", idle));
        let app = Supervisor::start(spec).await.unwrap();
        tokio::time::sleep(10 * MS).await;
        let report = app.health_report().await;
        let conn = child(&report, "app/cache/conn");
        assert_eq!(conn.state, ChildState::Restarting);
        assert!(!conn.ready && !child(&report, "app/cache").ready);
        let ignored = readiness == Readiness::Ignored;
        assert_eq!(conn.counts, !ignored);
        assert_eq!(child(&report, "app/cache").counts, !ignored);
        assert_eq!(report.ready, ignored, "{readiness:?}: {report:#?}");
        app.shutdown().await.unwrap();
    }
}

supervision_tree! {
    /// The same rules written in the tree.
    Service(answers: Answers): one_for_one(max_restarts = 1000, within = 1s) {
        db: pool(size = 2) {
            worker(|ctx: ChildContext<String>, _n: usize| async move {
                ctx.cancelled().await;
                Ok::<(), BoxError>(())
            }) [mailbox = String, health = probe(move |p| answers.check_now(p), interval = 1s, timeout = 500ms)]
        },
        cache: worker(failing) [readiness = ignored, backoff = fixed(10s)],
        api: worker(idle) [readiness = counts],
    }
}

impl Answers {
    /// What the probed path's answer is now, as a future that borrows nothing.
    fn check_now(&self, p: ProbeContext) -> impl std::future::Future<Output = Health> + 'static {
        let h = self.0.lock().unwrap().get(p.path()).cloned();
        async move { h.unwrap_or(Health::Healthy) }
    }
}

// S16.3: `readiness = ignored` in the tree: the cache in backoff leaves the tree ready, and the
// pool with one healthy slot keeps it ready.
#[tokio::test(start_paused = true)]
async fn the_tree_says_what_counts() {
    let answers = Answers::default();
    answers.set("service/db/0", Health::unhealthy("down"));
    let tree = Service::start(answers.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_010)).await;
    let report = tree.health_report().await;
    assert_eq!(
        child(&report, "service/cache").state,
        ChildState::Restarting
    );
    assert!(!child(&report, "service/cache").counts);
    assert_eq!(
        child(&report, "service/db/0").health,
        HealthStatus::Unhealthy
    );
    assert!(report.ready, "{report:#?}");

    answers.set("service/db/1", Health::unhealthy("down"));
    tokio::time::sleep(S).await;
    assert!(!tree.health_report().await.ready);
    tree.shutdown().await.unwrap();
}
