//! Heartbeats and the phi-accrual detector (S12), on the paused clock: a child that stops
//! beating is convicted at the instant the formula gives, one that beats steadily never is.

mod common;

use std::time::Duration;

use common::{until, MS, S};
use supervisor::{
    BoxError, ChildContext, ChildSpec, EventKind, ExitReason, Heartbeat, HeartbeatRule, NoMailbox,
    Observer, SpecRule, Supervisor, SupervisorSpec,
};
use tokio::time::Instant;

/// Beats every `every`, `beats` times, then goes silent (but keeps running); beats forever
/// when `beats` is `None`.
fn beater(every: Duration, beats: Option<u32>) -> ChildSpec {
    ChildSpec::worker("agent", move |ctx: ChildContext| async move {
        let mut n = 0;
        while beats.is_none_or(|b| n < b) {
            tokio::select! {
                _ = ctx.cancelled() => return Ok::<(), BoxError>(()),
                _ = tokio::time::sleep(every) => ctx.heartbeat(),
            }
            n += 1;
        }
        ctx.cancelled().await;
        Ok(())
    })
}

// S12.1-S12.3, S12.5: 20 beats 100 ms apart, then silence. The window holds the two priming
// samples (75 and 125 ms) and 20 intervals of 100 ms: mean 100 ms, deviation 7.5 ms, floored at
// 100 ms; with 3 s of acceptable pause, phi reaches 8 where Q(y) = 1e-8, y = 5.612001244, that
// is 3.1 s + 0.5612 s after the last beat (at 2 s): at 5.6612 s.
#[tokio::test(start_paused = true)]
async fn a_silent_child_is_convicted_at_the_computed_instant() {
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app")
        .child(beater(100 * MS, Some(20)).heartbeat(Heartbeat::every(100 * MS)));
    let origin = Instant::now();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let agent = app.child::<NoMailbox>("agent").unwrap();

    tokio::time::sleep(2 * S + 10 * MS).await;
    let fresh = agent.phi().expect("judged");
    assert!(fresh < 0.01, "just after a beat: {fresh}");

    let suspect = until(&mut events, |e| matches!(e.kind, EventKind::Suspect { .. })).await;
    let EventKind::Suspect { phi, .. } = suspect.kind else {
        unreachable!()
    };
    assert!(
        (phi - 4.0).abs() < 0.01,
        "suspect at half the threshold: {phi}"
    );

    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let expected = 2.0 + 3.1 + 5.612_001_244_174_788 * 0.1;
    let at = exit.at.duration_since(origin).as_secs_f64();
    assert!(
        (at - expected).abs() < 0.001,
        "convicted at {at} s, expected {expected} s"
    );
    let EventKind::Exited { reason, .. } = exit.kind else {
        unreachable!()
    };
    let ExitReason::HeartbeatsLost { phi, silence, busy } = reason else {
        panic!("{reason:?}")
    };
    // The timer fires on the next millisecond: phi is a little past 8.
    assert!((8.0..8.05).contains(&phi), "phi {phi}");
    assert!((silence.as_secs_f64() - (expected - 2.0)).abs() < 0.001);
    assert_eq!(busy, None, "S12.8: it never took a message");
    // Restarted, and judged afresh.
    tokio::time::sleep(MS).await;
    assert_eq!(agent.incarnation(), Some(1));
    app.shutdown().await.unwrap();
}

// S12.3: a child that beats like clockwork is never suspected over 24 simulated hours, and
// the detector wakes rarely: it is never polled.
#[tokio::test(start_paused = true)]
async fn a_steady_child_is_never_convicted_in_a_day() {
    let observer = Observer::with_capacity(1024);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(beater(S, None).heartbeat(Heartbeat::every(S)));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    tokio::time::sleep(24 * 3600 * S).await;
    let agent = app.child::<NoMailbox>("agent").unwrap();
    assert_eq!(agent.incarnation(), Some(0));
    assert!(agent.phi().unwrap() < 1.0);
    while let Ok(e) = events.try_recv() {
        assert!(
            !matches!(e.kind, EventKind::Suspect { .. } | EventKind::Exited { .. }),
            "{e:?}"
        );
    }
    app.shutdown().await.unwrap();
}

// S12.2: the incarnation's start is its first beat: a child that never beats is judged by
// the declared interval alone (mean 1 s, deviation 0.25 s): convicted 4 s + 5.612 x 0.25 s
// after it is up.
#[tokio::test(start_paused = true)]
async fn a_child_that_never_beats_is_judged_by_the_declared_interval() {
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(beater(S, Some(0)).heartbeat(Heartbeat::every(S)));
    let origin = Instant::now();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let expected = 4.0 + 5.612_001_244_174_788 * 0.25;
    let at = exit.at.duration_since(origin).as_secs_f64();
    assert!(
        (at - expected).abs() < 0.001,
        "convicted at {at} s, expected {expected} s"
    );
    app.shutdown().await.unwrap();
}

// S12.6, S1.4: settings that make no sense are spec errors; only workers beat.
#[test]
fn defaults_and_invalid_settings() {
    let h = Heartbeat::every(S);
    assert_eq!(Heartbeat::DEFAULT_THRESHOLD, 8.0);
    assert_eq!(Heartbeat::DEFAULT_WINDOW, 1000);
    assert_eq!(Heartbeat::DEFAULT_MIN_STD_DEVIATION, 100 * MS);
    assert_eq!(Heartbeat::DEFAULT_ACCEPTABLE_PAUSE, 3 * S);
    assert_eq!(Heartbeat::DEFAULT_MAX_LOCAL_PAUSE, 5 * S);
    let rule = |spec: ChildSpec| {
        SupervisorSpec::new("app")
            .child(spec)
            .validate()
            .err()
            .map(|e| e.rule)
    };
    let w = || beater(S, None);
    assert_eq!(rule(w().heartbeat(h)), None);
    assert_eq!(
        rule(w().heartbeat(Heartbeat::every(Duration::ZERO))),
        Some(SpecRule::Heartbeat(HeartbeatRule::ZeroInterval))
    );
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            rule(w().heartbeat(h.threshold(bad))),
            Some(SpecRule::Heartbeat(HeartbeatRule::BadThreshold))
        );
    }
    assert_eq!(
        rule(w().heartbeat(h.window(1))),
        Some(SpecRule::Heartbeat(HeartbeatRule::WindowTooSmall))
    );
    let sup = ChildSpec::supervisor(SupervisorSpec::new("inner").child(w())).heartbeat(h);
    assert_eq!(
        rule(sup),
        Some(SpecRule::Heartbeat(HeartbeatRule::OnSupervisor))
    );
}

/// A child with a mailbox that beats once, takes a request and, in its first incarnation when
/// `wedge` is set, hangs holding it: no beat, no answer, deaf to its stop. Returns when it
/// exited after its start, the exit's reason and what a call it held ended with.
async fn convicted(wedge: bool) -> (Duration, ExitReason, supervisor::CallError) {
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let agent = ChildSpec::with_mailbox(
        "agent",
        move |mut ctx: ChildContext<supervisor::Reply<u32>>| async move {
            ctx.heartbeat();
            let held = ctx.recv().await;
            if ctx.incarnation() == 0 {
                if wedge {
                    std::future::pending::<()>().await;
                }
                ctx.cancelled().await;
            }
            drop(held);
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        },
    )
    .heartbeat(Heartbeat::every(100 * MS));
    let spec = SupervisorSpec::new("app").child(agent);
    let origin = Instant::now();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let agent = app.child::<supervisor::Reply<u32>>("agent").unwrap();
    let call = tokio::spawn(async move { agent.call(|r| r, 60 * S).await });
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let restarted = until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
    })
    .await;
    // The restart follows the exit at once (no backoff).
    assert_eq!(restarted.at, exit.at);
    let EventKind::Exited { reason, .. } = exit.kind else {
        unreachable!()
    };
    let err = call.await.unwrap().unwrap_err();
    app.shutdown().await.unwrap();
    (exit.at.duration_since(origin), reason, err)
}

// S12.3, S11.2: a convicted child that ignores its stop is aborted after its conviction grace
// (1 s, below its 5 s shutdown timeout), and its exit, the event and a call it held all say
// "heartbeats lost", never "killed".
#[tokio::test(start_paused = true)]
async fn a_wedged_child_is_replaced_after_its_grace_with_one_reason() {
    let one_reason = |reason: &ExitReason, err: &supervisor::CallError| {
        assert!(
            matches!(reason, ExitReason::HeartbeatsLost { .. }),
            "{reason:?}"
        );
        assert!(
            matches!(
                err,
                supervisor::CallError::Exited {
                    reason: ExitReason::HeartbeatsLost { .. },
                    ..
                }
            ),
            "{err:?}"
        );
    };
    let (cooperative, reason, err) = convicted(false).await;
    one_reason(&reason, &err);
    let (wedged, reason, err) = convicted(true).await;
    assert_eq!(wedged, cooperative + S, "aborted after the 1 s grace");
    one_reason(&reason, &err);
}

/// An agent: takes prompts from its mailbox and beats once a prompt; wedges (awaits its stop,
/// beating no more) on the prompt "wedge".
fn agent(id: String) -> ChildSpec<String> {
    ChildSpec::with_mailbox(id, |mut ctx: ChildContext<String>| async move {
        while let Some(prompt) = ctx.recv().await {
            ctx.heartbeat();
            if prompt == "wedge" {
                ctx.cancelled().await;
            }
        }
        Ok::<(), BoxError>(())
    })
    .heartbeat(Heartbeat::every(S))
}

/// The latest beat's interval 1 s, no real sample: the mean 1 s and the deviation 0.25 s of the
/// priming samples, 3 s of acceptable pause, phi 8 at y = 5.612: 5.403 s after the last beat.
const CONVICT_AFTER: f64 = 1.0 + 3.0 + 5.612_001_244_174_788 * 0.25;

// S12.7: idle is not silence. A thousand agents waiting in `recv` for 24 simulated hours, each
// given a prompt every hour, are never suspected nor convicted; the one given a prompt that
// wedges it is convicted the computed time after it took it.
#[tokio::test(start_paused = true)]
async fn idle_agents_are_never_convicted_and_a_wedged_one_is_on_time() {
    let observer = Observer::with_capacity(1 << 16);
    let mut events = observer.subscribe();
    let mut spec = SupervisorSpec::new("fleet");
    for i in 0..1000 {
        spec = spec.child(agent(format!("a{i}")));
    }
    let origin = Instant::now();
    let fleet = Supervisor::start_observed(spec, &observer).await.unwrap();
    let agents: Vec<_> = (0..1000)
        .map(|i| fleet.child::<String>(&format!("a{i}")).unwrap())
        .collect();
    for hour in 0..24 {
        tokio::time::sleep(3600 * S).await;
        for (i, a) in agents.iter().enumerate() {
            if i % 24 == hour {
                a.send(format!("prompt {hour}")).await.unwrap();
            }
        }
    }
    tokio::time::sleep(3600 * S).await;
    while let Ok(e) = events.try_recv() {
        assert!(
            !matches!(e.kind, EventKind::Suspect { .. } | EventKind::Exited { .. }),
            "{e:?}"
        );
    }
    for a in &agents {
        assert_eq!(a.incarnation(), Some(0), "{}", a.id());
        assert!(a.phi().unwrap() < 1.0, "{}", a.id());
    }
    let sent = Instant::now();
    agents[7].send("wedge".to_string()).await.unwrap();
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    assert_eq!(&*exit.path, "fleet/a7");
    // S12.8: the conviction names the message that wedged it, and how long it had been busy.
    let EventKind::Exited { reason, .. } = &exit.kind else {
        unreachable!()
    };
    let ExitReason::HeartbeatsLost {
        busy: Some(busy), ..
    } = reason
    else {
        panic!("{reason:?}")
    };
    assert_eq!(busy.message, 2, "its hourly prompt, then the wedge");
    assert!(busy.message_type.ends_with("String"), "{busy:?}");
    assert!(
        (busy.since.as_secs_f64() - CONVICT_AFTER).abs() < 0.002,
        "{busy:?}"
    );
    assert!(
        reason.to_string().ends_with(&format!(
            "busy for {:?} with message 2 (String)",
            busy.since
        )),
        "{reason}"
    );
    let after = exit.at.duration_since(sent).as_secs_f64();
    assert!(
        (after - CONVICT_AFTER).abs() < 0.002,
        "convicted {after} s after the prompt, expected {CONVICT_AFTER} s"
    );
    assert!(origin.elapsed() > 25 * 3600 * S);
    fleet.shutdown().await.unwrap();
}

// S12.7: a wait declared idle is not judged, and its end counts as a beat; waiting for the stop
// is not idle.
#[tokio::test(start_paused = true)]
async fn a_wait_declared_idle_is_not_judged_and_its_end_is_a_beat() {
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::worker("poller", |ctx: ChildContext| async move {
            ctx.idle(tokio::time::sleep(3600 * S)).await;
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        })
        .heartbeat(Heartbeat::every(S)),
    );
    let origin = Instant::now();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let poller = app.child::<NoMailbox>("poller").unwrap();
    tokio::time::sleep(3599 * S).await;
    assert_eq!(poller.phi(), Some(0.0), "not judged while idle");
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let at = exit.at.duration_since(origin).as_secs_f64();
    let expected = 3600.0 + CONVICT_AFTER;
    assert!(
        (at - expected).abs() < 0.002,
        "convicted at {at} s, expected {expected} s"
    );
    app.shutdown().await.unwrap();
}

// S12.7: a `recv` dropped in a `select!` ends its idle wait as a return does: the worker is
// judged again from then.
#[tokio::test(start_paused = true)]
async fn a_recv_cancelled_in_a_select_ends_the_idle_wait() {
    let observer = Observer::with_capacity(256);
    let mut events = observer.subscribe();
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::with_mailbox("a", |mut ctx: ChildContext<String>| async move {
            tokio::select! {
                _ = ctx.recv() => {}
                _ = tokio::time::sleep(10 * S) => {}
            }
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        })
        .heartbeat(Heartbeat::every(S)),
    );
    let origin = Instant::now();
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let exit = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let at = exit.at.duration_since(origin).as_secs_f64();
    let expected = 10.0 + CONVICT_AFTER;
    assert!(
        (at - expected).abs() < 0.002,
        "convicted at {at} s, expected {expected} s"
    );
    app.shutdown().await.unwrap();
}

// S12.7, on two threads in real time: an idle wait that ends just as the judge parks never
// leaves the judge asleep. Each round the agent idles for a few hundred microseconds, takes a
// prompt that wedges it, and must be convicted; a lost wake would leave it wedged for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_wait_ending_as_the_judge_parks_never_loses_the_wake() {
    let observer = Observer::with_capacity(4096);
    let mut events = observer.subscribe();
    let beat = Heartbeat::every(Duration::from_micros(200))
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(Duration::from_micros(50));
    let spec = SupervisorSpec::new("app")
        .intensity(10_000, S)
        .child(agent("a".to_string()).heartbeat(beat));
    let app = Supervisor::start_observed(spec, &observer).await.unwrap();
    let a = app.child::<String>("a").unwrap();
    for round in 0..200u64 {
        tokio::time::sleep(Duration::from_micros(100 + (round * 37) % 400)).await;
        a.send("wedge".to_string()).await.unwrap();
        let exit = tokio::time::timeout(
            5 * S,
            until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })),
        )
        .await
        .unwrap_or_else(|_| panic!("round {round}: the wedged agent was never convicted"));
        let EventKind::Exited { reason, .. } = exit.kind else {
            unreachable!()
        };
        assert!(
            matches!(reason, ExitReason::HeartbeatsLost { .. }),
            "{reason:?}"
        );
        // The next incarnation is up before the next round.
        while a.incarnation() != Some(round + 1) {
            tokio::time::sleep(Duration::from_micros(50)).await;
        }
    }
    app.shutdown().await.unwrap();
}
