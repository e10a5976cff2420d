//! Request and reply (S14.4) with any child that has a mailbox: every way a call can end, on
//! the paused clock, and calls racing crashes on a multi-thread runtime.

mod common;

use std::time::Duration;

use common::{settle, S};
use supervisor::{
    Backoff, BoxError, CallError, ChildContext, ChildSpec, ExitReason, Gone, Reply, Supervisor,
    SupervisorSpec,
};
use tokio::time::Instant;

#[derive(Debug)]
enum Ask {
    /// Answered at once.
    Echo(String, Reply<String>),
    /// Never answered; the reply slot is kept.
    Ignore(Reply<String>),
    /// Dropped unanswered; the worker runs on.
    Drop(Reply<String>),
    /// The worker panics holding the request.
    Panic(Reply<String>),
    /// The worker fails holding the request.
    Fail(Reply<String>),
}

async fn server(mut ctx: ChildContext<Ask>) -> Result<(), BoxError> {
    let mut kept = Vec::new();
    while let Some(ask) = ctx.recv().await {
        match ask {
            Ask::Echo(s, reply) => {
                let _ = reply.send(format!("{s} from incarnation {}", ctx.incarnation()));
            }
            Ask::Ignore(reply) => kept.push(reply),
            Ask::Drop(reply) => drop(reply),
            Ask::Panic(_reply) => panic!("crashed holding a request"),
            Ask::Fail(_reply) => return Err("failed holding a request".into()),
        }
    }
    Ok(())
}

async fn started() -> (supervisor::SupervisorHandle, supervisor::ChildRef<Ask>) {
    let spec = SupervisorSpec::new("app")
        .intensity(100, 60 * S)
        .child(ChildSpec::with_mailbox("server", server).backoff(Backoff::fixed(S)));
    let app = Supervisor::start(spec).await.unwrap();
    let server = app.child::<Ask>("server").unwrap();
    (app, server)
}

// S14.4: the answer comes back.
#[tokio::test(start_paused = true)]
async fn a_call_returns_the_reply() {
    let (app, server) = started().await;
    let answer = server.call(|r| Ask::Echo("hi".into(), r), S).await.unwrap();
    assert_eq!(answer, "hi from incarnation 0");
    app.shutdown().await.unwrap();
}

// S14.4: no answer within the timeout is a timeout, at the timeout.
#[tokio::test(start_paused = true)]
async fn an_unanswered_call_times_out() {
    let (app, server) = started().await;
    let t = Instant::now();
    let err = server.call(Ask::Ignore, 2 * S).await.unwrap_err();
    assert!(
        matches!(err, CallError::Timeout(d) if d == 2 * S),
        "{err:?}"
    );
    assert_eq!(t.elapsed(), 2 * S);
    app.shutdown().await.unwrap();
}

// S14.4: a worker that dies holding the request ends the call at once, with its exit reason.
#[tokio::test(start_paused = true)]
async fn a_worker_that_dies_holding_the_request_ends_the_call_with_its_exit() {
    let (app, server) = started().await;
    let t = Instant::now();
    let err = server.call(Ask::Panic, 10 * S).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Exited { reason: ExitReason::Panic(m), .. } if m.contains("crashed")),
        "{err:?}"
    );
    assert_eq!(t.elapsed(), Duration::ZERO, "not at the timeout");
    // Sent while it waits 1 s of backoff: answered by the next incarnation (S9.8).
    let answer = server.call(|r| Ask::Echo("again".into(), r), 10 * S).await;
    assert_eq!(answer.unwrap(), "again from incarnation 1");
    let err = server.call(Ask::Fail, 10 * S).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Exited { reason: ExitReason::Error(e), .. } if e.to_string().contains("failed")),
        "{err:?}"
    );
    app.shutdown().await.unwrap();
}

// S14.4: a request dropped by a worker that runs on is unanswered, at once: the answer can no
// longer come.
#[tokio::test(start_paused = true)]
async fn a_dropped_request_is_unanswered_at_once() {
    let (app, server) = started().await;
    let t = Instant::now();
    let err = server.call(Ask::Drop, 3 * S).await.unwrap_err();
    assert!(matches!(err, CallError::Unanswered), "{err:?}");
    assert_eq!(t.elapsed(), Duration::ZERO);
    // The worker ran on: the next call is answered by the same incarnation.
    let answer = server.call(|r| Ask::Echo("still".into(), r), S).await;
    assert_eq!(answer.unwrap(), "still from incarnation 0");
    app.shutdown().await.unwrap();
}

// S14.4, S9.8: a child that is gone answers at once, and a request queued when it goes is not
// left waiting.
#[tokio::test(start_paused = true)]
async fn a_gone_child_ends_the_call_at_once() {
    let (app, server) = started().await;
    // Stopped: requests queue for the next incarnation.
    app.terminate_child("server").await.unwrap();
    let pending = tokio::spawn({
        let server = server.clone();
        async move { server.call(|r| Ask::Echo("late".into(), r), 10 * S).await }
    });
    settle().await;
    app.delete_child("server").await.unwrap();
    let t = Instant::now();
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err, CallError::Gone(Gone::Deleted)), "{err:?}");
    assert_eq!(t.elapsed(), Duration::ZERO);
    let err = server.call(Ask::Ignore, S).await.unwrap_err();
    assert!(matches!(err, CallError::Gone(Gone::Deleted)), "{err:?}");
    app.shutdown().await.unwrap();
}

// S14.4 on a multi-thread runtime: calls racing a worker that crashes on every third request
// all end, each with an answer or the exit of the incarnation that held it, never another's
// (each exit names the request its incarnation held).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_racing_crashes_never_hang() {
    async fn flaky(mut ctx: ChildContext<Ask>) -> Result<(), BoxError> {
        let mut n = 0u32;
        while let Some(ask) = ctx.recv().await {
            n += 1;
            if let Ask::Echo(s, reply) = ask {
                if n.is_multiple_of(3) {
                    return Err(s.into());
                }
                let _ = reply.send(s);
            }
        }
        Ok(())
    }
    let spec = SupervisorSpec::new("app")
        .intensity(u32::MAX, S)
        .child(ChildSpec::with_mailbox("flaky", flaky));
    let app = Supervisor::start(spec).await.unwrap();
    let flaky = app.child::<Ask>("flaky").unwrap();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let flaky = flaky.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut exited) = (0, 0);
            for j in 0..100 {
                match flaky
                    .call(
                        |r| Ask::Echo(format!("{i}-{j}"), r),
                        Duration::from_secs(30),
                    )
                    .await
                {
                    Ok(s) => {
                        assert_eq!(s, format!("{i}-{j}"));
                        ok += 1;
                    }
                    Err(CallError::Exited {
                        reason: ExitReason::Error(e),
                        ..
                    }) => {
                        assert_eq!(e.to_string(), format!("{i}-{j}"), "another's exit");
                        exited += 1;
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
            (ok, exited)
        }));
    }
    let (mut ok, mut exited) = (0, 0);
    for t in tasks {
        let (o, e) = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no call hangs")
            .unwrap();
        ok += o;
        exited += e;
    }
    assert_eq!(ok + exited, 400);
    assert!(ok > 0 && exited > 0, "{ok} answered, {exited} exited");
    app.shutdown().await.unwrap();
}
