//! What watches a running incarnation (S11, S12), behind one narrow interface: a monitor is
//! woken by its timer, or given the result of a probe it asked for, and says what follows. The
//! driver runs every kind the same way, so a new kind of watch is a new implementation here,
//! not new driver code.

use std::sync::Arc;

use tokio::time::Instant;

use crate::event::EventKind;
use crate::exit::ExitReason;
use crate::health::{Health, HealthCheck, Outcome, Probes};
use crate::heartbeat::{Judge, Verdict};
use crate::node::Node;
use crate::state::HealthStatus;
use crate::telemetry;
use crate::time::deadline;

use super::timers::TimerKey;

/// What follows a monitor's wake or a probe's result.
#[derive(Debug)]
pub(crate) enum Then {
    /// Wake it again at this instant.
    Wake(Instant),
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

/// One watch over one incarnation of the child whose node it is given. Woken only by its own
/// timers (keyed by [`key`](Monitor::key)), it has no task, channel or await of its own.
pub(crate) trait Monitor {
    /// The key of its timers.
    fn key(&self) -> TimerKey;
    /// Its timer, due at `due`, fired at `now`.
    fn wake(&mut self, node: &Node, due: Instant, now: Instant) -> Step;
    /// The result of the probe it asked for, which ended at `now`.
    fn answer(&mut self, node: &Node, health: Health, now: Instant) -> Step;
}

/// S11: probes of one incarnation, every `interval` from the end of the last, convicting after
/// `failure_threshold` unhealthy results in a row.
pub(crate) struct ProbeMonitor {
    incarnation: u64,
    check: HealthCheck,
    probes: Probes,
}

impl ProbeMonitor {
    /// Watches the incarnation that is up `now`; returns when to probe first.
    pub(crate) fn start(
        check: &HealthCheck,
        node: &Node,
        incarnation: u64,
        now: Instant,
    ) -> (Self, Instant) {
        node.set_health(HealthStatus::Unknown);
        let monitor = ProbeMonitor {
            incarnation,
            check: check.clone(),
            probes: Probes::new(),
        };
        (monitor, deadline(now, check.initial_delay))
    }

    /// The check it runs.
    pub(crate) fn check(&self) -> &HealthCheck {
        &self.check
    }
}

impl Monitor for ProbeMonitor {
    fn key(&self) -> TimerKey {
        TimerKey::Probe {
            incarnation: self.incarnation,
        }
    }

    fn wake(&mut self, _: &Node, _: Instant, _: Instant) -> Step {
        Step::then(Then::Probe)
    }

    fn answer(&mut self, node: &Node, health: Health, now: Instant) -> Step {
        let outcome = self.probes.record(&self.check, health);
        node.set_health(self.probes.last);
        match outcome {
            Outcome::Again(changed) => Step {
                note: changed.map(|(status, cause)| EventKind::Health {
                    incarnation: self.incarnation,
                    status,
                    cause,
                }),
                // S11.1: from the end of this probe: probes never overlap, never bunch.
                then: Then::Wake(deadline(now, self.check.interval)),
            },
            Outcome::Convict(cause) => Step::then(Then::Convict(ExitReason::Unhealthy(cause))),
        }
    }
}

/// S12: the phi-accrual judge of one incarnation's heartbeats.
pub(crate) struct JudgeMonitor {
    incarnation: u64,
    judge: Judge,
    /// The watching supervisor's path, for the phi gauge's labels.
    supervisor: Arc<str>,
}

impl JudgeMonitor {
    /// Judges the incarnation that is up now, if the child beats; returns when to look first.
    pub(crate) fn start(
        config: &crate::Heartbeat,
        node: &Node,
        supervisor: &Arc<str>,
        incarnation: u64,
    ) -> Option<(Self, Instant)> {
        let (judge, first) = Judge::start(*config, node.beats()?);
        let monitor = JudgeMonitor {
            incarnation,
            judge,
            supervisor: Arc::clone(supervisor),
        };
        Some((monitor, first))
    }
}

impl Monitor for JudgeMonitor {
    fn key(&self) -> TimerKey {
        TimerKey::Judge {
            incarnation: self.incarnation,
        }
    }

    fn wake(&mut self, node: &Node, due: Instant, now: Instant) -> Step {
        let Some(beats) = node.beats() else {
            return Step::then(Then::Wake(now + std::time::Duration::from_secs(1)));
        };
        let verdict = self.judge.wake(beats, due, now);
        let labels = telemetry::ChildLabels {
            supervisor: &self.supervisor,
            child: Some(&node.id),
        };
        telemetry::phi(labels, || beats.phi());
        match verdict {
            Verdict::Wake(at) => Step::then(Then::Wake(at)),
            Verdict::Suspect(phi, at) => Step {
                note: Some(EventKind::Suspect {
                    incarnation: self.incarnation,
                    phi,
                }),
                then: Then::Wake(at),
            },
            Verdict::Convict { phi, silence } => {
                Step::then(Then::Convict(ExitReason::HeartbeatsLost { phi, silence }))
            }
        }
    }

    /// A judge asks for no probe; should a result come, it looks again now.
    fn answer(&mut self, _: &Node, _: Health, now: Instant) -> Step {
        Step::then(Then::Wake(now))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::{JudgeMonitor, Monitor, ProbeMonitor, Then};
    use crate::event::{EventKind, Events};
    use crate::exit::{BoxError, ExitReason};
    use crate::health::{Health, HealthCheck};
    use crate::node::Node;
    use crate::spec::ChildSpec;
    use crate::state::HealthStatus;
    use crate::{Heartbeat, NoMailbox};

    const MS: Duration = Duration::from_millis(1);

    fn node(spec: ChildSpec<NoMailbox>) -> Arc<Node> {
        let parent: Arc<str> = Arc::from("app");
        Node::instantiate(
            &spec.inner,
            Arc::from("w"),
            0,
            Some(&parent),
            &Events::new(),
        )
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
        let node = node(worker());
        let t0 = Instant::now();
        let (mut m, first) = ProbeMonitor::start(&check(), &node, 3, t0);
        assert_eq!(first, t0);
        assert_eq!(node.health(), HealthStatus::Unknown);
        assert!(matches!(m.wake(&node, t0, t0).then, Then::Probe));
        let step = m.answer(&node, Health::unhealthy("slow"), t0);
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
        let step = m.answer(&node, Health::degraded("busy"), t0);
        assert!(matches!(step.then, Then::Wake(_)));
        let step = m.answer(&node, Health::unhealthy("down"), t0);
        assert!(matches!(&step.then, Then::Convict(ExitReason::Unhealthy(c)) if &**c == "down"));
        // A healthy result in between resets the count.
        let (mut m, _) = ProbeMonitor::start(&check(), &node, 4, t0);
        m.answer(&node, Health::unhealthy("a"), t0);
        let step = m.answer(&node, Health::Healthy, t0);
        assert!(step.note.is_some(), "a change of status is told");
        assert!(matches!(
            m.answer(&node, Health::unhealthy("b"), t0).then,
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
        let node = node(worker().heartbeat(heartbeat));
        let sup: Arc<str> = Arc::from("app");
        let (mut m, first) = JudgeMonitor::start(&heartbeat, &node, &sup, 0).unwrap();
        let step = m.wake(&node, first, first);
        let Then::Wake(convict_at) = step.then else {
            panic!("{step:?}")
        };
        assert!(matches!(
            step.note,
            Some(EventKind::Suspect { incarnation: 0, .. })
        ));
        assert!(convict_at > first);
        let step = m.wake(&node, convict_at, convict_at);
        assert!(matches!(
            step.then,
            Then::Convict(ExitReason::HeartbeatsLost { .. })
        ));

        // The next incarnation beats before each look: never suspected.
        let (mut m, mut at) = JudgeMonitor::start(&heartbeat, &node, &sup, 1).unwrap();
        for _ in 0..5 {
            tokio::time::advance(10 * MS).await;
            node.beats().unwrap().beat();
            tokio::time::sleep_until(at.max(Instant::now())).await;
            let step = m.wake(&node, at, Instant::now());
            assert!(step.note.is_none(), "{step:?}");
            let Then::Wake(next) = step.then else {
                panic!("{step:?}")
            };
            at = next;
        }
    }
}
