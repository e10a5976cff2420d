//! Races on a multi-thread runtime (the paused clock runs one thread only): self-termination,
//! concurrent management, sends during restarts, and a supervisor terminated while it is being
//! killed. Nothing here sleeps in the hope that something happened: tests wait on handles,
//! events and channels.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{until, Probe};
use supervisor::{
    ChildContext, ChildRef, ChildSpec, ChildState, EventKind, ManagementError, NoMailbox, Shutdown,
    Supervisor, SupervisorSpec,
};

const MS: Duration = Duration::from_millis(1);

// S9.3, S6.4: a child that terminates itself through its own handle gets its answer and is
// stopped, on any thread, even with an infinite shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_terminating_itself_is_stopped_without_deadlock() {
    for _ in 0..50 {
        let spec = SupervisorSpec::new("app").child(
            ChildSpec::with_mailbox(
                "self",
                |mut ctx: ChildContext<ChildRef<NoMailbox>>| async move {
                    if let Some(me) = ctx.recv().await {
                        me.terminate().await.map_err(|e| e.to_string())?;
                        ctx.cancelled().await;
                    }
                    Ok::<(), String>(())
                },
            )
            .shutdown(Shutdown::Infinity),
        );
        let observer = supervisor::Observer::new();
        let mut events = observer.subscribe();
        let app = Supervisor::start_observed(spec, &observer).await.unwrap();
        let me = app.child::<ChildRef<NoMailbox>>("self").unwrap();
        me.send(app.child::<NoMailbox>("self").unwrap())
            .await
            .unwrap();
        let e = until(&mut events, |e| {
            !matches!(
                e.kind,
                EventKind::Started { .. } | EventKind::Stopping { .. }
            )
        })
        .await;
        assert!(
            matches!(&e.kind, EventKind::Stopped { reason, .. } if reason.kind() == "shutdown"),
            "{e:?}"
        );
        assert_eq!(me.state(), ChildState::Stopped);
        app.shutdown().await.unwrap();
    }
}

// S9.3: concurrent terminate/restart/delete of one child never panic, deadlock or leave two
// incarnations; every answer is one of the documented errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_management_calls_agree_on_one_state() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("w", p.idle("w")))
        .child(ChildSpec::worker("other", p.idle("other")));
    let app = Arc::new(Supervisor::start(spec).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            for round in 0..50 {
                let result = match (i + round) % 3 {
                    0 => app.terminate_child("w").await,
                    1 => app.restart_child("w").await,
                    _ => app.count_children().await.map(|_| ()),
                };
                match result {
                    Ok(())
                    | Err(ManagementError::Running(_))
                    | Err(ManagementError::Restarting(_)) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // A child is up when its task runs, which may come just after `restart_child` returned:
    // at most one incarnation of `w` besides `other`, never two.
    let w = app.child::<NoMailbox>("w").unwrap();
    let at_most = 1 + usize::from(w.state() == ChildState::Running);
    assert!(p.live() <= at_most, "never two incarnations of `w`");
    app.shutdown().await.unwrap();
    assert_eq!(p.live(), 0);
}

// S9.8: four senders, a child that panics every 100th message: every accepted message is
// received exactly once and in order per sender, across the restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_during_restarts_are_delivered_once_and_in_order() {
    type Seen = Arc<Mutex<Vec<(u32, u32)>>>;
    let seen: Seen = Arc::default();
    let all_taken = Arc::new(tokio::sync::Notify::new());
    let s = Arc::clone(&seen);
    let done = Arc::clone(&all_taken);
    let spec = SupervisorSpec::new("app")
        .intensity(1000, Duration::from_secs(3600))
        .child(ChildSpec::with_mailbox(
            "sink",
            move |mut ctx: ChildContext<(u32, u32)>| {
                let (s, done) = (Arc::clone(&s), Arc::clone(&done));
                async move {
                    while let Some(msg) = ctx.recv().await {
                        let n = {
                            let mut seen = s.lock().unwrap();
                            seen.push(msg);
                            seen.len()
                        };
                        if n == 2000 {
                            done.notify_one();
                        }
                        if n % 100 == 0 {
                            panic!("every hundredth message");
                        }
                    }
                    Ok::<(), String>(())
                }
            },
        ));
    let app = Supervisor::start(spec).await.unwrap();
    let sink = app.child::<(u32, u32)>("sink").unwrap();
    let senders: Vec<_> = (0..4u32)
        .map(|sender| {
            let sink = sink.clone();
            tokio::spawn(async move {
                for n in 0..500u32 {
                    sink.send((sender, n)).await.unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    all_taken.notified().await;
    app.shutdown().await.unwrap();
    let seen = seen.lock().unwrap();
    let mut next: HashMap<u32, u32> = HashMap::new();
    for &(sender, n) in seen.iter() {
        let expected = next.entry(sender).or_default();
        assert_eq!(
            n, *expected,
            "sender {sender}: in order, none lost, none twice"
        );
        *expected += 1;
    }
    assert!(next.values().all(|&n| n == 500), "{next:?}");
    assert!(sink.restart_count() >= 19);
}

// S6.3: terminating a supervisor while its own shutdown timeout kills it, from several tasks at
// once: every call returns, and no task of the subtree is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminating_a_supervisor_while_it_is_being_killed_leaves_no_task() {
    for _ in 0..20 {
        let p = Probe::default();
        let spec = SupervisorSpec::new("app").child(
            ChildSpec::supervisor(
                SupervisorSpec::new("mid")
                    .child(ChildSpec::worker("polite", p.idle("polite")))
                    .child(
                        ChildSpec::worker("stubborn", p.stubborn("stubborn"))
                            .shutdown(Shutdown::Infinity),
                    ),
            )
            .shutdown(Shutdown::Timeout(5 * MS)),
        );
        let observer = supervisor::Observer::new();
        let mut events = observer.subscribe();
        let app = Arc::new(Supervisor::start_observed(spec, &observer).await.unwrap());
        // Both workers are up once their own tasks ran.
        let mut up = 0;
        while up < 2 {
            let e = until(&mut events, |e| matches!(e.kind, EventKind::Started { .. })).await;
            up += usize::from(e.path().starts_with("app/mid/"));
        }
        while p.live() < 2 {
            tokio::task::yield_now().await;
        }
        let calls: Vec<_> = (0..3)
            .map(|_| {
                let app = Arc::clone(&app);
                tokio::spawn(async move { app.terminate_child("mid").await })
            })
            .collect();
        for c in calls {
            c.await.unwrap().unwrap();
        }
        assert_eq!(p.live(), 0, "every task of the killed subtree is gone");
        app.shutdown().await.unwrap();
    }
}
