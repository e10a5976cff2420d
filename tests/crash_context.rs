//! Crash context (S19): a failure carries the recent life of the child it is about and the
//! last message it took, at every level of an escalation, in events, calls and the root's error.

mod common;

use std::time::Duration;

use common::S;
use supervisor::{
    Backoff, BoxError, CallError, ChildContext, ChildSpec, EventKind, ExitReason, Happened,
    Heartbeat, Reply, Supervisor, SupervisorSpec, TreeError, CRASH_CONTEXT_EVENTS,
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

async fn failing(_ctx: ChildContext) -> Result<(), String> {
    tokio::time::sleep(100 * MS).await;
    Err("boom".into())
}

fn gave_up(err: TreeError) -> std::sync::Arc<supervisor::Escalation> {
    match err {
        TreeError::GaveUp(e) => e,
        other => panic!("expected a give-up, got {other}"),
    }
}

// S19.1, S19.3: the root's error carries the failing child's recent life with its times; the
// record begins at the child's first exit (a child that never failed keeps none).
#[tokio::test(start_paused = true)]
async fn a_root_that_gives_up_carries_the_recent_life_of_the_child_that_failed() {
    let spec = SupervisorSpec::new("app")
        .intensity(2, 10 * S)
        .child(ChildSpec::worker("db", failing).backoff(Backoff::fixed(10 * MS)))
        .child(ChildSpec::worker(
            "steady",
            |ctx: ChildContext| async move {
                ctx.cancelled().await;
                Ok::<(), String>(())
            },
        ));
    let t0 = Instant::now();
    let app = Supervisor::start(spec).await.unwrap();
    let escalation = gave_up(app.join().await.unwrap_err());
    let context = escalation.context.as_deref().expect("a crash context");
    assert_eq!(&*context.path, "app/db");
    let what: Vec<String> = context.recent.iter().map(|r| r.what.to_string()).collect();
    assert_eq!(
        what,
        [
            "exited (incarnation 0): boom; restart in 10ms",
            "started (incarnation 1)",
            "exited (incarnation 1): boom; restart in 10ms",
            "started (incarnation 2)",
            "exited (incarnation 2): boom",
        ]
    );
    let at: Vec<Duration> = context.recent.iter().map(|r| r.at - t0).collect();
    assert_eq!(
        at,
        [100, 110, 210, 220, 320].map(|ms| ms * MS),
        "times on the paused clock"
    );
    assert!(context.last_message.is_none(), "a child without a mailbox");
    // One line by default; the alternate form lists the record.
    let line = escalation.to_string();
    assert!(!line.contains('\n'), "{line}");
    let full = format!("{escalation:#}");
    assert!(full.starts_with(&line), "{full}");
    assert!(
        full.contains("recent life of `app/db`:")
            && full.contains("-220.000ms exited (incarnation 0)"),
        "{full}"
    );
}

// S19.1: the record keeps the last CRASH_CONTEXT_EVENTS events, oldest first.
#[tokio::test(start_paused = true)]
async fn the_record_keeps_the_last_sixteen_events() {
    let spec = SupervisorSpec::new("app")
        .intensity(20, 100 * S)
        .child(ChildSpec::worker("db", failing));
    let app = Supervisor::start(spec).await.unwrap();
    let escalation = gave_up(app.join().await.unwrap_err());
    let context = escalation.context.as_deref().unwrap();
    assert_eq!(context.recent.len(), CRASH_CONTEXT_EVENTS);
    // 21 exits (incarnations 0-20): the record ends with the last and starts 16 events back,
    // two per failed incarnation (exited with its restart, started).
    assert!(matches!(
        context.recent.last().map(|r| &r.what),
        Some(Happened::Exited {
            incarnation: 20,
            ..
        })
    ));
    assert!(matches!(
        context.recent[0].what,
        Happened::Started { incarnation: 13 }
    ));
}

// S19.1: each level of an escalation chain carries the record of the child it is about.
#[tokio::test(start_paused = true)]
async fn each_level_of_an_escalation_carries_its_childs_record() {
    let inner = SupervisorSpec::new("db")
        .intensity(1, 10 * S)
        .child(ChildSpec::worker("conn", failing));
    let spec = SupervisorSpec::new("app")
        .intensity(0, 10 * S)
        .child(ChildSpec::supervisor(inner));
    let app = Supervisor::start(spec).await.unwrap();
    let escalation = gave_up(app.join().await.unwrap_err());
    let chain = escalation.chain();
    assert_eq!(chain.len(), 2);
    let outer = chain[0].context.expect("the outer link's record");
    assert_eq!(&*outer.path, "app/db");
    assert_eq!(outer.recent.len(), 1, "its first and only exit");
    assert!(matches!(
        outer.recent[0].what,
        Happened::Exited {
            reason: ExitReason::Escalation(_),
            ..
        }
    ));
    let inner = chain[1].context.expect("the inner link's record");
    assert_eq!(&*inner.path, "app/db/conn");
    assert!(matches!(
        inner.recent.last().map(|r| &r.what),
        Some(Happened::Exited { incarnation: 1, .. })
    ));
}

#[derive(Debug)]
enum Job {
    Work,
    /// Takes 100 ms.
    Slow,
    Crash(Reply<()>),
    Panic,
    Wedge,
}

fn label(job: &Job) -> &'static str {
    match job {
        Job::Work | Job::Slow => "work",
        Job::Crash(_) | Job::Panic => "crash",
        Job::Wedge => "wedge",
    }
}

async fn worker(mut ctx: ChildContext<Job>) -> Result<(), BoxError> {
    while let Some(job) = ctx.recv().await {
        ctx.heartbeat();
        match job {
            Job::Work => {}
            Job::Slow => tokio::time::sleep(100 * MS).await,
            Job::Crash(_reply) => panic!("crashed on a job"),
            Job::Panic => panic!("crashed on a job"),
            Job::Wedge => std::future::pending::<()>().await,
        }
    }
    Ok(())
}

// S19.2: an exit names the last message taken (its number over all incarnations, its label,
// when it was taken), in the event, in the call that ended with it, and in the root's error.
#[tokio::test(start_paused = true)]
async fn a_crash_names_the_message_it_was_handling() {
    let spec = SupervisorSpec::new("app").intensity(0, 10 * S).child(
        ChildSpec::with_mailbox("worker", worker)
            .label_messages(label)
            .backoff(Backoff::fixed(S)),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let mut events = app.subscribe();
    let worker = app.child::<Job>("worker").unwrap();
    worker.send(Job::Work).await.unwrap();
    worker.send(Job::Work).await.unwrap();
    tokio::time::sleep(5 * S).await;
    let sent = Instant::now();
    let err = worker.call(Job::Crash, 10 * S).await.unwrap_err();
    let CallError::Exited { reason, message } = &err else {
        panic!("{err:?}");
    };
    assert!(matches!(reason, ExitReason::Panic(_)));
    let message = message.expect("the call names the message");
    assert_eq!((message.number, message.label), (3, "crash"));
    assert_eq!(message.taken, sent, "taken after a wait: its own time");
    assert!(
        err.to_string()
            .ends_with("while handling message 3 (crash)"),
        "{err}"
    );
    let exited = loop {
        let event = events.recv().await.unwrap();
        if let EventKind::Exited { context, .. } = event.kind {
            break context.expect("an exit's event carries its crash context");
        }
    };
    assert_eq!(exited.last_message, Some(message));
    let escalation = gave_up(app.join().await.unwrap_err());
    let line = escalation.to_string();
    assert!(
        line.contains("exited (panicked: crashed on a job) while handling message 3 (crash)"),
        "{line}"
    );
}

// S19.2: without a label, a message is named by its type; messages taken back to back share
// the time their run began.
#[tokio::test(start_paused = true)]
async fn an_unlabelled_message_is_named_by_its_type() {
    let spec = SupervisorSpec::new("app")
        .intensity(0, 10 * S)
        .child(ChildSpec::with_mailbox("worker", worker));
    let app = Supervisor::start(spec).await.unwrap();
    let worker = app.child::<Job>("worker").unwrap();
    tokio::time::sleep(S).await;
    // Queued together, taken without a wait in between: the run began when the first was.
    let began = Instant::now();
    worker.try_send(Job::Slow).unwrap();
    worker.try_send(Job::Slow).unwrap();
    worker.try_send(Job::Panic).unwrap();
    let escalation = gave_up(app.join().await.unwrap_err());
    let context = escalation.context.as_deref().unwrap();
    let last = context.last_message.unwrap();
    assert_eq!(last.number, 3);
    assert_eq!(
        last.taken, began,
        "the run's start, not its own take 200 ms later"
    );
    assert_eq!(context.recent.last().unwrap().at, began + 200 * MS);
    assert!(last.label.ends_with("crash_context::Job"), "{}", last.label);
    assert!(escalation
        .to_string()
        .contains("while handling message 3 (Job)"));
}

// S19.2, S12.8: a conviction names the message the wedged incarnation took.
#[tokio::test(start_paused = true)]
async fn a_conviction_names_the_message_that_wedged_the_worker() {
    let spec = SupervisorSpec::new("app").intensity(0, 10 * S).child(
        ChildSpec::with_mailbox("worker", worker)
            .label_messages(label)
            .heartbeat(Heartbeat::every(100 * MS)),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let worker = app.child::<Job>("worker").unwrap();
    for _ in 0..3 {
        worker.send(Job::Work).await.unwrap();
        tokio::time::sleep(100 * MS).await;
    }
    worker.send(Job::Wedge).await.unwrap();
    let escalation = gave_up(app.join().await.unwrap_err());
    assert!(matches!(
        escalation.cause,
        ExitReason::HeartbeatsLost { busy: Some(_), .. }
    ));
    let last = escalation.context.as_deref().unwrap().last_message.unwrap();
    assert_eq!((last.number, last.label), (4, "wedge"));
}

// S19: a live picture says how a child last failed and what it was handling.
#[tokio::test(start_paused = true)]
async fn a_live_picture_shows_the_last_failure() {
    let spec = SupervisorSpec::new("app").intensity(5, 10 * S).child(
        ChildSpec::with_mailbox("worker", worker)
            .label_messages(label)
            .backoff(Backoff::fixed(S)),
    );
    let app = Supervisor::start(spec).await.unwrap();
    let worker = app.child::<Job>("worker").unwrap();
    assert!(!app.picture().await.text().contains("last exit"));
    worker.send(Job::Work).await.unwrap();
    worker.send(Job::Panic).await.unwrap();
    // During the backoff, the mailbox is free: the message it was handling is known.
    tokio::time::sleep(S / 2).await;
    let text = app.picture().await.text();
    assert!(
        text.contains("worker [backoff] <Job> [restarting, incarnation 0, 1 restart] [last exit: panicked: crashed on a job, handling message 2 (crash)]"),
        "{text}"
    );
    app.shutdown().await.unwrap();
}
