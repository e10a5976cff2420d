//! The features beyond OTP under the same faults, each child with the invariant it must keep:
//! a decider (restart, stop, escalate), a probe that fails or hangs, heartbeats that stop, a
//! breaker and a child that depends on it, a pool under sends, calls and resizes, calls to a
//! crashing mailbox worker, and carried state.
//!
//! Checks, beside the harness's:
//! - a decider's directive is what happens: no restart after `stop`, the parent gives up after
//!   `escalate` (S10);
//! - convictions neither false nor missed: a probe is never asked again after
//!   `failure_threshold` unhealthy results, a silent worker is convicted and a wedged one
//!   aborted, and nothing is convicted that answered and beat (S11.2, S12.3);
//! - breaker transitions legal, and a dependent child never restarted while its breaker is open
//!   (S13.2-S13.4, S13.7);
//! - every call ends within its timeout with the right kind of answer, and the exit it reports
//!   is that of the incarnation that held it; no pool message lost unreported (S14.3, S14.4);
//! - carried state never goes back, nor skips (S15).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use supervisor::{
    Backoff, BoxError, BreakerConfig, BreakerError, BreakerState, CallError, ChildContext,
    ChildRef, ChildSpec, CircuitBreaker, Directive, Event, EventKind, ExitReason, Health,
    HealthCheck, Heartbeat, NoMailbox, PoolRef, PoolSpec, ProbeContext, Reply, Restart, Shutdown,
    SupervisorHandle, SupervisorSpec, Template,
};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{check, Report, Rng, Shared, MS};

/// The supervisor of the features, under the root.
pub const FEAT: &str = "root/feat";
/// Its intensity, and its pool's.
pub const FEAT_LIMIT: (u32, Duration) = (8, Duration::from_millis(100));
pub const POOL_LIMIT: (u32, Duration) = (10, Duration::from_millis(100));
/// The supervisors below the root that the harness's restart checks visit.
pub const SUPERVISORS: &[&str] = &["feat", "feat/pool"];

const PROBE_FAILURES: u32 = 2;
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
const BREAKER: &str = "llm";
const STOP: &str = "please stop";
const ESCALATE: &str = "please escalate";

/// What a call asks its worker to do with the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    Answer,
    Panic,
    Drop,
}

/// A pool slot's (and the callee's) message.
#[derive(Debug)]
pub enum Job {
    Data,
    Ask {
        id: u64,
        ask: Ask,
        reply: Reply<u64>,
    },
}

#[derive(Clone, Copy, Debug)]
enum Sickness {
    Unhealthy,
    Hang,
}

/// What the feature children, the injector and the checker share. Keys are tree-qualified
/// paths ([`Shared::key`]).
#[derive(Default)]
pub struct Feat {
    paused_clock: bool,
    /// Probe answers the injector asked for, by child.
    sick: Mutex<HashMap<String, Sickness>>,
    /// Unhealthy results in a row, by incarnation.
    bad: Mutex<HashMap<(String, u64), u32>>,
    /// Children told to stop beating, and the incarnations that did.
    silence: Mutex<HashSet<String>>,
    silent: Mutex<HashSet<(String, u64)>>,
    llm_down: AtomicBool,
    /// The breaker's state when each incarnation of its dependent started.
    starts: Mutex<HashMap<(String, u64), BreakerState>>,
    /// The last value of each child's carried state.
    carried: Mutex<HashMap<String, u64>>,
    /// This tree's pool data messages: accepted by a send, taken by a slot.
    accepted: AtomicU64,
    received: AtomicU64,
    /// Requests a worker took, and those sent to the pool.
    taken: Mutex<HashSet<u64>>,
    pool_asks: AtomicU64,
    /// Messages of retired slots that found no slot, as the pool counts them.
    dropped: AtomicU64,
    next_ask: AtomicU64,
    /// Calls by what they asked and how they ended.
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Feat {
    pub fn new(paused_clock: bool) -> Self {
        Feat {
            paused_clock,
            ..Feat::default()
        }
    }

    fn carry(&self, shared: &Shared, key: &str, value: u64) {
        let mut carried = self.carried.lock().unwrap();
        let last = carried.entry(key.to_owned()).or_default();
        if value != *last + 1 {
            shared.violation(format!(
                "{key}: carried state went from {last} to {value} (S15)"
            ));
        }
        *last = value;
    }

    /// A silent worker must be convicted (and a wedged one aborted) well within this.
    fn conviction_bound(&self) -> Duration {
        if self.paused_clock {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(10)
        }
    }

    /// How late a call may end after its timeout: a timer's tick on the paused clock; in real
    /// time, what a starved runtime thread explains.
    fn call_margin(&self) -> Duration {
        if self.paused_clock {
            2 * MS
        } else {
            Duration::from_millis(500)
        }
    }
}

fn decided() -> ChildSpec<&'static str> {
    ChildSpec::with_mailbox(
        "decided",
        |mut ctx: ChildContext<&'static str>| async move {
            match ctx.recv().await {
                Some(what) => Err::<(), BoxError>(what.into()),
                None => Ok(()),
            }
        },
    )
    .decider(|reason: &ExitReason| {
        let text = reason.to_string();
        if text.contains(STOP) {
            Directive::Stop
        } else if text.contains(ESCALATE) {
            Directive::Escalate
        } else {
            Directive::Restart
        }
    })
    .backoff(Backoff::fixed(2 * MS))
    .mailbox_capacity(4)
}

fn probed(shared: &Arc<Shared>, feat: &Arc<Feat>) -> ChildSpec<NoMailbox> {
    let (s, f) = (Arc::clone(shared), Arc::clone(feat));
    let start = move |ctx: ChildContext<NoMailbox>| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            f.sick.lock().unwrap().remove(&s.key(ctx.path()));
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        }
    };
    let (s, f) = (Arc::clone(shared), Arc::clone(feat));
    let probe = move |p: ProbeContext| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            let key = s.key(p.path());
            let sickness = f.sick.lock().unwrap().get(&key).copied();
            {
                let mut bad = f.bad.lock().unwrap();
                let n = bad.entry((key.clone(), p.incarnation())).or_default();
                if *n >= PROBE_FAILURES {
                    s.violation(format!(
                        "{key} #{}: probed again after {n} unhealthy results: a missed conviction (S11.2)",
                        p.incarnation()
                    ));
                }
                *n = if sickness.is_some() { *n + 1 } else { 0 };
            }
            match sickness {
                None => Health::Healthy,
                Some(Sickness::Unhealthy) => Health::unhealthy("injected"),
                Some(Sickness::Hang) => std::future::pending().await,
            }
        }
    };
    ChildSpec::worker("probed", start)
        .health(
            HealthCheck::new(probe)
                .interval(10 * MS)
                .timeout(5 * MS)
                .failure_threshold(PROBE_FAILURES),
        )
        .backoff(Backoff::fixed(2 * MS))
}

fn beating(shared: &Arc<Shared>, feat: &Arc<Feat>) -> ChildSpec<NoMailbox> {
    let (s, f) = (Arc::clone(shared), Arc::clone(feat));
    let start = move |ctx: ChildContext<NoMailbox>| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            let key = s.key(ctx.path());
            let mut tick = tokio::time::interval(10 * MS);
            loop {
                tokio::select! {
                    biased;
                    _ = ctx.cancelled() => return Ok::<(), BoxError>(()),
                    _ = tick.tick() => {}
                }
                if f.silence.lock().unwrap().remove(&key) {
                    break;
                }
                ctx.heartbeat();
            }
            f.silent
                .lock()
                .unwrap()
                .insert((key.clone(), ctx.incarnation()));
            let bound = f.conviction_bound();
            // Half of the silent incarnations are wedged: they ignore their stop too.
            if ctx.incarnation().is_multiple_of(2) {
                tokio::time::sleep(bound).await;
            } else {
                tokio::select! {
                    _ = ctx.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(bound) => {}
                }
            }
            s.violation(format!(
                "{key} #{}: silent for {bound:?}, neither convicted nor aborted (S12.3)",
                ctx.incarnation()
            ));
            Ok(())
        }
    };
    let pause = if feat.paused_clock {
        20 * MS
    } else {
        Duration::from_millis(400)
    };
    ChildSpec::worker("beating", start)
        .heartbeat(
            Heartbeat::every(10 * MS)
                .acceptable_pause(pause)
                .min_std_deviation(5 * MS),
        )
        .shutdown(Shutdown::Timeout(100 * MS))
        .backoff(Backoff::fixed(2 * MS))
}

fn caller(
    shared: &Arc<Shared>,
    feat: &Arc<Feat>,
    breaker: &CircuitBreaker,
) -> ChildSpec<NoMailbox> {
    let (s, f) = (Arc::clone(shared), Arc::clone(feat));
    let start = move |ctx: ChildContext<NoMailbox>| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            let breaker = ctx.breaker(BREAKER).expect("declared with feat").clone();
            f.starts
                .lock()
                .unwrap()
                .insert((s.key(ctx.path()), ctx.incarnation()), breaker.state());
            loop {
                let down = f.llm_down.load(Ordering::SeqCst);
                let call = async move {
                    if down {
                        Err(std::io::Error::other("the llm is down"))
                    } else {
                        Ok(())
                    }
                };
                if let Err(BreakerError::Open { .. }) = breaker.call(call).await {
                    return Err::<(), BoxError>("the llm's breaker is open".into());
                }
                tokio::select! {
                    biased;
                    _ = ctx.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(5 * MS) => {}
                }
            }
        }
    };
    ChildSpec::worker("caller", start)
        .depends_on(breaker)
        .backoff(Backoff::fixed(2 * MS))
}

fn counter(shared: &Arc<Shared>, feat: &Arc<Feat>) -> ChildSpec<()> {
    let (s, f) = (Arc::clone(shared), Arc::clone(feat));
    ChildSpec::with_mailbox("counter", move |mut ctx: ChildContext<()>| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            let stash = ctx.state::<u64>().expect("declared");
            let key = s.key(ctx.path());
            let bump = |n: &mut u64| {
                *n += 1;
                *n
            };
            f.carry(&s, &key, stash.update(bump));
            // Each message is a write, then a panic: the stash keeps what was written during
            // work.
            if ctx.recv().await.is_some() {
                f.carry(&s, &key, stash.update(bump));
                panic!("injected panic after a write");
            }
            Ok::<(), BoxError>(())
        }
    })
    .state::<u64>()
    .backoff(Backoff::fixed(2 * MS))
    .mailbox_capacity(4)
}

async fn serve_jobs(ctx: &mut ChildContext<Job>, feat: &Feat) {
    while let Some(job) = ctx.recv().await {
        match job {
            Job::Data => {
                feat.received.fetch_add(1, Ordering::SeqCst);
            }
            Job::Ask { id, ask, reply } => {
                feat.taken.lock().unwrap().insert(id);
                match ask {
                    Ask::Answer => {
                        let _ = reply.send(id);
                    }
                    Ask::Panic => panic!("ask {id} panics"),
                    Ask::Drop => drop(reply),
                }
            }
        }
    }
}

fn callee(feat: &Arc<Feat>) -> ChildSpec<Job> {
    let f = Arc::clone(feat);
    ChildSpec::with_mailbox("callee", move |mut ctx: ChildContext<Job>| {
        let f = Arc::clone(&f);
        async move {
            serve_jobs(&mut ctx, &f).await;
            Ok::<(), BoxError>(())
        }
    })
    .backoff(Backoff::fixed(2 * MS))
    .mailbox_capacity(8)
}

fn pool(feat: &Arc<Feat>, least_loaded: bool) -> PoolSpec<Job> {
    let f = Arc::clone(feat);
    let template = Template::<usize, Job>::new(move |mut ctx: ChildContext<Job>, _slot| {
        let f = Arc::clone(&f);
        async move {
            serve_jobs(&mut ctx, &f).await;
            Ok::<(), BoxError>(())
        }
    })
    .restart(Restart::Permanent)
    .backoff(Backoff::fixed(3 * MS))
    .mailbox_capacity(8);
    let pool = PoolSpec::new("pool", 3, template).intensity(POOL_LIMIT.0, POOL_LIMIT.1);
    if least_loaded {
        pool.least_loaded()
    } else {
        pool
    }
}

/// The features' supervisor. Odd trees route the pool round robin, even ones least loaded.
pub fn subtree(shared: &Arc<Shared>, feat: &Arc<Feat>, tree: u64) -> ChildSpec<NoMailbox> {
    let breaker = CircuitBreaker::new(
        BREAKER,
        BreakerConfig::default()
            .failure_threshold(3)
            .call_timeout(50 * MS)
            .reset_timeout(20 * MS)
            .max_reset_timeout(80 * MS)
            .jitter(0.0),
    );
    ChildSpec::supervisor(
        SupervisorSpec::new("feat")
            .intensity(FEAT_LIMIT.0, FEAT_LIMIT.1)
            .child(decided())
            .child(probed(shared, feat))
            .child(beating(shared, feat))
            .child(caller(shared, feat, &breaker))
            .child(counter(shared, feat))
            .child(callee(feat))
            .child(ChildSpec::supervisor(pool(feat, tree.is_multiple_of(2))))
            .breaker(breaker),
    )
}

/// The feature children of one running tree, and the tasks that work them.
pub struct Running {
    feat: Arc<Feat>,
    shared: Arc<Shared>,
    pool: Option<PoolRef<Job>>,
    decided: Option<ChildRef<&'static str>>,
    counter: Option<ChildRef<()>>,
    callee: Option<ChildRef<Job>>,
    stop: Arc<AtomicBool>,
    tasks: JoinSet<()>,
}

impl Running {
    pub fn start(app: &SupervisorHandle, shared: &Arc<Shared>, feat: &Arc<Feat>) -> Self {
        feat.accepted.store(0, Ordering::SeqCst);
        feat.received.store(0, Ordering::SeqCst);
        feat.pool_asks.store(0, Ordering::SeqCst);
        feat.dropped.store(0, Ordering::SeqCst);
        feat.taken.lock().unwrap().clear();
        feat.llm_down.store(false, Ordering::SeqCst);
        let sup = app.supervisor("feat").ok();
        let pool = sup.as_ref().and_then(|s| s.pool::<Job>("pool").ok());
        let mut running = Running {
            feat: Arc::clone(feat),
            shared: Arc::clone(shared),
            decided: app.child("feat/decided").ok(),
            counter: app.child("feat/counter").ok(),
            callee: app.child("feat/callee").ok(),
            pool: pool.clone(),
            stop: Arc::new(AtomicBool::new(false)),
            tasks: JoinSet::new(),
        };
        if let Some(pool) = pool {
            let (f, stop) = (Arc::clone(feat), Arc::clone(&running.stop));
            let seed = shared.tree.load(Ordering::SeqCst);
            running.tasks.spawn(async move {
                let mut rng = Rng::new(seed ^ 0x5eed);
                while !stop.load(Ordering::SeqCst) {
                    // A send cancelled while it waits delivers nothing; a gone pool ends the
                    // tree.
                    if let Ok(Ok(())) = tokio::time::timeout(20 * MS, pool.send(Job::Data)).await {
                        f.accepted.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_micros(200 + rng.below(2000))).await;
                }
            });
        }
        running
    }

    /// One feature fault; its name for the report.
    pub async fn inject(
        &mut self,
        app: &SupervisorHandle,
        rng: &mut Rng,
        report: &mut Report,
    ) -> Option<&'static str> {
        let (shared, feat) = (&self.shared, &self.feat);
        let Ok(sup) = app.supervisor("feat") else {
            return None;
        };
        match rng.below(20) {
            0..=3 => {
                let what = match rng.below(12) {
                    0 => ESCALATE,
                    1..=4 => STOP,
                    _ => "please restart",
                };
                let d = self.decided.as_ref()?;
                if d.state().gone().is_none() && d.try_send(what).is_ok() {
                    return Some("decider");
                }
                // Stopped by its decider: bring it back.
                check(sup.restart_child("decided").await, report);
                Some("restart decided")
            }
            4..=5 => {
                let sickness = if rng.below(2) == 0 {
                    Sickness::Unhealthy
                } else {
                    Sickness::Hang
                };
                let key = shared.key(&format!("{FEAT}/probed"));
                feat.sick.lock().unwrap().insert(key, sickness);
                Some("probe fails")
            }
            6..=7 => {
                let key = shared.key(&format!("{FEAT}/beating"));
                feat.silence.lock().unwrap().insert(key);
                Some("beats stop")
            }
            8..=9 => {
                feat.llm_down.fetch_xor(true, Ordering::SeqCst);
                Some("llm outage")
            }
            10..=11 => {
                self.counter.as_ref()?.try_send(()).ok()?;
                Some("carried panic")
            }
            12..=13 => {
                let n = 1 + rng.below(4) as usize;
                let pool = self.pool.as_ref()?;
                check(pool.resize(n).await, report);
                feat.dropped.store(pool.dropped(), Ordering::SeqCst);
                Some("pool resize")
            }
            _ => {
                // A call, to the pool or to the callee, that its worker answers, drops, or
                // panics holding.
                let ask = *rng.pick(&[Ask::Answer, Ask::Answer, Ask::Panic, Ask::Drop]);
                let id = feat.next_ask.fetch_add(1, Ordering::SeqCst);
                let to_pool = rng.below(2) == 0;
                let (pool, callee) = (self.pool.clone(), self.callee.clone());
                let (s, f) = (Arc::clone(shared), Arc::clone(feat));
                if to_pool {
                    f.pool_asks.fetch_add(1, Ordering::SeqCst);
                }
                self.tasks.spawn(async move {
                    let make = |reply| Job::Ask { id, ask, reply };
                    let started = Instant::now();
                    let answer = match (to_pool, pool, callee) {
                        (true, Some(pool), _) => pool.call(make, CALL_TIMEOUT).await,
                        (false, _, Some(callee)) => callee.call(make, CALL_TIMEOUT).await,
                        _ => return,
                    };
                    f.judge_call(&s, id, ask, answer, started.elapsed());
                });
                Some(if to_pool { "pool call" } else { "call" })
            }
        }
    }

    /// Ends the run's tasks once the tree is shut down, and checks the pool's messages.
    pub async fn finish(mut self, undelivered: u64, report: &mut Report) {
        self.stop.store(true, Ordering::SeqCst);
        while let Some(done) = self.tasks.join_next().await {
            if let Err(e) = done {
                report
                    .violations
                    .push(format!("a feature task failed: {e}"));
            }
        }
        let f = &self.feat;
        for (outcome, n) in f.calls.lock().unwrap().iter() {
            *report.calls.entry(outcome.clone()).or_default() += n;
        }
        f.calls.lock().unwrap().clear();
        let accepted = f.accepted.load(Ordering::SeqCst);
        let received = f.received.load(Ordering::SeqCst);
        let lost = accepted.saturating_sub(received);
        let reported = undelivered + f.dropped.load(Ordering::SeqCst);
        // Undelivered counts may include requests queued with the data.
        let asks_not_taken = f
            .pool_asks
            .load(Ordering::SeqCst)
            .saturating_sub(f.taken.lock().unwrap().len() as u64);
        if received > accepted || reported < lost || reported > lost + asks_not_taken {
            report.violations.push(format!(
                "pool: {accepted} accepted, {received} received, {reported} reported undelivered or dropped (S14.3)"
            ));
        }
    }

    /// Faults stop: the service comes back, so that nothing waits on its breaker.
    pub fn quiesce(&self) {
        self.feat.llm_down.store(false, Ordering::SeqCst);
    }
}

impl Feat {
    /// S14.4: the right kind of answer, within the timeout, naming its own incarnation's exit.
    fn judge_call(
        &self,
        shared: &Shared,
        id: u64,
        ask: Ask,
        answer: Result<u64, CallError>,
        took: Duration,
    ) {
        let taken = self.taken.lock().unwrap().contains(&id);
        let ended = match &answer {
            Ok(_) => "answered",
            Err(CallError::Exited { .. }) => "exited",
            Err(CallError::Unanswered) => "unanswered",
            Err(CallError::Timeout(_)) => "timeout",
            Err(CallError::Gone(_)) => "gone",
            Err(_) => "other",
        };
        *self
            .calls
            .lock()
            .unwrap()
            .entry(format!("{ask:?} -> {ended}"))
            .or_default() += 1;
        let wrong = match (&answer, ask) {
            (_, _) if took > CALL_TIMEOUT + self.call_margin() => Some("outlived its timeout"),
            (Ok(v), Ask::Answer) if *v == id => None,
            (Ok(_), _) => Some("got an answer it was not given"),
            (
                Err(CallError::Exited {
                    reason: ExitReason::Panic(msg),
                    ..
                }),
                _,
            ) if !msg.contains(&format!("ask {id} ")) => {
                Some("got the exit of an incarnation that did not hold it")
            }
            (
                Err(CallError::Exited {
                    reason: ExitReason::Panic(_),
                    ..
                }),
                Ask::Panic,
            ) => None,
            (
                Err(CallError::Exited {
                    reason: ExitReason::Panic(_),
                    ..
                }),
                _,
            ) => Some("got a panic it caused not"),
            (Err(CallError::Unanswered), Ask::Drop) => None,
            (Err(CallError::Unanswered), _) => Some("ended unanswered though it was not dropped"),
            (Err(CallError::Timeout(_)), _) if taken => {
                Some("waited out its timeout for an answer that was given or could no longer come")
            }
            (Err(CallError::Timeout(_)), _) if took < CALL_TIMEOUT => {
                Some("timed out before its timeout")
            }
            // Not taken: its worker was stopped first, or it never reached one in time.
            (Err(CallError::Timeout(_) | CallError::Gone(_) | CallError::Exited { .. }), _) => None,
            (Err(CallError::NoMailbox), _) => Some("found no mailbox"),
            (Err(_), _) => Some("ended with an unknown error"),
        };
        if let Some(wrong) = wrong {
            shared.violation(format!(
                "call {id} ({ask:?}) {wrong}: {answer:?} after {took:?} (S14.4)"
            ));
        }
    }
}

/// Checks the feature children's events.
#[derive(Default)]
pub struct FeatChecker {
    /// Children stopped by their decider: none may be restarted before it starts again.
    stopped: HashSet<Arc<str>>,
    /// Supervisors whose child asked to escalate: none of their children may restart before
    /// they end.
    escalating: HashSet<String>,
    /// Children with a restart pending, to check the breaker when they start.
    restarting: HashSet<Arc<str>>,
    breaker: Option<BreakerState>,
    pub convictions: u64,
    pub held: u64,
}

impl FeatChecker {
    pub fn new_tree(&mut self) {
        *self = FeatChecker {
            convictions: self.convictions,
            held: self.held,
            ..FeatChecker::default()
        };
    }

    pub fn see(&mut self, e: &Event, shared: &Shared, feat: &Feat, report: &mut Report) {
        let path = &e.path;
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        if path.as_ref() == BREAKER {
            if let EventKind::Breaker { state, .. } = e.kind {
                let from = self.breaker.unwrap_or(BreakerState::Closed);
                let legal = matches!(
                    (from, state),
                    (BreakerState::Closed, BreakerState::Open)
                        | (BreakerState::Open, BreakerState::HalfOpen)
                        | (
                            BreakerState::HalfOpen,
                            BreakerState::Closed | BreakerState::Open
                        )
                );
                if !legal {
                    report
                        .violations
                        .push(format!("breaker {path}: {from:?} -> {state:?} (S13)"));
                }
                self.breaker = Some(state);
            }
            return;
        }
        if !path.starts_with(FEAT) {
            return;
        }
        // A supervisor that ended forgets its children's pending restarts.
        let ended = matches!(
            e.kind,
            EventKind::Exited { .. } | EventKind::Stopped { .. } | EventKind::GaveUp { .. }
        );
        if ended {
            self.escalating.remove(path.as_ref());
            let below = format!("{path}/");
            self.restarting.retain(|p| !p.starts_with(&below));
        }
        match &e.kind {
            EventKind::Exited {
                incarnation,
                reason,
                directive,
                ..
            } => {
                match directive {
                    Directive::Stop => {
                        self.stopped.insert(Arc::clone(path));
                    }
                    Directive::Escalate => {
                        self.escalating.insert(parent.to_owned());
                    }
                    _ => {}
                }
                self.convicted(path, *incarnation, reason, shared, feat, report);
            }
            EventKind::Stopped {
                incarnation,
                reason,
            } => self.convicted(path, *incarnation, reason, shared, feat, report),
            EventKind::Restarting { .. } => {
                if self.stopped.contains(path) {
                    report.violations.push(format!(
                        "{path} restarted after its decider said stop (S10)"
                    ));
                }
                if self.escalating.contains(parent) {
                    report.violations.push(format!(
                        "{path} restarted by {parent} after a child escalated (S10)"
                    ));
                }
                self.restarting.insert(Arc::clone(path));
            }
            EventKind::Started { incarnation } => {
                self.stopped.remove(path);
                if self.restarting.remove(path) {
                    let key = (shared.key(path), *incarnation);
                    if let Some(state) = feat.starts.lock().unwrap().get(&key) {
                        self.held += 1;
                        if *state == BreakerState::Open {
                            report.violations.push(format!(
                                "{path} #{incarnation} restarted while its breaker was open (S13.7)"
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// S11.2, S12.3: a conviction only of an incarnation whose probe failed enough, or that
    /// went silent.
    fn convicted(
        &mut self,
        path: &str,
        incarnation: u64,
        reason: &ExitReason,
        shared: &Shared,
        feat: &Feat,
        report: &mut Report,
    ) {
        let key = (shared.key(path), incarnation);
        let earned = match reason {
            ExitReason::Unhealthy(_) => {
                feat.bad.lock().unwrap().get(&key).copied().unwrap_or(0) >= PROBE_FAILURES
            }
            ExitReason::HeartbeatsLost { .. } => feat.silent.lock().unwrap().contains(&key),
            _ => return,
        };
        self.convictions += 1;
        if !earned {
            report.violations.push(format!(
                "{path} #{incarnation} convicted without cause: {reason} (S11.2, S12.3)"
            ));
        }
    }
}
