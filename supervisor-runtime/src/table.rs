//! Children by start sequence number, in start order: a sorted vector with tombstones.
//!
//! Sequence numbers only grow, so appending keeps the order; lookups are binary searches over
//! contiguous memory; removal leaves a tombstone, swept once tombstones outnumber the living.
//! Compared with a B-tree this keeps a large flat supervisor to one allocation.

use std::ops::{Bound, RangeBounds};

pub(crate) struct SeqMap<V> {
    entries: Vec<(u64, Option<V>)>,
    live: usize,
}

impl<V> SeqMap<V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SeqMap {
            entries: Vec::with_capacity(capacity),
            live: 0,
        }
    }

    fn position(&self, seq: u64) -> Option<usize> {
        // Until a sweep, a supervisor's declared children sit at the index of their sequence
        // number: look there before searching.
        match usize::try_from(seq).ok().and_then(|i| self.entries.get(i)) {
            Some(e) if e.0 == seq => Some(seq as usize),
            _ => self.entries.binary_search_by_key(&seq, |e| e.0).ok(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn get(&self, seq: &u64) -> Option<&V> {
        self.entries[self.position(*seq)?].1.as_ref()
    }

    pub(crate) fn get_mut(&mut self, seq: &u64) -> Option<&mut V> {
        let i = self.position(*seq)?;
        self.entries[i].1.as_mut()
    }

    /// Appends `value` under `seq`, which must be above every sequence number so far.
    pub(crate) fn push(&mut self, seq: u64, value: V) {
        debug_assert!(self.entries.last().is_none_or(|e| e.0 < seq));
        self.entries.push((seq, Some(value)));
        self.live += 1;
    }

    pub(crate) fn remove(&mut self, seq: &u64) -> Option<V> {
        let i = self.position(*seq)?;
        let value = self.entries[i].1.take()?;
        self.live -= 1;
        let dead = self.entries.len() - self.live;
        if dead > 32 && dead > self.live {
            self.entries.retain(|e| e.1.is_some());
        }
        Some(value)
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &V)> {
        self.entries
            .iter()
            .filter_map(|(s, v)| v.as_ref().map(|v| (*s, v)))
    }

    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub(crate) fn keys(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.iter().map(|(s, _)| s)
    }

    /// The living entries whose sequence numbers fall in `range`, in order.
    pub(crate) fn range(&self, range: impl RangeBounds<u64>) -> impl Iterator<Item = (u64, &V)> {
        let start = match range.start_bound() {
            Bound::Included(&s) => self.entries.partition_point(|e| e.0 < s),
            Bound::Excluded(&s) => self.entries.partition_point(|e| e.0 <= s),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&s) => self.entries.partition_point(|e| e.0 <= s),
            Bound::Excluded(&s) => self.entries.partition_point(|e| e.0 < s),
            Bound::Unbounded => self.entries.len(),
        };
        self.entries[start..end.max(start)]
            .iter()
            .filter_map(|(s, v)| v.as_ref().map(|v| (*s, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::SeqMap;

    #[test]
    fn keeps_order_through_removals_and_sweeps() {
        let mut m = SeqMap::with_capacity(4);
        for s in 0..100u64 {
            m.push(s, s * 10);
        }
        for s in (0..100u64).filter(|s| s % 3 != 0) {
            assert_eq!(m.remove(&s), Some(s * 10));
        }
        assert_eq!(m.remove(&1), None);
        assert_eq!(m.len(), 34);
        let keys: Vec<u64> = m.keys().collect();
        assert_eq!(keys, (0..100).filter(|s| s % 3 == 0).collect::<Vec<_>>());
        assert_eq!(m.get(&99), Some(&990));
        let tail: Vec<u64> = m.range(90..).map(|(s, _)| s).collect();
        assert_eq!(tail, [90, 93, 96, 99]);
        let rev: Vec<u64> = m.keys().rev().take(2).collect();
        assert_eq!(rev, [99, 96]);
        m.push(100, 1000);
        assert_eq!(m.range(..=3).count(), 2);
    }
}
