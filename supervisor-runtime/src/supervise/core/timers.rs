//! The supervisor's timers: one heap of typed deadlines, each saying what it is for and whose
//! it is, so that a stale one is recognised by its key and dropped, never mistaken.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tokio::time::Instant;

/// What a timer is for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum TimerKey {
    /// A child's pending restart, in the group restart numbered `generation` (S3, backoff).
    Restart { generation: u64 },
    /// The next probe of the child's incarnation numbered `incarnation` (S11).
    Probe { incarnation: u64 },
    /// The next look at the heartbeats of the child's incarnation `incarnation` (S12).
    Judge { incarnation: u64 },
}

impl TimerKey {
    /// The incarnation a monitor's timer watches; `None` for a restart.
    pub(crate) fn incarnation(self) -> Option<u64> {
        match self {
            TimerKey::Probe { incarnation } | TimerKey::Judge { incarnation } => Some(incarnation),
            TimerKey::Restart { .. } => None,
        }
    }
}

/// A deadline for child `seq`: ordered by time, then key, then start order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Timer {
    pub at: Instant,
    pub key: TimerKey,
    pub seq: u64,
}

/// The timers that are due, sorted out: restarts grouped by their group restart, in start
/// order, and the monitors' looks.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Due {
    /// `(generation, members in start order)`, oldest generation first.
    pub restarts: Vec<(u64, Vec<u64>)>,
    pub watches: Vec<Timer>,
}

#[derive(Default)]
pub(crate) struct Timers(BinaryHeap<Reverse<Timer>>);

impl Timers {
    pub(crate) fn push(&mut self, at: Instant, key: TimerKey, seq: u64) {
        self.0.push(Reverse(Timer { at, key, seq }));
    }

    /// When the next timer is due.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.peek().map(|Reverse(t)| t.at)
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Takes every timer due at `now`, sorted out.
    pub(crate) fn due(&mut self, now: Instant) -> Due {
        let mut due = Due::default();
        let mut restarts: Vec<(u64, u64)> = Vec::new();
        while let Some(Reverse(timer)) = self.0.peek().copied() {
            if timer.at > now {
                break;
            }
            self.0.pop();
            // A key added later does not compile until it is sorted here.
            match timer.key {
                TimerKey::Restart { generation } => restarts.push((generation, timer.seq)),
                TimerKey::Probe { .. } | TimerKey::Judge { .. } => due.watches.push(timer),
            }
        }
        restarts.sort_unstable();
        for (generation, seq) in restarts {
            match due.restarts.last_mut() {
                Some((g, members)) if *g == generation => members.push(seq),
                _ => due.restarts.push((generation, vec![seq])),
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    // Due timers come out by kind: restarts grouped by generation with their members in start
    // order (each group is restarted on its own, S4.3), the rest left for later.
    #[test]
    fn due_timers_are_sorted_out_by_kind_and_group() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut timers = Timers::default();
        timers.push(ms(5), TimerKey::Restart { generation: 2 }, 4);
        timers.push(ms(5), TimerKey::Restart { generation: 1 }, 3);
        timers.push(ms(1), TimerKey::Restart { generation: 2 }, 1);
        timers.push(ms(3), TimerKey::Probe { incarnation: 7 }, 9);
        timers.push(ms(9), TimerKey::Judge { incarnation: 7 }, 9);
        assert_eq!(timers.next(), Some(ms(1)));
        let due = timers.due(ms(5));
        assert_eq!(due.restarts, vec![(1, vec![3]), (2, vec![1, 4])]);
        assert_eq!(
            due.watches,
            vec![Timer {
                at: ms(3),
                key: TimerKey::Probe { incarnation: 7 },
                seq: 9
            }]
        );
        assert_eq!(timers.next(), Some(ms(9)));
        assert_eq!(timers.due(ms(8)), Due::default());
    }
}
