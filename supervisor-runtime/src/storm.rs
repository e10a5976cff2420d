//! The tree-wide restart limit (S18.2): restarts decided anywhere in the tree, counted in one
//! window; past it the tree stops in order and ends with a storm error.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How a restart storm ended a tree (S18.2): more than `max_restarts` restarts within `within`
/// across the whole tree, however each supervisor kept within its own intensity.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StormReport {
    /// The tree's limit.
    pub max_restarts: u32,
    /// Its window.
    pub within: Duration,
    /// The children that restarted most within the window, most first (at most five), with
    /// their restarts in it.
    pub most: Vec<(Arc<str>, u32)>,
}

impl fmt::Display for StormReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "restart storm: more than {} restarts within {:?} across the tree",
            self.max_restarts, self.within
        )?;
        for (i, (child, n)) in self.most.iter().enumerate() {
            let lead = if i == 0 { " (most: " } else { ", " };
            write!(f, "{lead}{child} {n}")?;
        }
        if !self.most.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for StormReport {}

/// The window of a tree with a storm limit, shared by all its supervisors.
pub(crate) struct Storm {
    max_restarts: u32,
    within: Duration,
    recent: Mutex<VecDeque<(Instant, Arc<str>)>>,
    tripped: OnceLock<Arc<StormReport>>,
    /// The root's shutdown: the tree stops in order once the limit is passed.
    stop: CancellationToken,
}

impl Storm {
    pub(crate) fn new(max_restarts: u32, within: Duration, stop: CancellationToken) -> Self {
        Storm {
            max_restarts,
            within,
            recent: Mutex::new(VecDeque::new()),
            tripped: OnceLock::new(),
            stop,
        }
    }

    /// A restart of `child` decided at `now`: one too many stops the tree.
    pub(crate) fn restarted(&self, child: &Arc<str>, now: Instant) {
        if self.tripped.get().is_some() {
            return;
        }
        let Ok(mut recent) = self.recent.lock() else {
            return;
        };
        while recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= self.within)
        {
            recent.pop_front();
        }
        recent.push_back((now, Arc::clone(child)));
        if recent.len() <= self.max_restarts as usize {
            return;
        }
        let mut counts: HashMap<&Arc<str>, u32> = HashMap::new();
        for (_, c) in recent.iter() {
            *counts.entry(c).or_default() += 1;
        }
        let mut most: Vec<(Arc<str>, u32)> = counts
            .into_iter()
            .map(|(c, n)| (Arc::clone(c), n))
            .collect();
        most.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        most.truncate(5);
        let report = Arc::new(StormReport {
            max_restarts: self.max_restarts,
            within: self.within,
            most,
        });
        drop(recent);
        if self.tripped.set(Arc::clone(&report)).is_ok() {
            tracing::error!("{report}; the tree stops");
            self.stop.cancel();
        }
    }

    /// The storm that stopped the tree, if one did.
    pub(crate) fn tripped(&self) -> Option<Arc<StormReport>> {
        self.tripped.get().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S18.2: one restart more than the limit within the window trips it, once, naming the
    // children that restarted most; restarts spread beyond the window do not.
    #[test]
    fn the_storm_limit_trips_on_the_restart_beyond_it() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let stop = CancellationToken::new();
        let storm = Storm::new(3, s, stop.clone());
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("app/a"), Arc::from("app/b"));
        for i in 0..6u32 {
            storm.restarted(&a, t0 + i * s);
        }
        assert!(
            storm.tripped().is_none() && !stop.is_cancelled(),
            "one a second"
        );
        let t1 = t0 + 10 * s;
        storm.restarted(&a, t1);
        storm.restarted(&b, t1);
        storm.restarted(&a, t1);
        assert!(storm.tripped().is_none(), "three within the window");
        storm.restarted(&b, t1);
        let report = storm.tripped().expect("tripped");
        assert!(stop.is_cancelled());
        assert_eq!(report.most, [(Arc::clone(&a), 2), (Arc::clone(&b), 2)]);
        assert_eq!(
            report.to_string(),
            "restart storm: more than 3 restarts within 1s across the tree (most: app/a 2, app/b 2)"
        );
    }
}
