//! Health checks (S11), on the paused clock: probes of an incarnation once it is up, spaced from
//! the end of the previous one, that have it stopped after `failure_threshold` unhealthy results
//! in a row; degraded counts neither way; no probe outlives its incarnation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{settle, until, MS, S};
use supervisor::{
    async_trait, BoxError, ChildContext, ChildSpec, ChildState, Directive, EventKind, ExitReason,
    Health, HealthCheck, HealthProbe, HealthRule, HealthStatus, NoMailbox, Observer, ProbeContext,
    SpecRule, Supervisor, SupervisorSpec, TreeError, Worker,
};
use tokio::time::Instant;

/// A probe that answers from a script (then repeats its last answer), recording when each
/// probe started and how many ran at once.
#[derive(Clone)]
struct Scripted {
    script: Arc<Vec<Health>>,
    takes: Duration,
    calls: Arc<Mutex<Vec<(Duration, u64)>>>,
    running: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    origin: Instant,
}

impl Scripted {
    fn new(script: Vec<Health>, takes: Duration) -> Self {
        Scripted {
            script: Arc::new(script),
            takes,
            calls: Arc::default(),
            running: Arc::default(),
            most_at_once: Arc::default(),
            origin: Instant::now(),
        }
    }

    fn check(&self) -> HealthCheck {
        let me = self.clone();
        HealthCheck::new(move |ctx: ProbeContext| {
            let me = me.clone();
            async move {
                let n = {
                    let mut calls = me.calls.lock().unwrap();
                    calls.push((me.origin.elapsed(), ctx.incarnation()));
                    calls.len() - 1
                };
                // Counted out on drop: a probe cut at its timeout ends too.
                struct Running(Arc<AtomicUsize>);
                impl Drop for Running {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let now = me.running.fetch_add(1, Ordering::SeqCst) + 1;
                let _running = Running(Arc::clone(&me.running));
                me.most_at_once.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(me.takes).await;
                me.script[n.min(me.script.len() - 1)].clone()
            }
        })
    }

    /// When each probe started, since the probe was made.
    fn starts(&self) -> Vec<Duration> {
        self.calls.lock().unwrap().iter().map(|c| c.0).collect()
    }

    fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

fn sick(why: &str) -> Health {
    Health::unhealthy(why)
}

fn idle(name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, |ctx: ChildContext| async move {
        ctx.cancelled().await;
        Ok::<(), BoxError>(())
    })
}

// S11.1, S11.2: `failure_threshold` unhealthy results in a row stop the incarnation on the
// last one, not before; its exit is abnormal, with the last probe's cause, and it restarts.
#[tokio::test(start_paused = true)]
async fn the_last_of_failure_threshold_unhealthy_probes_restarts_the_child() {
    let probe = Scripted::new(
        vec![
            sick("no connection"),
            sick("no connection"),
            sick("still none"),
        ],
        Duration::ZERO,
    );
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(
        idle("db").health(
            probe
                .check()
                .interval(S)
                .timeout(500 * MS)
                .failure_threshold(3),
        ),
    );
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let db = app.child::<NoMailbox>("db").unwrap();
    tokio::time::sleep(S + 999 * MS).await;
    assert_eq!(db.incarnation(), Some(0), "two failures are not enough");
    assert_eq!(db.health(), HealthStatus::Unhealthy);
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    // Probes at 0 s, 1 s and 2 s: the third convicts.
    assert_eq!(exit.at.duration_since(probe.origin), 2 * S);
    let EventKind::Exited {
        incarnation,
        reason,
        directive,
        ..
    } = exit.kind
    else {
        unreachable!()
    };
    assert_eq!(incarnation, 0);
    assert!(matches!(&reason, ExitReason::Unhealthy(c) if &**c == "still none"));
    assert!(reason.is_abnormal());
    assert_eq!(directive, Directive::Restart);
    tokio::time::sleep(MS).await;
    assert_eq!(db.incarnation(), Some(1));
    assert_eq!(db.state(), ChildState::Running);
    assert_eq!(db.restart_count(), 1);
    app.shutdown().await.unwrap();
}

// S11.2, S4: a child whose probe keeps failing is restarted until the intensity is exceeded,
// and the supervisor gives up: no endless loop.
#[tokio::test(start_paused = true)]
async fn a_flapping_probe_ends_in_escalation() {
    let probe = Scripted::new(vec![sick("down")], Duration::ZERO);
    let spec = SupervisorSpec::new("app").intensity(3, 60 * S).child(
        idle("db").health(
            probe
                .check()
                .interval(S)
                .timeout(100 * MS)
                .failure_threshold(1),
        ),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let err = app.join().await.unwrap_err();
    let TreeError::GaveUp(escalation) = err else {
        panic!("{err:?}");
    };
    let (child, cause) = escalation.root_cause();
    assert_eq!(child, "app/db");
    assert!(matches!(cause, ExitReason::Unhealthy(_)));
    // One probe per incarnation, the fourth trips the intensity.
    assert_eq!(probe.count(), 4);
}

// S11.1: each probe starts `interval` after the previous one ended, and never overlaps it;
// a probe over its timeout is unhealthy and the next still waits a full interval.
#[tokio::test(start_paused = true)]
async fn probes_are_spaced_from_the_end_of_the_previous_one() {
    let slow = Scripted::new(vec![Health::Healthy], 400 * MS);
    let spec = SupervisorSpec::new("app").child(
        idle("db").health(
            slow.check()
                .interval(S)
                .timeout(500 * MS)
                .initial_delay(250 * MS),
        ),
    );
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(5 * S).await;
    assert_eq!(
        slow.starts(),
        [250 * MS, 1650 * MS, 3050 * MS, 4450 * MS],
        "initial delay, then 400 ms of probe + 1 s"
    );
    assert_eq!(slow.most_at_once.load(Ordering::SeqCst), 1);
    app.shutdown().await.unwrap();

    // A probe that hangs is cut at its timeout and counts as unhealthy.
    let hangs = Scripted::new(vec![Health::Healthy], 10 * S);
    let observer = Observer::with_capacity(64);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(
        idle("db").health(
            hangs
                .check()
                .interval(S)
                .timeout(300 * MS)
                .failure_threshold(2),
        ),
    );
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let first_incarnation: Vec<Duration> = (hangs.calls.lock().unwrap().iter())
        .filter(|c| c.1 == 0)
        .map(|c| c.0)
        .collect();
    assert_eq!(first_incarnation, [Duration::ZERO, 1300 * MS]);
    assert_eq!(exit.at.duration_since(hangs.origin), 1600 * MS);
    assert!(
        matches!(&exit.kind, EventKind::Exited { reason: ExitReason::Unhealthy(c), .. } if c.contains("timed out"))
    );
    assert_eq!(hangs.most_at_once.load(Ordering::SeqCst), 1);
    app.shutdown().await.unwrap();
}

// S11.2, S11.3: healthy results reset the count; degraded neither counts nor resets, and shows
// in the child's health.
#[tokio::test(start_paused = true)]
async fn degraded_neither_counts_nor_resets_and_healthy_resets() {
    let degraded = || Health::degraded("slow disk");
    // U D U D U: the third unhealthy convicts, on the fifth probe (at 4 s).
    let probe = Scripted::new(
        vec![
            sick("x"),
            degraded(),
            sick("x"),
            degraded(),
            sick("x"),
            Health::Healthy,
        ],
        Duration::ZERO,
    );
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(
        idle("db").health(
            probe
                .check()
                .interval(S)
                .timeout(100 * MS)
                .failure_threshold(3),
        ),
    );
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let db = app.child::<NoMailbox>("db").unwrap();
    tokio::time::sleep(S + 500 * MS).await;
    assert_eq!(db.health(), HealthStatus::Degraded);
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    assert_eq!(exit.at.duration_since(probe.origin), 4 * S);
    app.shutdown().await.unwrap();

    // U U H U U: the healthy result resets the count: no conviction.
    let probe = Scripted::new(
        vec![
            sick("x"),
            sick("x"),
            Health::Healthy,
            sick("x"),
            sick("x"),
            Health::Healthy,
        ],
        Duration::ZERO,
    );
    let spec = SupervisorSpec::new("app").child(
        idle("db").health(
            probe
                .check()
                .interval(S)
                .timeout(100 * MS)
                .failure_threshold(3),
        ),
    );
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(10 * S + 500 * MS).await;
    let db = app.child::<NoMailbox>("db").unwrap();
    assert_eq!(db.incarnation(), Some(0));
    assert_eq!(db.health(), HealthStatus::Healthy);
    assert_eq!(probe.count(), 11);
    app.shutdown().await.unwrap();
}

/// A worker that takes 5 s to initialise.
struct SlowInit;

#[async_trait]
impl Worker for SlowInit {
    async fn init(&mut self, _ctx: &mut ChildContext) -> Result<(), BoxError> {
        tokio::time::sleep(5 * S).await;
        Ok(())
    }

    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        tokio::time::sleep(3500 * MS).await;
        let _ = ctx;
        Err("done".into())
    }
}

// S11.4: no probe before the incarnation is up (its `init` returned), none after it ended,
// none after its supervisor stopped; each probe sees its own incarnation.
#[tokio::test(start_paused = true)]
async fn probes_belong_to_their_incarnation() {
    let probe = Scripted::new(vec![Health::Healthy], Duration::ZERO);
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::from_worker("w", || SlowInit)
            .decider(|_| Directive::Stop)
            .health(probe.check().interval(S).timeout(100 * MS)),
    );
    let app = Supervisor::start(spec).await.unwrap();
    // Up at 5 s (after `init`), runs 3.5 s, then stops for good (its decider says so).
    tokio::time::sleep(20 * S).await;
    let calls = probe.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [(5 * S, 0), (6 * S, 0), (7 * S, 0), (8 * S, 0)],
        "probes at 5, 6, 7 and 8 s; none after the exit at 8.5 s"
    );
    app.shutdown().await.unwrap();

    let probe = Scripted::new(vec![Health::Healthy], Duration::ZERO);
    let spec = SupervisorSpec::new("app")
        .child(idle("db").health(probe.check().interval(S).timeout(100 * MS)));
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(2500 * MS).await;
    app.shutdown().await.unwrap();
    let before = probe.count();
    assert_eq!(before, 3);
    tokio::time::sleep(3600 * S).await;
    assert_eq!(probe.count(), before, "no probe outlives the tree");
}

// S11.2: a probe that panics is an unhealthy result, not a lost monitor.
#[tokio::test(start_paused = true)]
async fn a_panicking_probe_is_unhealthy() {
    let observer = Observer::with_capacity(64);
    let mut events = observer.subscribe();
    let check = HealthCheck::new(|_ctx: ProbeContext| async move {
        if true {
            panic!("probe bug");
        }
        Health::Healthy
    })
    .interval(S)
    .timeout(100 * MS)
    .failure_threshold(1);
    let spec =
        SupervisorSpec::new("app").child(idle("db").health(check).decider(|_| Directive::Stop));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    assert!(
        matches!(&exit.kind, EventKind::Exited { reason: ExitReason::Unhealthy(c), .. } if c.contains("probe bug"))
    );
    tokio::time::sleep(S).await;
    assert_eq!(
        app.child::<NoMailbox>("db").unwrap().state(),
        ChildState::Stopped
    );
    app.shutdown().await.unwrap();
}

// S11.5, S1.4: the defaults, and settings that make no sense are spec errors.
#[test]
fn defaults_and_invalid_settings() {
    assert_eq!(HealthCheck::DEFAULT_INTERVAL, 10 * S);
    assert_eq!(HealthCheck::DEFAULT_TIMEOUT, 5 * S);
    assert_eq!(HealthCheck::DEFAULT_FAILURE_THRESHOLD, 3);
    assert_eq!(HealthCheck::DEFAULT_SUCCESS_THRESHOLD, 1);
    let ok = || HealthCheck::new(|_ctx: ProbeContext| async { Health::Healthy });
    let rule = |check: HealthCheck| {
        SupervisorSpec::new("app")
            .child(idle("db").health(check))
            .validate()
            .err()
            .map(|e| e.rule)
    };
    assert_eq!(rule(ok()), None);
    assert_eq!(
        rule(ok().interval(Duration::ZERO)),
        Some(SpecRule::Health(HealthRule::ZeroInterval))
    );
    assert_eq!(
        rule(ok().interval(S).timeout(S)),
        Some(SpecRule::Health(HealthRule::TimeoutNotBelowInterval))
    );
    assert_eq!(
        rule(ok().failure_threshold(0)),
        Some(SpecRule::Health(HealthRule::ZeroThreshold))
    );
    assert_eq!(
        rule(ok().success_threshold(0)),
        Some(SpecRule::Health(HealthRule::ZeroThreshold))
    );
}

// S11.2, S6.4 on a multi-thread runtime: a conviction racing the incarnation's own exit ends
// the incarnation once: every incarnation has exactly one end event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conviction_racing_an_exit_ends_the_incarnation_once() {
    let observer = Observer::with_capacity(100_000);
    let mut events = observer.subscribe();
    let check = HealthCheck::new(|_ctx: ProbeContext| async { Health::unhealthy("no") })
        .interval(Duration::from_micros(200))
        .timeout(Duration::from_micros(100))
        .failure_threshold(1);
    let flaky = ChildSpec::worker("w", |ctx: ChildContext| async move {
        // Exits on its own about when the probe convicts it.
        tokio::time::sleep(Duration::from_micros(150)).await;
        let _ = ctx;
        Err::<(), String>("own exit".into())
    })
    .health(check);
    let spec = SupervisorSpec::new("app")
        .intensity(u32::MAX, Duration::from_secs(1))
        .child(flaky);
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.shutdown().await.unwrap();
    let mut ends: std::collections::HashMap<u64, usize> = Default::default();
    let mut starts = 0;
    let mut convicted = 0;
    while let Ok(e) = events.try_recv() {
        if let EventKind::Exited {
            reason: ExitReason::Unhealthy(_),
            ..
        } = &e.kind
        {
            convicted += 1;
        }
        match e.kind {
            EventKind::Started { .. } if &*e.path == "app/w" => starts += 1,
            EventKind::Exited { incarnation, .. } | EventKind::Stopped { incarnation, .. }
                if &*e.path == "app/w" =>
            {
                *ends.entry(incarnation).or_default() += 1;
            }
            _ => {}
        }
    }
    assert!(starts > 10, "{starts} incarnations");
    assert!(convicted > 0, "the probe convicted some of them");
    assert_eq!(ends.len(), starts, "every incarnation ended");
    assert!(ends.values().all(|&n| n == 1), "{ends:?}");
}

// S16.3: the health report: live while the root answers, ready when nothing is restarting or
// unhealthy, with each child's detail.
#[tokio::test(start_paused = true)]
async fn the_health_report_says_live_and_ready() {
    let probe = Scripted::new(
        vec![Health::Healthy, Health::degraded("slow")],
        Duration::ZERO,
    );
    let spec = SupervisorSpec::new("app")
        .child(idle("db").health(probe.check().interval(S).timeout(100 * MS)))
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api").child(idle("listener")),
        ));
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(10 * MS).await;
    let report = app.health_report().await;
    assert!(report.live && report.ready, "{report:?}");
    let paths: Vec<&str> = report.children.iter().map(|c| &*c.path).collect();
    assert_eq!(paths, ["app/db", "app/api", "app/api/listener"]);
    // The second probe finds it degraded: reported, and still ready (tests/readiness.rs has
    // the rest of what counts).
    tokio::time::sleep(S).await;
    let report = app.health_report().await;
    assert!(report.live && report.ready, "{report:?}");
    assert_eq!(report.children[0].health, HealthStatus::Degraded);
    app.shutdown().await.unwrap();
    let report = app.health_report().await;
    assert!(!report.live && !report.ready);
}

/// Ignores its stop: with `Shutdown::Infinity`, whoever stops it waits forever.
fn deaf(name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, |_ctx: ChildContext| async move {
        std::future::pending::<()>().await;
        Ok::<(), BoxError>(())
    })
    .shutdown(supervisor::Shutdown::Infinity)
}

// S16.3: a root whose loop is wedged is not live, and the report says so within its timeout
// instead of waiting with it.
#[tokio::test(start_paused = true)]
async fn a_wedged_root_is_not_live() {
    let spec = SupervisorSpec::new("app")
        .child(idle("db"))
        .child(deaf("deaf"));
    let app = Supervisor::start(spec).await.unwrap();
    let probe = app.health_probe().liveness_timeout(10 * S);
    assert!(probe.report().await.live);
    // The root's loop waits, without a limit, for a child that does not stop.
    let root = app.root().clone();
    let stuck = tokio::spawn(async move { root.terminate_child("deaf").await });
    settle().await;
    let asked = Instant::now();
    let report = probe.report().await;
    assert_eq!(asked.elapsed(), 10 * S, "answered at the timeout");
    assert!(!report.live && !report.ready, "{report:?}");
    assert!(report.children.is_empty());
    stuck.abort();
}

// S16.3: a wedged supervisor below the root leaves the tree live but not ready, and is named.
#[tokio::test(start_paused = true)]
async fn a_wedged_supervisor_below_the_root_is_named() {
    let spec = SupervisorSpec::new("app")
        .child(idle("db"))
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api")
                .child(idle("listener"))
                .child(deaf("deaf")),
        ));
    let app = Supervisor::start(spec).await.unwrap();
    let api = app.root().supervisor("api").unwrap();
    let stuck = tokio::spawn(async move { api.terminate_child("deaf").await });
    settle().await;
    let asked = Instant::now();
    let report = app.health_report().await;
    assert_eq!(asked.elapsed(), HealthProbe::DEFAULT_LIVENESS_TIMEOUT);
    assert!(report.live && !report.ready, "{report:?}");
    assert_eq!(report.unanswered, [Arc::from("app/api")]);
    let paths: Vec<&str> = report.children.iter().map(|c| &*c.path).collect();
    assert_eq!(paths, ["app/db", "app/api"]);
    stuck.abort();
}
