//! The `metrics` feature, read back from a recorder: restarts, exits by reason, give-ups and
//! escalations counted per supervisor and child; running children, breaker states and phi as
//! gauges; a dynamic supervisor's children under one label.
//!
//! One recorder serves the whole test binary (a recorder is global); each test names its own
//! tree, so that its labels are its own.

#![cfg(feature = "metrics")]

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use common::{until, S};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use supervisor::telemetry::{
    ACTIVE_CHILDREN, BREAKER_STATE, ESCALATIONS, EXITS, GIVE_UPS, PHI, RESTARTS,
};
use supervisor::{
    supervision_tree, BreakerConfig, ChildContext, CircuitBreaker, EventKind, Observer,
};

fn recorder() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("the only recorder of this binary");
        snapshotter
    })
}

/// Every metric recorded so far, as `name{label=value,...}` (labels sorted) to its value.
fn metrics() -> HashMap<String, f64> {
    recorder()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let value = match value {
                DebugValue::Counter(n) => n as f64,
                DebugValue::Gauge(g) => g.into_inner(),
                DebugValue::Histogram(_) => f64::NAN,
            };
            (format!("{}{{{}}}", key.name(), labels.join(",")), value)
        })
        .collect()
}

/// The value of one metric, 0 when it was never recorded.
fn value(name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    labels.sort();
    metrics()
        .get(&format!("{name}{{{}}}", labels.join(",")))
        .copied()
        .unwrap_or(0.0)
}

async fn serve(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

/// Fails in its first two incarnations, then serves.
async fn flaky(ctx: ChildContext) -> Result<(), String> {
    if ctx.incarnation() < 2 {
        return Err("flaky".into());
    }
    serve(ctx).await
}

/// Panics in its first incarnation, then serves.
async fn doomed(ctx: ChildContext) -> Result<(), String> {
    if ctx.incarnation() == 0 {
        panic!("doomed");
    }
    serve(ctx).await
}

/// Beats three times, then goes silent without exiting.
async fn falls_silent(ctx: ChildContext) -> Result<(), String> {
    for _ in 0..3 {
        ctx.heartbeat();
        tokio::time::sleep(S).await;
    }
    serve(ctx).await
}

supervision_tree! {
    Metered: one_for_one(max_restarts = 5, within = 60s) {
        steady: worker(serve),
        flaky: worker(flaky),
        inner: one_for_one(max_restarts = 0, within = 1s) {
            doomed: worker(doomed),
        },
    }
}

supervision_tree! {
    Fleet: one_for_one {
        agents: dynamic { worker(|ctx, _n: u32| serve(ctx)) [args = u32] },
    }
}

supervision_tree! {
    Beating: one_for_one {
        judged: worker(falls_silent) [heartbeat = phi(interval = 1s, threshold = 8)],
    }
}

// S16 (metrics)
#[tokio::test(start_paused = true)]
async fn restarts_exits_give_ups_and_escalations_are_counted() {
    recorder();
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let tree = Metered::start_observed(&observer).await.expect("start");
    // Up again: flaky after two failures, doomed after its supervisor gave up once.
    let (mut flaky_up, mut doomed_up) = (false, false);
    while !(flaky_up && doomed_up) {
        let e = until(&mut events, |e| matches!(e.kind, EventKind::Started { .. })).await;
        match (&*e.path, e.kind) {
            ("metered/flaky", EventKind::Started { incarnation: 2 }) => flaky_up = true,
            ("metered/inner/doomed", EventKind::Started { incarnation: 1 }) => doomed_up = true,
            _ => {}
        }
    }

    let root = [("supervisor", "metered")];
    let flaky = [("supervisor", "metered"), ("child", "flaky")];
    let inner = [("supervisor", "metered"), ("child", "inner")];
    let doomed = [("supervisor", "metered/inner"), ("child", "doomed")];
    let with = |labels: &[(&'static str, &'static str)], reason| {
        let mut l = labels.to_vec();
        l.push(("reason", reason));
        l
    };
    assert_eq!(value(RESTARTS, &flaky), 2.0);
    assert_eq!(value(EXITS, &with(&flaky, "error")), 2.0);
    assert_eq!(value(EXITS, &with(&doomed, "panic")), 1.0);
    assert_eq!(value(GIVE_UPS, &[("supervisor", "metered/inner")]), 1.0);
    assert_eq!(value(ESCALATIONS, &inner), 1.0);
    assert_eq!(value(EXITS, &with(&inner, "escalation")), 1.0);
    assert_eq!(value(RESTARTS, &inner), 1.0);
    assert_eq!(value(GIVE_UPS, &root), 0.0);
    assert_eq!(value(ACTIVE_CHILDREN, &root), 3.0);
    assert_eq!(
        value(ACTIVE_CHILDREN, &[("supervisor", "metered/inner")]),
        1.0
    );

    tree.shutdown().await.expect("clean stop");
    assert_eq!(value(EXITS, &with(&flaky, "shutdown")), 1.0);
    assert_eq!(value(EXITS, &with(&doomed, "shutdown")), 1.0);
    assert_eq!(value(ACTIVE_CHILDREN, &root), 0.0);
    assert_eq!(
        value(ACTIVE_CHILDREN, &[("supervisor", "metered/inner")]),
        0.0
    );
}

// S16 (metrics): ids of dynamic children are unbounded; they share one label value.
#[tokio::test(start_paused = true)]
async fn dynamic_children_share_one_label() {
    recorder();
    let tree = Fleet::start().await.expect("start");
    for n in 0..5 {
        tree.agents.start_child(n).await.expect("start child");
    }
    let agents = [("supervisor", "fleet/agents")];
    assert_eq!(value(ACTIVE_CHILDREN, &agents), 5.0);
    let ids: Vec<_> = tree.agents.which_children().await.expect("list");
    for child in &ids[..2] {
        tree.agents.terminate_child(&child.id).await.expect("stop");
    }
    assert_eq!(value(ACTIVE_CHILDREN, &agents), 3.0);
    let all = [
        ("supervisor", "fleet/agents"),
        ("child", "dynamic"),
        ("reason", "shutdown"),
    ];
    assert_eq!(value(EXITS, &all), 2.0);
    assert!(
        !metrics().keys().any(|k| k.contains(&*ids[0].id)),
        "no metric names a dynamic child's id"
    );
    tree.shutdown().await.expect("clean stop");
}

// S16 (metrics), S13.6
#[tokio::test(start_paused = true)]
async fn a_breaker_state_is_a_gauge() {
    recorder();
    let breaker = CircuitBreaker::new(
        "metered-db",
        BreakerConfig::default()
            .failure_threshold(2)
            .reset_timeout(Duration::from_secs(5))
            .jitter(0.0),
    );
    let state = || value(BREAKER_STATE, &[("breaker", "metered-db")]);
    for _ in 0..2 {
        let _ = breaker
            .call(async { Err::<(), _>(std::io::Error::other("down")) })
            .await;
    }
    assert_eq!(state(), 2.0, "open");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let _ = breaker
        .call(async {
            // The trial runs while the breaker is half-open.
            assert_eq!(state(), 1.0, "half-open");
            Ok::<(), std::io::Error>(())
        })
        .await;
    assert_eq!(state(), 0.0, "closed");
}

// S16 (metrics), S12.5
#[tokio::test(start_paused = true)]
async fn phi_is_a_gauge() {
    recorder();
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let tree = Beating::start_observed(&observer).await.expect("start");
    let judged = [("supervisor", "beating"), ("child", "judged")];
    let suspect = until(&mut events, |e| matches!(e.kind, EventKind::Suspect { .. })).await;
    let EventKind::Suspect { phi, .. } = suspect.kind else {
        unreachable!()
    };
    assert!(phi >= 4.0, "suspected at half the threshold: {phi}");
    assert!(
        (value(PHI, &judged) - phi).abs() < 1e-9,
        "{} vs {phi}",
        value(PHI, &judged)
    );
    until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    assert!(value(PHI, &judged) >= 8.0, "convicted at the threshold");
    tree.shutdown().await.expect("clean stop");
}
