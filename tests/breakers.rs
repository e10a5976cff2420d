//! Circuit breakers (S13), on the paused clock: exact counts and instants for every transition,
//! half-open permits, reset timeouts doubling to their cap, and restarts that wait for a
//! breaker; one test on a multi-thread runtime for the permits under contention.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{until, MS, S};
use supervisor::{
    BoxError, BreakerConfig, BreakerError, BreakerState, ChildContext, ChildSpec, ChildState,
    CircuitBreaker, Directed, EventKind, NoMailbox, Observer, Supervisor, SupervisorSpec,
};
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
struct ServiceDown;

impl std::fmt::Display for ServiceDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("service down")
    }
}

impl std::error::Error for ServiceDown {}

// Every failure counts against the service (S13.5).
impl supervisor::Disposition for ServiceDown {}

async fn fail() -> Result<(), ServiceDown> {
    Err(ServiceDown)
}

async fn succeed() -> Result<(), ServiceDown> {
    Ok(())
}

fn config() -> BreakerConfig {
    BreakerConfig::default()
        .failure_threshold(3)
        .reset_timeout(10 * S)
        .max_reset_timeout(45 * S)
        .jitter(0.0)
}

// S13.2: `failure_threshold` consecutive failures open it, not fewer; a success resets the
// count.
#[tokio::test(start_paused = true)]
async fn consecutive_failures_open_it_and_a_success_resets_them() {
    let b = CircuitBreaker::new("db", config());
    for _ in 0..2 {
        assert!(matches!(b.call(fail()).await, Err(BreakerError::Failed(_))));
    }
    b.call(succeed()).await.unwrap();
    assert_eq!(b.stats().consecutive_failures, 0);
    for _ in 0..2 {
        let _ = b.call(fail()).await;
    }
    assert_eq!(b.state(), BreakerState::Closed);
    let _ = b.call(fail()).await;
    assert_eq!(b.state(), BreakerState::Open);
    assert_eq!(b.stats().failures, 5);
}

// S13.3: open, calls fail at once without being made, saying when to retry; after the reset
// timeout, half-open.
#[tokio::test(start_paused = true)]
async fn an_open_breaker_rejects_without_calling() {
    let b = CircuitBreaker::new("db", config());
    for _ in 0..3 {
        let _ = b.call(fail()).await;
    }
    let opened = Instant::now();
    let made = Arc::new(AtomicUsize::new(0));
    tokio::time::sleep(4 * S).await;
    let m = Arc::clone(&made);
    let err = b
        .call(async move {
            m.fetch_add(1, Ordering::SeqCst);
            Ok::<(), ServiceDown>(())
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BreakerError::Open {
            breaker: Arc::from("db"),
            retry_in: 6 * S
        }
    );
    assert_eq!(made.load(Ordering::SeqCst), 0);
    assert_eq!(b.stats().rejections, 1);
    assert_eq!(b.reopens_at(), Some(opened + 10 * S));
    tokio::time::sleep_until(opened + 10 * S).await;
    assert_eq!(b.state(), BreakerState::HalfOpen);
    b.call(succeed()).await.unwrap();
    assert_eq!(b.state(), BreakerState::Closed);
}

// S13.3: every failed trial reopens it for twice as long, up to the cap; a success closes it
// and the reset timeout starts over.
#[tokio::test(start_paused = true)]
async fn reset_timeouts_double_to_the_cap() {
    let b = CircuitBreaker::new("db", config());
    for _ in 0..3 {
        let _ = b.call(fail()).await;
    }
    let mut waits = Vec::new();
    for _ in 0..4 {
        let opened = Instant::now();
        let at = b.reopens_at().expect("open");
        waits.push(at - opened);
        tokio::time::sleep_until(at).await;
        let _ = b.call(fail()).await;
    }
    assert_eq!(waits, [10 * S, 20 * S, 40 * S, 45 * S]);
    tokio::time::sleep_until(b.reopens_at().unwrap()).await;
    b.call(succeed()).await.unwrap();
    for _ in 0..3 {
        let _ = b.call(fail()).await;
    }
    let opened = Instant::now();
    assert_eq!(b.reopens_at(), Some(opened + 10 * S));
}

// S13.4: half-open, exactly `half_open_max_calls` trials run at once, the others fail fast;
// `success_threshold` successes close it.
#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_n_concurrent_trials() {
    let b = CircuitBreaker::new("db", config().half_open_max_calls(3).success_threshold(3));
    for _ in 0..3 {
        let _ = b.call(fail()).await;
    }
    tokio::time::sleep(10 * S).await;
    let trial = || async {
        tokio::time::sleep(S).await;
        Ok::<(), ServiceDown>(())
    };
    let calls: Vec<_> = (0..5).map(|_| b.call(trial())).collect();
    let results = futures_join_all(calls).await;
    let admitted = results.iter().filter(|r| r.is_ok()).count();
    let rejected = results
        .iter()
        .filter(|r| matches!(r, Err(BreakerError::Open { .. })))
        .count();
    assert_eq!((admitted, rejected), (3, 2));
    assert_eq!(b.state(), BreakerState::Closed);
}

/// Polls every future to completion concurrently (the test crate has no `futures`).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

// S13.2, S13.5: a call over its timeout is a failure; an error whose disposition is stop is
// the caller's mistake and does not count; a classifier decides what counts.
#[tokio::test(start_paused = true)]
async fn timeouts_count_and_the_classifier_decides_the_rest() {
    let b = CircuitBreaker::new("db", config().call_timeout(2 * S));
    let slow = async {
        tokio::time::sleep(5 * S).await;
        Ok::<(), ServiceDown>(())
    };
    let started = Instant::now();
    assert_eq!(
        b.call(slow).await.unwrap_err(),
        BreakerError::Timeout {
            breaker: Arc::from("db"),
            after: 2 * S
        }
    );
    assert_eq!(started.elapsed(), 2 * S);
    assert_eq!(b.stats().consecutive_failures, 1);
    for _ in 0..5 {
        let mistake = async { Err::<(), Directed>(Directed::stop("bad request")) };
        assert!(b.call(mistake).await.is_err());
    }
    assert_eq!(
        b.stats().consecutive_failures,
        1,
        "stop errors do not count"
    );

    let picky = CircuitBreaker::new(
        "picky",
        config().classify(|e| e.downcast_ref::<ServiceDown>().is_some()),
    );
    for _ in 0..5 {
        let other = async { Err::<(), std::io::Error>(std::io::Error::other("not ours")) };
        let _ = picky.call(other).await;
    }
    assert_eq!(picky.state(), BreakerState::Closed);
}

// S13.1, S13.6: a breaker declared with the tree is reachable from its handle and from every
// child's context, and its state changes are events of the tree, with its name.
#[tokio::test(start_paused = true)]
async fn a_tree_breaker_is_shared_and_reports_its_changes() {
    let llm = CircuitBreaker::new("llm", config());
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let seen = Arc::new(AtomicUsize::new(0));
    let s = Arc::clone(&seen);
    let caller = ChildSpec::worker("caller", move |ctx: ChildContext| {
        let s = Arc::clone(&s);
        async move {
            let breaker = ctx.breaker("llm").expect("declared with the root");
            for _ in 0..3 {
                let _ = breaker.call(fail()).await;
            }
            s.fetch_add(1, Ordering::SeqCst);
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        }
    });
    let spec = SupervisorSpec::new("app")
        .breaker(llm.clone())
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("agents").child(caller),
        ));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let opened = until(&mut events, |e| matches!(e.kind, EventKind::Breaker { .. })).await;
    assert_eq!(&*opened.path, "llm");
    assert!(matches!(
        opened.kind,
        EventKind::Breaker {
            state: BreakerState::Open,
            consecutive_failures: 3,
            retry_in: Some(d)
        } if d == 10 * S
    ));
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let from_handle = app.breaker("llm").expect("reachable from the handle");
    assert_eq!(from_handle.state(), BreakerState::Open);
    assert_eq!(llm.state(), BreakerState::Open, "one breaker, shared");
    assert!(app.breaker("other").is_none());
    app.shutdown().await.unwrap();
}

// S13.7: a child that depends on an open breaker waits to restart until it lets trials
// through; the wait is visible in which_children.
#[tokio::test(start_paused = true)]
async fn a_restart_waits_for_its_breaker() {
    let llm = CircuitBreaker::new("llm", config());
    for _ in 0..3 {
        let _ = llm.call(fail()).await;
    }
    let opened = Instant::now();
    let agent = ChildSpec::worker("agent", |_ctx: ChildContext| async move {
        tokio::time::sleep(S).await;
        Err::<(), String>("model unreachable".into())
    })
    .depends_on(&llm);
    let spec = SupervisorSpec::new("app")
        .intensity(100, 60 * S)
        .child(agent);
    let app = Supervisor::start(spec).await.unwrap();
    let child = app.child::<NoMailbox>("agent").unwrap();
    tokio::time::sleep(S + 10 * MS).await;
    assert_eq!(child.state(), ChildState::Restarting);
    let info = &app.which_children().await.unwrap()[0];
    assert_eq!(info.waiting_for.as_deref(), Some("llm"));
    assert_eq!(info.restart_at, Some(opened + 10 * S));
    tokio::time::sleep_until(opened + 10 * S).await;
    tokio::time::sleep(MS).await;
    assert_eq!(
        child.incarnation(),
        Some(1),
        "restarted when the breaker let trials through"
    );
    app.shutdown().await.unwrap();
}

// S13.4 on a multi-thread runtime: however many callers race, no more than
// `half_open_max_calls` trials run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_permits_hold_under_contention() {
    let b = CircuitBreaker::new(
        "db",
        BreakerConfig::default()
            .failure_threshold(1)
            .reset_timeout(Duration::from_millis(1))
            .half_open_max_calls(2)
            .success_threshold(1_000_000)
            .jitter(0.0),
    );
    let _ = b.call(fail()).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let admitted = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (b, running, most, admitted) = (
            b.clone(),
            Arc::clone(&running),
            Arc::clone(&most),
            Arc::clone(&admitted),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                let r = b
                    .call(async {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok::<(), ServiceDown>(())
                    })
                    .await;
                if r.is_ok() {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(b.state(), BreakerState::HalfOpen);
    assert!(
        most.load(Ordering::SeqCst) <= 2,
        "{}",
        most.load(Ordering::SeqCst)
    );
    assert!(admitted.load(Ordering::SeqCst) > 0);
}

#[derive(Debug)]
enum ApiError {
    BadRequest,
    Down,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl supervisor::Disposition for ApiError {
    fn directive(&self) -> supervisor::Directive {
        match self {
            // The caller's mistake: a restart, or the breaker, would not help.
            ApiError::BadRequest => supervisor::Directive::Stop,
            ApiError::Down => supervisor::Directive::Restart,
        }
    }
}

// S13.5: a call may fail with any usual error type (one declaring a disposition, `String`,
// `anyhow::Error`, a boxed error); an error whose disposition is `stop` does not count.
#[tokio::test(start_paused = true)]
async fn any_error_type_counts_unless_its_disposition_is_stop() {
    let b = CircuitBreaker::new("api", config().failure_threshold(3));
    for _ in 0..5 {
        let e = b.call(async { Err::<(), _>(ApiError::BadRequest) }).await;
        assert!(matches!(e, Err(BreakerError::Failed(ApiError::BadRequest))));
    }
    #[cfg(feature = "anyhow")]
    {
        let stop: anyhow::Error = supervisor::Directed::stop("bad request").into();
        let _ = b.call(async { Err::<(), _>(stop) }).await;
    }
    let boxed: supervisor::BoxError = supervisor::Directed::stop("bad request").into();
    let _ = b.call(async { Err::<(), _>(boxed) }).await;
    assert_eq!(b.stats().failures, 0, "the caller's mistakes");
    let _ = b.call(async { Err::<(), String>("down".into()) }).await;
    let _ = b
        .call(async { Err::<(), _>(std::io::Error::other("down")) })
        .await;
    assert_eq!(b.stats().failures, 2);
    assert_eq!(b.state(), BreakerState::Closed);
    let _ = b.call(async { Err::<(), _>(ApiError::Down) }).await;
    assert_eq!(b.state(), BreakerState::Open);
}

// S13.5: with the feature `anyhow`, an `anyhow::Error` is read down its chain.
#[cfg(feature = "anyhow")]
#[tokio::test(start_paused = true)]
async fn an_anyhow_error_counts_unless_it_carries_a_stop() {
    let b = CircuitBreaker::new("api", config());
    let _ = b
        .call(async { Err::<(), _>(anyhow::anyhow!("down")) })
        .await;
    let stop = anyhow::Error::from(supervisor::Directed::stop("bad request")).context("calling");
    let _ = b.call(async { Err::<(), _>(stop) }).await;
    assert_eq!(b.stats().failures, 1);
}
