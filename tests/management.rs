//! Management (S9): stable handles and typed mailboxes, lookups, management calls, failed
//! starts as events, events from the first start, shared join; all on tokio's paused clock (the
//! same races on a multi-thread runtime are in `races.rs`).

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use common::{hoarder, session_template, settle, until, Picky, Probe, S};
use supervisor::{
    async_trait, Backoff, BoxError, ChildContext, ChildRef, ChildSpec, ChildState, EventKind,
    ExitReason, Gone, LookupError, MailboxError, ManagementError, NoMailbox, Observer, Restart,
    Shutdown, StartError, Strategy, Supervisor, SupervisorSpec, TreeError, Worker,
};

#[derive(Debug, PartialEq)]
enum Msg {
    Work(u32),
    Crash,
}

/// Records every `Work` it receives; `Crash` makes it fail.
fn consumer(p: &Probe) -> impl Fn(ChildContext<Msg>) -> common::BoxFut + Send + Sync + 'static {
    let p = p.clone();
    move |mut ctx| {
        let p = p.clone();
        Box::pin(async move {
            while let Some(msg) = ctx.recv().await {
                match msg {
                    Msg::Work(n) => p.push(format!("{n}@{}", ctx.incarnation())),
                    Msg::Crash => return Err("asked to crash".to_string()),
                }
            }
            Ok(())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn no_message_is_lost_through_the_mailbox_across_a_restart() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("sink", consumer(&p)).backoff(Backoff::fixed(S)));
    let app = Supervisor::start(spec).await.unwrap();
    let sink = app.child::<Msg>("sink").unwrap();
    for n in 0..3 {
        sink.send(Msg::Work(n)).await.unwrap();
    }
    sink.send(Msg::Crash).await.unwrap();
    // Sent while the child is down (it waits 1 s of backoff): kept for the next incarnation.
    for n in 3..100 {
        sink.send(Msg::Work(n)).await.unwrap();
    }
    settle().await;
    assert_eq!(sink.state(), ChildState::Restarting);
    tokio::time::sleep(2 * S).await;
    let got = p.take();
    let expected: Vec<String> = (0..3)
        .map(|n| format!("{n}@0"))
        .chain((3..100).map(|n| format!("{n}@1")))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(sink.restart_count(), 1);
    app.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_full_mailbox_and_a_deleted_child_answer_typed_errors_with_the_message() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("keep", p.idle("keep")))
        .child(
            ChildSpec::<Msg>::with_mailbox("sink", |ctx: ChildContext<Msg>| async move {
                ctx.cancelled().await; // never reads
                Ok::<(), String>(())
            })
            .mailbox_capacity(2),
        );
    let app = Supervisor::start(spec).await.unwrap();
    let sink = app.child::<Msg>("sink").unwrap();
    sink.try_send(Msg::Work(1)).unwrap();
    sink.try_send(Msg::Work(2)).unwrap();
    let full = sink.try_send(Msg::Work(3)).unwrap_err();
    assert!(full.is_recoverable());
    assert_eq!(full, MailboxError::Full(Msg::Work(3)));
    sink.terminate().await.unwrap();
    sink.delete().await.unwrap();
    assert_eq!(sink.state(), ChildState::Gone(Gone::Deleted));
    assert_eq!(
        sink.try_send(Msg::Work(4)).unwrap_err(),
        MailboxError::Gone(Msg::Work(4), Gone::Deleted)
    );
    assert_eq!(
        sink.send(Msg::Work(5)).await.unwrap_err().into_inner(),
        Msg::Work(5)
    );
    app.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn lookups_check_paths_and_message_types() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::new("api").child(ChildSpec::with_mailbox("sink", consumer(&p))),
    ));
    let app = Supervisor::start(spec).await.unwrap();
    assert!(app.child::<Msg>("api/sink").is_ok());
    assert!(
        app.child::<NoMailbox>("api/sink").is_ok(),
        "an untyped view is always allowed"
    );
    assert!(matches!(
        app.child::<String>("api/sink"),
        Err(LookupError::WrongMessageType { .. })
    ));
    assert_eq!(
        app.child::<Msg>("api/nope").unwrap_err(),
        LookupError::NotFound("app/api/nope".into())
    );
    assert!(matches!(
        app.supervisor("api/sink"),
        Err(LookupError::NotASupervisor(_))
    ));
    app.shutdown().await.unwrap();
}

// The generated handles bind by position, with no lookup that can fail; a position the
// expansion never asks for (past the declared children) answers "gone" instead of panicking.
#[tokio::test(start_paused = true)]
async fn positional_binding_reaches_declared_children_and_nothing_else() {
    use supervisor::__private::bind;
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("sink", consumer(&p)))
        .child(ChildSpec::supervisor(SupervisorSpec::new("api").child(
            ChildSpec::worker("w", |ctx: ChildContext| async move {
                ctx.cancelled().await;
                Ok::<(), BoxError>(())
            }),
        )));
    let app = Supervisor::start(spec).await.unwrap();
    let sink: ChildRef<Msg> = bind::child(app.root(), 0);
    sink.send(Msg::Work(1)).await.unwrap();
    settle().await;
    assert_eq!(p.take(), ["1@0"]);
    assert_eq!(bind::supervisor(app.root(), 1).path(), "app/api");
    let past: ChildRef<Msg> = bind::child(app.root(), 2);
    assert_eq!(past.state(), ChildState::Gone(Gone::TreeEnded));
    assert!(matches!(
        past.send(Msg::Work(2)).await,
        Err(MailboxError::NoMailbox(Msg::Work(2)))
    ));
    app.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_ref_reaches_the_current_incarnation_even_after_its_supervisor_restarts() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .strategy(Strategy::OneForAll)
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api")
                .child(ChildSpec::with_mailbox("sink", consumer(&p)))
                .child(ChildSpec::worker("flaky", p.failing("flaky", 10 * S)))
                .intensity(0, S),
        ));
    let app = Supervisor::start(spec).await.unwrap();
    let sink = app.child::<Msg>("api/sink").unwrap();
    let api = app.supervisor("api").unwrap();
    sink.send(Msg::Work(1)).await.unwrap();
    // `flaky` fails at 10 s; `api` (intensity 0) gives up and `app` restarts it.
    let mut events = app.subscribe();
    until(
        &mut events,
        |e| matches!(e.kind, EventKind::Started { incarnation: 1 } if &*e.path == "app/api"),
    )
    .await;
    sink.send(Msg::Work(2)).await.unwrap();
    settle().await;
    let received: Vec<_> = p.take().into_iter().filter(|l| l.contains('@')).collect();
    assert_eq!(
        received,
        ["1@0", "2@1"],
        "a fresh incarnation of `sink` under a fresh `api`, numbered on (S3.6)"
    );
    assert_eq!(
        api.which_children().await.unwrap().len(),
        2,
        "the old SupervisorRef reaches the new `api`"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_can_terminate_itself_even_with_infinite_shutdown() {
    let p = Probe::default();
    let me: Arc<OnceLock<ChildRef>> = Arc::default();
    let go = Arc::new(tokio::sync::Notify::new());
    let (p1, me1, go1) = (p.clone(), Arc::clone(&me), Arc::clone(&go));
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::worker("selfish", move |ctx: ChildContext| {
            let (p, me, go) = (p1.clone(), Arc::clone(&me1), Arc::clone(&go1));
            async move {
                go.notified().await;
                let answer = match me.get() {
                    Some(r) => r.terminate().await,
                    None => return Err("no ref".to_string()),
                };
                p.push(format!(
                    "answered {answer:?}, cancelled {}",
                    ctx.is_cancelled()
                ));
                ctx.cancelled().await;
                Ok(())
            }
        })
        .shutdown(Shutdown::Infinity),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let _ = me.set(app.child::<NoMailbox>("selfish").unwrap());
    go.notify_one();
    settle().await;
    assert_eq!(p.take(), ["answered Ok(()), cancelled true"]);
    assert_eq!(
        app.child::<NoMailbox>("selfish").unwrap().state(),
        ChildState::Stopped
    );
    app.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_shuts_the_tree_down() {
    let p = Probe::default();
    let app =
        Supervisor::start(SupervisorSpec::new("app").child(ChildSpec::worker("a", p.idle("a"))))
            .await
            .unwrap();
    settle().await; // spawned children run their first step
    assert_eq!(p.live(), 1);
    drop(app);
    settle().await;
    assert_eq!(p.take(), ["start a", "stop a"]);
    assert_eq!(p.live(), 0);
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
            EventKind::Stopping { incarnation, .. } => format!("stopping #{incarnation}"),
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
            "app/a stopping #0",
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
