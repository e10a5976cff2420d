//! The decisions without a runtime: tables of S3, S4, S8 and S10, and a model-based property
//! test against a reference written straight from SEMANTICS S3-S10.

use std::time::Duration;

use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig,
};
use proptest::strategy::Strategy as _;
use tokio::time::Instant;

use super::*;

const ALL_DIRECTIVES: [Directive; 4] = [
    Directive::Restart,
    Directive::Stop,
    Directive::Escalate,
    Directive::Fatal,
];
const ALL_RESTARTS: [Restart; 3] = [Restart::Permanent, Restart::Transient, Restart::Temporary];
const ALL_POLICIES: [AutoShutdown; 3] = [
    AutoShutdown::Never,
    AutoShutdown::AnySignificant,
    AutoShutdown::AllSignificant,
];

/// A permanent, insignificant child's abnormal exit that calls for a restart.
fn permanent_crash() -> ExitFacts {
    ExitFacts {
        directive: Directive::Restart,
        restart: Restart::Permanent,
        abnormal: true,
        significant: false,
        other_significant_alive: false,
    }
}

fn rules(strategy: Strategy, removes_ended: bool, auto_shutdown: AutoShutdown) -> Rules {
    Rules {
        strategy,
        removes_ended,
        auto_shutdown,
    }
}

// S10.1, S3.2, S3.4, S3.5, S5.5, S8: every directive x restart type x reason x auto_shutdown x
// significance x kind, one exit into an empty window.
#[test]
fn one_exit_by_directive_restart_type_reason_and_auto_shutdown() {
    let now = Instant::now();
    for directive in ALL_DIRECTIVES {
        for restart in ALL_RESTARTS {
            for abnormal in [false, true] {
                for policy in ALL_POLICIES {
                    for significant in [false, true] {
                        for other_alive in [false, true] {
                            for removes_ended in [false, true] {
                                let facts = ExitFacts {
                                    directive,
                                    restart,
                                    abnormal,
                                    significant,
                                    other_significant_alive: other_alive,
                                };
                                let rules = rules(Strategy::RestForOne, removes_ended, policy);
                                let mut window = Window::new(3, Duration::from_secs(5));
                                let plan = decide_exit(&facts, &rules, &mut window, None, now);
                                let restarts = match restart {
                                    Restart::Permanent => true,
                                    Restart::Transient => abnormal,
                                    Restart::Temporary => false,
                                };
                                let expected = match directive {
                                    Directive::Escalate | Directive::Fatal => {
                                        ExitPlan::GiveUp(directive)
                                    }
                                    Directive::Restart if restarts => {
                                        ExitPlan::Restart(Strategy::RestForOne)
                                    }
                                    Directive::Restart | Directive::Stop => ExitPlan::Leave {
                                        remove: removes_ended || restart == Restart::Temporary,
                                        shut_down: significant
                                            && (policy == AutoShutdown::AnySignificant
                                                || policy == AutoShutdown::AllSignificant
                                                    && !other_alive),
                                    },
                                };
                                assert_eq!(plan, expected, "{facts:?} {rules:?}");
                                // S3.5: only a restart counts toward the intensity.
                                let counted = matches!(plan, ExitPlan::Restart(_));
                                assert_eq!(window.recent(now), usize::from(counted));
                            }
                        }
                    }
                }
            }
        }
    }
}

// S4.1, S4.2: more than `max` restarts within `period` gives up; the one that exceeds is the
// one recorded, and a restart exactly `period` after an old one no longer counts it.
#[test]
fn intensity_gives_up_on_the_restart_that_exceeds_it() {
    let t0 = Instant::now();
    let rules = rules(Strategy::OneForOne, false, AutoShutdown::Never);
    let facts = permanent_crash();
    for max in 0..4u32 {
        let mut window = Window::new(max, Duration::from_secs(5));
        for i in 0..max {
            let at = t0 + Duration::from_secs(u64::from(i));
            assert_eq!(
                decide_exit(&facts, &rules, &mut window, None, at),
                ExitPlan::Restart(Strategy::OneForOne)
            );
        }
        let last = t0 + Duration::from_millis(4_999);
        assert_eq!(
            decide_exit(&facts, &rules, &mut window, None, last),
            ExitPlan::GiveUp(Directive::Restart),
            "max {max}"
        );
    }
    // Exactly one period later the first decision has left the window.
    let mut window = Window::new(1, Duration::from_secs(5));
    assert!(window.allow(t0));
    assert!(window.allow(t0 + Duration::from_secs(5)));
    assert!(!window.allow(t0 + Duration::from_millis(5_001)));
}

// S3.1-S3.3, S5.2, S5.3: which children a restart stops, drops and restarts.
#[test]
fn groups_by_strategy() {
    let m = |seq, alive, temporary| Member {
        seq,
        alive,
        temporary,
    };
    // 0 alive, 1 failed, 2 stopped, 3 alive and temporary, 4 alive.
    let members = [
        m(0, true, false),
        m(1, false, false),
        m(2, false, false),
        m(3, true, true),
        m(4, true, false),
    ];
    let plan = |stop: &[u64], remove: &[u64], restart: &[u64]| GroupPlan {
        stop: stop.to_vec(),
        remove: remove.to_vec(),
        restart: restart.to_vec(),
    };
    assert_eq!(group(Strategy::OneForOne, 1, members), plan(&[], &[], &[1]));
    assert_eq!(
        group(Strategy::OneForAll, 1, members),
        plan(&[4, 3, 0], &[3], &[0, 1, 4])
    );
    assert_eq!(
        group(Strategy::RestForOne, 1, members),
        plan(&[4, 3], &[3], &[1, 4])
    );
    // A temporary child that failed is never in a group: its exit is left (S3.4), but the
    // group function itself keeps the failed child whatever its type.
    assert_eq!(
        group(Strategy::RestForOne, 4, members),
        plan(&[], &[], &[4])
    );
}

// Backoff (S5): the level grows with each restart, and goes back to 0 once an incarnation has
// run for `reset_after`.
#[test]
fn backoff_levels_grow_and_reset() {
    let t0 = Instant::now();
    let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10))
        .reset_after(Duration::from_secs(60));
    let mut retry = Retry::default();
    retry.started(&backoff, t0);
    let ms = |d: Duration| d.as_millis();
    assert_eq!(ms(retry.next_delay(&backoff, t0, 0.5)), 100);
    assert_eq!(ms(retry.next_delay(&backoff, t0, 0.5)), 200);
    assert_eq!(ms(retry.next_delay(&backoff, t0, 0.5)), 400);
    let later = t0 + Duration::from_secs(60);
    retry.started(&backoff, t0 + Duration::from_secs(1));
    assert_eq!(ms(retry.next_delay(&backoff, later, 0.5)), 800);
    assert_eq!(
        ms(retry.next_delay(&backoff, later + Duration::from_secs(1), 0.5)),
        100
    );
}

// S13.7: the group waits for the breaker that reopens last; with none open it restarts now.
#[test]
fn a_group_waits_for_the_last_open_breaker() {
    let t0 = Instant::now();
    let open = [
        (t0 + Duration::from_secs(2), "llm"),
        (t0 + Duration::from_secs(5), "search"),
    ];
    assert_eq!(held_by(open), Some((t0 + Duration::from_secs(5), "search")));
    assert_eq!(held_by(Vec::<(Instant, &str)>::new()), None);
}

/// One step of a supervisor's life as the model-based test drives it.
#[derive(Clone, Debug)]
struct Step {
    /// Which alive child exits (an index among the alive ones).
    pick: usize,
    directive: Directive,
    abnormal: bool,
    /// Time since the previous step.
    after_ms: u64,
}

#[derive(Clone, Debug)]
struct Setup {
    strategy: Strategy,
    removes_ended: bool,
    policy: AutoShutdown,
    max: u32,
    period_ms: u64,
    /// Each child's restart type and significance.
    children: Vec<(Restart, bool)>,
}

fn setup() -> impl proptest::strategy::Strategy<Value = Setup> {
    (
        prop_oneof![
            Just(Strategy::OneForOne),
            Just(Strategy::OneForAll),
            Just(Strategy::RestForOne)
        ],
        any::<bool>(),
        prop_oneof![
            Just(AutoShutdown::Never),
            Just(AutoShutdown::AnySignificant),
            Just(AutoShutdown::AllSignificant)
        ],
        0u32..5,
        1u64..2_000,
        proptest::collection::vec(
            (
                prop_oneof![
                    Just(Restart::Permanent),
                    Just(Restart::Transient),
                    Just(Restart::Temporary)
                ],
                any::<bool>(),
            ),
            1..7,
        ),
    )
        .prop_map(
            |(strategy, removes_ended, policy, max, period_ms, children)| Setup {
                strategy,
                removes_ended,
                policy,
                max,
                period_ms,
                children,
            },
        )
}

fn steps() -> impl proptest::strategy::Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (
            0usize..7,
            prop_oneof![
                8 => Just(Directive::Restart),
                2 => Just(Directive::Stop),
                1 => Just(Directive::Escalate),
                1 => Just(Directive::Fatal)
            ],
            any::<bool>(),
            prop_oneof![Just(0u64), 0u64..3_000],
        )
            .prop_map(|(pick, directive, abnormal, after_ms)| Step {
                pick,
                directive,
                abnormal,
                after_ms,
            }),
        0..60,
    )
}

/// The reference: S3-S5, S8, S10 over the whole history, with no state but what a reader of
/// SEMANTICS would keep (every restart decision's time, each child alive or gone).
struct Model {
    setup: Setup,
    alive: Vec<bool>,
    gone: Vec<bool>,
    restarts: Vec<u64>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ended(Directive),
    ShutDown,
    Left,
    Restarted(Vec<usize>),
}

impl Model {
    fn exit(&mut self, child: usize, directive: Directive, abnormal: bool, now: u64) -> Outcome {
        let (restart, _) = self.setup.children[child];
        self.alive[child] = false;
        // S10.1
        if matches!(directive, Directive::Escalate | Directive::Fatal) {
            return Outcome::Ended(directive);
        }
        // S3.2, S10.1 stop
        let restarted = directive == Directive::Restart
            && match restart {
                Restart::Permanent => true,
                Restart::Transient => abnormal,
                Restart::Temporary => false,
            };
        if !restarted {
            // S3.4, S5.5
            if restart == Restart::Temporary || self.setup.removes_ended {
                self.gone[child] = true;
            }
            // S8
            let significant = self.setup.children[child].1;
            let any_alive =
                (0..self.alive.len()).any(|c| self.alive[c] && self.setup.children[c].1);
            let stop = significant
                && match self.setup.policy {
                    AutoShutdown::Never => false,
                    AutoShutdown::AnySignificant => true,
                    AutoShutdown::AllSignificant => !any_alive,
                };
            return if stop {
                Outcome::ShutDown
            } else {
                Outcome::Left
            };
        }
        // S4.2: this decision and those within the period before it, more than max: give up.
        self.restarts.push(now);
        let within = self
            .restarts
            .iter()
            .filter(|&&t| now - t < self.setup.period_ms)
            .count();
        if within > self.setup.max as usize {
            return Outcome::Ended(Directive::Restart);
        }
        // S3.1-S3.3, S3.4 for the others of the group.
        let mut group = vec![child];
        for other in 0..self.alive.len() {
            let touched = self.alive[other]
                && match self.setup.strategy {
                    Strategy::OneForOne => false,
                    Strategy::OneForAll => true,
                    Strategy::RestForOne => other > child,
                };
            if touched {
                if self.setup.children[other].0 == Restart::Temporary {
                    self.alive[other] = false;
                    self.gone[other] = true;
                } else {
                    group.push(other);
                }
            }
        }
        group.sort_unstable();
        for &c in &group {
            self.alive[c] = true;
        }
        Outcome::Restarted(group)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    // S3-S5, S8, S10: the core's plans equal the reference's outcomes, step after step.
    #[test]
    fn the_core_decides_as_the_reference_model(setup in setup(), steps in steps()) {
        let n = setup.children.len();
        let mut model = Model {
            setup: setup.clone(),
            alive: vec![true; n],
            gone: vec![false; n],
            restarts: Vec::new(),
        };
        let rules = rules(setup.strategy, setup.removes_ended, setup.policy);
        let mut window = Window::new(setup.max, Duration::from_millis(setup.period_ms));
        let mut alive = vec![true; n];
        let t0 = Instant::now();
        let mut now_ms = 0;
        for step in steps {
            let candidates: Vec<usize> = (0..n).filter(|&c| alive[c]).collect();
            if candidates.is_empty() {
                break;
            }
            let child = candidates[step.pick % candidates.len()];
            now_ms += step.after_ms;
            let now = t0 + Duration::from_millis(now_ms);
            let (restart, significant) = setup.children[child];
            alive[child] = false;
            let facts = ExitFacts {
                directive: step.directive,
                restart,
                abnormal: step.abnormal,
                significant,
                other_significant_alive: (0..n).any(|c| alive[c] && setup.children[c].1),
            };
            let plan = decide_exit(&facts, &rules, &mut window, None, now);
            let got = match plan {
                ExitPlan::GiveUp(d) => Outcome::Ended(d),
                ExitPlan::Quarantine => unreachable!("no budget in this model"),
                ExitPlan::Leave { shut_down: true, .. } => Outcome::ShutDown,
                ExitPlan::Leave { .. } => Outcome::Left,
                ExitPlan::Restart(strategy) => {
                    let members: Vec<Member> = (0..n)
                        .filter(|&c| !model.gone[c] || c == child)
                        .map(|c| Member {
                            seq: c as u64,
                            alive: alive[c],
                            temporary: setup.children[c].0 == Restart::Temporary,
                        })
                        .collect();
                    let g = group(strategy, child as u64, members);
                    for &c in &g.stop {
                        alive[c as usize] = false;
                    }
                    for &c in &g.restart {
                        alive[c as usize] = true;
                    }
                    // Stopped in reverse start order, restarted in start order.
                    prop_assert!(g.stop.windows(2).all(|w| w[0] > w[1]));
                    prop_assert!(g.restart.windows(2).all(|w| w[0] < w[1]));
                    Outcome::Restarted(g.restart.iter().map(|&c| c as usize).collect())
                }
            };
            let expected = model.exit(child, step.directive, step.abnormal, now_ms);
            prop_assert_eq!(&got, &expected, "child {} at {} ms", child, now_ms);
            if matches!(got, Outcome::Ended(_) | Outcome::ShutDown) {
                break;
            }
            prop_assert_eq!(&alive, &model.alive);
        }
    }
}

// S18.1: a child's own budget is counted before its supervisor's intensity: one restart more
// than it allows quarantines it (the supervisor's window untouched) or escalates.
#[test]
fn a_childs_budget_comes_before_the_intensity() {
    let t0 = Instant::now();
    let rules = rules(Strategy::OneForOne, false, AutoShutdown::Never);
    let facts = permanent_crash();
    let s = Duration::from_secs(1);
    for (on_exhausted, expected) in [
        (OnExhausted::Quarantine, ExitPlan::Quarantine),
        (OnExhausted::Escalate, ExitPlan::GiveUp(Directive::Escalate)),
    ] {
        let mut window = Window::new(10, 10 * s);
        let mut budget = Window::new(2, 10 * s);
        for i in 0..2 {
            let at = t0 + i * s;
            let plan = decide_exit(
                &facts,
                &rules,
                &mut window,
                Some((&mut budget, on_exhausted)),
                at,
            );
            assert_eq!(plan, ExitPlan::Restart(Strategy::OneForOne));
        }
        let plan = decide_exit(
            &facts,
            &rules,
            &mut window,
            Some((&mut budget, on_exhausted)),
            t0 + 2 * s,
        );
        assert_eq!(plan, expected);
        assert_eq!(
            window.used(t0 + 2 * s).restarts,
            2,
            "the supervisor counted the two restarts only"
        );
        // Past its window the budget allows again.
        let later = t0 + 12 * s;
        let plan = decide_exit(
            &facts,
            &rules,
            &mut window,
            Some((&mut budget, on_exhausted)),
            later,
        );
        assert_eq!(plan, ExitPlan::Restart(Strategy::OneForOne));
    }
}
