//! A child's phase and every transition between phases: from which phases, to which, and the
//! state handles see after it. `R` is the driver's running incarnation (its task and token),
//! opaque here.

use std::sync::Arc;

use tokio::time::Instant;

use crate::state::ChildState;

/// Where a child is in its life.
#[derive(Debug)]
pub(crate) enum Phase<R> {
    /// No incarnation and none due.
    Stopped,
    /// An incarnation is starting; `None` while a supervisor child starts its subtree in the
    /// supervisor's own task.
    Starting(Option<R>),
    Running(R),
    /// Its incarnation is being stopped by its supervisor.
    Stopping(R),
    /// A restart is due at `at`, as part of the group restart numbered `generation`; held
    /// back by the named breaker while it is open (S13.7).
    Pending {
        at: Instant,
        generation: u64,
        waiting_for: Option<Arc<str>>,
    },
    /// No incarnation, none due, and none until resumed: quarantined after its own budget ran
    /// out (S18.1), or paused (S18.3).
    Held(Hold),
}

/// Why a child is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    Quarantined,
    Paused,
}

/// A transition asked of a phase it does not leave from; the phase is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Illegal {
    pub from: ChildState,
    pub transition: &'static str,
}

impl<R> Phase<R> {
    /// The state handles see in this phase.
    pub(crate) fn published(&self) -> ChildState {
        match self {
            Phase::Stopped => ChildState::Stopped,
            Phase::Starting(_) => ChildState::Starting,
            Phase::Running(_) => ChildState::Running,
            Phase::Stopping(_) => ChildState::Stopping,
            Phase::Pending { .. } => ChildState::Restarting,
            Phase::Held(Hold::Quarantined) => ChildState::Quarantined,
            Phase::Held(Hold::Paused) => ChildState::Paused,
        }
    }

    /// The incarnation this phase holds, if any.
    pub(crate) fn running(&self) -> Option<&R> {
        match self {
            Phase::Starting(r) => r.as_ref(),
            Phase::Running(r) | Phase::Stopping(r) => Some(r),
            Phase::Stopped | Phase::Pending { .. } | Phase::Held(_) => None,
        }
    }

    pub(crate) fn running_mut(&mut self) -> Option<&mut R> {
        match self {
            Phase::Starting(r) => r.as_mut(),
            Phase::Running(r) | Phase::Stopping(r) => Some(r),
            Phase::Stopped | Phase::Pending { .. } | Phase::Held(_) => None,
        }
    }

    /// Whether it has an incarnation or a restart due (S8: alive; a group restart touches it).
    /// A held child has neither: a sibling's group restart leaves it held.
    pub(crate) fn alive(&self) -> bool {
        !matches!(self, Phase::Stopped | Phase::Held(_))
    }

    /// Stopped or Pending -> Held: quarantined or paused, a pending restart cancelled.
    pub(crate) fn hold(&mut self, hold: Hold) -> Result<(), Illegal> {
        match self {
            Phase::Stopped | Phase::Pending { .. } | Phase::Held(_) => {
                *self = Phase::Held(hold);
                Ok(())
            }
            _ => Err(self.illegal("hold")),
        }
    }

    /// Held -> Stopped: resumed, to be started.
    pub(crate) fn release(&mut self) -> Result<(), Illegal> {
        match self {
            Phase::Held(_) => {
                *self = Phase::Stopped;
                Ok(())
            }
            _ => Err(self.illegal("release")),
        }
    }

    /// Whether it waits for the group restart numbered `generation`.
    pub(crate) fn pending_in(&self, generation: u64) -> bool {
        matches!(self, Phase::Pending { generation: g, .. } if *g == generation)
    }

    fn illegal(&self, transition: &'static str) -> Illegal {
        Illegal {
            from: self.published(),
            transition,
        }
    }

    /// Stopped or Pending -> Starting: an incarnation that reports its start (S2.4), or a
    /// supervisor child starting its subtree (`None`).
    pub(crate) fn start(&mut self, r: Option<R>) -> Result<(), Illegal> {
        match self {
            Phase::Stopped | Phase::Pending { .. } => {
                *self = Phase::Starting(r);
                Ok(())
            }
            _ => Err(self.illegal("start")),
        }
    }

    /// Stopped or Pending -> Running: an incarnation that is up once spawned (S2.4).
    pub(crate) fn run(&mut self, r: R) -> Result<(), Illegal> {
        match self {
            Phase::Stopped | Phase::Pending { .. } => {
                *self = Phase::Running(r);
                Ok(())
            }
            _ => Err(self.illegal("run")),
        }
    }

    /// Starting -> Running: the starting incarnation is up; `r` is the incarnation of a
    /// supervisor child, whose task exists only now. Handles see Starting, then Running, and
    /// nothing between.
    pub(crate) fn up(&mut self, r: Option<R>) -> Result<(), Illegal> {
        let Phase::Starting(starting) = self else {
            return Err(self.illegal("up"));
        };
        match r.or_else(|| starting.take()) {
            Some(r) => {
                *self = Phase::Running(r);
                Ok(())
            }
            None => Err(self.illegal("up")),
        }
    }

    /// Starting or Running -> Stopped: the incarnation ended on its own, or failed to start
    /// (S3, S4.3). Returns it, to be awaited or dropped.
    pub(crate) fn end(&mut self) -> Result<Option<R>, Illegal> {
        match std::mem::replace(self, Phase::Stopped) {
            Phase::Starting(r) => Ok(r),
            Phase::Running(r) => Ok(Some(r)),
            other => {
                *self = other;
                Err(self.illegal("end"))
            }
        }
    }

    /// Asks the incarnation to stop (S6.2): Starting or Running -> Stopping, returning it to
    /// be signalled; a pending restart is cancelled (Pending -> Stopped); Stopped and Stopping
    /// stay as they are.
    pub(crate) fn stop(&mut self) -> Option<&R> {
        match std::mem::replace(self, Phase::Stopped) {
            Phase::Starting(Some(r)) | Phase::Running(r) | Phase::Stopping(r) => {
                *self = Phase::Stopping(r);
            }
            Phase::Starting(None) | Phase::Stopped | Phase::Pending { .. } => {}
            // A held child stays held: nothing runs to stop.
            held @ Phase::Held(_) => *self = held,
        }
        match self {
            Phase::Stopping(r) => Some(r),
            _ => None,
        }
    }

    /// Stopping -> Stopped: the stopped incarnation was collected (S6.2).
    pub(crate) fn stopped(&mut self) -> Result<R, Illegal> {
        match std::mem::replace(self, Phase::Stopped) {
            Phase::Stopping(r) => Ok(r),
            other => {
                *self = other;
                Err(self.illegal("stopped"))
            }
        }
    }

    /// Stopped or Pending -> Pending: a restart decided for `at`, in the group restart
    /// numbered `generation` (S3, S4, backoff); or, while a breaker it depends on is open, the
    /// same restart held back until `at` (S13.7).
    pub(crate) fn pend(
        &mut self,
        at: Instant,
        generation: u64,
        waiting_for: Option<Arc<str>>,
    ) -> Result<(), Illegal> {
        match self {
            Phase::Stopped | Phase::Pending { .. } => {
                *self = Phase::Pending {
                    at,
                    generation,
                    waiting_for,
                };
                Ok(())
            }
            _ => Err(self.illegal("pend")),
        }
    }

    /// Any -> Stopped, when the supervisor itself ends without stopping it (it was killed):
    /// the phase left, with whatever incarnation it held.
    pub(crate) fn abandon(&mut self) -> Phase<R> {
        std::mem::replace(self, Phase::Stopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ChildState as S;

    fn every() -> Vec<Phase<u8>> {
        vec![
            Phase::Stopped,
            Phase::Starting(None),
            Phase::Starting(Some(1)),
            Phase::Running(1),
            Phase::Stopping(1),
            Phase::Pending {
                at: Instant::now(),
                generation: 0,
                waiting_for: None,
            },
            Phase::Held(Hold::Paused),
        ]
    }

    type Step = fn(&mut Phase<u8>) -> bool;

    /// Every transition from every phase: the phases it leaves from, and the state after it.
    #[test]
    fn every_transition_from_every_phase() {
        const PAUSED: Option<S> = Some(S::Paused);
        let table: [(&str, Step, [Option<S>; 7]); 10] = [
            (
                "start",
                |p| p.start(Some(2)).is_ok(),
                [
                    Some(S::Starting),
                    None,
                    None,
                    None,
                    None,
                    Some(S::Starting),
                    None,
                ],
            ),
            (
                "run",
                |p| p.run(2).is_ok(),
                [
                    Some(S::Running),
                    None,
                    None,
                    None,
                    None,
                    Some(S::Running),
                    None,
                ],
            ),
            (
                "up",
                |p| p.up(None).is_ok(),
                [None, None, Some(S::Running), None, None, None, None],
            ),
            (
                "end",
                |p| p.end().is_ok(),
                [
                    None,
                    Some(S::Stopped),
                    Some(S::Stopped),
                    Some(S::Stopped),
                    None,
                    None,
                    None,
                ],
            ),
            (
                "stop",
                |p| {
                    p.stop();
                    true
                },
                [
                    Some(S::Stopped),
                    Some(S::Stopped),
                    Some(S::Stopping),
                    Some(S::Stopping),
                    Some(S::Stopping),
                    Some(S::Stopped),
                    PAUSED,
                ],
            ),
            (
                "stopped",
                |p| p.stopped().is_ok(),
                [None, None, None, None, Some(S::Stopped), None, None],
            ),
            (
                "pend",
                |p| p.pend(Instant::now(), 1, None).is_ok(),
                [
                    Some(S::Restarting),
                    None,
                    None,
                    None,
                    None,
                    Some(S::Restarting),
                    None,
                ],
            ),
            (
                "hold",
                |p| p.hold(Hold::Quarantined).is_ok(),
                [
                    Some(S::Quarantined),
                    None,
                    None,
                    None,
                    None,
                    Some(S::Quarantined),
                    Some(S::Quarantined),
                ],
            ),
            (
                "release",
                |p| p.release().is_ok(),
                [None, None, None, None, None, None, Some(S::Stopped)],
            ),
            (
                "abandon",
                |p| {
                    p.abandon();
                    true
                },
                [Some(S::Stopped); 7],
            ),
        ];
        for (name, step, expected) in table {
            for (from, want) in every().into_iter().zip(expected) {
                let before = from.published();
                let mut phase = from;
                let legal = step(&mut phase);
                match want {
                    Some(state) => {
                        assert!(legal, "{name} from {before:?} is legal");
                        assert_eq!(phase.published(), state, "{name} from {before:?}");
                    }
                    None => {
                        assert!(!legal, "{name} from {before:?} is illegal");
                        assert_eq!(
                            phase.published(),
                            before,
                            "{name} from {before:?} changes nothing"
                        );
                    }
                }
            }
        }
    }

    // The incarnation is carried through, never lost or made up.
    #[test]
    fn the_incarnation_moves_with_the_phase() {
        let mut p: Phase<u8> = Phase::Stopped;
        p.start(Some(7)).unwrap();
        p.up(None).unwrap();
        assert_eq!(p.running(), Some(&7));
        assert_eq!(p.stop(), Some(&7));
        assert_eq!(p.stopped().unwrap(), 7);
        p.start(None).unwrap();
        assert!(p.up(None).is_err(), "a subtree's start needs its task");
        p.up(Some(8)).unwrap();
        assert_eq!(p.end().unwrap(), Some(8));
        assert!(!p.alive());
    }
}
