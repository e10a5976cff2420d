//! Pools (S14), on the paused clock: slots made from one template, routing exact for round
//! robin and key hash, least loaded by queue length, broadcast, overflow, calls, and no message
//! lost when a slot panics in the middle of a burst.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{settle, S};
use supervisor::{
    jump_hash, Backoff, BoxError, ChildContext, ChildState, EventKind, ExitReason, Gone,
    LookupError, Observer, Overflow, PoolError, PoolSpec, Reply, Supervisor, SupervisorSpec,
    Template,
};
use tokio::sync::Notify;

#[derive(Clone, Debug)]
enum Job {
    Work(u32),
    Key(String, u32),
    Ask(u32, Arc<Mutex<Option<Reply<String>>>>),
}

type Log = Arc<Mutex<Vec<(usize, u32)>>>;

/// Logs `(slot, n)` for every job; waits for `gate` before each when there is one; slot 1's
/// first incarnation panics on job 49.
fn template(log: &Log, gate: Option<Arc<Notify>>) -> Template<usize, Job> {
    let log = Arc::clone(log);
    Template::<usize, Job>::new(move |mut ctx: ChildContext<Job>, slot: usize| {
        let (log, gate) = (Arc::clone(&log), gate.clone());
        async move {
            while let Some(job) = ctx.recv().await {
                if let Some(g) = &gate {
                    g.notified().await;
                }
                match job {
                    Job::Work(n) | Job::Key(_, n) => {
                        if slot == 1 && n == 49 && ctx.incarnation() == 0 {
                            panic!("slot 1 crashes on job 49");
                        }
                        log.lock().unwrap().push((slot, n));
                    }
                    Job::Ask(n, reply) => {
                        if let Some(r) = reply.lock().unwrap().take() {
                            let _ = r.send(format!("{n} by slot {slot}"));
                        }
                    }
                }
            }
            Ok::<(), BoxError>(())
        }
    })
}

// S14.1, S14.2: slots 0..size, each given its number; round robin goes to each in turn.
#[tokio::test(start_paused = true)]
async fn round_robin_visits_every_slot_in_turn() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 4, template(&log, None));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    assert_eq!(pool.slots().len(), 4);
    for n in 0..12 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    settle().await;
    let mut got = log.lock().unwrap().clone();
    got.sort();
    let expected: Vec<(usize, u32)> = (0..4)
        .flat_map(|slot| (0..3).map(move |k| (slot, slot as u32 + 4 * k)))
        .collect();
    assert_eq!(got, expected);
    app.shutdown().await.unwrap();
}

// S14.2: round robin skips a slot that is not running.
#[tokio::test(start_paused = true)]
async fn round_robin_skips_a_slot_that_is_down() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 3, template(&log, None));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    app.root().terminate_child("1").await.unwrap();
    assert_eq!(pool.slots()[1].state(), ChildState::Stopped);
    for n in 0..6 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    settle().await;
    let slots: Vec<usize> = log.lock().unwrap().iter().map(|(s, _)| *s).collect();
    assert!(slots.iter().all(|&s| s != 1), "{slots:?}");
    assert_eq!(slots.len(), 6);
    app.shutdown().await.unwrap();
}

// S14.2: the same key always reaches the same slot, the one jump consistent hashing gives.
#[tokio::test(start_paused = true)]
async fn key_hash_sends_a_key_to_one_slot() {
    use std::hash::{Hash, Hasher};
    let log = Log::default();
    let spec = PoolSpec::new("pool", 5, template(&log, None)).key_hash(|job: &Job| match job {
        Job::Key(k, _) => k.clone(),
        _ => String::new(),
    });
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    let users = ["ann", "bob", "cid", "dee", "eve", "fay", "gus"];
    for round in 0..4 {
        for (i, u) in users.iter().enumerate() {
            pool.send(Job::Key((*u).into(), (round * 10 + i) as u32))
                .await
                .unwrap();
        }
    }
    settle().await;
    let got = log.lock().unwrap().clone();
    for (i, u) in users.iter().enumerate() {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        u.to_string().hash(&mut h);
        let slot = jump_hash(h.finish(), 5) as usize;
        let of_user: Vec<usize> = got
            .iter()
            .filter(|(_, n)| *n as usize % 10 == i)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(of_user, vec![slot; 4], "{u}");
    }
    app.shutdown().await.unwrap();
}

// S14.2: least loaded goes to the slot with the fewest messages queued plus in progress (taken
// and not yet done), ties to the lowest.
#[tokio::test(start_paused = true)]
async fn least_loaded_counts_queued_and_in_progress() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    let spec = PoolSpec::new("pool", 3, template(&log, Some(Arc::clone(&gate)))).least_loaded();
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    let slots = pool.slots();
    slots[1].send(Job::Work(100)).await.unwrap();
    slots[1].send(Job::Work(101)).await.unwrap();
    slots[2].send(Job::Work(200)).await.unwrap();
    settle().await;
    // Loads now: slot 0: 0; slot 1: 1 in progress (waiting at the gate) + 1 queued; slot 2: 1
    // in progress, its queue empty. The sends below run before any worker does.
    pool.send(Job::Work(1)).await.unwrap(); // slot 0, the only idle one: load 1
    pool.send(Job::Work(2)).await.unwrap(); // slot 0 (1) ties slot 2 (1): the lowest
    pool.send(Job::Work(3)).await.unwrap(); // slot 2 (1) below slots 0 and 1 (2)
    for _ in 0..10 {
        gate.notify_waiters();
        settle().await;
    }
    let got = log.lock().unwrap().clone();
    let slot_of = |n: u32| got.iter().find(|(_, m)| *m == n).map(|(s, _)| *s);
    assert_eq!(
        (slot_of(1), slot_of(2), slot_of(3)),
        (Some(0), Some(0), Some(2)),
        "{got:?}"
    );
    app.shutdown().await.unwrap();
}

// S14.2: a worker that waits for its next message is no longer in progress: a slot that
// finished its work is as idle as one that never had any.
#[tokio::test(start_paused = true)]
async fn a_slot_that_finished_its_work_is_not_in_progress() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 2, template(&log, None)).least_loaded();
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    // Each job is done before the next is sent: every one goes to the lowest slot.
    for n in 0..5 {
        pool.send(Job::Work(n)).await.unwrap();
        settle().await;
    }
    let got = log.lock().unwrap().clone();
    assert!(got.iter().all(|(slot, _)| *slot == 0), "{got:?}");
    assert_eq!(got.len(), 5);
    app.shutdown().await.unwrap();
}

// S14.2: broadcast gives every slot a clone.
#[tokio::test(start_paused = true)]
async fn broadcast_reaches_every_slot() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 4, template(&log, None)).broadcast();
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    pool.send(Job::Work(7)).await.unwrap();
    settle().await;
    let mut got = log.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, [(0, 7), (1, 7), (2, 7), (3, 7)]);
    app.shutdown().await.unwrap();
}

// S14.3: with every mailbox full, `reject` gives the message back and `drop_newest` counts it.
#[tokio::test(start_paused = true)]
async fn overflow_rejects_or_drops_and_counts() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    for overflow in [Overflow::Reject, Overflow::DropNewest] {
        let template = template(&log, Some(Arc::clone(&gate))).mailbox_capacity(1);
        let spec = PoolSpec::new("pool", 2, template).overflow(overflow);
        let app = Supervisor::start(spec).await.unwrap();
        let pool = app.root().pool::<Job>("").unwrap();
        // Each slot takes one (and waits) and queues one: four fit.
        for n in 0..4 {
            pool.send(Job::Work(n)).await.unwrap();
            settle().await;
        }
        let fifth = pool.send(Job::Work(4)).await;
        match overflow {
            Overflow::Reject => {
                assert!(matches!(fifth, Err(PoolError::Full(Job::Work(4)))));
                assert_eq!(pool.dropped(), 0);
            }
            _ => {
                assert!(fifth.is_ok());
                assert_eq!(pool.dropped(), 1);
            }
        }
        app.shutdown().await.unwrap();
    }
}

// S14.3, S9.8: a slot that panics in the middle of a burst loses only the job it held; the
// jobs queued for it reach its next incarnation, each processed once.
#[tokio::test(start_paused = true)]
async fn no_queued_message_is_lost_when_a_slot_panics() {
    let log = Log::default();
    let template = template(&log, None).backoff(Backoff::fixed(S));
    let spec = PoolSpec::new("pool", 4, template).intensity(10, 60 * S);
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    for n in 0..1000 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    tokio::time::sleep(5 * S).await;
    let mut got: Vec<u32> = log.lock().unwrap().iter().map(|(_, n)| *n).collect();
    got.sort_unstable();
    let expected: Vec<u32> = (0..1000).filter(|&n| n != 49).collect();
    assert_eq!(
        got, expected,
        "every job but the one slot 1 held, once each"
    );
    assert_eq!(pool.slots()[1].incarnation(), Some(1));
    app.shutdown().await.unwrap();
}

// S14.4: a call to a pool goes to a slot by its routing and returns the answer.
#[tokio::test(start_paused = true)]
async fn a_call_to_a_pool_is_answered() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 2, template(&log, None));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    let a = pool
        .call(
            |r| Job::Ask(1, Arc::new(Mutex::new(Some(r)))),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    let b = pool
        .call(
            |r| Job::Ask(2, Arc::new(Mutex::new(Some(r)))),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("1 by slot 0", "2 by slot 1"));
    app.shutdown().await.unwrap();
}

// S14.1, S1.4: a pool needs a slot; a pool nested in a tree is reached by its path.
#[tokio::test(start_paused = true)]
async fn pools_nest_and_need_a_slot() {
    let log = Log::default();
    let err = PoolSpec::new("pool", 0, template(&log, None))
        .validate()
        .unwrap_err();
    assert_eq!(err.rule, supervisor::SpecRule::ZeroPoolSize);
    let spec = SupervisorSpec::new("app").child(supervisor::ChildSpec::supervisor(PoolSpec::new(
        "workers",
        2,
        template(&log, None),
    )));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("workers").unwrap();
    assert_eq!(pool.slots().len(), 2);
    assert!(matches!(
        app.root().pool::<String>("workers"),
        Err(LookupError::WrongMessageType { .. })
    ));
    app.shutdown().await.unwrap();
}

// S14.1, S5.6: a pool is a kind of its own; looking one up where there is none says so.
#[tokio::test(start_paused = true)]
async fn a_static_or_dynamic_supervisor_is_not_a_pool() {
    let log = Log::default();
    let sessions = SupervisorSpec::dynamic("sessions", template(&log, None));
    let spec = SupervisorSpec::new("app")
        .child(supervisor::ChildSpec::supervisor(sessions))
        .child(supervisor::ChildSpec::supervisor(PoolSpec::new(
            "workers",
            1,
            template(&log, None),
        )));
    let app = Supervisor::start(spec).await.unwrap();
    let not_a_pool = |r: Result<supervisor::PoolRef<Job>, LookupError>| match r {
        Err(LookupError::NotAPool(path)) => path.to_string(),
        Err(other) => panic!("expected NotAPool, got {other}"),
        Ok(_) => panic!("expected NotAPool, got a pool"),
    };
    assert_eq!(not_a_pool(app.root().pool::<Job>("")), "app");
    assert_eq!(
        not_a_pool(app.root().pool::<Job>("sessions")),
        "app/sessions"
    );
    assert_eq!(
        LookupError::NotAPool("app".into()).to_string(),
        "`app` is not a pool"
    );
    // And a pool is not a dynamic supervisor to start children on.
    assert!(matches!(
        app.root().dynamic::<usize, Job>("workers"),
        Err(LookupError::NotDynamic(_))
    ));
    app.shutdown().await.unwrap();
}

// S14.5: shrinking stops the highest slots and routes what was queued for them to the others;
// growing starts new slots. Every job is processed once.
#[tokio::test(start_paused = true)]
async fn resizing_moves_queued_messages_and_adds_slots() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    let spec = PoolSpec::new("pool", 3, template(&log, Some(Arc::clone(&gate))));
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    for n in 0..30 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    settle().await;
    // Each slot holds one job at the gate and has nine queued. Slot 2 goes: the one it holds
    // is dropped with its incarnation, its nine queued go to slots 0 and 1.
    pool.resize(2).await.unwrap();
    assert_eq!(pool.slots().len(), 2);
    for _ in 0..40 {
        gate.notify_waiters();
        settle().await;
    }
    let mut got: Vec<u32> = log.lock().unwrap().iter().map(|(_, n)| *n).collect();
    got.sort_unstable();
    assert_eq!(got, (0..30).filter(|&n| n != 2).collect::<Vec<_>>());
    assert!(log.lock().unwrap().iter().all(|(slot, _)| *slot < 2));
    pool.resize(4).await.unwrap();
    assert_eq!(pool.slots().len(), 4);
    assert!(pool
        .slots()
        .iter()
        .all(|s| s.state() == ChildState::Running));
    app.shutdown().await.unwrap();
}

// S14.5, S9.10, S14.3: a retired slot goes when the pool retires it, before its path can
// name a new slot, even when the resize that retired it is cancelled; the messages queued for
// it that can no longer be routed are counted as dropped, not lost unreported.
#[tokio::test(start_paused = true)]
async fn a_cancelled_resize_still_retires_its_slots_and_counts_their_messages() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    let spec = PoolSpec::new("pool", 3, template(&log, Some(Arc::clone(&gate))));
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    for n in 0..30 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    settle().await;
    let retired = pool.slots()[2].clone();
    // Cancelled once the command is sent, before the answer.
    let resize = tokio::time::timeout(Duration::ZERO, pool.resize(2)).await;
    assert!(resize.is_err());
    // The job at the gate keeps it from its stop: it is killed at its shutdown timeout (5 s).
    tokio::time::sleep(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(retired.state(), ChildState::Gone(Gone::Deleted));
    // Slot 2 held one job at the gate and had nine queued: nobody routes them now.
    assert_eq!(pool.dropped(), 9);
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if e.path.as_ref() == "pool/2" {
            seen.push(e.kind);
        }
    }
    assert!(
        matches!(
            seen.as_slice(),
            [
                EventKind::Started { incarnation: 0 },
                EventKind::Stopping {
                    incarnation: 0,
                    kill_after: Some(_)
                },
                EventKind::Stopped {
                    incarnation: 0,
                    reason: ExitReason::Killed
                },
                EventKind::Gone {
                    how: Gone::Deleted,
                    undelivered: 0
                }
            ]
        ),
        "{seen:?}"
    );
    app.shutdown().await.unwrap();
}

// S14.2, S14.5: after a resize, only the keys jump consistent hashing moves have moved.
#[tokio::test(start_paused = true)]
async fn after_a_resize_only_the_moved_keys_move() {
    let log = Log::default();
    let spec = PoolSpec::new("pool", 4, template(&log, None)).key_hash(|job: &Job| match job {
        Job::Key(k, _) => k.clone(),
        _ => String::new(),
    });
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    let keys: Vec<String> = (0..200).map(|i| format!("user-{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        pool.send(Job::Key(k.clone(), i as u32)).await.unwrap();
    }
    settle().await;
    pool.resize(5).await.unwrap();
    for (i, k) in keys.iter().enumerate() {
        pool.send(Job::Key(k.clone(), 1000 + i as u32))
            .await
            .unwrap();
    }
    settle().await;
    let got = log.lock().unwrap().clone();
    let slot_of = |n: u32| got.iter().find(|(_, m)| *m == n).map(|(s, _)| *s).unwrap();
    let mut moved = 0;
    for i in 0..keys.len() as u32 {
        let (before, after) = (slot_of(i), slot_of(1000 + i));
        assert!(
            after == before || after == 4,
            "key {i}: {before} -> {after}"
        );
        moved += usize::from(after != before);
    }
    // About a fifth move to the new slot.
    assert!((20..70).contains(&moved), "{moved} moved");
    app.shutdown().await.unwrap();
}

// S14.1: on shutdown the slots stop at once, not one after another.
#[tokio::test(start_paused = true)]
async fn slots_stop_concurrently() {
    let template = Template::<usize, Job>::new(|ctx: ChildContext<Job>, _slot: usize| async move {
        ctx.cancelled().await;
        // Each slot takes a second to wind down.
        tokio::time::sleep(S).await;
        Ok::<(), BoxError>(())
    });
    let spec = PoolSpec::new("pool", 5, template);
    let app = Supervisor::start(spec).await.unwrap();
    let t = tokio::time::Instant::now();
    app.shutdown().await.unwrap();
    assert_eq!(t.elapsed(), S, "five slots, one second, together");
}

// S14.2: a slot keeps its number, and so its path, across its own restarts and its pool's.
#[tokio::test(start_paused = true)]
async fn slots_keep_their_numbers_when_the_pool_restarts() {
    let slot = Template::<usize, Job>::new(|mut ctx: ChildContext<Job>, _slot: usize| async move {
        while let Some(job) = ctx.recv().await {
            if let Job::Work(666) = job {
                panic!("a slot crashes");
            }
        }
        Ok::<(), BoxError>(())
    });
    // The pool gives up at its slot's first crash, and its supervisor restarts it.
    let pool = PoolSpec::new("workers", 3, slot).intensity(0, S);
    let spec = SupervisorSpec::new("app").child(supervisor::ChildSpec::supervisor(pool));
    let app = Supervisor::start(spec).await.unwrap();
    let mut events = app.subscribe();
    let workers = app.root().pool::<Job>("workers").unwrap();
    let paths = |w: &supervisor::PoolRef<Job>| -> Vec<String> {
        w.slots().iter().map(|s| s.path().to_owned()).collect()
    };
    let first = paths(&workers);
    assert_eq!(first, ["app/workers/0", "app/workers/1", "app/workers/2"]);
    for round in 1..=2u64 {
        workers.send(Job::Work(666)).await.unwrap();
        common::until(&mut events, |e| {
            &*e.path == "app/workers"
                && matches!(e.kind, supervisor::EventKind::Started { incarnation } if incarnation == round)
        })
        .await;
        assert_eq!(paths(&workers), first, "after the pool's restart {round}");
    }
    app.shutdown().await.unwrap();
}

/// A slot that logs its jobs and panics on `Work(666)`, restarted after `backoff`.
fn crashing(log: &Log, backoff: Duration) -> Template<usize, Job> {
    let log = Arc::clone(log);
    Template::<usize, Job>::new(move |mut ctx: ChildContext<Job>, slot: usize| {
        let log = Arc::clone(&log);
        async move {
            while let Some(job) = ctx.recv().await {
                match job {
                    Job::Work(666) => panic!("a slot crashes"),
                    Job::Work(n) => log.lock().unwrap().push((slot, n)),
                    Job::Ask(n, reply) => {
                        if let Some(r) = reply.lock().unwrap().take() {
                            let _ = r.send(format!("{n} by slot {slot}"));
                        }
                    }
                    Job::Key(..) => {}
                }
            }
            Ok::<(), BoxError>(())
        }
    })
    .backoff(Backoff::fixed(backoff))
}

// S14.3: with `wait`, a send while no slot is up waits for one, also while the pool itself
// restarts; with `reject`, it fails at once and nothing is queued.
#[tokio::test(start_paused = true)]
async fn with_no_slot_up_wait_waits_and_reject_queues_nothing() {
    for overflow in [Overflow::Wait, Overflow::Reject] {
        let log = Log::default();
        // The pool gives up at its slot's first crash; its supervisor restarts it after 1 s.
        let pool = PoolSpec::new("workers", 1, crashing(&log, S))
            .intensity(0, S)
            .overflow(overflow);
        let spec = SupervisorSpec::new("app")
            .child(supervisor::ChildSpec::supervisor(pool).backoff(Backoff::fixed(S)));
        let app = Supervisor::start(spec).await.unwrap();
        let workers = app.root().pool::<Job>("workers").unwrap();
        workers.send(Job::Work(666)).await.unwrap();
        settle().await;
        // The pool is restarting: no slot exists to take the message.
        let t = tokio::time::Instant::now();
        let sent = workers.send(Job::Work(1)).await;
        match overflow {
            Overflow::Wait => {
                sent.unwrap();
                assert!(t.elapsed() >= S - 2 * common::MS, "waited for the pool");
            }
            _ => {
                assert!(
                    matches!(sent, Err(PoolError::NoSlot(Job::Work(1)))),
                    "{sent:?}"
                );
                assert_eq!(t.elapsed(), Duration::ZERO);
            }
        }
        tokio::time::sleep(2 * S).await;
        let got = log.lock().unwrap().clone();
        match overflow {
            Overflow::Wait => assert_eq!(got, [(0, 1)]),
            _ => assert!(got.is_empty(), "nothing queued: {got:?}"),
        }
        app.shutdown().await.unwrap();
    }
}

// S14.2, S14.3: round robin skips a full slot while another has room, so `reject` rejects
// only when every slot is full.
#[tokio::test(start_paused = true)]
async fn round_robin_skips_a_full_slot_while_another_has_room() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    let template = template(&log, Some(Arc::clone(&gate))).mailbox_capacity(1);
    let spec = PoolSpec::new("pool", 2, template).overflow(Overflow::Reject);
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    let slots = pool.slots();
    // Slot 0 takes one and waits at the gate, then queues one: full. Slot 1 is empty.
    slots[0].send(Job::Work(100)).await.unwrap();
    settle().await;
    slots[0].send(Job::Work(101)).await.unwrap();
    // Whatever the turn, the message goes to the slot with room.
    for n in 0..2 {
        pool.send(Job::Work(n)).await.unwrap();
        settle().await;
    }
    // Now slot 1 holds one and queues one: every slot is full.
    assert!(matches!(
        pool.send(Job::Work(9)).await,
        Err(PoolError::Full(Job::Work(9)))
    ));
    app.shutdown().await.unwrap();
}

// S14.4: a call to a pool with no slot up waits for one within its timeout; a call to a
// stopped pool times out at its timeout, not at once.
#[tokio::test(start_paused = true)]
async fn a_pool_call_waits_for_a_slot_within_its_timeout() {
    let log = Log::default();
    let pool = PoolSpec::new("workers", 1, crashing(&log, S));
    let spec = SupervisorSpec::new("app").child(supervisor::ChildSpec::supervisor(pool));
    let app = Supervisor::start(spec).await.unwrap();
    let workers = app.root().pool::<Job>("workers").unwrap();
    let ask = |n| move |r: Reply<String>| Job::Ask(n, Arc::new(Mutex::new(Some(r))));
    workers.send(Job::Work(666)).await.unwrap();
    settle().await;
    let t = tokio::time::Instant::now();
    let answer = workers.call(ask(1), 5 * S).await.unwrap();
    assert_eq!(answer, "1 by slot 0");
    assert!(t.elapsed() <= S, "answered by the restarted slot");
    app.terminate_child("workers").await.unwrap();
    let t = tokio::time::Instant::now();
    let err = workers.call(ask(2), 3 * S).await.unwrap_err();
    assert!(
        matches!(err, supervisor::CallError::Timeout(d) if d == 3 * S),
        "{err:?}"
    );
    assert_eq!(t.elapsed(), 3 * S);
    app.shutdown().await.unwrap();
}

// S14.3: `drop_oldest` makes room by dropping the oldest message queued for the chosen slot:
// sends never wait, the newest messages are the ones processed, and the drops are counted.
#[tokio::test(start_paused = true)]
async fn drop_oldest_keeps_the_newest_and_never_waits() {
    let log = Log::default();
    let gate = Arc::new(Notify::new());
    let template = template(&log, Some(Arc::clone(&gate))).mailbox_capacity(2);
    let spec = PoolSpec::new("pool", 1, template).overflow(Overflow::DropOldest);
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app.root().pool::<Job>("").unwrap();
    pool.send(Job::Work(0)).await.unwrap();
    settle().await; // taken: the slot waits at the gate
    let t = tokio::time::Instant::now();
    for n in 1..=5 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    assert_eq!(t.elapsed(), Duration::ZERO, "no send waited");
    assert_eq!(pool.dropped(), 3, "1, 2 and 3 made room for 3, 4 and 5");
    for _ in 0..5 {
        gate.notify_waiters();
        settle().await;
    }
    let got: Vec<u32> = log.lock().unwrap().iter().map(|(_, n)| *n).collect();
    assert_eq!(got, [0, 4, 5]);
    app.shutdown().await.unwrap();
}

// S14.4: a call held by a slot that its pool stops ends with that stop as its exit, not as
// unanswered, and not at its timeout.
#[tokio::test(start_paused = true)]
async fn a_call_held_by_a_stopped_slot_ends_with_the_stop() {
    let holder =
        Template::<usize, Job>::new(|mut ctx: ChildContext<Job>, _slot: usize| async move {
            // Takes the request and keeps it until asked to stop.
            let held = ctx.recv().await;
            ctx.cancelled().await;
            drop(held);
            Ok::<(), BoxError>(())
        });
    let spec = SupervisorSpec::new("app").child(supervisor::ChildSpec::supervisor(PoolSpec::new(
        "workers", 2, holder,
    )));
    let app = Supervisor::start(spec).await.unwrap();
    let workers = app.root().pool::<Job>("workers").unwrap();
    let call = tokio::spawn(async move {
        workers
            .call(|r| Job::Ask(1, Arc::new(Mutex::new(Some(r)))), 60 * S)
            .await
    });
    settle().await;
    let t = tokio::time::Instant::now();
    app.terminate_child("workers").await.unwrap();
    let err = call.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            supervisor::CallError::Exited {
                reason: supervisor::ExitReason::Shutdown,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(t.elapsed(), Duration::ZERO);
    app.shutdown().await.unwrap();
}

/// A slot written as a [`Worker`]: its `init` learns its number, its `run` takes the jobs.
struct SlotWorker {
    slot: usize,
    log: Log,
}

#[supervisor::async_trait]
impl supervisor::Worker<Job> for SlotWorker {
    async fn init(&mut self, _ctx: &mut ChildContext<Job>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push((self.slot, u32::MAX));
        Ok(())
    }
    async fn run(&mut self, ctx: &mut ChildContext<Job>) -> Result<(), BoxError> {
        while let Some(job) = ctx.recv().await {
            if let Job::Work(n) = job {
                self.log.lock().unwrap().push((self.slot, n));
            }
        }
        Ok(())
    }
}

// S14.1, S2.1: a pool's slots can be workers with an init phase, each made from its number.
#[tokio::test(start_paused = true)]
async fn slots_can_be_workers_made_from_their_number() {
    let log = Log::default();
    let l = Arc::clone(&log);
    let template = Template::<usize, Job>::from_worker(move |slot| SlotWorker {
        slot,
        log: Arc::clone(&l),
    });
    let app = Supervisor::start(PoolSpec::new("pool", 2, template))
        .await
        .unwrap();
    // Both inits ran before the tree was up.
    assert_eq!(*log.lock().unwrap(), vec![(0, u32::MAX), (1, u32::MAX)]);
    let pool = app.root().pool::<Job>("").unwrap();
    for n in 0..4 {
        pool.send(Job::Work(n)).await.unwrap();
    }
    settle().await;
    let mut got = log.lock().unwrap().split_off(2);
    got.sort_unstable();
    assert_eq!(got, vec![(0, 0), (0, 2), (1, 1), (1, 3)]);
    app.shutdown().await.unwrap();
}
