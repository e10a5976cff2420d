//! The decisions of S3-S5, S8 and S10 about one exit: pure functions from facts to a plan.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::exit::Directive;
use crate::spec::{AutoShutdown, OnExhausted, Restart, Strategy};

/// What a supervisor knows of itself when it decides: its rules, fixed for an incarnation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// The strategy its restarts follow (one_for_one for a dynamic supervisor or a pool).
    pub strategy: Strategy,
    /// Whether a child that ends without a restart goes for good (S5.5: a dynamic child).
    pub removes_ended: bool,
    pub auto_shutdown: AutoShutdown,
}

/// The facts of one exit (or failed start, S4.3) of a child.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExitFacts {
    /// What S10.2 made of the exit.
    pub directive: Directive,
    pub restart: Restart,
    /// Whether the reason is abnormal (neither normal nor shutdown).
    pub abnormal: bool,
    pub significant: bool,
    /// Whether another significant child is alive (for S8's `all_significant`).
    pub other_significant_alive: bool,
}

/// What the supervisor does about one exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitPlan {
    /// S4.4, S10.1: give up at once. `Restart` when the restart exceeded the intensity, else
    /// the directive that called for it (escalate or fatal).
    GiveUp(Directive),
    /// No restart, so no intensity counted (S3.5, S10.1 stop): the child stays stopped, or its
    /// spec goes (`remove`: temporary, or a dynamic child, S3.4, S5.5); the supervisor shuts
    /// down when S8 says so.
    Leave { remove: bool, shut_down: bool },
    /// Restart the child, with the group its strategy names (S3.1-S3.3), after its backoff.
    Restart(Strategy),
    /// S18.1: the child's own budget is exhausted: it is held, not restarted, and its
    /// supervisor's intensity does not count it.
    Quarantine,
}

/// S10.1 and S3: whether an exit is restarted, left, or escalated; a restart is counted
/// against the child's own budget first (S18.1), then against the supervisor's intensity.
pub(crate) fn decide_exit(
    facts: &ExitFacts,
    rules: &Rules,
    window: &mut Window,
    budget: Option<(&mut Window, OnExhausted)>,
    now: Instant,
) -> ExitPlan {
    if matches!(facts.directive, Directive::Escalate | Directive::Fatal) {
        return ExitPlan::GiveUp(facts.directive);
    }
    if !restarts(facts) {
        return ExitPlan::Leave {
            remove: ends_for_good(rules, facts.restart),
            shut_down: shuts_down(rules.auto_shutdown, facts),
        };
    }
    if let Some((budget, on_exhausted)) = budget {
        if !budget.allow(now) {
            return match on_exhausted {
                OnExhausted::Escalate => ExitPlan::GiveUp(Directive::Escalate),
                OnExhausted::Quarantine => ExitPlan::Quarantine,
            };
        }
    }
    if window.allow(now) {
        ExitPlan::Restart(rules.strategy)
    } else {
        ExitPlan::GiveUp(Directive::Restart)
    }
}

/// S3.2, S10.1: whether an exit calls for a restart (before the intensity has its say).
pub(crate) fn restarts(facts: &ExitFacts) -> bool {
    match (facts.directive, facts.restart) {
        (Directive::Escalate | Directive::Fatal | Directive::Stop, _) => false,
        (Directive::Restart, Restart::Temporary) => false,
        (Directive::Restart, Restart::Permanent) => true,
        (Directive::Restart, Restart::Transient) => facts.abnormal,
    }
}

/// S3.4, S5.5: whether a child that ends without a restart goes for good.
pub(crate) fn ends_for_good(rules: &Rules, restart: Restart) -> bool {
    rules.removes_ended || restart == Restart::Temporary
}

/// S8: a significant child that ended without a restart stops its supervisor when the policy
/// says so. Only a child's own exit counts: stops by the supervisor never get here.
fn shuts_down(policy: AutoShutdown, facts: &ExitFacts) -> bool {
    facts.significant
        && match policy {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !facts.other_significant_alive,
        }
}

/// One child of a supervisor as a group restart sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member {
    pub seq: u64,
    pub alive: bool,
    pub temporary: bool,
}

/// The children a restart of `failed` touches (S3.1-S3.3, S5.2, S5.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GroupPlan {
    /// To stop first, in this order (reverse start order), the failed child excepted.
    pub stop: Vec<u64>,
    /// Temporary members that were alive: stopped and dropped, not restarted (S3.4).
    pub remove: Vec<u64>,
    /// To restart together, in start order, the failed child among them.
    pub restart: Vec<u64>,
}

/// The group of a restart: `members` are the supervisor's children in start order (read only
/// when the strategy touches others than the failed child).
pub(crate) fn group(
    strategy: Strategy,
    failed: u64,
    members: impl IntoIterator<Item = Member>,
) -> GroupPlan {
    if strategy == Strategy::OneForOne {
        return GroupPlan {
            restart: vec![failed],
            ..GroupPlan::default()
        };
    }
    let touched = members.into_iter().filter(|m| match strategy {
        Strategy::OneForOne => m.seq == failed,
        Strategy::OneForAll => m.seq == failed || m.alive,
        Strategy::RestForOne => m.seq == failed || (m.seq > failed && m.alive),
    });
    let mut plan = GroupPlan::default();
    for m in touched {
        if m.seq != failed {
            plan.stop.push(m.seq);
            if m.temporary {
                plan.remove.push(m.seq);
                continue;
            }
        }
        plan.restart.push(m.seq);
    }
    plan.stop.reverse();
    plan
}

/// S13.7: a group restart waits while a breaker one of its members depends on is open, until
/// the last of them lets a trial through. `open` gives, for each breaker the members depend on
/// that is open, when it reopens and its name; the answer is the latest, or `None` to restart
/// now.
pub(crate) fn held_by<N>(open: impl IntoIterator<Item = (Instant, N)>) -> Option<(Instant, N)> {
    open.into_iter().max_by_key(|(at, _)| *at)
}

/// The restart intensity window of S4.1: decisions within `period` of now, full precision.
pub(crate) struct Window {
    stamps: VecDeque<Instant>,
    max: u32,
    period: Duration,
}

impl Window {
    pub(crate) fn new(max: u32, period: Duration) -> Self {
        Window {
            stamps: VecDeque::new(),
            max,
            period,
        }
    }

    /// Restart decisions within `period` of `now` (the model test reads it).
    #[cfg(test)]
    pub(crate) fn recent(&self, now: Instant) -> usize {
        self.stamps
            .iter()
            .filter(|&&at| now.duration_since(at) < self.period)
            .count()
    }

    /// How much of the intensity is in use at `now` (what an operator watches).
    pub(crate) fn used(&self, now: Instant) -> crate::IntensityUse {
        let recent = self
            .stamps
            .iter()
            .filter(|&&at| now.duration_since(at) < self.period);
        crate::IntensityUse {
            restarts: recent.count() as u32,
            max_restarts: self.max,
            within: self.period,
        }
    }

    /// Records a restart decision at `now`; `false` when it exceeds the intensity (S4.2: more
    /// than `max` within `period`).
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.stamps.front() {
            if now.duration_since(oldest) >= self.period {
                self.stamps.pop_front();
            } else {
                break;
            }
        }
        self.stamps.push_back(now);
        self.stamps.len() <= self.max as usize
    }
}

/// A child's place on its backoff curve (S5, backoff): the level of its next restart, reset
/// after it has run for `reset_after`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Retry {
    level: u32,
    started_at: Option<Instant>,
}

impl Retry {
    /// An incarnation started at `now`; only a backoff with a reset period needs to know.
    pub(crate) fn started(&mut self, backoff: &Backoff, now: Instant) {
        if backoff.reset_period().is_some() {
            self.started_at = Some(now);
        }
    }

    /// The delay of the restart decided at `now`, with jitter from `unit` (in `0..1`); moves
    /// the level on.
    pub(crate) fn next_delay(&mut self, backoff: &Backoff, now: Instant, unit: f64) -> Duration {
        if let (Some(reset), Some(started)) = (backoff.reset_period(), self.started_at) {
            if now.duration_since(started) >= reset {
                self.level = 0;
            }
        }
        let delay = backoff.delay(self.level, unit);
        self.level = self.level.saturating_add(1);
        delay
    }
}

#[cfg(test)]
mod tests;
