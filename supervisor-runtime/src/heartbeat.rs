//! Heartbeats and the phi-accrual failure detector (S12; Hayashibara et al., "The φ accrual
//! failure detector", 2004, with Akka's acceptable pause and minimum deviation).
//!
//! A beat is two relaxed atomic writes on the child's node: no allocation, no channel, no lock.
//! The supervisor's side is one timer per child, in the supervisor's own timer heap, set to
//! the instant phi would reach half its threshold, then its threshold (solved in closed form
//! from the window's mean and deviation); when it fires, the supervisor reads the beats that
//! came meanwhile and either re-arms from the newest or convicts: no polling, no task.
//!
//! phi uses the normal distribution's exact tail, `Q(y) = erfc(y / √2) / 2`, evaluated in log
//! space (so that phi stays finite far into the tail) with the complementary error function of
//! Press et al., *Numerical Recipes*, §6.2 (relative error below 1.2e-7, so phi is within 1e-7
//! of the formula), not Akka's logistic approximation, which overstates phi by 0.04 at phi 2.9
//! and by 1.3 at phi 8 (with a threshold of 8, it convicts about 0.6 deviations early).
//!
//! The window holds the intervals between the beats the detector has seen. It sees beats in
//! batches (those that came while it slept): a batch of `k` beats spanning `d` adds `k` intervals
//! of `d / k`, so the mean is exact and the deviation is that of the batches' means, floored at
//! `min_std_deviation` as always. At most 16 batches are kept (the oldest merged, sums kept), so
//! a detector's memory is bounded whatever the child's rate and the window's length.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How a child's heartbeats are judged (S12.6 defaults, but the interval, which has none).
///
/// ```
/// use std::time::Duration;
/// use supervisor::{ChildContext, ChildSpec, Heartbeat};
///
/// async fn agent(ctx: ChildContext) -> Result<(), std::io::Error> {
///     loop {
///         tokio::select! {
///             _ = ctx.cancelled() => return Ok(()),
///             _ = tokio::time::sleep(Duration::from_millis(500)) => ctx.heartbeat(),
///         }
///     }
/// }
///
/// let spec = ChildSpec::worker("agent", agent)
///     .heartbeat(Heartbeat::every(Duration::from_millis(500)).threshold(8.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until it is used"]
pub struct Heartbeat {
    pub(crate) interval: Duration,
    pub(crate) threshold: f64,
    pub(crate) window: u32,
    pub(crate) min_std_deviation: Duration,
    pub(crate) acceptable_pause: Duration,
    pub(crate) max_local_pause: Duration,
}

impl Heartbeat {
    /// Default phi at which a child is convicted.
    pub const DEFAULT_THRESHOLD: f64 = 8.0;
    /// Default number of intervals the estimate is made from.
    pub const DEFAULT_WINDOW: u32 = 1000;
    /// Default floor of the deviation.
    pub const DEFAULT_MIN_STD_DEVIATION: Duration = Duration::from_millis(100);
    /// Default pause a child may take beyond its usual interval.
    pub const DEFAULT_ACCEPTABLE_PAUSE: Duration = Duration::from_secs(3);
    /// Default lateness of the detector's own timer past which it does not convict.
    pub const DEFAULT_MAX_LOCAL_PAUSE: Duration = Duration::from_secs(5);

    /// Heartbeats expected about every `interval` (S12.2: the estimate until real intervals
    /// exist), judged with the defaults of S12.6.
    pub fn every(interval: Duration) -> Self {
        Heartbeat {
            interval,
            threshold: Self::DEFAULT_THRESHOLD,
            window: Self::DEFAULT_WINDOW,
            min_std_deviation: Self::DEFAULT_MIN_STD_DEVIATION,
            acceptable_pause: Self::DEFAULT_ACCEPTABLE_PAUSE,
            max_local_pause: Self::DEFAULT_MAX_LOCAL_PAUSE,
        }
    }

    /// The phi at which the child is convicted (greater than zero); half of it is "suspect".
    pub fn threshold(mut self, phi: f64) -> Self {
        self.threshold = phi;
        self
    }

    /// How many of the latest intervals the estimate is made from (at least 2).
    pub fn window(mut self, intervals: u32) -> Self {
        self.window = intervals;
        self
    }

    /// The floor of the deviation: with beats like clockwork, phi still rises gradually.
    pub fn min_std_deviation(mut self, floor: Duration) -> Self {
        self.min_std_deviation = floor;
        self
    }

    /// A pause the child may take on top of its mean interval (a collection, a slow call).
    pub fn acceptable_pause(mut self, pause: Duration) -> Self {
        self.acceptable_pause = pause;
        self
    }

    /// How late the detector's own timer may fire before it distrusts itself (S12.4).
    pub fn max_local_pause(mut self, pause: Duration) -> Self {
        self.max_local_pause = pause;
        self
    }
}

/// `-log10(Q(y))`, `Q` the upper tail of the standard normal distribution.
pub(crate) fn phi_of(y: f64) -> f64 {
    -(0.5f64.ln() + ln_erfc(y / std::f64::consts::SQRT_2)) / std::f64::consts::LN_10
}

/// `ln(erfc(x))`, in log space for `x >= 0` so that it never underflows (Numerical Recipes'
/// Chebyshev fit, relative error below 1.2e-7).
fn ln_erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ln_ans = t.ln() + poly;
    if x >= 0.0 {
        ln_ans
    } else {
        (2.0 - ln_ans.exp()).ln()
    }
}

/// The `y` at which `phi_of(y)` reaches `threshold`, by bisection (phi is increasing in `y`).
pub(crate) fn y_at(threshold: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    while phi_of(hi) < threshold && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if phi_of(mid) < threshold {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// At most this many batches are kept: a child that beats for days keeps a window of bounded
/// size, whatever its rate (one batch per look of its judge would otherwise grow to `window`
/// batches: 16 KB for the default window of a child that beats every few seconds).
const MAX_BATCHES: usize = 16;

/// A run of intervals: how many, their sum and the sum of their squares, in seconds.
#[derive(Clone, Copy, Debug, Default)]
struct Batch {
    count: u64,
    sum: f64,
    sum_sq: f64,
}

impl Batch {
    fn add(&mut self, other: Batch) {
        self.count += other.count;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }
}

/// The intervals of one incarnation's window, in batches. Each look adds one batch of equal
/// intervals; beyond [`MAX_BATCHES`] the two oldest are merged, keeping their count, sum and
/// sum of squares, so the window's mean and deviation stay exact. Only when intervals leave
/// the window from a merged batch is the part that leaves taken as the batch's average.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    /// Oldest first.
    batches: VecDeque<Batch>,
    total: Batch,
    capacity: u64,
}

impl Window {
    /// A window primed with the declared interval: two samples, mean +/- mean / 4 (S12.2).
    pub(crate) fn new(config: &Heartbeat) -> Self {
        let mean = config.interval.as_secs_f64();
        let mut w = Window {
            // The two primed samples; a child judged for long grows it to MAX_BATCHES.
            batches: VecDeque::with_capacity(2),
            total: Batch::default(),
            capacity: u64::from(config.window.max(2)),
        };
        w.add(mean - mean / 4.0, 1);
        w.add(mean + mean / 4.0, 1);
        w
    }

    /// Adds `count` intervals of `interval` seconds, dropping the oldest beyond the capacity.
    pub(crate) fn add(&mut self, interval: f64, count: u64) {
        if count == 0 {
            return;
        }
        if self.batches.len() == MAX_BATCHES {
            if let Some(oldest) = self.batches.pop_front() {
                if let Some(next) = self.batches.front_mut() {
                    next.add(oldest);
                }
            }
        }
        let n = count as f64;
        self.batches.push_back(Batch {
            count,
            sum: interval * n,
            sum_sq: interval * interval * n,
        });
        let mut excess = self.batches.iter().map(|b| b.count).sum::<u64>();
        excess = excess.saturating_sub(self.capacity);
        while excess > 0 {
            let Some(front) = self.batches.front_mut() else {
                break;
            };
            let drop = excess.min(front.count);
            let kept = (front.count - drop) as f64 / front.count as f64;
            front.count -= drop;
            front.sum *= kept;
            front.sum_sq *= kept;
            excess -= drop;
            if front.count == 0 {
                self.batches.pop_front();
            }
        }
        // Summed afresh from at most MAX_BATCHES batches: no drift from subtractions.
        self.total = Batch::default();
        for batch in &self.batches {
            self.total.add(*batch);
        }
    }

    pub(crate) fn mean(&self) -> f64 {
        self.total.sum / self.total.count as f64
    }

    pub(crate) fn std_deviation(&self) -> f64 {
        let mean = self.mean();
        (self.total.sum_sq / self.total.count as f64 - mean * mean)
            .max(0.0)
            .sqrt()
    }
}

/// The detector of one incarnation: its window, and what it needs of its settings, in
/// seconds.
#[derive(Clone, Debug)]
pub(crate) struct Detector {
    window: Window,
    acceptable_pause: f64,
    min_std_deviation: f64,
    max_local_pause: Duration,
    /// `y` at the threshold and at half of it, solved once.
    y_convict: f64,
    y_suspect: f64,
}

impl Detector {
    pub(crate) fn new(config: Heartbeat) -> Self {
        Detector {
            window: Window::new(&config),
            acceptable_pause: config.acceptable_pause.as_secs_f64(),
            min_std_deviation: config.min_std_deviation.as_secs_f64(),
            max_local_pause: config.max_local_pause,
            y_convict: y_at(config.threshold),
            y_suspect: y_at(config.threshold / 2.0),
        }
    }

    /// The mean the distribution is centred on (acceptable pause included) and its deviation,
    /// in seconds.
    fn distribution(&self) -> (f64, f64) {
        let mean = self.window.mean() + self.acceptable_pause;
        let std = self.window.std_deviation().max(self.min_std_deviation);
        (mean, std)
    }

    /// phi after `silence` since the last beat (S12.1).
    pub(crate) fn phi(&self, silence: Duration) -> f64 {
        let (mean, std) = self.distribution();
        phi_of((silence.as_secs_f64() - mean) / std)
    }

    /// The silence after which phi reaches the threshold (S12.3), and half of it (S12.5).
    pub(crate) fn deadlines(&self) -> (Duration, Duration) {
        let (mean, std) = self.distribution();
        let at = |y: f64| Duration::from_secs_f64((mean + y * std).max(0.0));
        (at(self.y_suspect), at(self.y_convict))
    }

    pub(crate) fn record(&mut self, interval: f64, count: u64) {
        self.window.add(interval, count);
    }

    /// Whether a timer due at `due` that fired at `now` is too late to be trusted (S12.4).
    pub(crate) fn paused_locally(&self, due: Instant, now: Instant) -> bool {
        now.saturating_duration_since(due) > self.max_local_pause
    }
}

/// What a node with heartbeats carries: the beats of its current incarnation, written by the
/// child, read by the monitor; and the detector, for `phi()` on the handle.
#[derive(Debug)]
pub(crate) struct Beats {
    epoch: Instant,
    /// Nanoseconds since `epoch` of the latest beat.
    last: AtomicU64,
    /// Beats so far in this incarnation.
    count: AtomicU64,
    /// Idle waits begun and ended (S12.7): odd while the incarnation waits idle.
    idle: AtomicU64,
    /// Messages taken so far, over all incarnations (S12.8).
    taken: AtomicU64,
    /// Nanoseconds since `epoch` when the last idle wait ended: busy since then (S12.8).
    busy_since: AtomicU64,
    /// Set by a judge that found the incarnation idle and parked, with no timer: the end of the
    /// wait wakes it through what is left here.
    parked: std::sync::atomic::AtomicBool,
    unpark: Unpark,
    pub(crate) detector: Mutex<Option<(Detector, Instant)>>,
}

impl Beats {
    pub(crate) fn new() -> Self {
        Beats {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
            count: AtomicU64::new(0),
            idle: AtomicU64::new(0),
            taken: AtomicU64::new(0),
            busy_since: AtomicU64::new(0),
            parked: std::sync::atomic::AtomicBool::new(false),
            unpark: Unpark(Mutex::new(None)),
            detector: Mutex::new(None),
        }
    }

    /// The incarnation starts a wait for work (S12.7): it is not judged until the wait returns.
    pub(crate) fn enter_idle(&self) {
        self.idle.fetch_add(1, Ordering::SeqCst);
    }

    /// The wait returned: a beat, and the end of the idle gap; a judge parked meanwhile is
    /// woken. `SeqCst` against the judge's: one of the two sees the other's write.
    pub(crate) fn leave_idle(&self) {
        self.beat();
        self.busy_since
            .store(self.last.load(Ordering::Relaxed), Ordering::Relaxed);
        self.idle.fetch_add(1, Ordering::SeqCst);
        if self.parked.swap(false, Ordering::SeqCst) {
            let unpark = self.unpark.0.lock().ok().and_then(|mut u| u.take());
            if let Some(unpark) = unpark {
                unpark();
            }
        }
    }

    /// A message taken (S12.8): one relaxed add, no clock read.
    pub(crate) fn took(&self) {
        self.taken.fetch_add(1, Ordering::Relaxed);
    }

    /// The last message taken and how long the incarnation has been busy with it, at `now`;
    /// `None` while it waits idle or before its first message.
    pub(crate) fn busy(&self, now: Instant) -> Option<(u64, Duration)> {
        let taken = self.taken.load(Ordering::Relaxed);
        if taken == 0 || self.idle_mark() % 2 == 1 {
            return None;
        }
        let since = self.epoch + Duration::from_nanos(self.busy_since.load(Ordering::Relaxed));
        Some((taken, now.saturating_duration_since(since)))
    }

    /// Idle waits begun and ended so far; odd while one lasts.
    fn idle_mark(&self) -> u64 {
        self.idle.load(Ordering::SeqCst)
    }

    /// Parks the judge of an idle incarnation: `unpark` runs when the wait returns. `false` if
    /// the mark moved meanwhile (the wait returned): the judge looks again at once.
    fn park(&self, mark: u64, unpark: Box<dyn FnOnce() + Send>) -> bool {
        if let Ok(mut slot) = self.unpark.0.lock() {
            *slot = Some(unpark);
        }
        self.parked.store(true, Ordering::SeqCst);
        if self.idle_mark() == mark {
            return true;
        }
        // The wait returned as the judge parked; whichever clears the flag owns the wake.
        if self.parked.swap(false, Ordering::SeqCst) {
            if let Ok(mut slot) = self.unpark.0.lock() {
                slot.take();
            }
        }
        false
    }

    /// One beat: two relaxed writes, the timestamp first so that a reader that sees the count
    /// sees a timestamp at least as new.
    pub(crate) fn beat(&self) {
        let now = self.epoch.elapsed().as_nanos() as u64;
        self.last.store(now, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Release);
    }

    fn read(&self) -> (u64, Instant) {
        let count = self.count.load(Ordering::Acquire);
        let last = self.last.load(Ordering::Relaxed);
        (count, self.epoch + Duration::from_nanos(last))
    }

    /// The current phi of the running incarnation, if it is judged; 0 while it waits idle
    /// (S12.7).
    pub(crate) fn phi(&self) -> Option<f64> {
        let guard = self.detector.lock().ok()?;
        let (detector, since) = guard.as_ref()?;
        if self.idle_mark() % 2 == 1 {
            return Some(0.0);
        }
        let (_, newest) = self.read();
        let last = newest.max(*since);
        Some(detector.phi(Instant::now().saturating_duration_since(last)))
    }
}

/// What wakes a parked judge.
struct Unpark(Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl std::fmt::Debug for Unpark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unpark")
    }
}

/// What the judge of one incarnation does next.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Wake again at this instant.
    Wake(Instant),
    /// The incarnation waits idle (S12.7): no timer; the end of its wait wakes the judge.
    Parked,
    /// phi crossed half its threshold (S12.5): say so, and wake again at this instant.
    Suspect(f64, Instant),
    /// phi reached its threshold (S12.3): the child is convicted.
    Convict { phi: f64, silence: Duration },
}

/// The supervisor's side of one incarnation's heartbeats: which beats it has seen, since when
/// it has heard nothing. Lives in the supervisor, woken by its one timer for the child; the
/// detector lives with the beats, where the handle reads phi.
#[derive(Debug)]
pub(crate) struct Judge {
    seen: u64,
    last: Instant,
    suspected: bool,
    /// The idle mark at the last look.
    idle: u64,
}

impl Judge {
    /// Starts judging an incarnation that is up now (its start is its first beat, S12.2), and
    /// returns when to look first.
    pub(crate) fn start(config: Heartbeat, beats: &Beats) -> (Self, Instant) {
        let now = Instant::now();
        let detector = Detector::new(config);
        let (suspect_after, _) = detector.deadlines();
        if let Ok(mut slot) = beats.detector.lock() {
            *slot = Some((detector, now));
        }
        let (seen, _) = beats.read();
        let judge = Judge {
            seen,
            last: now,
            suspected: false,
            idle: beats.idle_mark(),
        };
        (judge, now + suspect_after)
    }

    /// The timer due at `due` fired at `now` (or the end of an idle wait woke a parked judge):
    /// take the beats that came meanwhile, and decide. `unpark` is how the end of an idle wait
    /// wakes this judge, should it park.
    pub(crate) fn wake(
        &mut self,
        beats: &Beats,
        due: Instant,
        now: Instant,
        unpark: impl FnOnce() -> Box<dyn FnOnce() + Send>,
    ) -> Verdict {
        let Ok(mut slot) = beats.detector.lock() else {
            return Verdict::Wake(now + Duration::from_secs(1));
        };
        let Some((detector, published_last)) = slot.as_mut() else {
            return Verdict::Wake(now + Duration::from_secs(1));
        };
        let mark = beats.idle_mark();
        if mark % 2 == 1 {
            // S12.7: idle is not silence. Nothing is judged until the wait returns.
            *published_last = now;
            self.suspected = false;
            self.idle = mark;
            if beats.park(mark, unpark()) {
                return Verdict::Parked;
            }
        }
        let (count, newest) = beats.read();
        if beats.idle_mark() != self.idle {
            // An idle wait came and went: its gap is no sample, its return was a beat.
            self.idle = beats.idle_mark();
            self.seen = count;
            self.last = newest.max(self.last);
            self.suspected = false;
        } else if count > self.seen && newest > self.last {
            // `count - seen` intervals spanning `newest - last`.
            let k = count - self.seen;
            detector.record((newest - self.last).as_secs_f64() / k as f64, k);
            self.seen = count;
            self.last = newest;
            self.suspected = false;
        } else if detector.paused_locally(due, now) {
            // This supervisor was starved, not the child silent: start over from now (S12.4).
            self.last = now;
            self.suspected = false;
        } else {
            let silence = now - self.last;
            let phi = detector.phi(silence);
            if self.suspected {
                return Verdict::Convict { phi, silence };
            }
            self.suspected = true;
            let (_, convict_after) = detector.deadlines();
            return Verdict::Suspect(phi, self.last + convict_after);
        }
        *published_last = self.last;
        let (suspect_after, _) = detector.deadlines();
        Verdict::Wake(self.last + suspect_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S12.1: phi against -log10(erfc(y / sqrt(2)) / 2) computed independently (Python's
    // math.erfc, double precision).
    #[test]
    fn phi_matches_the_normal_tail() {
        let expected = [
            (-3.0, 0.000_586_649_313_790_070_5),
            (-1.0, 0.075_026_012_957_818_02),
            (0.0, std::f64::consts::LOG10_2),
            (0.5, 0.510_691_989_265_240_8),
            (1.0, 0.799_545_541_491_970_4),
            (2.0, 1.643_016_080_140_936_8),
            (3.0, 2.869_699_035_929_368_6),
            (5.0, 6.542_645_672_390_654),
            (8.0, 15.206_142_551_017_152),
            (10.0, 23.118_053_405_486_073),
            (20.0, 88.560_095_343_075_57),
            (37.0, 299.242_181_178_609_9),
        ];
        for (y, phi) in expected {
            let got = phi_of(y);
            assert!((got - phi).abs() < 1e-6, "phi({y}) = {got}, expected {phi}");
        }
        // Far past where the tail underflows a double, phi stays finite and grows.
        assert!(phi_of(60.0).is_finite() && phi_of(60.0) > phi_of(37.0));
    }

    #[test]
    fn the_threshold_is_solved_in_closed_form() {
        // Q(y) = 1e-8 at y = 5.612001244174788 (bisection on Python's erfc).
        assert!((y_at(8.0) - 5.612_001_244_174_788).abs() < 1e-6);
        for threshold in [0.5, 1.0, 4.0, 8.0, 16.0, 100.0] {
            assert!((phi_of(y_at(threshold)) - threshold).abs() < 1e-9);
        }
    }

    // S12.1, S12.2: the window starts from the declared interval, then follows the beats, and
    // keeps only the latest `window` intervals.
    #[test]
    fn the_window_is_primed_then_follows_the_beats() {
        let config = Heartbeat::every(Duration::from_millis(200)).window(4);
        let mut w = Window::new(&config);
        assert!((w.mean() - 0.2).abs() < 1e-12);
        assert!((w.std_deviation() - 0.05).abs() < 1e-12);
        w.add(0.1, 3);
        // Capacity 4: the 0.15 sample went, 0.25 and three 0.1 remain.
        assert!((w.mean() - 0.1375).abs() < 1e-12);
        w.add(0.3, 2);
        // Two 0.1 and two 0.3.
        assert!((w.mean() - 0.2).abs() < 1e-12);
        assert!((w.std_deviation() - 0.1).abs() < 1e-12);
    }

    // S12.1: a child that beats for days keeps a window of bounded size, and its mean and
    // deviation follow the exact ones of the last `window` intervals.
    #[test]
    fn a_long_window_stays_small_and_close_to_exact() {
        let config = Heartbeat::every(Duration::from_secs(1)).window(1000);
        let mut w = Window::new(&config);
        let mut exact: VecDeque<f64> = VecDeque::from([0.75, 1.25]);
        // Looks of 1 to 5 beats, their intervals wandering between 0.5 s and 1.5 s.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for look in 0..100_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let k = 1 + seed % 5;
            let interval = 1.0 + 0.5 * ((look as f64) / 50.0).sin() + (seed % 100) as f64 / 1000.0;
            w.add(interval, k);
            for _ in 0..k {
                exact.push_back(interval);
            }
            while exact.len() > 1000 {
                exact.pop_front();
            }
            assert!(w.batches.len() <= MAX_BATCHES);
        }
        let n = exact.len() as f64;
        let mean = exact.iter().sum::<f64>() / n;
        let std = (exact.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert_eq!(w.total.count, 1000);
        assert!(
            (w.mean() - mean).abs() / mean < 0.01,
            "{} vs {mean}",
            w.mean()
        );
        assert!(
            (w.std_deviation() - std).abs() / std < 0.02,
            "{} vs {std}",
            w.std_deviation()
        );
    }

    // S12.3: the conviction instant is where phi reaches the threshold.
    #[test]
    fn the_conviction_deadline_is_where_phi_reaches_the_threshold() {
        let d = Detector::new(Heartbeat::every(Duration::from_secs(1)));
        let (suspect, convict) = d.deadlines();
        assert!((d.phi(convict) - 8.0).abs() < 1e-6);
        assert!((d.phi(suspect) - 4.0).abs() < 1e-6);
        // Mean 1 s + 3 s of acceptable pause; deviation 0.25 s (above the 0.1 s floor).
        let expected = 4.0 + 5.612_001_244_174_788 * 0.25;
        assert!((convict.as_secs_f64() - expected).abs() < 1e-6);
    }

    // S12.4: a timer that fires more than `max_local_pause` late is not trusted.
    #[test]
    fn a_late_timer_is_not_trusted() {
        let d = Detector::new(Heartbeat::every(Duration::from_secs(1)));
        let due = Instant::now();
        assert!(!d.paused_locally(due, due + Duration::from_secs(5)));
        assert!(d.paused_locally(due, due + Duration::from_millis(5001)));
    }
}
