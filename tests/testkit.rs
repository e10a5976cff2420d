//! The test kit (S22), on the paused clock: each fault produces its documented events at its
//! time, schedules strike as written, a seed replays a run (jitter and draws included), a
//! failing expectation says what it saw and how to replay it, and one seed's journal is a
//! golden file.

use std::time::Duration;

use supervisor::testkit::{
    exited, gave_up, gone, health, restarting, start_failed, started, stopped, Fault, TestKit,
};
use supervisor::{
    async_trait, supervision_tree, Backoff, BoxError, ChildContext, ChildSpec, EventKind, Health,
    HealthCheck, Overflow, PoolSpec, ProbeContext, Shutdown, Supervisor, SupervisorSpec, Template,
    Worker,
};

const MS: Duration = Duration::from_millis(1);
const S: Duration = Duration::from_secs(1);

async fn idle(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.cancelled().await;
    Ok(())
}

fn app(children: impl IntoIterator<Item = ChildSpec>) -> SupervisorSpec {
    SupervisorSpec::new("app")
        .intensity(1_000, S)
        .children(children)
}

// S22.1: panic, error and normal exit strike at their time, on the incarnations asked for.
#[tokio::test(start_paused = true)]
async fn run_faults_strike_at_their_time() {
    let kit = TestKit::with_seed(1);
    let _installed = kit.install();
    kit.fault("app/a", Fault::panic().after(2 * S).once())
        .fault("app/b", Fault::error().on_incarnations([1]))
        .fault("app/c", Fault::exit().after(S).times(2));
    let t0 = tokio::time::Instant::now();
    let tree = Supervisor::start(app([
        ChildSpec::worker("a", idle),
        ChildSpec::worker("b", idle),
        ChildSpec::worker("c", idle),
    ]))
    .await
    .unwrap();
    let e = kit.expect(exited("app/c").normally().incarnation(0)).await;
    assert_eq!(e.at - t0, S);
    let e = kit.expect(exited("app/a").panicked().incarnation(0)).await;
    assert_eq!(e.at - t0, 2 * S);
    kit.expect(restarting("app/a").after(Duration::ZERO)).await;
    let e = kit.expect(exited("app/c").normally().incarnation(1)).await;
    assert_eq!(e.at - t0, 2 * S);
    // Once: the second incarnation of `a` runs on; `b` fails only on its incarnation 1,
    // which a terminate and restart brings.
    tree.root().terminate_child("b").await.unwrap();
    tree.root().restart_child("b").await.unwrap();
    kit.expect(exited("app/b").errored().incarnation(1)).await;
    kit.expect(started("app/b").incarnation(2)).await;
    kit.expect_quiet(60 * S).await;
    tree.shutdown().await.unwrap();
}

// S22.1: a fault every period strikes whichever incarnation runs then, counted from when it
// was given (and its delay), not from each start.
#[tokio::test(start_paused = true)]
async fn a_fault_every_period_strikes_on_the_clock() {
    let kit = TestKit::with_seed(3);
    let _installed = kit.install();
    let t0 = tokio::time::Instant::now();
    kit.fault("app/a", Fault::panic().every(10 * S))
        .fault("app/b", Fault::error().after(5 * S).every(10 * S).times(2));
    let tree = Supervisor::start(app([
        ChildSpec::worker("a", idle).backoff(Backoff::fixed(S)),
        ChildSpec::worker("b", idle).backoff(Backoff::fixed(3 * S)),
    ]))
    .await
    .unwrap();
    let mut seen = Vec::new();
    for m in [
        exited("app/b").errored().incarnation(0),
        exited("app/a").panicked().incarnation(0),
        exited("app/b").errored().incarnation(1),
        exited("app/a").panicked().incarnation(1),
        exited("app/a").panicked().incarnation(2),
    ] {
        seen.push((kit.expect(m).await.at - t0).as_secs());
    }
    assert_eq!(
        seen,
        [5, 10, 15, 20, 30],
        "on the clock, not a period after each restart"
    );
    // Twice for b, then no more: once a is stopped (in its backoff), nothing happens.
    kit.expect(restarting("app/a").after(S)).await;
    tree.root().terminate_child("a").await.unwrap();
    kit.expect_quiet(60 * S).await;
    tree.shutdown().await.unwrap();
}

/// A worker with `init`, whose start can fail.
struct WithInit;

#[async_trait]
impl Worker for WithInit {
    async fn init(&mut self, _ctx: &mut ChildContext) -> Result<(), BoxError> {
        Ok(())
    }

    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        ctx.cancelled().await;
        Ok(())
    }
}

// S22.1: a failed start, a slow start, a hang, a hang ignoring the stop, a slow stop.
#[tokio::test(start_paused = true)]
async fn start_and_stop_faults() {
    let kit = TestKit::with_seed(2);
    let _installed = kit.install();
    // The first start must succeed (a failed first start fails the tree's start, S9.6):
    // incarnation 0 panics at 1 s, and its restart's start fails.
    kit.fault("app/init", Fault::panic().after(S).on_incarnations([0]))
        .fault("app/init", Fault::fail_start().on_incarnations([1]))
        .fault("app/slow", Fault::slow_start(3 * S))
        .fault("app/hung", Fault::hang())
        .fault("app/deaf", Fault::hang_ignoring_stop())
        .fault("app/lazy", Fault::slow_stop(500 * MS));
    let t0 = tokio::time::Instant::now();
    let spec = app([
        ChildSpec::from_worker("init", || WithInit).backoff(Backoff::fixed(S)),
        ChildSpec::from_worker("slow", || WithInit),
        ChildSpec::worker("hung", idle),
        ChildSpec::worker("deaf", idle).shutdown(Shutdown::Timeout(2 * S)),
        ChildSpec::worker("lazy", idle).shutdown(Shutdown::Timeout(2 * S)),
    ]);
    let start = tokio::spawn(Supervisor::start(spec));
    let e = kit.expect(started("app/slow")).await;
    assert_eq!(e.at - t0, 3 * S, "up 3 s late");
    let tree = start.await.unwrap().unwrap();
    kit.expect(start_failed("app/init").incarnation(1)).await;
    let e = kit.expect(started("app/init").incarnation(2)).await;
    assert_eq!(e.at - t0, 5 * S, "after its backoff of 1 s");

    let stopping = tokio::time::Instant::now();
    tree.shutdown_token().cancel();
    // Reverse start order: lazy takes 500 ms more, deaf is killed at its 2 s, hung stops.
    let e = kit.expect(stopped("app/lazy")).await;
    assert_eq!(e.at - stopping, 500 * MS);
    let e = kit.expect(stopped("app/deaf").killed()).await;
    assert_eq!(e.at - stopping, 500 * MS + 2 * S);
    let e = kit.expect(stopped("app/hung")).await;
    assert_eq!(e.at - stopping, 500 * MS + 2 * S);
    kit.expect_ended("app").await;
    tree.join().await.unwrap();
}

// S22.1: the current incarnation struck now: a panic, an error, an exit at the strike's
// instant; a slow stop and a hang ignoring the stop, felt when the stop comes; a glob strikes
// every running incarnation it names, and a node that is not running is not struck.
#[tokio::test(start_paused = true)]
async fn strikes_hit_the_running_incarnation_now() {
    let kit = TestKit::with_seed(4);
    let _installed = kit.install();
    let tree = Supervisor::start(app([
        ChildSpec::worker("a", idle),
        ChildSpec::worker("b", idle),
        ChildSpec::worker("c", idle).shutdown(Shutdown::Timeout(2 * S)),
        ChildSpec::worker("d", idle).shutdown(Shutdown::Timeout(2 * S)),
    ]))
    .await
    .unwrap();
    tokio::time::sleep(3 * S).await;
    let now = tokio::time::Instant::now();
    assert_eq!(kit.strike("app/a", Fault::panic()), 1);
    let e = kit.expect(exited("app/a").panicked().incarnation(0)).await;
    assert_eq!(e.at, now, "at the strike's instant");
    assert_eq!(kit.strike("app/b", Fault::error()), 1);
    kit.expect(exited("app/b").errored().incarnation(0)).await;
    kit.expect(started("app/b").incarnation(1)).await;
    // Every running incarnation under app: four.
    assert_eq!(kit.strike("app/*", Fault::exit()), 4);
    kit.expect_all([
        exited("app/a").normally().incarnation(1),
        exited("app/b").normally().incarnation(1),
        exited("app/c").normally().incarnation(0),
        exited("app/d").normally().incarnation(0),
    ])
    .await;
    kit.expect(started("app/d").incarnation(1)).await;
    assert_eq!(kit.strike("app/c", Fault::slow_stop(700 * MS)), 1);
    assert_eq!(kit.strike("app/d", Fault::hang_ignoring_stop()), 1);
    // A terminated node has nothing running to strike.
    tree.root().terminate_child("a").await.unwrap();
    assert_eq!(kit.strike("app/a", Fault::panic()), 0);
    let stopping = tokio::time::Instant::now();
    tree.shutdown_token().cancel();
    let e = kit.expect(stopped("app/d").killed()).await;
    assert_eq!(e.at - stopping, 2 * S, "killed at its shutdown timeout");
    let e = kit.expect(stopped("app/c")).await;
    assert_eq!(e.at - stopping, 2 * S + 700 * MS, "700 ms late");
    kit.expect_ended("app").await;
    tree.join().await.unwrap();
    kit.assert_invariants();
}

// S22.1: faults of a start and probe answers strike only what is to come.
#[tokio::test(start_paused = true)]
#[should_panic(expected = "a fault of a start cannot strike a running incarnation")]
async fn a_start_fault_cannot_strike_now() {
    let kit = TestKit::with_seed(4);
    kit.strike("app/a", Fault::fail_start());
}

async fn counter(mut ctx: ChildContext<u32>) -> Result<(), BoxError> {
    while ctx.recv().await.is_some() {
        tokio::time::sleep(MS).await;
    }
    Ok(())
}

// S22.3, S9.8, S14.3, S14.5: every message a mailbox accepted is taken by an incarnation,
// reported undelivered, dropped to make room or moved to another slot: through restarts struck
// while messages wait, a drop_oldest pool overflowing, a pool shrinking with messages queued,
// and the tree's end with messages left.
#[tokio::test(start_paused = true)]
async fn every_accepted_message_is_accounted_for() {
    let kit = TestKit::with_seed(5);
    let _installed = kit.install();
    let template = Template::<usize, u32>::new(|ctx: ChildContext<u32>, _slot: usize| counter(ctx))
        .mailbox_capacity(4);
    let tree = Supervisor::start(
        app([])
            .child(ChildSpec::with_mailbox("counter", counter).mailbox_capacity(64))
            .child(ChildSpec::supervisor(
                PoolSpec::new("ring", 2, template.clone()).overflow(Overflow::DropOldest),
            ))
            .child(ChildSpec::supervisor(PoolSpec::new("pool", 3, template))),
    )
    .await
    .unwrap();
    let counter_ref = tree.root().child::<u32>("counter").unwrap();
    let ring = tree.root().pool::<u32>("ring").unwrap();
    let pool = tree.root().pool::<u32>("pool").unwrap();
    for round in 0..20u32 {
        for n in 0..10 {
            counter_ref.send(round * 10 + n).await.unwrap();
            ring.send(n).await.unwrap();
        }
        for n in 0..8 {
            pool.send(n).await.unwrap();
        }
        if round % 3 == 0 {
            kit.strike("app/counter", Fault::panic());
            kit.strike("app/ring/*", Fault::error());
        }
        tokio::time::sleep(2 * MS).await;
    }
    assert!(ring.dropped() > 0, "the ring overflowed");
    pool.resize(1).await.unwrap();
    for n in 0..30 {
        counter_ref.send(n).await.unwrap();
    }
    tree.shutdown().await.unwrap();
    let e = kit.expect(gone("app/counter")).await;
    assert!(
        matches!(e.kind, EventKind::Gone { undelivered, .. } if undelivered > 0),
        "messages were left at the end: {e:?}"
    );
    kit.assert_invariants();
}

// S22.1: a probe made to answer unhealthy convicts the child (S11.2).
#[tokio::test(start_paused = true)]
async fn probe_answers_are_scripted() {
    let kit = TestKit::with_seed(3);
    let _installed = kit.install();
    kit.fault(
        "app/db",
        Fault::probe(Health::unhealthy("scripted")).on_incarnations([0]),
    );
    let check = HealthCheck::new(|_p: ProbeContext| async { Health::Healthy })
        .interval(S)
        .timeout(100 * MS)
        .failure_threshold(2);
    let tree = Supervisor::start(app([ChildSpec::worker("db", idle).health(check)]))
        .await
        .unwrap();
    kit.expect(health("app/db")).await;
    let e = kit.expect(exited("app/db").incarnation(0)).await;
    assert!(format!("{e:?}").contains("scripted"), "{e:?}");
    // The next incarnation's probe is its own: healthy.
    kit.expect(started("app/db").incarnation(1)).await;
    kit.expect(health("app/db")).await;
    kit.expect_quiet(10 * S).await;
    tree.shutdown().await.unwrap();
}

supervision_tree! {
    /// A tree from the macro, unchanged for the kit.
    Shop: one_for_one(max_restarts = 3, within = 10s) {
        db: worker(idle) [backoff = exponential(100ms, 2s, jitter = 0.5)],
        api: worker(idle),
    }
}

async fn crash_loop(kit: TestKit) {
    // The database panics a second into each incarnation; the api fails now and then, as the
    // seed draws it. The jitter of db's backoff comes from the seed too.
    kit.fault("shop/db", Fault::panic().after(S)).fault(
        "shop/api",
        Fault::error().after(700 * MS).with_probability(0.5),
    );
    let shop = Shop::start().await.unwrap();
    kit.expect(gave_up("shop")).await;
    let _ = shop.join().await;
}

// S22.2: one seed, one run: the jitter and the draws replay; the journal has no addresses.
#[tokio::test(start_paused = true)]
async fn a_seed_replays_its_run() {
    let journal = TestKit::check_determinism(7, crash_loop).await.unwrap();
    assert!(journal.contains("shop/db exited #0 panic: panicked: injected: panic -> restart"));
    assert!(!journal.contains("0x"), "no addresses: {journal}");
    let other = TestKit::check_determinism(8, crash_loop).await.unwrap();
    assert_ne!(
        journal, other,
        "another seed, another run (jitter and draws)"
    );
}

// S22.2: a golden journal for one seed.
#[tokio::test(start_paused = true)]
async fn the_journal_of_seed_7_is_golden() {
    let journal = TestKit::check_determinism(7, crash_loop).await.unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/testkit_seed_7.journal"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &journal).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("the golden journal");
    assert_eq!(journal, golden, "UPDATE_GOLDEN=1 writes it anew");
}

// S22.3: a failing expectation says what it wanted, every event seen since the last match,
// the tree as it is, and the line that replays the test.
#[tokio::test(start_paused = true)]
async fn an_unmet_expectation_explains_itself() {
    let kit = TestKit::with_seed(99);
    let _installed = kit.install();
    kit.patience(5 * S);
    kit.fault("app/a", Fault::error().after(S).once());
    let tree = Supervisor::start(app([ChildSpec::worker("a", idle)]))
        .await
        .unwrap();
    let unmet = kit
        .try_expect(exited("app/a").panicked())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        unmet.contains("expected within 5s: exited(\"app/a\").panicked()"),
        "{unmet}"
    );
    assert!(
        unmet.contains("app/a exited #0 error: injected: error -> restart"),
        "{unmet}"
    );
    assert!(unmet.contains("app/a started #1"), "{unmet}");
    assert!(
        unmet.contains("the tree now:\n  app (one_for_one"),
        "{unmet}"
    );
    assert!(
        unmet.contains("SUPERVISOR_TEST_SEED=99 cargo test"),
        "{unmet}"
    );
    assert!(
        unmet.contains("an_unmet_expectation_explains_itself"),
        "{unmet}"
    );
    tree.shutdown().await.unwrap();
}

// S22.3: expectations in any order, and a path that has ended.
#[tokio::test(start_paused = true)]
async fn sets_in_any_order_and_ends() {
    let kit = TestKit::with_seed(5);
    let _installed = kit.install();
    // `once` is once for the glob: the first incarnation asked about, `a`'s, ends.
    kit.fault("app/*", Fault::exit().after(S).once());
    let tree = Supervisor::start(app([
        ChildSpec::worker("a", idle).restart(supervisor::Restart::Temporary),
        ChildSpec::worker("b", idle).restart(supervisor::Restart::Temporary),
    ]))
    .await
    .unwrap();
    kit.expect_all([gone("app/a"), exited("app/a").normally()])
        .await;
    kit.expect_quiet(10 * S).await;
    assert_eq!(tree.root().which_children().await.unwrap().len(), 1);
    tree.shutdown().await.unwrap();
    kit.expect_ended("app").await;
}

// S22.3: faults drawn from the seed all over a tree, and the invariants hold through them and
// after the shutdown.
#[tokio::test(start_paused = true)]
async fn the_invariants_hold_through_random_faults() {
    let kit = TestKit::with_seed(2026);
    let _installed = kit.install();
    kit.fault(
        "app/**",
        Fault::panic().after(300 * MS).with_probability(0.3),
    )
    .fault(
        "app/**",
        Fault::error().after(500 * MS).with_probability(0.3),
    )
    .fault("app/**", Fault::hang_ignoring_stop().with_probability(0.1));
    let inner = SupervisorSpec::new("inner")
        .strategy(supervisor::Strategy::OneForAll)
        .intensity(10_000, S)
        .children(
            (0..4).map(|i| ChildSpec::worker(format!("w{i}"), idle).shutdown(Shutdown::Timeout(S))),
        );
    let spec = app((0..4).map(|i| {
        ChildSpec::worker(format!("c{i}"), idle)
            .backoff(Backoff::exponential(10 * MS, S).jitter(0.5))
            .shutdown(Shutdown::Timeout(S))
    }))
    .intensity(10_000, S)
    .child(ChildSpec::supervisor(inner));
    let tree = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(30 * S).await;
    tree.shutdown().await.unwrap();
    kit.expect_ended("app").await;
    let journal = kit.journal();
    assert!(
        journal.matches("restarting").count() > 10,
        "faults struck:\n{journal}"
    );
    kit.assert_invariants();
}

async fn beating(ctx: ChildContext) -> Result<(), BoxError> {
    loop {
        ctx.heartbeat();
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = tokio::time::sleep(100 * MS) => {}
        }
    }
}

// S22.1, S12: a hang stops the work, and with it the heartbeats: the judge convicts.
#[tokio::test(start_paused = true)]
async fn a_hang_silences_the_heartbeats() {
    let kit = TestKit::with_seed(11);
    let _installed = kit.install();
    kit.fault("app/agent", Fault::hang().after(2 * S).on_incarnations([0]));
    let spec =
        app(
            [
                ChildSpec::worker("agent", beating)
                    .heartbeat(supervisor::Heartbeat::every(100 * MS)),
            ],
        );
    let tree = Supervisor::start(spec).await.unwrap();
    let e = kit.expect(exited("app/agent").incarnation(0)).await;
    let supervisor::EventKind::Exited { reason, .. } = &e.kind else {
        unreachable!()
    };
    assert_eq!(reason.kind(), "heartbeats lost", "{reason}");
    kit.expect(started("app/agent").incarnation(1)).await;
    kit.expect_quiet(10 * S).await;
    tree.shutdown().await.unwrap();
}

// S22.1, S13.7: a tripped breaker holds its dependents' restarts until it lets a trial
// through.
#[tokio::test(start_paused = true)]
async fn a_tripped_breaker_holds_the_restarts_of_its_dependents() {
    let kit = TestKit::with_seed(12);
    let _installed = kit.install();
    let upstream = supervisor::CircuitBreaker::new(
        "upstream",
        supervisor::BreakerConfig::default().reset_timeout(5 * S),
    );
    kit.fault("app/client", Fault::error().after(S).once());
    let spec =
        app([ChildSpec::worker("client", idle).depends_on(&upstream)]).breaker(upstream.clone());
    let t0 = tokio::time::Instant::now();
    let tree = Supervisor::start(spec).await.unwrap();
    kit.trip(&upstream);
    kit.expect(exited("app/client").errored()).await;
    let e = kit.expect(started("app/client").incarnation(1)).await;
    // The breaker opened at 0 for 5 s: the restart decided at 1 s waits until then.
    assert_eq!(e.at - t0, 5 * S);
    tree.shutdown().await.unwrap();
}

// S22.2: repeated runs get fresh seeds and fresh kits, each installed for its run.
#[tokio::test(start_paused = true)]
async fn repeated_runs_get_new_seeds() {
    let mut seeds = Vec::new();
    TestKit::repeat_runs(3, |kit| {
        seeds.push(kit.seed());
        async move {
            kit.fault("app/a", Fault::error().after(S).once());
            let tree = Supervisor::start(app([ChildSpec::worker("a", idle)]))
                .await
                .unwrap();
            kit.expect(exited("app/a").errored()).await;
            tree.shutdown().await.unwrap();
            assert!(kit.violations().is_empty(), "{:?}", kit.violations());
        }
    })
    .await;
    assert_eq!(seeds.len(), 3);
    seeds.dedup();
    assert_eq!(seeds.len(), 3, "a new seed for each run");
}

// S22.3, S4: with tight intensities and random faults, every restart is within its
// supervisor's intensity and every give-up is beyond it, over twenty seeds.
#[tokio::test(start_paused = true)]
async fn restarts_and_give_ups_match_the_intensity_model() {
    let mut gave_up = 0;
    for seed in 0..20 {
        let kit = TestKit::with_seed(seed);
        let installed = kit.install();
        kit.fault(
            "app/**",
            Fault::panic().after(200 * MS).with_probability(0.4),
        )
        .fault("app/**", Fault::fail_start().with_probability(0.1));
        let inner = SupervisorSpec::new("inner")
            .strategy(supervisor::Strategy::RestForOne)
            .intensity(2, 2 * S)
            .children((0..3).map(|i| ChildSpec::worker(format!("w{i}"), idle)));
        let spec = SupervisorSpec::new("app")
            .intensity(3, 5 * S)
            .children((0..3).map(|i| {
                ChildSpec::worker(format!("c{i}"), idle).backoff(Backoff::fixed(300 * MS))
            }))
            .child(ChildSpec::supervisor(inner));
        // A failed first start fails the tree's start (S9.6): nothing to check then.
        let Ok(tree) = Supervisor::start(spec).await else {
            drop(installed);
            continue;
        };
        tokio::time::sleep(60 * S).await;
        if tree.join_now_or_shutdown().await {
            gave_up += 1;
        }
        kit.expect_ended("app").await;
        if !kit.violations().is_empty() {
            eprintln!("{}", kit.journal());
        }
        kit.assert_invariants();
        drop(installed);
    }
    assert!(gave_up > 0, "some runs gave up");
}

trait JoinOrShutdown {
    /// Whether the tree had given up; shuts it down otherwise.
    async fn join_now_or_shutdown(&self) -> bool;
}

impl JoinOrShutdown for supervisor::SupervisorHandle {
    async fn join_now_or_shutdown(&self) -> bool {
        if self.shutdown_token().is_cancelled() {
            return false;
        }
        matches!(self.shutdown().await, Err(supervisor::TreeError::GaveUp(_)))
    }
}
