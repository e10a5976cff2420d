//! Fault injection over a 3-level tree of every strategy and restart type, checking the
//! supervision rules as it runs, written on the test kit (`supervisor::testkit`) and the public
//! API alone. Used by `tests/chaos.rs` (bounded seeds) and by the `chaos` example (long runs on
//! demand).
//!
//! Faults, struck by the kit by path: panics, errors, normal exits, hangs (a child that ignores
//! its stop and is killed), slow stops, failing starts, bursts of them over one supervisor; and
//! outside terminate / restart / delete / start_child, while senders send numbered messages to
//! every worker; and, to a subtree of the features beyond OTP (`features.rs`), decider
//! directives, failing and hanging probes, silent heartbeats, outages behind a breaker, pool
//! resizes, calls and panics with carried state.
//!
//! Checks, by the kit (S22.3): one incarnation of a node alive at a time and every exit that of
//! the one alive (S3), the intensity exact against a model of its window (S4.1, S4.2; on one
//! thread, where event times are exact), every message a mailbox accepted taken, reported
//! undelivered or dropped (S9.8, S14.3), nothing left and no restart decided and never carried
//! out when a tree ends (S4.3, S6.3). And by the harness:
//! - no two tasks of one child's incarnations alive at once, as the tasks themselves see it;
//! - every accepted message received once and in order per sender (S9.8);
//! - no restart overdue while faults come, nothing restarting once they stop (S4.3);
//! - no task left after shutdown or after the root gave up (S6.3);
//! - and what `features.rs` checks of its children (S10-S15).
#![allow(dead_code)]

#[path = "features.rs"]
mod features;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use supervisor::testkit::{Fault, TestKit};
use supervisor::{
    async_trait, Backoff, BoxError, ChildContext, ChildRef, ChildSpec, ChildState, EventKind,
    EventStream, ExitReason, MailboxError, ManagementError, Observer, Restart, Shutdown, Strategy,
    Supervisor, SupervisorHandle, SupervisorSpec, Template, Worker,
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub faults: u64,
    pub senders: u32,
    /// Runs on tokio's paused clock: restarts may be late only by what a busy supervisor
    /// explains.
    pub paused_clock: bool,
}

impl Config {
    /// How late a restart may be before it counts as lost: what a busy supervisor (stopping a
    /// group, killing a hung child) explains on the paused clock; in real time, a second, as a
    /// starved runtime thread is not a lost restart.
    fn overdue_margin(&self) -> Duration {
        if self.paused_clock {
            100 * MS
        } else {
            Duration::from_secs(1)
        }
    }
}

/// What a run did, and what it found wrong.
#[derive(Debug, Default)]
pub struct Report {
    pub faults: BTreeMap<&'static str, u64>,
    pub trees: u64,
    pub root_give_ups: u64,
    pub give_ups: u64,
    pub restart_decisions: u64,
    pub incarnations: u64,
    pub failed_starts: u64,
    pub killed: u64,
    pub accepted: u64,
    pub received: u64,
    pub undelivered: u64,
    pub events: u64,
    pub convictions: u64,
    pub held_restarts: u64,
    /// Quarantines (S18.1) and pauses (S18.3) that took effect.
    pub quarantines: u64,
    pub pauses: u64,
    pub calls: BTreeMap<String, u64>,
    /// The kit's journal: how many events it recorded.
    pub journal_lines: u64,
    pub violations: Vec<String>,
}

impl Report {
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "faults injected: {}", self.total_faults())?;
        for (kind, n) in &self.faults {
            writeln!(f, "  {kind:<14} {n}")?;
        }
        writeln!(
            f,
            "trees started: {} (root gave up {} times)",
            self.trees, self.root_give_ups
        )?;
        writeln!(
            f,
            "incarnations: {}, failed starts: {}, killed: {}, restart decisions: {}, give-ups: {}",
            self.incarnations,
            self.failed_starts,
            self.killed,
            self.restart_decisions,
            self.give_ups
        )?;
        writeln!(
            f,
            "messages: {} accepted, {} received, {} reported undelivered",
            self.accepted, self.received, self.undelivered
        )?;
        writeln!(
            f,
            "convictions: {}, restarts of a breaker's dependent checked: {}",
            self.convictions, self.held_restarts
        )?;
        writeln!(
            f,
            "quarantines: {}, pauses: {}",
            self.quarantines, self.pauses
        )?;
        writeln!(f, "calls:")?;
        for (outcome, n) in &self.calls {
            writeln!(f, "  {outcome:<20} {n}")?;
        }
        writeln!(
            f,
            "events checked: {} (test kit: {})",
            self.events, self.journal_lines
        )?;
        write!(f, "violations: {}", self.violations.len())?;
        // By kind (numbers left out), each with its first instance.
        let mut kinds: BTreeMap<String, (usize, &String)> = BTreeMap::new();
        for v in &self.violations {
            // Each run of digits as one `#`.
            let mut kind = String::new();
            for c in v.chars() {
                if !c.is_ascii_digit() {
                    kind.push(c);
                } else if !kind.ends_with('#') {
                    kind.push('#');
                }
            }
            let kind: String = kind.chars().take(80).collect();
            kinds.entry(kind).or_insert((0, v)).0 += 1;
        }
        for (kind, (n, first)) in kinds.iter().take(20) {
            write!(f, "\n  {n} x {kind}\n      e.g. {first}")?;
        }
        Ok(())
    }
}

/// A small deterministic generator (splitmix64): the same seed, the same schedule.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A numbered message of one sender.
#[derive(Debug)]
pub struct Msg {
    sender: u32,
    seq: u64,
}

/// The faults the kit strikes a running worker with, and their names in the report.
fn run_fault(n: u64) -> (Fault, &'static str) {
    match n {
        0 => (Fault::panic(), "panic"),
        1 => (Fault::error(), "error"),
        2 => (Fault::exit(), "normal exit"),
        3 => (Fault::hang_ignoring_stop(), "hang"),
        _ => (Fault::slow_stop(15 * MS), "slow stop"),
    }
}

/// Messages by (tree-qualified path, sender): their sequence numbers, in order.
type Ledger = Mutex<HashMap<(String, u32), Vec<u64>>>;

/// What workers and the driver share.
#[derive(Default)]
struct Shared {
    alive: Mutex<HashMap<String, usize>>,
    /// (path, sender) -> sequence numbers received, in order.
    received: Ledger,
    live: AtomicUsize,
    violations: Mutex<Vec<String>>,
    /// The number of the tree running now: paths repeat from one tree to the next.
    tree: AtomicU64,
}

impl Shared {
    fn violation(&self, v: String) {
        self.violations.lock().unwrap().push(v);
    }

    fn enter(self: &Arc<Self>, path: &str) -> Alive {
        let mut alive = self.alive.lock().unwrap();
        let n = alive.entry(path.to_owned()).or_default();
        *n += 1;
        if *n > 1 {
            self.violation(format!("two incarnations of {path} alive at once"));
        }
        self.live.fetch_add(1, Ordering::SeqCst);
        Alive {
            shared: Arc::clone(self),
            path: path.to_owned(),
        }
    }

    /// `path` qualified by the tree it belongs to.
    fn key(&self, path: &str) -> String {
        format!("{}:{path}", self.tree.load(Ordering::SeqCst))
    }

    fn receive(&self, path: &str, sender: u32, seq: u64) {
        self.received
            .lock()
            .unwrap()
            .entry((self.key(path), sender))
            .or_default()
            .push(seq);
    }
}

/// Held by an incarnation from its start to the end of its task, however it ends.
struct Alive {
    shared: Arc<Shared>,
    path: String,
}

impl Drop for Alive {
    fn drop(&mut self) {
        if let Some(n) = self.shared.alive.lock().unwrap().get_mut(&self.path) {
            *n -= 1;
        }
        self.shared.live.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(ctx: &mut ChildContext<Msg>, shared: &Shared) -> Result<(), BoxError> {
    while let Some(Msg { sender, seq }) = ctx.recv().await {
        shared.receive(ctx.path(), sender, seq);
    }
    Ok(())
}

/// A worker with an `init`, whose start the kit can make fail.
struct Chaos {
    shared: Arc<Shared>,
    alive: Option<Alive>,
}

#[async_trait]
impl Worker<Msg> for Chaos {
    async fn init(&mut self, ctx: &mut ChildContext<Msg>) -> Result<(), BoxError> {
        self.alive = Some(self.shared.enter(ctx.path()));
        Ok(())
    }
    async fn run(&mut self, ctx: &mut ChildContext<Msg>) -> Result<(), BoxError> {
        serve(ctx, &self.shared).await
    }
}

fn worker(shared: &Arc<Shared>, id: &str, restart: Restart, shutdown: Shutdown) -> ChildSpec<Msg> {
    let shared = Arc::clone(shared);
    ChildSpec::from_worker(id, move || Chaos {
        shared: Arc::clone(&shared),
        alive: None,
    })
    .restart(restart)
    .shutdown(shutdown)
    .mailbox_capacity(16)
}

fn timeout(ms: u64) -> Shutdown {
    Shutdown::Timeout(Duration::from_millis(ms))
}

/// Static workers that may hang (their supervisors kill them after a timeout), by parent.
const WORKERS: &[(&str, &str)] = &[
    ("ofa", "a0"),
    ("ofa", "a1"),
    ("ofa", "a2"),
    ("rfo", "r0"),
    ("rfo", "r1"),
    ("rfo", "r2"),
    ("ofo/inner", "i0"),
    ("ofo/inner", "i1"),
    ("ofo", "o1"),
];
/// Low enough that the root gives up now and then: trees are started again, and the rules
/// checked after a give-up (no task left) get exercised.
const ROOT_MAX_RESTARTS: u32 = 1;
const ROOT_PERIOD: Duration = Duration::from_millis(500);

/// `i0` has an infinite shutdown: it gets slow stops but never hangs.
const NEVER_HANG: &str = "root/ofo/inner/i0";
const SUPERVISORS: &[(&str, &str)] = &[("", "ofa"), ("", "rfo"), ("", "ofo"), ("ofo", "inner")];

fn tree(shared: &Arc<Shared>, feat: &Arc<features::Feat>) -> SupervisorSpec {
    let sup = |id: &str, strategy, max| {
        SupervisorSpec::new(id)
            .strategy(strategy)
            .intensity(max, 100 * MS)
    };
    let template_shared = Arc::clone(shared);
    let template = Template::new(move |mut ctx: ChildContext<Msg>, _n: u64| {
        let shared = Arc::clone(&template_shared);
        async move {
            let _alive = shared.enter(ctx.path());
            serve(&mut ctx, &shared).await
        }
    })
    .restart(Restart::Transient)
    .shutdown(timeout(20))
    .backoff(Backoff::fixed(3 * MS))
    .mailbox_capacity(16);
    SupervisorSpec::new("root")
        .intensity(ROOT_MAX_RESTARTS, ROOT_PERIOD)
        .child(
            ChildSpec::supervisor(
                sup("ofa", Strategy::OneForAll, 6)
                    .child(worker(shared, "a0", Restart::Permanent, timeout(20)))
                    .child(
                        worker(shared, "a1", Restart::Transient, timeout(20))
                            .backoff(Backoff::fixed(5 * MS)),
                    )
                    .child(worker(
                        shared,
                        "a2",
                        Restart::Temporary,
                        Shutdown::BrutalKill,
                    )),
            )
            .shutdown(timeout(40)),
        )
        .child(ChildSpec::supervisor(
            sup("rfo", Strategy::RestForOne, 6)
                .child(worker(shared, "r0", Restart::Permanent, timeout(20)))
                .child(
                    worker(shared, "r1", Restart::Transient, timeout(20)).backoff(Backoff::linear(
                        MS,
                        2 * MS,
                        10 * MS,
                    )),
                )
                .child(worker(shared, "r2", Restart::Permanent, timeout(20))),
        ))
        .child(ChildSpec::supervisor(
            sup("ofo", Strategy::OneForOne, 6)
                .child(
                    ChildSpec::supervisor(
                        sup("inner", Strategy::OneForOne, 4)
                            .child(
                                worker(shared, "i0", Restart::Permanent, Shutdown::Infinity)
                                    .backoff(Backoff::fixed(3 * MS)),
                            )
                            .child(
                                worker(shared, "i1", Restart::Transient, timeout(20))
                                    .backoff(Backoff::fixed(3 * MS)),
                            ),
                    )
                    // Shorter than its children's stops: a supervisor killed mid-stop (S6.3).
                    .shutdown(timeout(10)),
                )
                .child(
                    worker(shared, "o1", Restart::Permanent, timeout(20))
                        .backoff(
                            Backoff::exponential(MS, 20 * MS)
                                .jitter(0.5)
                                .reset_after(50 * MS),
                        )
                        // Its own budget, tighter than its supervisor's intensity (S18.1).
                        .restart_budget(1, 200 * MS)
                        .on_exhausted(supervisor::OnExhausted::Quarantine),
                ),
        ))
        .child(ChildSpec::supervisor(
            SupervisorSpec::dynamic("dyn", template)
                .intensity(10, 100 * MS)
                .max_children(6),
        ))
        .child(features::subtree(
            shared,
            feat,
            shared.tree.load(Ordering::SeqCst),
        ))
}

/// Counts what the event stream tells as the tree runs, and keeps what the harness's own checks
/// need of it: the messages reported undelivered, and the features' events.
struct Checker {
    undelivered: HashMap<String, u64>,
    tree: u64,
    features: features::FeatChecker,
    shared: Arc<Shared>,
    feat: Arc<features::Feat>,
}

impl Checker {
    fn new(shared: &Arc<Shared>, feat: &Arc<features::Feat>) -> Self {
        Checker {
            undelivered: HashMap::new(),
            tree: 0,
            features: features::FeatChecker::default(),
            shared: Arc::clone(shared),
            feat: Arc::clone(feat),
        }
    }

    /// A new tree: its paths are new keys.
    fn new_tree(&mut self, tree: u64) {
        self.tree = tree;
        self.features.new_tree();
    }

    /// Messages this tree's pool slots were reported to have dropped.
    fn pool_undelivered(&self) -> u64 {
        let prefix = format!("{}:{}/pool/", self.tree, features::FEAT);
        self.undelivered
            .iter()
            .filter(|(path, _)| path.starts_with(&prefix))
            .map(|(_, n)| n)
            .sum()
    }

    fn parent(path: &str) -> &str {
        path.rsplit_once('/').map_or("", |(p, _)| p)
    }

    fn see(&mut self, e: &supervisor::Event, report: &mut Report) {
        report.events += 1;
        self.features.see(e, &self.shared, &self.feat, report);
        match &e.kind {
            EventKind::Started { .. } => report.incarnations += 1,
            EventKind::Stopped {
                reason: ExitReason::Killed,
                ..
            } => report.killed += 1,
            EventKind::StartFailed { .. } => report.failed_starts += 1,
            EventKind::Restarting { .. } => report.restart_decisions += 1,
            EventKind::Quarantined { .. } => report.quarantines += 1,
            EventKind::Paused => report.pauses += 1,
            EventKind::GaveUp { .. } => {
                report.give_ups += 1;
                if e.path.as_ref() == "root" {
                    report.root_give_ups += 1;
                }
            }
            EventKind::Gone { undelivered, .. } => {
                *self
                    .undelivered
                    .entry(format!("{}:{}", self.tree, e.path))
                    .or_default() += *undelivered as u64;
            }
            _ => {}
        }
    }

    fn drain(&mut self, events: &mut EventStream, report: &mut Report) {
        loop {
            match events.try_recv() {
                Ok(e) => self.see(&e, report),
                Err(supervisor::TryRecvError::Lagged(n)) => {
                    report
                        .violations
                        .push(format!("event stream lagged by {n}"));
                }
                Err(_) => return,
            }
        }
    }
}

/// Senders: numbered messages to random workers until told to stop.
async fn send_loop(
    shared: Arc<Shared>,
    sender: u32,
    seed: u64,
    targets: Arc<Mutex<Vec<ChildRef<Msg>>>>,
    stop: Arc<AtomicBool>,
    accepted: Arc<Ledger>,
) {
    let mut rng = Rng::new(seed);
    let mut next: HashMap<String, u64> = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        let target = {
            let t = targets.lock().unwrap();
            if t.is_empty() {
                None
            } else {
                Some(t[rng.below(t.len() as u64) as usize].clone())
            }
        };
        if let Some(target) = target {
            let seq = next.entry(target.path().to_owned()).or_default();
            let msg = Msg { sender, seq: *seq };
            // A hung child's mailbox stays full: give up on that message after a while (the
            // send is cancel-safe: a message not accepted is not in the mailbox).
            match tokio::time::timeout(20 * MS, target.send(msg)).await {
                Ok(Ok(())) => {
                    accepted
                        .lock()
                        .unwrap()
                        .entry((shared.key(target.path()), sender))
                        .or_default()
                        .push(*seq);
                    *seq += 1;
                }
                Ok(Err(MailboxError::Gone(..))) | Err(_) => {}
                Ok(Err(e)) => panic!("unexpected send error {e:?}"),
            }
        }
        tokio::time::sleep(Duration::from_micros(200 + rng.below(2000))).await;
    }
}

fn expected_management_error(e: &ManagementError) -> bool {
    matches!(
        e,
        ManagementError::NotFound(_)
            | ManagementError::Gone { .. }
            | ManagementError::Running(_)
            | ManagementError::Restarting(_)
            | ManagementError::AlreadyExists(_)
            | ManagementError::MaxChildren(_)
            | ManagementError::NotRunning(_)
            | ManagementError::StartFailed { .. }
            | ManagementError::NotHeld(_)
    )
}

/// Runs one schedule of `config.faults` faults; trees whose root gives up are started again.
pub async fn run(config: &Config) -> Report {
    // The kit strikes the faults and checks the invariants; the seed drives both the harness's
    // schedule and the kit's draws (backoff jitter).
    let kit = TestKit::with_seed(config.seed);
    let installed = kit.install();
    let mut report = run_trees(config, &kit).await;
    drop(installed);
    report.journal_lines = kit.journal().lines().count() as u64;
    report
        .violations
        .extend((kit.violations().into_iter()).map(|v| format!("test kit: {v}")));
    report
}

async fn run_trees(config: &Config, kit: &TestKit) -> Report {
    let mut report = Report::default();
    let mut rng = Rng::new(config.seed);
    let shared = Arc::new(Shared::default());
    let accepted: Arc<Ledger> = Arc::default();
    let feat = Arc::new(features::Feat::new(config.paused_clock));
    let mut checker = Checker::new(&shared, &feat);
    let mut injected = 0u64;
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    while injected < config.faults {
        report.trees += 1;
        // Failing starts given to the last tree are not meant for this one's first start.
        kit.clear_faults();
        shared.tree.store(report.trees, Ordering::SeqCst);
        checker.new_tree(report.trees);
        let observer = Observer::with_capacity(1 << 20);
        let mut events = observer.subscribe();
        let app = match Supervisor::start_observed(tree(&shared, &feat), &observer).await {
            Ok(app) => app,
            Err(e) => {
                report.violations.push(format!("tree failed to start: {e}"));
                break;
            }
        };
        let targets: Arc<Mutex<Vec<ChildRef<Msg>>>> = Arc::new(Mutex::new(
            WORKERS
                .iter()
                .filter_map(|(sup, id)| app.child::<Msg>(&format!("{sup}/{id}")).ok())
                .collect(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..config.senders)
            .map(|s| {
                tokio::spawn(send_loop(
                    Arc::clone(&shared),
                    s,
                    config.seed ^ (u64::from(s) + 1).wrapping_mul(0x9e37),
                    Arc::clone(&targets),
                    Arc::clone(&stop),
                    Arc::clone(&accepted),
                ))
            })
            .collect();
        let mut run = Run {
            features: features::Running::start(&app, &shared, &feat),
            app: &app,
            shared: &shared,
            targets: &targets,
            checker: &mut checker,
            events: &mut events,
            report: &mut report,
        };
        let ended = run.inject(kit, &mut rng, config, &mut injected).await;
        let features = run.features;
        stop.store(true, Ordering::SeqCst);
        for s in senders {
            let _ = s.await;
        }
        if !ended {
            features.quiesce();
            // Quiesce: no more faults; every backoff (50 ms at most) elapses.
            tokio::time::sleep(Duration::from_secs(1)).await;
            check_nothing_restarting(&app, &mut report).await;
        }
        let outcome = app.shutdown().await;
        if ended != outcome.is_err() {
            report.violations.push(format!(
                "root gave up: {ended}, but shutdown said {outcome:?}"
            ));
        }
        checker.drain(&mut events, &mut report);
        features
            .finish(checker.pool_undelivered(), &mut report)
            .await;
        report.convictions = checker.features.convictions;
        report.held_restarts = checker.features.held;
        if shared.live.load(Ordering::SeqCst) != 0 {
            report.violations.push(format!(
                "{} incarnations alive after the tree ended",
                shared.live.load(Ordering::SeqCst)
            ));
        }
        // The tree's own tasks are gone; the senders were awaited. A task is counted until the
        // worker thread that finished it has released it, a moment after its join handle
        // resolved: on a multi-thread runtime, let that moment pass, for up to 2 s (a leaked
        // task stays).
        let alive_now = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        let mut alive = alive_now();
        for _ in 0..2_000 {
            if alive <= baseline {
                break;
            }
            tokio::time::sleep(MS).await;
            alive = alive_now();
        }
        if alive > baseline {
            report.violations.push(format!(
                "{} tasks left after the tree ended",
                alive - baseline
            ));
        }
    }
    check_messages(&shared, &accepted, &checker, &mut report);
    report
        .violations
        .extend(shared.violations.lock().unwrap().drain(..));
    report
}

/// One tree's run: what the injector works on.
struct Run<'a> {
    features: features::Running,
    app: &'a SupervisorHandle,
    shared: &'a Arc<Shared>,
    targets: &'a Arc<Mutex<Vec<ChildRef<Msg>>>>,
    checker: &'a mut Checker,
    events: &'a mut EventStream,
    report: &'a mut Report,
}

impl Run<'_> {
    /// Injects faults until the budget is spent or the root gives up (returns `true` then).
    async fn inject(
        &mut self,
        kit: &TestKit,
        rng: &mut Rng,
        config: &Config,
        injected: &mut u64,
    ) -> bool {
        let (app, shared, targets) = (self.app, self.shared, self.targets);
        let mut late = 0u64;
        while *injected < config.faults {
            self.checker.drain(self.events, self.report);
            let report = &mut *self.report;
            if app.root().count_children().await.is_err() {
                return true; // the root gave up
            }
            tokio::time::sleep(Duration::from_micros(rng.below(8000))).await;
            let kind = rng.below(131);
            let counted: Option<&'static str> = match kind {
                0..=59 => {
                    let which = rng.below(5);
                    let (fault, name) = run_fault(which);
                    let target = {
                        let t = targets.lock().unwrap();
                        t.get(rng.below(t.len() as u64) as usize).cloned()
                    };
                    match target {
                        // i0 waits for its stop forever (`infinity`): it never ignores it.
                        Some(t) if which == 3 && t.path() == NEVER_HANG => None,
                        // Counted when the kit struck a running incarnation.
                        Some(t) => (kit.strike(t.path(), fault) == 1).then_some(name),
                        None => None,
                    }
                }
                60..=67 => {
                    let (sup, id) = rng.pick(WORKERS);
                    kit.fault(&format!("root/{sup}/{id}"), Fault::fail_start().once());
                    Some("failing init")
                }
                68..=85 => {
                    let (sup, id) = *rng.pick(WORKERS);
                    let terminate = kind <= 77;
                    let r = match app.supervisor(sup) {
                        Ok(s) if terminate => s.terminate_child(id).await,
                        Ok(s) => s.restart_child(id).await,
                        Err(_) => Ok(()),
                    };
                    check(r, report);
                    Some(if terminate {
                        "terminate"
                    } else {
                        "restart_child"
                    })
                }
                86..=89 => {
                    // Terminate a whole supervisor (killed when its children stop too slowly).
                    let (parent, id) = *rng.pick(SUPERVISORS);
                    let sup = if parent.is_empty() {
                        Ok(app.root().clone())
                    } else {
                        app.supervisor(parent)
                    };
                    if let Ok(s) = sup {
                        check(s.terminate_child(id).await, report);
                        check(s.restart_child(id).await, report);
                    }
                    Some("kill supervisor")
                }
                90..=95 => {
                    if let Ok(pool) = app.dynamic::<u64, Msg>("dyn") {
                        match pool.start_child(late).await {
                            Ok(child) => targets.lock().unwrap().push(child),
                            Err(e) => check(Err(e), report),
                        }
                        late += 1;
                    }
                    Some("start_child")
                }
                96..=97 => {
                    // Correlated failures: every worker of one supervisor panics at this
                    // instant, the first (in start order) and some others with their next init
                    // failing.
                    let sup = *rng.pick(&["ofa", "rfo", "ofo/inner", "ofo"]);
                    let parent = format!("root/{sup}");
                    let group: Vec<ChildRef<Msg>> = targets
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|t| Checker::parent(t.path()) == parent)
                        .cloned()
                        .collect();
                    for (i, t) in group.into_iter().enumerate() {
                        if i == 0 || rng.below(2) == 0 {
                            kit.fault(t.path(), Fault::fail_start().once());
                        }
                        kit.strike(t.path(), Fault::panic());
                    }
                    Some("burst")
                }
                125.. => {
                    // An operator pauses or resumes a worker (S18.3); o1, quarantined when
                    // its own budget runs out (S18.1), is resumed this way too.
                    let (sup, id) = *rng.pick(WORKERS);
                    let pause = rng.below(2) == 0;
                    let r = match app.supervisor(sup) {
                        Ok(s) if pause => s.pause_child(id).await,
                        Ok(s) => s.resume_child(id).await,
                        Err(_) => Ok(()),
                    };
                    check(r, report);
                    Some(if pause { "pause" } else { "resume" })
                }
                100.. => self.features.inject(app, rng, report).await,
                _ => {
                    // A run-time child of a static supervisor, later deleted.
                    let sup = *rng.pick(&["ofa", "rfo", "ofo"]);
                    if let Ok(s) = app.supervisor(sup) {
                        let id = format!("late{}", rng.below(3));
                        if rng.below(2) == 0 {
                            let spec = worker(shared, &id, Restart::Transient, timeout(20));
                            match s.start_child(spec).await {
                                Ok(child) => targets.lock().unwrap().push(child),
                                Err(e) => check(Err(e), report),
                            }
                        } else {
                            check(s.terminate_child(&id).await, report);
                            check(s.delete_child(&id).await, report);
                        }
                    }
                    Some("add/delete")
                }
            };
            if let Some(kind) = counted {
                *report.faults.entry(kind).or_default() += 1;
                *injected += 1;
                if (*injected).is_multiple_of(4) {
                    check_overdue(app, config.overdue_margin(), report).await;
                }
            }
            targets
                .lock()
                .unwrap()
                .retain(|t| t.state().gone().is_none());
        }
        false
    }
}

fn check(result: Result<(), ManagementError>, report: &mut Report) {
    if let Err(e) = result {
        if !expected_management_error(&e) {
            report
                .violations
                .push(format!("unexpected management error: {e:?}"));
        }
    }
}

/// S4.3, checked as the run goes: a restart is never overdue by more than what a busy
/// supervisor (stopping a group, killing a hung child) could explain.
async fn check_overdue(app: &SupervisorHandle, margin: Duration, report: &mut Report) {
    let now = Instant::now();
    let paths = ["", "ofa", "rfo", "ofo", "ofo/inner", "dyn"];
    for path in paths
        .into_iter()
        .chain(features::SUPERVISORS.iter().copied())
    {
        let sup = if path.is_empty() {
            Ok(app.root().clone())
        } else {
            app.supervisor(path)
        };
        let Ok(children) = (match sup {
            Ok(s) => s.which_children().await,
            Err(_) => continue,
        }) else {
            continue;
        };
        for c in children {
            if let Some(at) = c.restart_at {
                if now.saturating_duration_since(at) > margin {
                    report.violations.push(format!(
                        "root/{path}/{}: restart overdue by {:?}",
                        c.id,
                        now - at
                    ));
                }
            }
        }
    }
}

/// S4.3: once faults stop and every backoff elapsed, no child of a running supervisor is
/// starting or restarting.
async fn check_nothing_restarting(app: &SupervisorHandle, report: &mut Report) {
    let mut sups = vec![app.root().clone()];
    let paths = ["ofa", "rfo", "ofo", "ofo/inner", "dyn"];
    for path in paths
        .into_iter()
        .chain(features::SUPERVISORS.iter().copied())
    {
        if let Ok(s) = app.supervisor(path) {
            sups.push(s);
        }
    }
    for s in sups {
        match s.which_children().await {
            Ok(children) => {
                for c in children {
                    if matches!(c.state, ChildState::Restarting | ChildState::Starting) {
                        report.violations.push(format!(
                            "{}/{} still {} after the faults stopped",
                            s.path(),
                            c.id,
                            c.state.name()
                        ));
                    }
                }
            }
            // Stopped by the injector (and not started again): its parent's listing says
            // whether it is stopped or, wrongly, still restarting.
            Err(ManagementError::NotRunning(_)) => {}
            Err(e) => report
                .violations
                .push(format!("{}: {e} after the faults stopped", s.path())),
        }
    }
}

/// S9.8: every accepted message was received once and in order per sender, or its child went
/// away with it counted undelivered.
fn check_messages(shared: &Shared, accepted: &Ledger, checker: &Checker, report: &mut Report) {
    let accepted = accepted.lock().unwrap();
    let received = shared.received.lock().unwrap();
    let mut missing_by_path: HashMap<&str, u64> = HashMap::new();
    for ((path, sender), sent) in accepted.iter() {
        report.accepted += sent.len() as u64;
        let got = received
            .get(&(path.clone(), *sender))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        report.received += got.len() as u64;
        if got.windows(2).any(|w| w[0] >= w[1]) {
            report.violations.push(format!(
                "{path} got sender {sender}'s messages out of order or twice"
            ));
        }
        let sent_set: HashSet<u64> = sent.iter().copied().collect();
        if let Some(x) = got.iter().find(|s| !sent_set.contains(s)) {
            report.violations.push(format!(
                "{path} got message {x} of sender {sender} that was never accepted"
            ));
        }
        *missing_by_path.entry(path).or_default() +=
            (sent.len() - got.len().min(sent.len())) as u64;
    }
    for (path, missing) in missing_by_path {
        let reported = checker.undelivered.get(path).copied().unwrap_or(0);
        report.undelivered += reported;
        if missing != reported {
            report.violations.push(format!(
                "{path}: {missing} accepted messages never received, {reported} reported undelivered"
            ));
        }
    }
}
