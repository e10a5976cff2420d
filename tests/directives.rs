//! Directives (S10): every exit becomes restart, stop, escalate or fatal, from the child's
//! decider, else the error's own disposition, else restart; the exit event says which and why.

mod common;

use std::time::Duration;

use common::{settle, until, Probe, MS, S};
use supervisor::{
    ChildContext, ChildSpec, ChildState, Directed, Directive, DirectiveSource, Disposition,
    EventKind, ExitReason, Gone, Observer, Restart, Supervisor, SupervisorSpec, TreeError,
};

#[derive(Debug)]
enum DbError {
    Timeout,
    BadCredentials,
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for DbError {}

impl Disposition for DbError {
    fn directive(&self) -> Directive {
        match self {
            DbError::Timeout => Directive::Restart,
            DbError::BadCredentials => Directive::Fatal,
        }
    }
}

/// A child that fails with `error()` after 10 ms, every incarnation, logging its starts.
fn fails_with<E, F>(p: &Probe, name: &'static str, error: F) -> ChildSpec
where
    E: Into<supervisor::BoxError> + 'static,
    F: Fn() -> E + Send + Sync + Clone + 'static,
{
    let p = p.clone();
    ChildSpec::worker(name, move |_ctx: ChildContext| {
        let (p, error) = (p.clone(), error.clone());
        async move {
            p.push(format!("start {name}"));
            tokio::time::sleep(10 * MS).await;
            Err::<(), E>(error())
        }
    })
}

fn idle(p: &Probe, name: &'static str) -> ChildSpec {
    ChildSpec::worker(name, p.idle(name))
}

/// The directive and source of the next exit event.
async fn next_exit(events: &mut supervisor::EventStream) -> (Directive, DirectiveSource) {
    let e = until(events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    match e.kind {
        EventKind::Exited {
            directive, source, ..
        } => (directive, source),
        _ => unreachable!(),
    }
}

// S10.1, S10.2, S10.3: without a decider or a disposition, an exit restarts the child.
#[tokio::test(start_paused = true)]
async fn by_default_an_exit_restarts_and_the_event_says_so() {
    let p = Probe::default();
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(fails_with(&p, "w", || "boom".to_string()));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    assert_eq!(
        next_exit(&mut events).await,
        (Directive::Restart, DirectiveSource::Default)
    );
    settle().await;
    assert_eq!(p.take(), ["start w", "start w"]);
    app.shutdown().await.unwrap();
}

// S10.1: `stop` leaves a permanent child stopped, and does not count toward the intensity.
#[tokio::test(start_paused = true)]
async fn stop_leaves_the_child_stopped_without_counting_a_restart() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(0, 5 * S)
        .child(fails_with(&p, "w", || "boom".to_string()).decider(|_| Directive::Stop))
        .child(idle(&p, "other"));
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(S).await;
    let w = app.child::<supervisor::NoMailbox>("w").unwrap();
    assert_eq!(w.state(), ChildState::Stopped);
    assert_eq!(w.restart_count(), 0);
    // With an intensity of 0, one restart would have made the supervisor give up.
    assert!(app.restart_history().await.unwrap().is_empty());
    assert_eq!(p.take(), ["start w", "start other"]);
    app.shutdown().await.unwrap();
}

// S10.1, S5.5: a dynamic child told to stop ends, and frees its slot.
#[tokio::test(start_paused = true)]
async fn stop_ends_a_dynamic_child() {
    let template = supervisor::Template::<u32>::new(|_ctx, n: u32| async move {
        tokio::time::sleep(10 * MS).await;
        Err::<(), String>(format!("boom {n}"))
    })
    .decider(|_| Directive::Stop);
    let spec = SupervisorSpec::dynamic("pool", template).max_children(1);
    let app = Supervisor::start(spec).await.unwrap();
    let pool = app
        .root()
        .dynamic::<u32, supervisor::NoMailbox>("")
        .unwrap();
    let first = pool.start_child(1).await.unwrap();
    tokio::time::sleep(S).await;
    assert_eq!(first.state(), ChildState::Gone(Gone::Ended));
    pool.start_child(2).await.expect("the slot is free again");
    app.shutdown().await.unwrap();
}

// S10.1, S4.4: `escalate` makes the supervisor give up on the first exit, whatever its
// intensity, stopping its other children first.
#[tokio::test(start_paused = true)]
async fn escalate_gives_up_at_once() {
    let p = Probe::default();
    let spec = SupervisorSpec::new("app")
        .intensity(100, 5 * S)
        .child(idle(&p, "first"))
        .child(fails_with(&p, "w", || Directed::escalate("cannot go on")));
    let app = Supervisor::start(spec).await.unwrap();
    let err = app.join().await.unwrap_err();
    let TreeError::GaveUp(escalation) = err else {
        panic!("{err:?}");
    };
    assert_eq!(escalation.directive, Directive::Escalate);
    assert_eq!(&*escalation.child, "app/w");
    assert_eq!(
        escalation.to_string(),
        "supervisor `app` gave up after `app/w` exited (cannot go on); directive: escalate"
    );
    assert_eq!(p.take(), ["start first", "start w", "stop first"]);
}

// S10.1: `fatal` stops the whole tree in order, through supervisors that would have restarted,
// and the root ends with its own error.
#[tokio::test(start_paused = true)]
async fn fatal_stops_the_whole_tree_with_its_own_error() {
    let p = Probe::default();
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app")
        .intensity(100, 5 * S)
        .child(idle(&p, "a"))
        .child(
            ChildSpec::supervisor(
                SupervisorSpec::new("mid")
                    .intensity(100, 5 * S)
                    .child(idle(&p, "b"))
                    .child(fails_with(&p, "db", || {
                        Directed::from(DbError::BadCredentials)
                    })),
            )
            // The parent's own decider would restart `mid`: a fatal exit overrides it.
            .decider(|_| Directive::Restart),
        )
        .child(idle(&p, "c"));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    assert_eq!(
        next_exit(&mut events).await,
        (Directive::Fatal, DirectiveSource::Disposition)
    );
    assert_eq!(
        next_exit(&mut events).await,
        (Directive::Fatal, DirectiveSource::Fatal)
    );
    let err = app.join().await.unwrap_err();
    let TreeError::Fatal(escalation) = &err else {
        panic!("{err:?}");
    };
    assert!(escalation.is_fatal());
    assert_eq!(escalation.root_cause().0, "app/mid/db");
    assert_eq!(
        err.to_string(),
        "fatal: supervisor `app` gave up <- `app/mid` gave up after `app/mid/db` exited (BadCredentials); directive: fatal"
    );
    // In order: `mid` stops `b`, then the root stops `c` and `a`, last started first.
    assert_eq!(
        p.take(),
        ["start a", "start b", "start db", "start c", "stop b", "stop c", "stop a"]
    );
}

// S10.2: the decider comes first, then the error's disposition (found through wrapping errors),
// then restart; panics go through the decider too.
#[tokio::test(start_paused = true)]
async fn the_decider_comes_before_the_disposition() {
    #[derive(Debug)]
    struct Wrapper(Directed);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "wrapped: {}", self.0)
        }
    }
    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    let p = Probe::default();
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let panics = ChildSpec::worker("panics", |_ctx: ChildContext| async move {
        tokio::time::sleep(10 * MS).await;
        if true {
            panic!("oops");
        }
        Ok::<(), String>(())
    })
    .restart(Restart::Transient)
    .decider(|reason| match reason {
        ExitReason::Panic(_) => Directive::Stop,
        _ => Directive::Restart,
    });
    let spec = SupervisorSpec::new("app")
        .intensity(100, 5 * S)
        .child(panics)
        // The disposition says fatal, the decider says stop: the decider wins.
        .child(
            fails_with(&p, "decided", || Directed::from(DbError::BadCredentials))
                .decider(|_| Directive::Stop),
        )
        .child(fails_with(&p, "wrapped", || {
            Wrapper(Directed::stop("gone for good"))
        }))
        .child(fails_with(&p, "declared", || {
            Directed::from(DbError::Timeout)
        }));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let e = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
        if let EventKind::Exited {
            directive, source, ..
        } = e.kind
        {
            seen.push((e.path.to_string(), directive, source));
        }
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            (
                "app/decided".to_string(),
                Directive::Stop,
                DirectiveSource::Decider
            ),
            (
                "app/declared".to_string(),
                Directive::Restart,
                DirectiveSource::Disposition
            ),
            (
                "app/panics".to_string(),
                Directive::Stop,
                DirectiveSource::Decider
            ),
            (
                "app/wrapped".to_string(),
                Directive::Stop,
                DirectiveSource::Disposition
            ),
        ]
    );
    settle().await;
    let state = |id: &str| app.child::<supervisor::NoMailbox>(id).unwrap().state();
    assert_eq!(state("panics"), ChildState::Stopped);
    assert_eq!(state("decided"), ChildState::Stopped);
    assert_eq!(state("wrapped"), ChildState::Stopped);
    assert_eq!(state("declared"), ChildState::Running);
    app.shutdown().await.unwrap();
}

// S10.2: an error type opts in with `impl Disposition`, and `?` carries its directive.
#[tokio::test(start_paused = true)]
async fn question_mark_carries_the_disposition() {
    async fn connect() -> Result<(), DbError> {
        Err(DbError::BadCredentials)
    }
    async fn db(_ctx: ChildContext) -> Result<(), Directed> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        connect().await?;
        Ok(())
    }
    let app = Supervisor::start(SupervisorSpec::new("app").child(ChildSpec::worker("db", db)))
        .await
        .unwrap();
    assert!(matches!(app.join().await, Err(TreeError::Fatal(_))));
}

// S6.3 (defect, found by the test kit: the children of a supervisor whose own loop panicked,
// through a panicking decider for one, ended without a report): their ends are reported, and
// before the supervisor's own exit.
#[tokio::test(start_paused = true)]
async fn a_supervisor_whose_loop_panics_reports_its_childrens_ends() {
    let p = common::Probe::default();
    let inner = supervisor::SupervisorSpec::new("inner")
        .child(
            supervisor::ChildSpec::worker("a", p.failing("a", common::S))
                .decider(|_| panic!("the decider broke")),
        )
        .child(supervisor::ChildSpec::worker("b", p.idle("b")));
    let spec = supervisor::SupervisorSpec::new("app")
        .intensity(100, 60 * common::S)
        .child(supervisor::ChildSpec::supervisor(inner));
    let observer = supervisor::Observer::new();
    let mut events = observer.subscribe();
    let app = supervisor::Supervisor::start_observed(spec, &observer)
        .await
        .unwrap();
    let stopped = common::until(&mut events, |e| {
        &*e.path == "app/inner/b" && matches!(e.kind, supervisor::EventKind::Stopped { .. })
    })
    .await;
    assert!(matches!(
        stopped.kind,
        supervisor::EventKind::Stopped {
            incarnation: 0,
            reason: supervisor::ExitReason::Killed
        }
    ));
    let exited = common::until(&mut events, |e| {
        &*e.path == "app/inner" && matches!(e.kind, supervisor::EventKind::Exited { .. })
    })
    .await;
    assert!(
        matches!(&exited.kind, supervisor::EventKind::Exited { reason, .. } if reason.kind() == "panic"),
        "{exited:?}"
    );
    assert_eq!(
        p.live(),
        2,
        "the new incarnation of inner runs a and b, nothing else"
    );
    let _ = app.shutdown().await;
}
