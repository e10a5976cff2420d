//! What a watcher of a running tree reads (S21.1), on the paused clock: each child's mailbox
//! depth against its capacity, each supervisor's restart intensity in use, and a stop in
//! progress with the time left before its kill.

mod common;

use std::time::Duration;

use common::{hoarder, settle, until, Probe, MS, S};
use supervisor::{
    ChildSpec, EventKind, ExitReason, IntensityUse, MailboxUse, Observer, Shutdown, Supervisor,
    SupervisorSpec,
};

// S21.1: mailbox depth against capacity, per child, in `which_children`.
#[tokio::test(start_paused = true)]
async fn which_children_says_how_full_each_mailbox_is() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("hoarder", hoarder).mailbox_capacity(8))
        .child(ChildSpec::worker("plain", p.idle("plain")));
    let app = Supervisor::start(spec).await.unwrap();
    let hoarder = app.root().child::<u32>("hoarder").unwrap();
    for n in 0..4 {
        hoarder.send(n).await.unwrap();
    }
    settle().await;
    let children = app.root().which_children().await.unwrap();
    // It took the first and holds the other three.
    let used = MailboxUse {
        queued: 3,
        capacity: 8,
    };
    assert_eq!(children[0].mailbox, Some(used));
    assert_eq!(children[1].mailbox, None, "no mailbox, nothing to say");
    app.shutdown().await.unwrap();
}

// S21.1: the intensity in use is the restarts decided within the period, until now.
#[tokio::test(start_paused = true)]
async fn intensity_use_counts_the_restarts_within_the_period() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(3, 5 * S)
        .child(ChildSpec::worker("flaky", p.failing("flaky", S)));
    let app = Supervisor::start(spec).await.unwrap();
    let fresh = app.root().intensity_use().await.unwrap();
    assert_eq!(
        fresh,
        IntensityUse {
            restarts: 0,
            max_restarts: 3,
            within: 5 * S,
        }
    );
    // Fails after 1 s, restarted at once, fails again at 2 s.
    tokio::time::sleep(2 * S + 10 * MS).await;
    let used = app.root().intensity_use().await.unwrap();
    assert_eq!(used.restarts, 2);
    assert_eq!(used.to_string(), "2/3 in 5s");
    app.shutdown().await.unwrap();
}

// S21.1, S6.2: a stop in progress says how long the child has before its kill, then how it
// ended; `infinity` has no kill, `brutal_kill` has it at once.
#[tokio::test(start_paused = true)]
async fn a_stop_in_progress_says_when_the_kill_comes() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("patient", p.idle("patient")).shutdown(Shutdown::Infinity))
        .child(ChildSpec::worker("brutal", p.idle("brutal")).shutdown(Shutdown::BrutalKill))
        .child(
            ChildSpec::worker("deaf", p.stubborn("deaf"))
                .shutdown(Shutdown::Timeout(Duration::from_secs(2))),
        );
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let started = tokio::time::Instant::now();
    app.shutdown_token().cancel();
    // Reverse start order: the deaf child first, killed when its 2 s run out.
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::Stopping { .. })
    })
    .await;
    assert_eq!(&*e.path, "app/deaf");
    let EventKind::Stopping { kill_after, .. } = e.kind else {
        unreachable!()
    };
    assert_eq!(kill_after, Some(2 * S));
    let e = until(&mut events, |e| matches!(e.kind, EventKind::Stopped { .. })).await;
    assert_eq!(&*e.path, "app/deaf");
    assert!(matches!(
        e.kind,
        EventKind::Stopped {
            reason: ExitReason::Killed,
            ..
        }
    ));
    assert_eq!(e.at - started, 2 * S);
    for (path, kill) in [("app/brutal", Some(Duration::ZERO)), ("app/patient", None)] {
        let e = until(&mut events, |e| {
            matches!(e.kind, EventKind::Stopping { .. })
        })
        .await;
        assert_eq!(&*e.path, path);
        assert!(matches!(e.kind, EventKind::Stopping { kill_after, .. } if kill_after == kill));
    }
    app.join().await.unwrap();
}
