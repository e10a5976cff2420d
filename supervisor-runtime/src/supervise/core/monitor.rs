//! What watches a running incarnation (S11, S12), behind one narrow interface: a monitor is
//! woken by its timer, or given the result of a probe it asked for, and says what follows. The
//! driver runs every kind the same way, so a new kind of watch is a new implementation here,
//! not new driver code.

use tokio::time::Instant;

use crate::event::EventKind;
use crate::exit::ExitReason;
use crate::health::{Health, HealthCheck, Outcome, Probes};
use crate::heartbeat::{Judge, Verdict};
use crate::node::Node;
use crate::spec::ErasedChild;
use crate::state::HealthStatus;
use crate::telemetry;
use crate::time::deadline;

use super::timers::TimerKey;

/// What follows a monitor's wake or a probe's result.
#[derive(Debug)]
pub(crate) enum Then {
    /// Wake it again at this instant.
    Wake(Instant),
    /// No timer: the incarnation waits idle, and the wait's end wakes it (S12.7).
    Idle,
    /// Run its probe now; the result comes back through [`Monitor::answer`].
    Probe,
    /// The incarnation is convicted, with this reason (S11.2, S12.3).
    Convict(ExitReason),
}

/// A monitor's decision: an event to tell, and what follows.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) note: Option<EventKind>,
    pub(crate) then: Then,
}

impl Step {
    fn then(then: Then) -> Self {
        Step { note: None, then }
    }
}

/// The watched incarnation, as its monitors see it. Monitors borrow their settings from the
/// child's spec rather than keep copies: a watched child costs only its counters.
#[derive(Clone, Copy)]
pub(crate) struct Watched<'a> {
    pub(crate) node: &'a Node,
    pub(crate) spec: &'a ErasedChild,
    pub(crate) incarnation: u64,
    /// Makes what wakes this incarnation's judge when an idle wait ends (S12.7).
    pub(crate) unpark: &'a dyn Fn() -> Box<dyn FnOnce() + Send>,
}

/// One watch over one incarnation. Woken only by its own timers (keyed by
/// [`key`](Monitor::key)), it has no task, channel or await of its own.
pub(crate) trait Monitor {
    /// The key of its timers for `incarnation`.
    fn key(&self, incarnation: u64) -> TimerKey;
    /// Its timer, due at `due`, fired at `now`.
    fn wake(&mut self, watched: Watched<'_>, due: Instant, now: Instant) -> Step;
    /// The result of the probe it asked for, which ended at `now`.
    fn answer(&mut self, watched: Watched<'_>, health: Health, now: Instant) -> Step;
}

/// S11: probes of one incarnation, every `interval` from the end of the last, convicting after
/// `failure_threshold` unhealthy results in a row.
pub(crate) struct ProbeMonitor {
    probes: Probes,
}

impl ProbeMonitor {
    /// Watches the incarnation that is up `now`; returns when to probe first.
    pub(crate) fn start(check: &HealthCheck, node: &Node, now: Instant) -> (Self, Instant) {
        node.set_health(HealthStatus::Unknown);
        let monitor = ProbeMonitor {
            probes: Probes::new(),
        };
        (monitor, deadline(now, check.initial_delay))
    }
}

impl Monitor for ProbeMonitor {
    fn key(&self, incarnation: u64) -> TimerKey {
        TimerKey::Probe { incarnation }
    }

    fn wake(&mut self, _: Watched<'_>, _: Instant, _: Instant) -> Step {
        Step::then(Then::Probe)
    }

    fn answer(&mut self, w: Watched<'_>, health: Health, now: Instant) -> Step {
        let Some(check) = w.spec.health() else {
            return Step::then(Then::Wake(now + std::time::Duration::from_secs(3600)));
        };
        let outcome = self.probes.record(check, health);
        w.node.set_health(self.probes.last);
        match outcome {
            Outcome::Again(changed) => Step {
                note: changed.map(|(status, cause)| EventKind::Health {
                    incarnation: w.incarnation,
                    status,
                    cause,
                }),
                // S11.1: from the end of this probe: probes never overlap, never bunch.
                then: Then::Wake(deadline(now, check.interval)),
            },
            Outcome::Convict(cause) => Step::then(Then::Convict(ExitReason::Unhealthy(cause))),
        }
    }
}

/// S12: the phi-accrual judge of one incarnation's heartbeats.
pub(crate) struct JudgeMonitor {
    judge: Judge,
}

impl JudgeMonitor {
    /// Judges the incarnation that is up now, if the child beats; returns when to look first.
    pub(crate) fn start(config: &crate::Heartbeat, node: &Node) -> Option<(Self, Instant)> {
        let (judge, first) = Judge::start(*config, node.beats()?);
        Some((JudgeMonitor { judge }, first))
    }
}

impl Monitor for JudgeMonitor {
    fn key(&self, incarnation: u64) -> TimerKey {
        TimerKey::Judge { incarnation }
    }

    fn wake(&mut self, w: Watched<'_>, due: Instant, now: Instant) -> Step {
        let Some(beats) = w.node.beats() else {
            return Step::then(Then::Wake(now + std::time::Duration::from_secs(3600)));
        };
        let verdict = self.judge.wake(beats, due, now, w.unpark);
        // A watched child always has a supervisor above it.
        if let Some(supervisor) = w.node.parent_path() {
            let child = Some(&w.node.id);
            telemetry::phi(telemetry::ChildLabels { supervisor, child }, || beats.phi());
        }
        match verdict {
            Verdict::Wake(at) => Step::then(Then::Wake(at)),
            Verdict::Parked => Step::then(Then::Idle),
            Verdict::Suspect(phi, at) => Step {
                note: Some(EventKind::Suspect {
                    incarnation: w.incarnation,
                    phi,
                }),
                then: Then::Wake(at),
            },
            Verdict::Convict { phi, silence } => {
                let busy = beats.busy(now).map(|(message, since)| crate::exit::Busy {
                    message,
                    message_type: w.node.message().name,
                    since,
                });
                Step::then(Then::Convict(ExitReason::HeartbeatsLost {
                    phi,
                    silence,
                    busy,
                }))
            }
        }
    }

    /// A judge asks for no probe; should a result come, it looks again now.
    fn answer(&mut self, _: Watched<'_>, _: Health, now: Instant) -> Step {
        Step::then(Then::Wake(now))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::{JudgeMonitor, Monitor, ProbeMonitor, Then, Watched};
    use crate::event::{EventKind, Events};
    use crate::exit::{BoxError, ExitReason};
    use crate::health::{Health, HealthCheck};
    use crate::node::Node;
    use crate::spec::ChildSpec;
    use crate::state::HealthStatus;
    use crate::{Heartbeat, NoMailbox};

    const MS: Duration = Duration::from_millis(1);

    fn node(spec: &ChildSpec<NoMailbox>) -> Arc<Node> {
        let parent: Arc<str> = Arc::from("app");
        Node::instantiate(
            &spec.inner,
            Arc::from("w"),
            0,
            Some(&parent),
            &Events::new(),
        )
    }

    fn watched<'a>(node: &'a Node, spec: &'a ChildSpec<NoMailbox>, n: u64) -> Watched<'a> {
        Watched {
            node,
            spec: &spec.inner,
            incarnation: n,
            unpark: &|| Box::new(|| {}),
        }
    }

    fn worker() -> ChildSpec<NoMailbox> {
        ChildSpec::worker("w", |_| async { Ok::<(), BoxError>(()) })
    }

    fn check() -> HealthCheck {
        HealthCheck::new(|_| async { Health::Healthy })
            .interval(10 * MS)
            .failure_threshold(2)
    }

    // S11.1, S11.2, S11.3: a wake asks for a probe; results count in a row, degraded neither
    // counts nor resets, the next probe is one interval after the last ended, and the second
    // unhealthy result in a row convicts with its cause.
    #[test]
    fn a_probe_monitor_counts_results_in_a_row() {
        let spec = worker().health(check());
        let node = node(&spec);
        let w = watched(&node, &spec, 3);
        let t0 = Instant::now();
        let (mut m, first) = ProbeMonitor::start(&check(), &node, t0);
        assert_eq!(first, t0);
        assert_eq!(node.health(), HealthStatus::Unknown);
        assert!(matches!(m.wake(w, t0, t0).then, Then::Probe));
        let step = m.answer(w, Health::unhealthy("slow"), t0);
        assert!(matches!(step.then, Then::Wake(at) if at == t0 + 10 * MS));
        assert!(matches!(
            step.note,
            Some(EventKind::Health {
                incarnation: 3,
                status: HealthStatus::Unhealthy,
                ..
            })
        ));
        assert_eq!(node.health(), HealthStatus::Unhealthy);
        // Degraded: no count, no reset, no conviction.
        let step = m.answer(w, Health::degraded("busy"), t0);
        assert!(matches!(step.then, Then::Wake(_)));
        let step = m.answer(w, Health::unhealthy("down"), t0);
        assert!(matches!(&step.then, Then::Convict(ExitReason::Unhealthy(c)) if &**c == "down"));
        // A healthy result in between resets the count.
        let (mut m, _) = ProbeMonitor::start(&check(), &node, t0);
        m.answer(w, Health::unhealthy("a"), t0);
        let step = m.answer(w, Health::Healthy, t0);
        assert!(step.note.is_some(), "a change of status is told");
        assert!(matches!(
            m.answer(w, Health::unhealthy("b"), t0).then,
            Then::Wake(_)
        ));
    }

    // S12.2, S12.3, S12.5: silence past the suspect deadline is a suspect event, then a
    // conviction at the deadline it names; a beat in between keeps the child unsuspected.
    #[tokio::test(start_paused = true)]
    async fn a_judge_suspects_then_convicts_a_silent_incarnation() {
        let heartbeat = Heartbeat::every(10 * MS)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(MS);
        let spec = worker().heartbeat(heartbeat);
        let node = node(&spec);
        let (mut m, first) = JudgeMonitor::start(&heartbeat, &node).unwrap();
        let step = m.wake(watched(&node, &spec, 0), first, first);
        let Then::Wake(convict_at) = step.then else {
            panic!("{step:?}")
        };
        assert!(matches!(
            step.note,
            Some(EventKind::Suspect { incarnation: 0, .. })
        ));
        assert!(convict_at > first);
        let step = m.wake(watched(&node, &spec, 0), convict_at, convict_at);
        assert!(matches!(
            step.then,
            Then::Convict(ExitReason::HeartbeatsLost { .. })
        ));

        // The next incarnation beats before each look: never suspected.
        let (mut m, mut at) = JudgeMonitor::start(&heartbeat, &node).unwrap();
        for _ in 0..5 {
            tokio::time::advance(10 * MS).await;
            node.beats().unwrap().beat();
            tokio::time::sleep_until(at.max(Instant::now())).await;
            let step = m.wake(watched(&node, &spec, 1), at, Instant::now());
            assert!(step.note.is_none(), "{step:?}");
            let Then::Wake(next) = step.then else {
                panic!("{step:?}")
            };
            at = next;
        }
    }
}
