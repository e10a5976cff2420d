//! Testing a tree against faults (S22): faults by path on a schedule, expectations on the
//! event stream in virtual time, a seed that replays a run, and a journal of it.
//!
//! Install a kit on the test's thread before the tree starts; the tree, from the macro or the
//! builder, needs no change:
//!
//! ```
//! use std::time::Duration;
//! use supervisor::testkit::{exited, gave_up, restarting, Fault, TestKit};
//! use supervisor::{supervision_tree, ChildContext};
//!
//! async fn db(ctx: ChildContext) -> Result<(), String> {
//!     ctx.cancelled().await;
//!     Ok(())
//! }
//!
//! supervision_tree! {
//!     App: one_for_one(max_restarts = 2, within = 5s) {
//!         db: worker(db) [backoff = fixed(100ms)],
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let kit = TestKit::new();
//!     let _installed = kit.install();
//!     // Every incarnation of app/db panics a second after it starts.
//!     kit.fault("app/db", Fault::panic().after(Duration::from_secs(1)));
//!     let app = App::start().await.unwrap();
//!     kit.expect(exited("app/db").panicked()).await;
//!     kit.expect(restarting("app/db").after(Duration::from_millis(100))).await;
//!     kit.expect(gave_up("app")).await;
//!     assert!(app.join().await.is_err());
//! }
//! ```
//!
//! # Traps
//!
//! - tokio's paused clock jumps to the next timer whenever every task is idle: a run is
//!   deterministic because time moves only then. Wait with `tokio::time::sleep`, not
//!   `tokio::time::advance` (which moves the clock while tasks may still have work to do).
//! - Real I/O, and operating-system processes, do not run on the paused clock: test them in
//!   real time, or put a scripted fake behind the same interface.
//! - `tokio::select!` without `biased` polls its branches in a random order: a run replays
//!   exactly only with `biased`, or under `--cfg tokio_unstable` with a runtime seed
//!   (`tokio::runtime::Builder::rng_seed`).
//! - A multi-thread runtime interleaves tasks by the operating system's scheduling: the seed
//!   replays the faults and the jitter, not the interleaving.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::event::Kit;
use crate::health::Health;
use crate::intercept::{Delivery, Injected, Intercept, Plan, Steer};
use crate::state::HealthStatus;
use crate::{Event, EventKind, ExitReason};

/// The environment variable that fixes the seed: `SUPERVISOR_TEST_SEED=42 cargo test name`.
pub const SEED_VAR: &str = "SUPERVISOR_TEST_SEED";
/// The environment variable that repeats [`TestKit::repeat`] with new seeds.
pub const RUNS_VAR: &str = "SUPERVISOR_TEST_RUNS";

/// A test kit: install it, give it faults, and expect events (S22).
#[derive(Clone)]
pub struct TestKit {
    inner: Arc<Inner>,
}

impl fmt::Debug for TestKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKit")
            .field("seed", &self.inner.seed)
            .finish_non_exhaustive()
    }
}

struct Inner {
    seed: u64,
    /// The one generator of the run: fault draws; jitter seeds derive from `seed`.
    rng: Mutex<u64>,
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Seen>,
    arrived: Notify,
    epoch: Instant,
    patience: Mutex<Duration>,
    /// The root of the tree it was installed on last: a failure message draws it.
    root: Mutex<Option<crate::SupervisorRef>>,
    /// Where faults struck now reach each node's current incarnation.
    live: Mutex<std::collections::BTreeMap<Arc<str>, UnboundedSender<Injected>>>,
}

#[derive(Default)]
struct Seen {
    /// Events not yet looked at by an expectation.
    pending: VecDeque<Event>,
    /// Events looked at since the last match, as journal lines.
    since_match: Vec<String>,
    journal: Vec<String>,
    /// What each node is doing, as the events tell it, for the invariants.
    ledger: std::collections::HashMap<Arc<str>, Life>,
    /// Each supervisor's restart decisions, as a model of its intensity (S4).
    windows: std::collections::HashMap<Arc<str>, Window>,
    violations: Vec<String>,
}

/// A supervisor's restart decisions within its period.
#[derive(Default)]
struct Window {
    decisions: VecDeque<Instant>,
}

/// One node's life as its events tell it.
#[derive(Default)]
struct Life {
    alive: Option<u64>,
    /// The highest incarnation number its events named.
    last: Option<u64>,
    restart_pending: bool,
    gone: bool,
}

struct Rule {
    glob: String,
    fault: Fault,
    fired: u32,
    /// When it was given: what `every` counts periods from.
    given: Instant,
}

/// A fault for the incarnations of the nodes whose paths a glob matches, and when it strikes
/// (S22.1). By default it strikes every incarnation, at once.
#[derive(Clone, Debug)]
#[must_use = "a fault does nothing until given to a kit"]
pub struct Fault {
    what: What,
    times: Option<u32>,
    incarnations: Option<Vec<u64>>,
    after: Duration,
    every: Option<Duration>,
    probability: Option<f64>,
}

#[derive(Clone, Debug)]
enum What {
    Run(Injected),
    Probe(Health),
}

impl Fault {
    fn of(what: What) -> Self {
        Fault {
            what,
            times: None,
            incarnations: None,
            after: Duration::ZERO,
            every: None,
            probability: None,
        }
    }

    /// The incarnation panics (`injected: panic`).
    pub fn panic() -> Self {
        Fault::of(What::Run(Injected::Panic))
    }

    /// The incarnation returns an error (`injected: error`).
    pub fn error() -> Self {
        Fault::of(What::Run(Injected::Error))
    }

    /// The incarnation ends normally.
    pub fn exit() -> Self {
        Fault::of(What::Run(Injected::Exit))
    }

    /// The incarnation stops working but still answers its stop. A child that beats from
    /// its work stops beating with it: its judge convicts it (S12).
    pub fn hang() -> Self {
        Fault::of(What::Run(Injected::Hang))
    }

    /// The incarnation stops working and ignores its stop: it is killed at its shutdown
    /// timeout.
    pub fn hang_ignoring_stop() -> Self {
        Fault::of(What::Run(Injected::HangIgnoringStop))
    }

    /// Once asked to stop, the incarnation takes `delay` longer.
    pub fn slow_stop(delay: Duration) -> Self {
        Fault::of(What::Run(Injected::SlowStop(delay)))
    }

    /// The incarnation fails before it is up: a failed start for a worker with `init` (S9.6),
    /// an exit at once for one without.
    pub fn fail_start() -> Self {
        Fault::of(What::Run(Injected::FailStart))
    }

    /// The incarnation takes `delay` longer to come up: a worker with `init` is up that much
    /// later; one without is up at once (its task runs) and starts its work late.
    pub fn slow_start(delay: Duration) -> Self {
        Fault::of(What::Run(Injected::SlowStart(delay)))
    }

    /// The node's probe answers `health` instead of probing (S11).
    pub fn probe(health: Health) -> Self {
        Fault::of(What::Probe(health))
    }

    /// Strikes once, then no more.
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Strikes `n` times, then no more.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Strikes only the incarnations with these numbers (S3.6: the first is 0).
    pub fn on_incarnations(mut self, numbers: impl IntoIterator<Item = u64>) -> Self {
        self.incarnations = Some(numbers.into_iter().collect());
        self
    }

    /// Strikes `delay` after the incarnation starts (a fault of the run; a probe's answer and
    /// a start's faults ignore it).
    pub fn after(mut self, delay: Duration) -> Self {
        self.after = delay;
        self
    }

    /// Strikes every `period` from when the fault was given, the incarnation running then,
    /// whichever it is: `every(10s)` at 10, 20, 30 s, however often the node restarts between;
    /// `after(5s).every(10s)` at 5, 15, 25 s. A fault of the run only,
    /// as [`after`](Self::after); a period of zero is taken as one nanosecond.
    pub fn every(mut self, period: Duration) -> Self {
        self.every = Some(period.max(Duration::from_nanos(1)));
        self
    }

    /// Strikes each time with this probability, drawn from the kit's seed.
    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = Some(p.clamp(0.0, 1.0));
        self
    }
}

impl Default for TestKit {
    fn default() -> Self {
        TestKit::new()
    }
}

impl TestKit {
    /// A kit with the seed from `SUPERVISOR_TEST_SEED`, or a random one; the seed is printed
    /// with the line that replays the test.
    pub fn new() -> Self {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(random_seed);
        let kit = TestKit::with_seed(seed);
        eprintln!("supervisor testkit: {}", kit.replay_line());
        kit
    }

    /// A kit with this seed.
    pub fn with_seed(seed: u64) -> Self {
        TestKit {
            inner: Arc::new(Inner {
                seed,
                rng: Mutex::new(seed),
                rules: Mutex::new(Vec::new()),
                seen: Mutex::new(Seen::default()),
                arrived: Notify::new(),
                epoch: Instant::now(),
                patience: Mutex::new(Duration::from_secs(60)),
                root: Mutex::new(None),
                live: Mutex::new(std::collections::BTreeMap::new()),
            }),
        }
    }

    /// Its seed.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// The command that replays this test with this seed.
    pub fn replay_line(&self) -> String {
        let name = std::thread::current()
            .name()
            .filter(|n| *n != "main")
            .map_or_else(String::new, |n| format!(" {n}"));
        format!("{SEED_VAR}={} cargo test{name}", self.inner.seed)
    }

    /// How long an expectation waits, in the runtime's time, before it fails (default 60 s;
    /// on the paused clock a wait for nothing ends at once).
    pub fn patience(&self, limit: Duration) -> &Self {
        *lock(&self.inner.patience) = limit;
        self
    }

    /// Installs the kit on this thread: every tree started from it until the guard drops is
    /// steered and watched by it.
    pub fn install(&self) -> Installed {
        quiet_injected_panics();
        let previous = crate::event::install(Arc::clone(&self.inner) as Arc<dyn Kit>);
        Installed { previous }
    }

    /// Gives the nodes whose paths `glob` matches a fault: `*` stands for any part of one
    /// segment, `**` for any number of segments (`app/*/db`, `app/**`). The first fault
    /// given that applies strikes.
    pub fn fault(&self, glob: &str, fault: Fault) -> &Self {
        lock(&self.inner.rules).push(Rule {
            glob: glob.to_owned(),
            fault,
            fired: 0,
            given: Instant::now(),
        });
        self
    }

    /// Forgets every fault given with [`fault`](Self::fault) that is still to strike: a new
    /// tree under the same kit starts clean.
    pub fn clear_faults(&self) -> &Self {
        lock(&self.inner.rules).clear();
        self
    }

    /// Strikes the running incarnations of the nodes whose paths `glob` matches with `fault`
    /// now (S22.1), and returns how many it struck: a panic, an error, an exit, a hang or a
    /// slow stop of the current incarnation. Its schedule is for faults to come and is ignored
    /// here, but for a probability, drawn from the seed for each incarnation (in path order).
    ///
    /// # Panics
    ///
    /// When `fault` is a fault of a start or a probe's answer: those strike only what is yet
    /// to come; give them with [`fault`](Self::fault).
    #[track_caller]
    pub fn strike(&self, glob: &str, fault: Fault) -> usize {
        let What::Run(injected) = fault.what else {
            panic!("a probe's answer cannot strike now: give it with TestKit::fault");
        };
        if matches!(injected, Injected::FailStart | Injected::SlowStart(_)) {
            panic!("a fault of a start cannot strike a running incarnation: give it with TestKit::fault");
        }
        let mut live = lock(&self.inner.live);
        let mut struck = 0;
        live.retain(|path, strikes| {
            if strikes.is_closed() {
                return false;
            }
            let hit = self::glob(glob, path)
                && fault.probability.is_none_or(|p| self.inner.draw() < p)
                && strikes.send(injected).is_ok();
            struck += usize::from(hit);
            true
        });
        struck
    }

    /// Opens `breaker` now, as reaching its failure threshold would (S13.2): its dependents'
    /// restarts wait, its calls fail at once, until its reset timeout lets a trial through.
    pub fn trip(&self, breaker: &crate::CircuitBreaker) -> &Self {
        breaker.trip();
        self
    }

    /// The run so far, one line per event: times from the kit's creation, no addresses.
    /// Equal for equal seeds on the paused clock: compare it with a golden file.
    pub fn journal(&self) -> String {
        let seen = lock(&self.inner.seen);
        let mut out = String::new();
        for line in &seen.journal {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Waits for an event `matcher` matches, skipping others; panics when none comes within
    /// the patience, with what it saw and the line that replays the test.
    pub async fn expect(&self, matcher: Matcher) -> Event {
        match self.try_expect(matcher).await {
            Ok(event) => event,
            Err(unmet) => panic!("{unmet}"),
        }
    }

    /// [`expect`](Self::expect), answering instead of panicking.
    ///
    /// # Errors
    ///
    /// [`Unmet`] when no matching event came within the patience.
    pub async fn try_expect(&self, matcher: Matcher) -> Result<Event, Unmet> {
        let patience = *lock(&self.inner.patience);
        let deadline = Instant::now() + patience;
        loop {
            let waiting = self.inner.arrived.notified();
            if let Some(event) = self.next_pending() {
                if matcher.matches(&event) {
                    lock(&self.inner.seen).since_match.clear();
                    return Ok(event);
                }
                continue;
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                return Err(self.unmet(format!("{matcher}"), patience).await);
            }
        }
    }

    /// Expects each matcher in turn: the events they match come in this order, others may
    /// come between.
    pub async fn expect_in_order(&self, matchers: impl IntoIterator<Item = Matcher>) {
        for m in matchers {
            self.expect(m).await;
        }
    }

    /// Expects one event for each matcher, in any order.
    pub async fn expect_all(&self, matchers: impl IntoIterator<Item = Matcher>) {
        let mut left: Vec<Matcher> = matchers.into_iter().collect();
        let patience = *lock(&self.inner.patience);
        let deadline = Instant::now() + patience;
        while !left.is_empty() {
            let waiting = self.inner.arrived.notified();
            if let Some(event) = self.next_pending() {
                if let Some(i) = left.iter().position(|m| m.matches(&event)) {
                    let _matched = left.remove(i);
                    lock(&self.inner.seen).since_match.clear();
                }
                continue;
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                let names: Vec<String> = left.iter().map(ToString::to_string).collect();
                let wanted = format!("all of [{}]", names.join(", "));
                panic!("{}", self.unmet(wanted, patience).await);
            }
        }
    }

    /// Expects no event at all for `quiet`: the tree has settled.
    pub async fn expect_quiet(&self, quiet: Duration) {
        let deadline = Instant::now() + quiet;
        loop {
            let waiting = self.inner.arrived.notified();
            if let Some(event) = self.next_pending() {
                let line = self.line(&event);
                let unmet = self.unmet(format!("no event for {quiet:?}, but: {line}"), quiet);
                panic!("{}", unmet.await);
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                return;
            }
        }
    }

    /// Expects the node at `path` to end for good (its `Gone` event; for the root, the
    /// tree's end).
    pub async fn expect_ended(&self, path: &str) {
        self.expect(gone(path)).await;
    }

    /// Runs `test` once with this kit's seed, and again with a new seed for each further run
    /// `SUPERVISOR_TEST_RUNS` asks for; each run gets a fresh kit, installed. A failing run
    /// prints its seed first.
    pub async fn repeat<F, Fut>(test: F)
    where
        F: FnMut(TestKit) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let runs: u32 = std::env::var(RUNS_VAR)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        TestKit::repeat_runs(runs, test).await;
    }

    /// [`repeat`](Self::repeat) with the number of runs given (at least one): the first
    /// with the seed of `SUPERVISOR_TEST_SEED` or a random one, each further one with a new
    /// random seed, printed.
    pub async fn repeat_runs<F, Fut>(runs: u32, mut test: F)
    where
        F: FnMut(TestKit) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        for run in 0..runs.max(1) {
            let kit = if run == 0 {
                TestKit::new()
            } else {
                let kit = TestKit::with_seed(random_seed());
                eprintln!("supervisor testkit: run {}: {}", run + 1, kit.replay_line());
                kit
            };
            let installed = kit.install();
            test(kit).await;
            drop(installed);
        }
    }

    /// Runs `test` twice with `seed` and compares the journals (S22.2): `Ok` with the
    /// journal when they are equal, `Err` with the first line that differs otherwise.
    ///
    /// # Errors
    ///
    /// The first line where the two runs differ.
    pub async fn check_determinism<F, Fut>(seed: u64, mut test: F) -> Result<String, String>
    where
        F: FnMut(TestKit) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut journals = Vec::new();
        for _ in 0..2 {
            let kit = TestKit::with_seed(seed);
            let installed = kit.install();
            test(kit.clone()).await;
            drop(installed);
            journals.push(kit.journal());
        }
        let (a, b) = (&journals[0], &journals[1]);
        if a == b {
            return Ok(journals.swap_remove(0));
        }
        let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        let line = at.unwrap_or_else(|| a.lines().count().min(b.lines().count()));
        Err(format!(
            "seed {seed} did not replay: line {} differs: {:?} against {:?}",
            line + 1,
            a.lines().nth(line).unwrap_or("(end)"),
            b.lines().nth(line).unwrap_or("(end)"),
        ))
    }

    /// The invariants the run broke so far (S22.3): an incarnation started while another of
    /// the same node was alive, an exit of an incarnation that was not, a node gone while
    /// alive, a restart beyond a supervisor's intensity or a give-up within it (against a
    /// model of S4; on a current-thread runtime, where events come at the times decided), a
    /// message its mailbox accepted and that was neither taken by an
    /// incarnation, reported undelivered (S9.8), dropped to make room (S14.3) nor moved to
    /// another slot (S14.5), counted when its node goes; and, once the tree has ended, a node
    /// left behind (not gone) or a restart decided and never carried out. That messages come
    /// in the order they were sent is the channel's own guarantee, not checked here.
    pub fn violations(&self) -> Vec<String> {
        let root = lock(&self.inner.root).clone();
        let seen = lock(&self.inner.seen);
        let mut out = seen.violations.clone();
        if let Some(root) = root {
            out.extend(left_behind(&seen, root.path()));
        }
        out
    }

    /// Panics listing [`violations`](Self::violations), with the line that replays the test,
    /// when there are any.
    pub fn assert_invariants(&self) {
        let broken = self.violations();
        if !broken.is_empty() {
            panic!(
                "invariants broken ({}):\n  {}\nreplay: {}",
                broken.len(),
                broken.join("\n  "),
                self.replay_line()
            );
        }
    }

    fn next_pending(&self) -> Option<Event> {
        let mut seen = lock(&self.inner.seen);
        let event = seen.pending.pop_front()?;
        let line = self.inner.line(&event);
        seen.since_match.push(line);
        Some(event)
    }

    fn line(&self, event: &Event) -> String {
        self.inner.line(event)
    }

    async fn unmet(&self, wanted: String, patience: Duration) -> Unmet {
        let seen = lock(&self.inner.seen).since_match.clone();
        let root = lock(&self.inner.root).clone();
        let tree = match root {
            Some(root) => root.picture().await.text(),
            None => "(no tree started under the kit)\n".to_owned(),
        };
        Unmet {
            wanted,
            patience,
            seen,
            tree,
            replay: self.replay_line(),
        }
    }
}

/// An expectation that was not met: what was wanted, every event seen since the last match,
/// and the line that replays the test.
#[derive(Clone, Debug)]
pub struct Unmet {
    wanted: String,
    patience: Duration,
    seen: Vec<String>,
    tree: String,
    replay: String,
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "expected within {:?}: {}", self.patience, self.wanted)?;
        writeln!(f, "events seen since the last match ({}):", self.seen.len())?;
        for line in &self.seen {
            writeln!(f, "  {line}")?;
        }
        writeln!(f, "the tree now:")?;
        for line in self.tree.lines() {
            writeln!(f, "  {line}")?;
        }
        write!(f, "replay: {}", self.replay)
    }
}

impl std::error::Error for Unmet {}

/// Puts back the kit installed before, when dropped.
#[must_use = "the kit stays installed only while this guard lives"]
pub struct Installed {
    previous: Option<Arc<dyn Kit>>,
}

impl fmt::Debug for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installed").finish_non_exhaustive()
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        crate::event::restore(self.previous.take());
    }
}

impl Inner {
    /// The next draw of the run's generator, in [0, 1).
    fn draw(&self) -> f64 {
        let mut state = lock(&self.rng);
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (mix(*state) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The first rule for this path and incarnation that strikes now.
    fn strike(&self, path: &str, incarnation: u64, probe: bool) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        for at in 0..rules.len() {
            let rule = &mut rules[at];
            let applies = matches!(rule.fault.what, What::Probe(_)) == probe
                && glob(&rule.glob, path)
                && rule.fault.times.is_none_or(|n| rule.fired < n)
                && (rule.fault.incarnations.as_ref()).is_none_or(|i| i.contains(&incarnation));
            if !applies {
                continue;
            }
            if let Some(p) = rule.fault.probability {
                if self.draw() >= p {
                    continue;
                }
            }
            rule.fired += 1;
            let mut fault = rule.fault.clone();
            if let Some(period) = fault.every {
                let first = match fault.after {
                    Duration::ZERO => period,
                    after => after,
                };
                fault.after = until_next(rule.given + first, period, Instant::now());
            }
            // A rule spent is dropped, so that a long run's schedule does not pile up.
            if fault.times.is_some_and(|n| rule.fired >= n) {
                rules.remove(at);
            }
            return Some(fault);
        }
        None
    }

    fn line(&self, event: &Event) -> String {
        let at = event.at.saturating_duration_since(self.epoch);
        format!("{:>10} {} {}", Secs(at), event.path, describe(&event.kind))
    }
}

impl Intercept for Inner {
    fn steer(&self, path: &str, incarnation: u64) -> Option<Box<Steer>> {
        let plan = self
            .strike(path, incarnation, false)
            .and_then(|fault| match fault.what {
                What::Run(fault_kind) => Some(Plan {
                    fault: fault_kind,
                    after: fault.after,
                }),
                What::Probe(_) => None,
            });
        let (tx, strikes) = unbounded_channel();
        lock(&self.live).insert(Arc::from(path), tx);
        Some(Box::new(Steer { plan, strikes }))
    }

    fn probe(&self, path: &str, incarnation: u64) -> Option<(HealthStatus, Arc<str>)> {
        match self.strike(path, incarnation, true)?.what {
            What::Probe(Health::Healthy) => Some((HealthStatus::Healthy, Arc::from(""))),
            What::Probe(Health::Degraded(cause)) => Some((HealthStatus::Degraded, cause)),
            What::Probe(Health::Unhealthy(cause)) => Some((HealthStatus::Unhealthy, cause)),
            What::Run(_) => None,
        }
    }

    fn delivered(&self, path: &str, d: Delivery) {
        let accounted = d.taken + d.undelivered + d.dropped + d.moved;
        // On several threads a sender counts its message a moment after the mailbox has it:
        // more accounted for than accepted may be that moment, fewer never is.
        let one_thread = one_thread();
        let broken = if d.accepted > accounted {
            format!(
                "{} accepted messages neither taken nor reported",
                d.accepted - accounted
            )
        } else if d.accepted < accounted && one_thread {
            format!(
                "{} more messages taken or reported than accepted",
                accounted - d.accepted
            )
        } else {
            return;
        };
        lock(&self.seen).violations.push(format!(
            "{broken}: {path} (accepted {}, taken {}, reported undelivered {}, dropped {}, \
             moved {})",
            d.accepted, d.taken, d.undelivered, d.dropped, d.moved
        ));
    }

    fn seed(&self, path: &str) -> u64 {
        path.bytes()
            .fold(mix(self.seed), |h, b| mix(h ^ u64::from(b)))
    }

    fn attach(&self, root: &dyn std::any::Any) {
        if let Some(root) = root.downcast_ref::<crate::SupervisorRef>() {
            let previous = lock(&self.root).replace(root.clone());
            // A new tree under the same kit: the last one's end is checked, then forgotten.
            if let Some(previous) = previous {
                let mut seen = lock(&self.seen);
                let left = left_behind(&seen, previous.path());
                seen.violations.extend(left);
                seen.ledger.clear();
                seen.windows.clear();
            }
        }
    }
}

impl Kit for Inner {
    fn record(&self, event: &Event) {
        let line = self.line(event);
        let root = lock(&self.root).clone();
        let mut seen = lock(&self.seen);
        check(&mut seen, event, &line);
        // The model needs the times the supervisors decided at, which an event's are on one
        // thread; on several, another thread may run between a decision and its event.
        if let Some(root) = root.filter(|_| one_thread()) {
            check_intensity(&mut seen, &root, event, &line);
        }
        seen.journal.push(line);
        seen.pending.push_back(event.clone());
        drop(seen);
        self.arrived.notify_waiters();
    }
}

/// Once the tree whose root is at `root` has ended: the nodes it left behind, and the
/// restarts decided and never carried out.
fn left_behind(seen: &Seen, root: &str) -> Vec<String> {
    if !seen.ledger.get(root).is_some_and(|l| l.gone) {
        return Vec::new();
    }
    let mut left: Vec<String> = (seen.ledger.iter())
        .filter(|(_, life)| !life.gone || life.restart_pending)
        .map(|(path, life)| match life.restart_pending {
            true => format!("a restart of {path} decided and never carried out"),
            false => format!("{path} left behind after the tree ended"),
        })
        .collect();
    left.sort();
    left
}

/// Checks the invariants one event can break, as the run goes on (S22.3): one incarnation of
/// a node alive at a time, an exit only of the incarnation alive, nothing alive when it goes.
fn check(seen: &mut Seen, event: &Event, line: &str) {
    // A breaker's events are named by the breaker, not a node.
    if matches!(event.kind, EventKind::Breaker { .. }) {
        return;
    }
    let life = seen.ledger.entry(Arc::clone(&event.path)).or_default();
    let broken = match &event.kind {
        EventKind::Started { incarnation } => {
            let broken = life
                .alive
                .map(|a| format!("two incarnations alive at once (#{a} still was)"));
            life.alive = Some(*incarnation);
            life.last = life.last.max(Some(*incarnation));
            life.restart_pending = false;
            broken
        }
        EventKind::StartFailed { incarnation, .. } => {
            life.last = life.last.max(Some(*incarnation));
            life.restart_pending = false;
            None
        }
        EventKind::Exited { incarnation, .. } | EventKind::Stopped { incarnation, .. } => {
            // The one alive ends, or one still starting (stopped during its `init`): a newer
            // number than any seen.
            let starting = life.alive.is_none() && life.last.is_none_or(|l| *incarnation > l);
            let broken = (life.alive != Some(*incarnation) && !starting)
                .then(|| format!("an exit of #{incarnation}, alive was {:?}", life.alive));
            life.alive = None;
            life.last = life.last.max(Some(*incarnation));
            broken
        }
        EventKind::Restarting { .. } => {
            life.restart_pending = true;
            None
        }
        EventKind::Gone { .. } => {
            life.gone = true;
            life.restart_pending = false;
            life.alive
                .take()
                .map(|a| format!("gone while #{a} was alive"))
        }
        _ => None,
    };
    if let Some(what) = broken {
        seen.violations.push(format!("{what}: {line}"));
    }
}

/// Checks each supervisor's intensity against a model of it (S4.1, S4.2): a restart is
/// decided only while the decisions within the period are at most `max_restarts`, and a
/// supervisor gives up for want of a restart only when one more would be beyond it. A
/// supervisor's new incarnation starts a new window.
fn check_intensity(seen: &mut Seen, root: &crate::SupervisorRef, event: &Event, line: &str) {
    let path = &event.path;
    let supervisor_of = |path: &str| -> Option<(Arc<str>, crate::Intensity)> {
        let (parent, _) = path.rsplit_once('/')?;
        let sup = if parent == root.path() {
            root.clone()
        } else {
            let rel = parent.strip_prefix(root.path())?.strip_prefix('/')?;
            root.supervisor(rel).ok()?
        };
        Some((Arc::from(parent), sup.intensity()))
    };
    let broken = match &event.kind {
        EventKind::Started { .. } => {
            // A supervisor's new incarnation has a new window.
            seen.windows.remove(path);
            None
        }
        EventKind::Restarting { .. } => {
            let Some((sup, intensity)) = supervisor_of(path) else {
                return;
            };
            let window = seen.windows.entry(sup).or_default();
            window.decisions.push_back(event.at);
            while let Some(&first) = window.decisions.front() {
                if event.at.duration_since(first) >= intensity.period {
                    window.decisions.pop_front();
                } else {
                    break;
                }
            }
            let n = window.decisions.len();
            (n > intensity.max_restarts as usize).then(|| {
                format!(
                    "a restart beyond the intensity ({n} decisions within {:?}, at most {})",
                    intensity.period, intensity.max_restarts
                )
            })
        }
        // An escalating or fatal directive gives up at once, whatever the intensity.
        EventKind::GaveUp { escalation } if escalation.directive == crate::Directive::Restart => {
            let intensity = if **path == *root.path() {
                root.intensity()
            } else {
                let rel = path
                    .strip_prefix(root.path())
                    .and_then(|r| r.strip_prefix('/'));
                match rel.and_then(|r| root.supervisor(r).ok()) {
                    Some(sup) => sup.intensity(),
                    None => return,
                }
            };
            let window = seen.windows.entry(Arc::clone(path)).or_default();
            let recent = (window.decisions.iter())
                .filter(|&&d| event.at.duration_since(d) < intensity.period)
                .count();
            (recent < intensity.max_restarts as usize).then(|| {
                format!(
                    "gave up within its intensity ({recent} decisions within {:?}, {} allowed)",
                    intensity.period, intensity.max_restarts
                )
            })
        }
        _ => None,
    };
    if let Some(what) = broken {
        seen.violations.push(format!("{what}: {line}"));
    }
}

/// How long from `now` until the first of `first`, `first + period`, `first + 2 period`, ...
/// that is not past.
fn until_next(first: Instant, period: Duration, now: Instant) -> Duration {
    if now <= first {
        return first - now;
    }
    let since = (now - first).as_nanos();
    let period_ns = period.as_nanos();
    let periods = since.div_ceil(period_ns);
    let next = periods * period_ns - since;
    Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX))
}

/// Whether the kit runs on a current-thread runtime, where what it is told comes in the order
/// it happened.
fn one_thread() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Keeps the kit's own panics out of the test's output, once per process: thousands of them
/// would bury the one that matters. Every other panic goes to the hook that was there.
fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<crate::exit::InjectedPanic>() {
                previous(info);
            }
        }));
    });
}

/// Seconds with three decimals, as journals write times.
struct Secs(Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("+{:.3}s", self.0.as_secs_f64()))
    }
}

/// An event as a journal line writes it: no addresses, nothing that varies between runs of
/// one seed.
fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::Started { incarnation } => format!("started #{incarnation}"),
        EventKind::StartFailed {
            incarnation,
            reason,
        } => format!("start failed #{incarnation}: {reason}"),
        EventKind::Exited {
            incarnation,
            reason,
            directive,
            ..
        } => format!(
            "exited #{incarnation} {}: {reason} -> {directive}",
            reason.kind()
        ),
        EventKind::Health { status, .. } => format!("health {status:?}"),
        EventKind::Suspect { phi, .. } => format!("suspect phi {phi:.2}"),
        EventKind::Breaker { state, .. } => format!("breaker {state:?}"),
        EventKind::AwaitingBreaker { breaker, retry_in } => {
            format!("awaits breaker {breaker} {retry_in:?}")
        }
        EventKind::Restarting { delay, restarts } => format!("restarting #{restarts} in {delay:?}"),
        EventKind::Quarantined {
            max_restarts,
            within,
        } => format!("quarantined: more than {max_restarts} restarts within {within:?}"),
        EventKind::Paused => "paused".to_owned(),
        EventKind::Resumed => "resumed".to_owned(),
        EventKind::Stopping {
            incarnation,
            kill_after,
        } => {
            format!("stopping #{incarnation}, kill after {kill_after:?}")
        }
        EventKind::Stopped {
            incarnation,
            reason,
        } => format!("stopped #{incarnation}: {reason}"),
        EventKind::Gone { how, undelivered } => format!("gone ({how}), {undelivered} undelivered"),
        EventKind::GaveUp { escalation } => format!("gave up: {escalation}"),
        EventKind::AutoShutdown => "auto_shutdown".to_owned(),
    }
}

/// Which events a [`Matcher`] takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Started,
    StartFailed,
    Exited,
    Restarting,
    Stopped,
    Gone,
    GaveUp,
    Health,
}

/// A small predicate on events, written as it reads: `exited("app/db").panicked()`. Its path
/// is a glob, as a fault's is.
#[derive(Clone, Debug)]
#[must_use = "a matcher does nothing until expected"]
pub struct Matcher {
    path: String,
    kind: Kind,
    reason: Option<&'static str>,
    delay: Option<Duration>,
    incarnation: Option<u64>,
}

fn matcher(path: &str, kind: Kind) -> Matcher {
    Matcher {
        path: path.to_owned(),
        kind,
        reason: None,
        delay: None,
        incarnation: None,
    }
}

/// An incarnation of the node came up.
pub fn started(path: &str) -> Matcher {
    matcher(path, Kind::Started)
}

/// An incarnation of the node failed to start.
pub fn start_failed(path: &str) -> Matcher {
    matcher(path, Kind::StartFailed)
}

/// An incarnation of the node exited on its own (or was convicted).
pub fn exited(path: &str) -> Matcher {
    matcher(path, Kind::Exited)
}

/// The node's restart was decided.
pub fn restarting(path: &str) -> Matcher {
    matcher(path, Kind::Restarting)
}

/// An incarnation of the node was stopped by its supervisor.
pub fn stopped(path: &str) -> Matcher {
    matcher(path, Kind::Stopped)
}

/// The node is gone for good.
pub fn gone(path: &str) -> Matcher {
    matcher(path, Kind::Gone)
}

/// The supervisor gave up (S4.2).
pub fn gave_up(path: &str) -> Matcher {
    matcher(path, Kind::GaveUp)
}

/// The node's health changed (S11).
pub fn health(path: &str) -> Matcher {
    matcher(path, Kind::Health)
}

impl Matcher {
    /// Its exit reason is a panic.
    pub fn panicked(mut self) -> Self {
        self.reason = Some("panic");
        self
    }

    /// Its exit reason is an error.
    pub fn errored(mut self) -> Self {
        self.reason = Some("error");
        self
    }

    /// Its exit reason is a normal exit.
    pub fn normally(mut self) -> Self {
        self.reason = Some("normal");
        self
    }

    /// Its exit reason is a kill (a stop that ran out of time).
    pub fn killed(mut self) -> Self {
        self.reason = Some("killed");
        self
    }

    /// A restart after exactly this delay.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Of the incarnation with this number.
    pub fn incarnation(mut self, number: u64) -> Self {
        self.incarnation = Some(number);
        self
    }

    /// Whether `event` is one this matcher takes.
    pub fn matches(&self, event: &Event) -> bool {
        if !glob(&self.path, &event.path) {
            return false;
        }
        let (kind, reason, delay, incarnation) = match &event.kind {
            EventKind::Started { incarnation } => (Kind::Started, None, None, Some(*incarnation)),
            EventKind::StartFailed {
                incarnation,
                reason,
            } => (Kind::StartFailed, Some(reason), None, Some(*incarnation)),
            EventKind::Exited {
                incarnation,
                reason,
                ..
            } => (Kind::Exited, Some(reason), None, Some(*incarnation)),
            EventKind::Restarting { delay, .. } => (Kind::Restarting, None, Some(*delay), None),
            EventKind::Stopped {
                incarnation,
                reason,
            } => (Kind::Stopped, Some(reason), None, Some(*incarnation)),
            EventKind::Gone { .. } => (Kind::Gone, None, None, None),
            EventKind::GaveUp { .. } => (Kind::GaveUp, None, None, None),
            EventKind::Health { .. } => (Kind::Health, None, None, None),
            _ => return false,
        };
        kind == self.kind
            && self
                .reason
                .is_none_or(|r| reason.map(ExitReason::kind) == Some(r))
            && self.delay.is_none_or(|d| delay == Some(d))
            && self.incarnation.is_none_or(|n| incarnation == Some(n))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            Kind::Started => "started",
            Kind::StartFailed => "start_failed",
            Kind::Exited => "exited",
            Kind::Restarting => "restarting",
            Kind::Stopped => "stopped",
            Kind::Gone => "gone",
            Kind::GaveUp => "gave_up",
            Kind::Health => "health",
        };
        write!(f, "{name}({:?})", self.path)?;
        match self.reason {
            Some("panic") => f.write_str(".panicked()")?,
            Some("error") => f.write_str(".errored()")?,
            Some("normal") => f.write_str(".normally()")?,
            Some("killed") => f.write_str(".killed()")?,
            _ => {}
        }
        if let Some(d) = self.delay {
            write!(f, ".after({d:?})")?;
        }
        if let Some(n) = self.incarnation {
            write!(f, ".incarnation({n})")?;
        }
        Ok(())
    }
}

/// Whether `path` matches `pattern`: `*` is any part of one segment, `**` any number of
/// segments.
fn glob(pattern: &str, path: &str) -> bool {
    fn segments<'a>(p: &[&'a str], s: &[&'a str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => segments(&p[1..], s) || (!s.is_empty() && segments(p, &s[1..])),
            (Some(pat), Some(seg)) => {
                segment(pat.as_bytes(), seg.as_bytes()) && segments(&p[1..], &s[1..])
            }
            _ => false,
        }
    }
    fn segment(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => segment(&p[1..], s) || (!s.is_empty() && segment(p, &s[1..])),
            (Some(a), Some(b)) if a == b => segment(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    segments(&p, &s)
}

/// A finaliser of splitmix64: spreads a counter into 64 random-looking bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::{check, check_intensity, glob, Seen};
    use crate::{Event, EventKind, ExitReason};
    use std::sync::Arc;

    fn event(path: &str, kind: EventKind) -> Event {
        Event {
            at: tokio::time::Instant::now(),
            path: Arc::from(path),
            kind,
        }
    }

    // S22.3, S4: the intensity model catches a restart beyond the intensity, and a give-up
    // within it.
    #[tokio::test(start_paused = true)]
    async fn the_intensity_model_catches_both_ways() {
        let spec = crate::SupervisorSpec::new("app")
            .intensity(1, std::time::Duration::from_secs(10))
            .child(crate::ChildSpec::worker(
                "a",
                |ctx: crate::ChildContext| async move {
                    ctx.cancelled().await;
                    Ok::<(), crate::BoxError>(())
                },
            ));
        let tree = crate::Supervisor::start(spec).await.unwrap();
        let root = tree.root().clone();
        let mut seen = Seen::default();
        let restarting = || EventKind::Restarting {
            delay: std::time::Duration::ZERO,
            restarts: 1,
        };
        check_intensity(&mut seen, &root, &event("app/a", restarting()), "first");
        assert!(seen.violations.is_empty(), "{:?}", seen.violations);
        check_intensity(&mut seen, &root, &event("app/a", restarting()), "second");
        assert_eq!(seen.violations.len(), 1, "{:?}", seen.violations);
        assert!(seen.violations[0].starts_with("a restart beyond the intensity"));

        let mut seen = Seen::default();
        let escalation = Arc::new(crate::Escalation {
            supervisor: Arc::from("app"),
            child: Arc::from("app/a"),
            cause: ExitReason::Panic(Arc::from("boom")),
            directive: crate::Directive::Restart,
            context: None,
        });
        let gave_up = EventKind::GaveUp { escalation };
        check_intensity(&mut seen, &root, &event("app", gave_up), "gave up");
        assert_eq!(seen.violations.len(), 1, "{:?}", seen.violations);
        assert!(seen.violations[0].starts_with("gave up within its intensity"));
        tree.shutdown().await.unwrap();
    }

    // S22.3: a message accepted and neither taken, reported, dropped nor moved is caught; on
    // one thread, one accounted for twice is too.
    #[tokio::test]
    async fn the_delivery_check_catches_a_lost_message_and_a_double_count() {
        use crate::intercept::{Delivery, Intercept};
        let kit = super::TestKit::with_seed(1);
        let whole = Delivery {
            accepted: 10,
            taken: 5,
            undelivered: 2,
            dropped: 2,
            moved: 1,
        };
        kit.inner.delivered("app/a", whole);
        assert!(kit.violations().is_empty(), "{:?}", kit.violations());
        kit.inner.delivered("app/b", Delivery { taken: 4, ..whole });
        kit.inner.delivered("app/c", Delivery { taken: 6, ..whole });
        let broken = kit.violations();
        assert_eq!(broken.len(), 2, "{broken:?}");
        assert!(broken[0].starts_with("1 accepted messages neither taken nor reported: app/b"));
        assert!(broken[1].starts_with("1 more messages taken or reported than accepted: app/c"));
    }

    // S22.1: the next strike of a periodic fault: the first not past, exact on the period.
    #[test]
    fn the_next_strike_of_a_period() {
        use std::time::Duration;
        let t0 = tokio::time::Instant::now();
        let s = Duration::from_secs;
        assert_eq!(super::until_next(t0 + s(10), s(10), t0), s(10));
        assert_eq!(super::until_next(t0, s(10), t0), s(0));
        assert_eq!(super::until_next(t0, s(10), t0 + s(10)), s(0));
        assert_eq!(super::until_next(t0, s(10), t0 + s(11)), s(9));
        assert_eq!(super::until_next(t0, s(10), t0 + s(25)), s(5));
    }

    // S22.3: the checker catches what the runtime must never do.
    #[test]
    fn the_invariants_catch_two_live_incarnations_and_a_stray_exit() {
        let mut seen = Seen::default();
        for (path, kind) in [
            ("app/a", EventKind::Started { incarnation: 0 }),
            ("app/a", EventKind::Started { incarnation: 1 }),
            ("app/b", EventKind::Started { incarnation: 3 }),
            (
                "app/b",
                EventKind::Stopped {
                    incarnation: 3,
                    reason: ExitReason::Shutdown,
                },
            ),
            // An exit of an incarnation older than one that ended: none was alive.
            (
                "app/b",
                EventKind::Stopped {
                    incarnation: 2,
                    reason: ExitReason::Shutdown,
                },
            ),
            // Stopped while starting (in its `init`): a newer number, never up.
            (
                "app/b",
                EventKind::Stopped {
                    incarnation: 4,
                    reason: ExitReason::Shutdown,
                },
            ),
            ("app/c", EventKind::Started { incarnation: 0 }),
            (
                "app/c",
                EventKind::Gone {
                    how: crate::Gone::Deleted,
                    undelivered: 0,
                },
            ),
        ] {
            check(&mut seen, &event(path, kind), path);
        }
        assert_eq!(
            seen.violations,
            [
                "two incarnations alive at once (#0 still was): app/a",
                "an exit of #2, alive was None: app/b",
                "gone while #0 was alive: app/c",
            ]
        );
    }

    #[test]
    fn globs_match_segments() {
        assert!(glob("app/db", "app/db"));
        assert!(!glob("app/db", "app/dbx"));
        assert!(glob("app/*", "app/db"));
        assert!(!glob("app/*", "app/db/0"));
        assert!(glob("app/**", "app/db/0"));
        assert!(glob("app/**", "app"));
        assert!(glob("app/d*/0", "app/db/0"));
        assert!(glob("**/0", "app/db/0"));
    }
}
