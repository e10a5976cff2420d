//! Restart budgets of a child's own, quarantine and pause (S18), on the paused clock.

use std::time::Duration;

use supervisor::{
    BoxError, ChildContext, ChildSpec, ChildState, EventKind, ExitReason, ManagementError,
    Observer, OnExhausted, Restart, Supervisor, SupervisorSpec, TreeError,
};

mod common;
use common::until;

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

async fn failing(_ctx: ChildContext) -> Result<(), BoxError> {
    tokio::time::sleep(100 * MS).await;
    Err("flaky".into())
}

async fn idle(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.cancelled().await;
    Ok(())
}

// S18.1: a child over its own budget is quarantined: not restarted, shown as such, not
// counted by its supervisor's intensity, which stays far from giving up; resume starts it with
// a fresh budget.
#[tokio::test(start_paused = true)]
async fn a_child_over_its_budget_is_quarantined_until_resumed() {
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app")
        .intensity(3, 10 * S)
        .child(
            ChildSpec::worker("flaky", failing)
                .restart_budget(2, 10 * S)
                .on_exhausted(OnExhausted::Quarantine),
        )
        .child(ChildSpec::worker("steady", idle));
    let t0 = tokio::time::Instant::now();
    let tree = Supervisor::start_observed(spec, &observer).await.unwrap();
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::Quarantined { .. })
    })
    .await;
    assert!(
        matches!(e.kind, EventKind::Quarantined { max_restarts: 2, within } if within == 10 * S)
    );
    assert_eq!(e.at.duration_since(t0), 300 * MS, "its third exit");
    let flaky = tree.child::<supervisor::NoMailbox>("flaky").unwrap();
    assert_eq!(flaky.state(), ChildState::Quarantined);
    tokio::time::sleep(60 * S).await;
    assert_eq!(
        flaky.state(),
        ChildState::Quarantined,
        "not restarted by time"
    );
    assert!(
        !tree.health_report().await.ready,
        "a quarantined child is not ready"
    );
    let children = tree.root().which_children().await.unwrap();
    assert_eq!(children[0].restarts, 2);
    assert_eq!(
        tree.root().intensity_use().await.unwrap().restarts,
        0,
        "long past"
    );
    // Resumed: started at once, with a fresh budget of two restarts.
    tree.root().resume_child("flaky").await.unwrap();
    until(&mut events, |e| matches!(e.kind, EventKind::Resumed)).await;
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 3 })
    })
    .await;
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Quarantined { .. })
    })
    .await;
    assert_eq!(flaky.state(), ChildState::Quarantined);
    // Resuming what is not held is an error.
    assert!(matches!(
        tree.root().resume_child("steady").await,
        Err(ManagementError::NotHeld(_))
    ));
    tree.shutdown().await.unwrap();
}

// S18.1: with `on_exhausted = escalate` (the default) the supervisor gives up at once, its own
// intensity far from spent.
#[tokio::test(start_paused = true)]
async fn an_exhausted_budget_escalates_by_default() {
    let spec = SupervisorSpec::new("app")
        .intensity(100, S)
        .child(ChildSpec::worker("flaky", failing).restart_budget(1, 10 * S));
    let tree = Supervisor::start(spec).await.unwrap();
    match tree.join().await {
        Err(TreeError::GaveUp(escalation)) => {
            assert_eq!(&*escalation.child, "app/flaky");
            assert_eq!(escalation.directive, supervisor::Directive::Escalate);
        }
        other => panic!("a give-up expected, got {other:?}"),
    }
}

// S18.3: a paused child is stopped by its shutdown policy and held: not restarted, not by a
// sibling's group restart either; its messages wait; no intensity counts the pause; resume
// starts it and it takes them.
#[tokio::test(start_paused = true)]
async fn a_paused_child_is_held_and_its_messages_wait() {
    async fn counter(mut ctx: ChildContext<u32>) -> Result<(), BoxError> {
        while let Some(n) = ctx.recv().await {
            if n == 99 {
                return Err("asked to fail".into());
            }
        }
        Ok(())
    }
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app")
        .strategy(supervisor::Strategy::OneForAll)
        .intensity(1, 10 * S)
        .child(ChildSpec::with_mailbox("worker", counter).mailbox_capacity(8))
        .child(ChildSpec::worker("other", failing).restart(Restart::Transient));
    let tree = Supervisor::start_observed(spec, &observer).await.unwrap();
    let worker = tree.child::<u32>("worker").unwrap();
    worker.pause().await.unwrap();
    assert_eq!(worker.state(), ChildState::Paused);
    until(&mut events, |e| matches!(e.kind, EventKind::Paused)).await;
    for n in 0..8 {
        worker.try_send(n).unwrap();
    }
    assert!(worker.try_send(8).is_err(), "queued up to its capacity");
    // The sibling fails once: a one_for_all restart leaves the paused child paused.
    until(&mut events, |e| {
        matches!(
            &e.kind,
            EventKind::Exited {
                reason: ExitReason::Error(_),
                ..
            }
        )
    })
    .await;
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
    })
    .await;
    assert_eq!(worker.state(), ChildState::Paused);
    assert_eq!(
        tree.root().intensity_use().await.unwrap().restarts,
        1,
        "the sibling's alone"
    );
    worker.resume().await.unwrap();
    assert_eq!(worker.state(), ChildState::Running);
    // It takes what waited.
    tokio::time::sleep(10 * MS).await;
    let children = tree.root().which_children().await.unwrap();
    assert_eq!(children[0].mailbox.map(|m| m.queued), Some(0));
    tree.shutdown().await.unwrap();
}

// S18.2: a tree whose supervisors each keep within their intensity can still restart too
// much as a whole: past its storm limit it stops in order, ends with a storm error naming the
// children that restarted most, and a process running it exits with 70.
#[tokio::test(start_paused = true)]
async fn a_restart_storm_stops_the_tree() {
    async fn crashing(_ctx: ChildContext) -> Result<(), BoxError> {
        tokio::time::sleep(10 * MS).await;
        Err("crash".into())
    }
    let mut spec = SupervisorSpec::new("app").storm_limit(50, S);
    for n in 0..5 {
        spec = spec.child(ChildSpec::supervisor(
            SupervisorSpec::new(format!("s{n}"))
                .intensity(200, S)
                .child(ChildSpec::worker("w", crashing))
                .child(ChildSpec::worker("steady", idle)),
        ));
    }
    let t0 = tokio::time::Instant::now();
    let tree = Supervisor::start(spec).await.unwrap();
    let outcome = tree.join().await;
    // Five children restarting every 10 ms pass 50 within a second after about 100 ms.
    let took = t0.elapsed();
    assert!(took >= 100 * MS && took < 200 * MS, "{took:?}");
    match outcome {
        Err(TreeError::Storm(report)) => {
            assert_eq!((report.max_restarts, report.within), (50, S));
            assert_eq!(report.most.len(), 5);
            assert!(report
                .most
                .iter()
                .all(|(child, n)| child.ends_with("/w") && *n >= 10));
        }
        other => panic!("a storm expected, got {other:?}"),
    }
    // Run as the process's main work, it is exit code 70 (S16.1).
    let mut spec = SupervisorSpec::new("app").storm_limit(5, S);
    spec = spec
        .child(ChildSpec::worker("w", crashing))
        .intensity(100, S);
    let exit = Supervisor::run(spec).await;
    assert!(matches!(exit, supervisor::Exit::Storm(_)), "{exit}");
    assert_eq!(exit.code(), 70);
}

// S18.2: under the limit nothing happens; and only the root has one.
#[tokio::test(start_paused = true)]
async fn the_storm_limit_is_the_roots() {
    // Ten restarts a second, under a limit of fifteen.
    let spec = SupervisorSpec::new("app")
        .storm_limit(15, S)
        .child(ChildSpec::worker("w", failing))
        .intensity(100, S);
    let tree = Supervisor::start(spec).await.unwrap();
    // Between two exits: the hundredth was at 10 s.
    tokio::time::sleep(10 * S + 50 * MS).await;
    assert_eq!(tree.root().which_children().await.unwrap()[0].restarts, 100);
    tree.shutdown().await.unwrap();

    let nested = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::new("inner")
            .storm_limit(5, S)
            .child(ChildSpec::worker("w", idle)),
    ));
    let error = nested.validate().unwrap_err();
    assert_eq!(error.rule, supervisor::SpecRule::StormLimitBelowRoot);
    assert_eq!(&*error.path, "app/inner");
}

supervisor::supervision_tree! {
    Guarded: one_for_one(storm_limit = 50 within 1s, max_restarts = 100, within = 1s) {
        flaky: worker(failing) [max_restarts = 2, within = 10s, on_exhausted = quarantine],
        steady: worker(idle),
    }
}

// S18.1, S18.2: the grammar's budget and storm limit are the builder's.
#[tokio::test(start_paused = true)]
async fn the_macro_declares_budgets_and_storm_limits() {
    let spec = Guarded::spec();
    assert_eq!(spec.child_ids().collect::<Vec<_>>(), ["flaky", "steady"]);
    let tree = Guarded::start().await.unwrap();
    tokio::time::sleep(400 * MS).await;
    assert_eq!(tree.flaky.state(), ChildState::Quarantined);
    assert_eq!(tree.steady.state(), ChildState::Running);
    tree.shutdown().await.unwrap();
}
