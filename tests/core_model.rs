//! The core model's edges: restarts never lost, identities safe across restarts, mailboxes of
//! gone children, killed subtrees, failed starts, validated durations, lookups, numbering,
//! events from the first start, shared join. All on tokio's paused clock; the same races on a
//! multi-thread runtime are in `races.rs`.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{settle, until, Probe, MS, S};
use supervisor::{
    async_trait, Backoff, BackoffRule, BoxError, ChildContext, ChildSpec, ChildState, EventKind,
    ExitReason, Gone, MailboxError, ManagementError, NoMailbox, Observer, Restart, Shutdown,
    SpecRule, StartError, Supervisor, SupervisorSpec, Template, TreeError, Worker, MAX_DURATION,
};

/// A worker whose `init` fails for the incarnations listed in `fail_on`.
struct Picky {
    fail_on: &'static [u64],
    p: Probe,
}

#[async_trait]
impl Worker for Picky {
    async fn init(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        if self.fail_on.contains(&ctx.incarnation()) {
            return Err(format!("init refused #{}", ctx.incarnation()).into());
        }
        Ok(())
    }
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        let _live = self.p.guard();
        self.p
            .push(format!("{} up #{}", ctx.id(), ctx.incarnation()));
        if ctx.incarnation() == 0 {
            tokio::time::sleep(S).await;
            return Err("crash".into());
        }
        ctx.cancelled().await;
        Ok(())
    }
}

// S4.3, S9.6 (defect: a restart lost when another restart due in the same timer batch failed)
#[tokio::test(start_paused = true)]
async fn s4_3_a_failed_restart_does_not_strand_another_due_at_the_same_instant() {
    let p = Probe::default();
    let (pa, pb) = (p.clone(), p.clone());
    let spec = SupervisorSpec::new("app")
        .intensity(10, 60 * S)
        .child(
            ChildSpec::from_worker("a", move || Picky {
                fail_on: &[1],
                p: pa.clone(),
            })
            .backoff(Backoff::fixed(S)),
        )
        .child(
            ChildSpec::from_worker("b", move || Picky {
                fail_on: &[],
                p: pb.clone(),
            })
            .backoff(Backoff::fixed(S)),
        );
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let b = app.child::<NoMailbox>("b").unwrap();
    // Both crash at 1 s; both restarts fall due at 2 s; `a`'s fails to start.
    let failed = until(&mut events, |e| {
        matches!(e.kind, EventKind::StartFailed { .. }) && e.path() == "app/a"
    })
    .await;
    assert_eq!(failed.at.elapsed(), Duration::ZERO);
    settle().await;
    assert_eq!(b.state(), ChildState::Running, "b's restart was not lost");
    assert_eq!(b.incarnation(), Some(1));
    // `a` is retried (S4.3) after its next backoff and comes up as incarnation 2.
    tokio::time::sleep(2 * S).await;
    let a = app.child::<NoMailbox>("a").unwrap();
    assert_eq!((a.state(), a.incarnation()), (ChildState::Running, Some(2)));
    app.shutdown().await.unwrap();
    assert_eq!(p.live(), 0);
}

fn session_template(p: &Probe) -> Template<bool, NoMailbox> {
    let p = p.clone();
    Template::new(move |ctx: ChildContext, fail: bool| {
        let p = p.clone();
        async move {
            let _live = p.guard();
            if fail {
                tokio::time::sleep(S).await;
                return Err("session failed".to_string());
            }
            ctx.cancelled().await;
            Ok(())
        }
    })
}

// S9.7, S9.8 (defect: a handle taken before a dynamic supervisor restarted reached a newer child)
#[tokio::test(start_paused = true)]
async fn s9_7_an_old_dynamic_handle_is_gone_after_its_supervisor_restarts_never_another_child() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::dynamic("pool", session_template(&p)).intensity(0, S),
    ));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.dynamic::<bool, NoMailbox>("pool").unwrap();
    let old = pool.start_child(false).await.unwrap();
    assert_eq!(old.id(), "0");
    let _doomed = pool.start_child(true).await.unwrap();
    let mut events = app.subscribe();
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 }) && e.path() == "app/pool"
    })
    .await;
    let new = pool.start_child(false).await.unwrap();
    assert_eq!(
        new.id(),
        "2",
        "dynamic ids are never reused in the tree's life"
    );
    assert_eq!(old.state(), ChildState::Gone(Gone::SupervisorEnded));
    for result in [
        old.terminate().await,
        old.restart().await,
        old.delete().await,
    ] {
        assert!(matches!(
            result,
            Err(ManagementError::Gone { how: Gone::SupervisorEnded, ref path }) if &**path == "app/pool/0"
        ));
    }
    assert_eq!(
        new.state(),
        ChildState::Running,
        "the new child is untouched"
    );
    assert_eq!(pool.count_children().await.unwrap().active, 1);
    app.shutdown().await.unwrap();
    assert_eq!(p.live(), 0);
}

async fn hoarder(mut ctx: ChildContext<u32>) -> Result<(), String> {
    // Takes one message, then never reads again: its mailbox fills.
    let _ = ctx.recv().await;
    ctx.cancelled().await;
    Ok(())
}

// S9.8 (defect: sends accepted, or blocked forever, for children that no longer exist)
#[tokio::test(start_paused = true)]
async fn s9_8_a_sender_waiting_on_a_full_mailbox_is_woken_when_the_child_is_deleted() {
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("h", hoarder).mailbox_capacity(1))
        .child(ChildSpec::worker("other", |ctx: ChildContext| async move {
            ctx.cancelled().await;
            Ok::<(), String>(())
        }));
    let app = Supervisor::start(spec).await.unwrap();
    let h = app.child::<u32>("h").unwrap();
    let mut events = app.subscribe();
    h.send(1).await.unwrap(); // read
    settle().await;
    h.send(2).await.unwrap(); // queued: the mailbox is full now
    let blocked = tokio::spawn({
        let h = h.clone();
        async move { h.send(3).await }
    });
    settle().await;
    assert!(!blocked.is_finished(), "the third send waits for room");
    app.terminate_child("h").await.unwrap();
    app.delete_child("h").await.unwrap();
    let err = blocked.await.unwrap().unwrap_err();
    assert!(matches!(err, MailboxError::Gone(3, Gone::Deleted)));
    let gone = until(&mut events, |e| matches!(e.kind, EventKind::Gone { .. })).await;
    assert!(matches!(
        gone.kind,
        EventKind::Gone {
            how: Gone::Deleted,
            undelivered: 1
        }
    ));
    assert!(matches!(
        h.send(4).await,
        Err(MailboxError::Gone(4, Gone::Deleted))
    ));
    app.shutdown().await.unwrap();
}

// S9.8: a run-time child under a restarted supervisor, and any child after the tree ended.
#[tokio::test(start_paused = true)]
async fn s9_8_sends_fail_at_once_after_the_supervisor_restarted_and_after_the_tree_ended() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::new("api")
            .intensity(0, S)
            .child(ChildSpec::with_mailbox("declared", hoarder).mailbox_capacity(1)),
    ));
    let app = Supervisor::start(spec).await.unwrap();
    let api = app.supervisor("api").unwrap();
    let late = api
        .start_child(ChildSpec::with_mailbox("late", hoarder).mailbox_capacity(1))
        .await
        .unwrap();
    api.start_child(ChildSpec::worker("bomb", p.failing("bomb", S)))
        .await
        .unwrap();
    let mut events = app.subscribe();
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 }) && e.path() == "app/api"
    })
    .await;
    assert!(matches!(
        late.send(7).await,
        Err(MailboxError::Gone(7, Gone::SupervisorEnded))
    ));
    assert!(
        app.child::<u32>("api/late").is_err(),
        "not in the new incarnation"
    );
    let declared = app.child::<u32>("api/declared").unwrap();
    declared.send(1).await.unwrap();
    settle().await;
    declared.send(2).await.unwrap(); // full from now on
    app.shutdown().await.unwrap();
    assert!(matches!(
        declared.send(3).await,
        Err(MailboxError::Gone(3, Gone::TreeEnded))
    ));
    assert_eq!(declared.state(), ChildState::Gone(Gone::TreeEnded));
}

// S9.8: a child added at run time to the root is gone with the tree: its state says so, sends
// fail at once with the message given back, and its carried state is cleared.
#[tokio::test(start_paused = true)]
async fn s9_8_a_run_time_child_of_the_root_is_gone_when_the_tree_ends() {
    let spec = SupervisorSpec::new("app").child(ChildSpec::worker(
        "declared",
        |ctx: ChildContext| async move {
            ctx.cancelled().await;
            Ok::<(), String>(())
        },
    ));
    let app = Supervisor::start(spec).await.unwrap();
    let late = app
        .start_child(ChildSpec::with_mailbox("late", hoarder).mailbox_capacity(1))
        .await
        .unwrap();
    let mut events = app.subscribe();
    late.send(1).await.unwrap();
    settle().await;
    app.shutdown().await.unwrap();
    assert_eq!(late.state(), ChildState::Gone(Gone::TreeEnded));
    assert!(matches!(
        late.send(2).await,
        Err(MailboxError::Gone(2, Gone::TreeEnded))
    ));
    let gone = until(&mut events, |e| {
        e.path() == "app/late" && matches!(e.kind, EventKind::Gone { .. })
    })
    .await;
    assert!(matches!(
        gone.kind,
        EventKind::Gone {
            how: Gone::TreeEnded,
            ..
        }
    ));
}

// S6.3 (defect: a killed supervisor left its subtree running, without events)
#[tokio::test(start_paused = true)]
async fn s6_3_a_killed_supervisor_stops_its_subtree_with_events_before_terminate_returns() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::supervisor(
            SupervisorSpec::new("mid")
                .child(ChildSpec::worker("polite", p.idle("polite")))
                .child(ChildSpec::supervisor(
                    SupervisorSpec::new("inner").child(ChildSpec::worker("deep", p.idle("deep"))),
                ))
                .child(
                    ChildSpec::worker("stubborn", p.stubborn("stubborn"))
                        .shutdown(Shutdown::Infinity),
                ),
        )
        .shutdown(Shutdown::Timeout(2 * S)),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let deep = app.child::<NoMailbox>("mid/inner/deep").unwrap();
    let mut events = app.subscribe();
    settle().await;
    assert_eq!(p.live(), 3);
    let t0 = tokio::time::Instant::now();
    app.terminate_child("mid").await.unwrap();
    assert_eq!(
        t0.elapsed(),
        2 * S,
        "mid waits on `stubborn` until its own timeout"
    );
    assert_eq!(
        p.live(),
        0,
        "every task of the subtree is gone when terminate returns"
    );
    assert_eq!(deep.state(), ChildState::Stopped);
    let mut stopped = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EventKind::Stopped { reason, .. } = &e.kind {
            stopped.push(format!("{} {}", e.path, reason.kind()));
        }
    }
    // Children before their supervisor, each once its task is gone, in reverse start order.
    assert_eq!(
        stopped,
        [
            "app/mid/stubborn killed",
            "app/mid/inner/deep killed",
            "app/mid/inner killed",
            "app/mid/polite killed",
            "app/mid killed",
        ]
    );
    app.shutdown().await.unwrap();
}

// S9.6 (defect: a leaf failing to start in its supervisor's restart was only text)
#[tokio::test(start_paused = true)]
async fn s9_6_a_leaf_failing_to_start_in_its_supervisors_restart_is_an_event() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(10, 60 * S)
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api").intensity(0, S).child(
                ChildSpec::from_worker("leaf", move || Picky {
                    fail_on: &[1],
                    p: p.clone(),
                })
                .restart(Restart::Transient),
            ),
        ));
    let app = Supervisor::start(spec).await.unwrap();
    let mut events = app.subscribe();
    // `leaf` crashes at 1 s, `api` gives up, `app` restarts `api`, whose `leaf` fails to start.
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::StartFailed { .. })
    })
    .await;
    assert_eq!(e.path(), "app/api/leaf");
    assert!(
        matches!(&e.kind, EventKind::StartFailed { incarnation: 1, reason } if reason.to_string() == "init refused #1")
    );
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::StartFailed { .. })
    })
    .await;
    assert_eq!(
        e.path(),
        "app/api",
        "the supervisor's failed start is an event too"
    );
    assert!(matches!(
        e.kind,
        EventKind::StartFailed { incarnation: 1, .. }
    ));
    // The next attempt (S4.3) brings both up.
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 2 }) && e.path() == "app/api"
    })
    .await;
    let leaf = app.child::<NoMailbox>("api/leaf").unwrap();
    assert_eq!(
        (leaf.state(), leaf.incarnation()),
        (ChildState::Running, Some(2))
    );
    app.shutdown().await.unwrap();
}

// S9.6, S9.3 (restart_child: the failure is typed and is an event)
#[tokio::test(start_paused = true)]
async fn s9_6_restart_child_whose_init_fails_gives_a_typed_error_and_an_event() {
    #[derive(Debug, thiserror::Error)]
    #[error("no database")]
    struct NoDb;
    struct Db {
        fail: Arc<AtomicU32>,
    }
    #[async_trait]
    impl Worker for Db {
        async fn init(&mut self, _ctx: &mut ChildContext) -> Result<(), BoxError> {
            if self.fail.load(Ordering::SeqCst) > 0 {
                return Err(Box::new(NoDb));
            }
            Ok(())
        }
        async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
            ctx.cancelled().await;
            Ok(())
        }
    }
    let fail = Arc::new(AtomicU32::new(0));
    let f = Arc::clone(&fail);
    let spec = SupervisorSpec::new("app").child(ChildSpec::from_worker("db", move || Db {
        fail: Arc::clone(&f),
    }));
    let app = Supervisor::start(spec).await.unwrap();
    app.terminate_child("db").await.unwrap();
    fail.store(1, Ordering::SeqCst);
    let mut events = app.subscribe();
    let err = app.restart_child("db").await.unwrap_err();
    let ManagementError::StartFailed { path, cause } = err else {
        panic!("{err:?}");
    };
    assert_eq!(&*path, "app/db");
    let ExitReason::Error(e) = &cause else {
        panic!("{cause:?}")
    };
    assert!(
        e.downcast_ref::<NoDb>().is_some(),
        "the cause keeps its type"
    );
    let e = events.try_recv().unwrap();
    assert_eq!(e.path(), "app/db");
    assert!(matches!(
        e.kind,
        EventKind::StartFailed { incarnation: 1, .. }
    ));
    let db = app.child::<NoMailbox>("db").unwrap();
    assert_eq!(db.state(), ChildState::Stopped);
    app.shutdown().await.unwrap();
}

// Beyond OTP: validated durations (defect: specs that validated could panic the supervisor)
#[tokio::test(start_paused = true)]
async fn durations_beyond_the_maximum_are_spec_errors_never_panics() {
    let p = Probe::default();
    let idle = || ChildSpec::worker("w", p.idle("w"));
    let rule = |spec: SupervisorSpec| spec.validate().unwrap_err().rule;
    assert!(matches!(
        rule(SupervisorSpec::new("app").child(idle().backoff(Backoff::fixed(Duration::MAX)))),
        SpecRule::DurationTooLarge(_)
    ));
    assert!(matches!(
        rule(SupervisorSpec::new("app").child(idle().shutdown(Shutdown::Timeout(Duration::MAX)))),
        SpecRule::DurationTooLarge(_)
    ));
    assert!(matches!(
        rule(
            SupervisorSpec::new("app")
                .intensity(1, Duration::MAX)
                .child(idle())
        ),
        SpecRule::DurationTooLarge(_)
    ));
    assert!(matches!(
        SupervisorSpec::dynamic(
            "pool",
            session_template(&p).shutdown(Shutdown::Timeout(Duration::MAX))
        )
        .validate()
        .unwrap_err()
        .rule,
        SpecRule::DurationTooLarge(_)
    ));
    assert!(matches!(
        rule(
            SupervisorSpec::new("app")
                .child(ChildSpec::with_mailbox("m", hoarder).mailbox_capacity(0))
        ),
        SpecRule::ZeroMailboxCapacity
    ));
    // Within the maximum, the largest values run: the deadline saturates, nothing panics.
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("w", p.failing("w", MS)).backoff(Backoff::fixed(MAX_DURATION)));
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(10 * MS).await;
    let w = app.child::<NoMailbox>("w").unwrap();
    assert_eq!(w.state(), ChildState::Restarting);
    app.shutdown().await.unwrap();
    // A negative multiplier is rejected, and computing with it does not panic.
    let odd = Backoff::exponential(MS, S).multiplier(-2.0);
    assert!(odd.nominal_delay(3) <= S);
    assert!(matches!(
        rule(SupervisorSpec::new("app").child(idle().backoff(odd))),
        SpecRule::Backoff(_)
    ));
}

// S9.7 (defect: a child added at run time could not be found by path)
#[tokio::test(start_paused = true)]
async fn s9_7_children_added_at_run_time_are_found_by_path() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::worker("a", p.idle("a")));
    let app = Supervisor::start(spec).await.unwrap();
    app.start_child(ChildSpec::worker("late", p.idle("late")))
        .await
        .unwrap();
    app.start_child(ChildSpec::supervisor(
        SupervisorSpec::new("sub").child(ChildSpec::worker("x", p.idle("x"))),
    ))
    .await
    .unwrap();
    assert_eq!(app.child::<NoMailbox>("late").unwrap().path(), "app/late");
    assert_eq!(app.child::<NoMailbox>("sub/x").unwrap().path(), "app/sub/x");
    assert_eq!(app.supervisor("sub").unwrap().path(), "app/sub");
    app.terminate_child("late").await.unwrap();
    app.delete_child("late").await.unwrap();
    assert!(app.child::<NoMailbox>("late").is_err());
    app.shutdown().await.unwrap();
}

// S5.5 (defect: a terminated dynamic child kept its max_children slot)
#[tokio::test(start_paused = true)]
async fn s5_5_a_dynamic_child_that_ends_frees_its_slot_and_counts_follow() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::dynamic("pool", session_template(&p)).max_children(1),
    ));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.dynamic::<bool, NoMailbox>("pool").unwrap();
    let first = pool.start_child(false).await.unwrap();
    assert!(matches!(
        pool.start_child(false).await,
        Err(ManagementError::MaxChildren(1))
    ));
    first.terminate().await.unwrap();
    assert_eq!(first.state(), ChildState::Gone(Gone::Ended));
    assert_eq!(pool.count_children().await.unwrap().specs, 0);
    let second = pool.start_child(false).await.unwrap();
    assert_eq!(pool.count_children().await.unwrap().specs, 1);
    assert_eq!(second.state(), ChildState::Running);
    app.shutdown().await.unwrap();
}

// S3.6 (defect: the incarnation went back to 0 when the supervisor restarted)
#[tokio::test(start_paused = true)]
async fn s3_6_incarnations_count_every_start_and_never_go_back() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::new("api")
            .intensity(0, S)
            .child(ChildSpec::worker("steady", p.idle("steady")))
            .child(ChildSpec::worker("flaky", p.failing("flaky", S))),
    ));
    let app = Supervisor::start(spec).await.unwrap();
    let steady = app.child::<NoMailbox>("api/steady").unwrap();
    assert_eq!(steady.incarnation(), Some(0));
    let mut events = app.subscribe();
    for n in 1..=2 {
        until(&mut events, |e| {
            matches!(e.kind, EventKind::Started { incarnation } if incarnation == n)
                && e.path() == "app/api"
        })
        .await;
        assert_eq!(
            steady.incarnation(),
            Some(n),
            "restarted with its supervisor"
        );
    }
    assert_eq!(
        steady.restart_count(),
        0,
        "its own supervisor never restarted it"
    );
    app.shutdown().await.unwrap();
}

// S9.5 (defect: events could only be seen after start returned)
#[tokio::test(start_paused = true)]
async fn s9_5_an_observer_sees_the_first_start_and_a_failed_start() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("a", p.idle("a")))
        .child(ChildSpec::from_worker("b", {
            let p = p.clone();
            move || Picky {
                fail_on: &[0],
                p: p.clone(),
            }
        }));
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let t0 = tokio::time::Instant::now();
    let err = Supervisor::start_observed(spec, &observer)
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::ChildFailed { ref path, .. } if &**path == "app/b"));
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        assert_eq!(e.at, t0, "stamped with the (paused) clock");
        let what = match e.kind {
            EventKind::Started { incarnation } => format!("started #{incarnation}"),
            EventKind::StartFailed { incarnation, .. } => format!("start failed #{incarnation}"),
            EventKind::Stopped { incarnation, .. } => format!("stopped #{incarnation}"),
            EventKind::Gone { how, .. } => format!("gone ({how})"),
            other => format!("{other:?}"),
        };
        seen.push(format!("{} {what}", e.path));
    }
    assert_eq!(
        seen,
        [
            "app/a started #0",
            "app/b start failed #0",
            "app/a stopped #0",
            "app gone (the tree ended)",
            "app/a gone (the tree ended)",
            "app/b gone (the tree ended)",
        ]
    );
}

// S9.9 (defect: join and shutdown took the handle by value)
#[tokio::test(start_paused = true)]
async fn s9_9_any_number_of_tasks_join_and_shut_down_and_see_one_outcome() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(0, S)
        .child(ChildSpec::worker("w", p.failing("w", S)));
    let app = Arc::new(Supervisor::start(spec).await.unwrap());
    let joiners: Vec<_> = (0..3)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.join().await })
        })
        .collect();
    for j in joiners {
        assert!(matches!(j.await.unwrap(), Err(TreeError::GaveUp(_))));
    }
    assert!(matches!(app.shutdown().await, Err(TreeError::GaveUp(_))));
    assert!(matches!(app.shutdown().await, Err(TreeError::GaveUp(_))));
    assert_eq!(p.live(), 0);

    let spec = SupervisorSpec::new("app").child(ChildSpec::worker("w", p.idle("w")));
    let app = Arc::new(Supervisor::start(spec).await.unwrap());
    let waiting = tokio::spawn({
        let app = Arc::clone(&app);
        async move { app.join().await }
    });
    settle().await;
    app.shutdown().await.unwrap();
    app.shutdown().await.unwrap();
    waiting.await.unwrap().unwrap();
}

// S5.6 (defect: the builder accepted settings that mean nothing, or ignored them)
#[test]
fn s5_6_settings_that_mean_nothing_for_a_kind_are_errors_not_no_ops() {
    let p = Probe::default();
    let idle = || ChildSpec::worker("w", p.idle("w"));
    for backoff in [
        Backoff::fixed(S).multiplier(3.0),
        Backoff::linear(MS, MS, S).jitter(0.5),
    ] {
        let err = SupervisorSpec::new("app")
            .child(idle().backoff(backoff))
            .validate()
            .unwrap_err();
        assert_eq!(err.rule, SpecRule::Backoff(BackoffRule::NotExponential));
    }
    assert_eq!(
        SupervisorSpec::dynamic("pool", session_template(&p))
            .max_children(0)
            .validate()
            .unwrap_err()
            .rule,
        SpecRule::ZeroMaxChildren
    );
    // A dynamic supervisor has no `child`, `strategy` or `auto_shutdown`, and a static one no
    // `max_children`: those do not compile (see the `compile_fail` examples of
    // `DynamicSupervisorSpec`).
}

// S9.4: the event stream closes when the tree ends, even while handles to it are held (the
// nodes they reach outlive the tree).
#[tokio::test(start_paused = true)]
async fn s9_4_the_event_stream_closes_when_the_tree_ends_while_handles_are_held() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(0, S)
        .child(ChildSpec::worker("w", p.failing("w", S)));
    let app = Supervisor::start(spec).await.unwrap();
    let w = app.child::<NoMailbox>("w").unwrap();
    let mut events = app.subscribe();
    let reader = tokio::spawn(async move {
        let mut seen = 0;
        loop {
            match events.recv().await {
                Ok(_) => seen += 1,
                Err(supervisor::RecvError::Lagged(_)) => {}
                Err(supervisor::RecvError::Closed) => return seen,
            }
        }
    });
    assert!(matches!(app.join().await, Err(TreeError::GaveUp(_))));
    let seen = tokio::time::timeout(S, reader)
        .await
        .expect("the stream closed")
        .unwrap();
    assert!(seen >= 3, "exited, gave up, gone: {seen}");
    assert_eq!(
        w.state(),
        ChildState::Gone(Gone::TreeEnded),
        "the handle is still held"
    );
    let mut late = app.subscribe();
    assert!(matches!(
        late.recv().await,
        Err(supervisor::RecvError::Closed)
    ));
}
