//! The references at which a class's pegged orders change state, split at the class's
//! reference: a move from one reference to another pops exactly the thresholds it crosses.
//!
//! Two binary heaps: thresholds above the reference (a min-heap: a rise to one changes its
//! order's state) and thresholds at or below it (a max-heap: a fall below one does). A move pops
//! from one heap and pushes onto the other only what it crosses, so it costs O(k log n) for k
//! orders that change state, never a walk of the class. Heaps are vectors, so once they have
//! grown nothing allocates — unlike a B-tree, which allocates and frees nodes as orders come
//! and go.
//!
//! An order leaving the book leaves its thresholds in the heaps; they are told apart (`is_live`)
//! and dropped when they surface, and all of them are dropped in one pass once they outnumber
//! the live ones. Which entries are dropped when never shows in the engine's output: the
//! crossed thresholds are sorted by arrival before use.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::event::OrderRef;

/// `(reference at which the state changes, arrival number, peg entry)`.
pub(crate) type Threshold = (u64, u32, u32);

/// Dead entries tolerated beyond the live ones before the one-pass cleanup.
const DEAD_SLACK: usize = 1024;

/// One class's thresholds.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Switches {
    /// Thresholds above the reference (all of them while the class has no reference).
    above: BinaryHeap<Reverse<Threshold>>,
    /// Thresholds at or below the reference.
    below: BinaryHeap<Threshold>,
    /// Entries of orders still resting.
    live: usize,
}

impl Switches {
    /// Files `threshold` on its side of `reference_nano`.
    pub(crate) fn insert(&mut self, threshold: Threshold, reference_nano: Option<u64>) {
        if reference_nano.is_some_and(|r| threshold.0 <= r) {
            self.below.push(threshold);
        } else {
            self.above.push(Reverse(threshold));
        }
        self.live += 1;
    }

    /// Forgets one live entry (its order left the book); cleans the heaps in one pass once
    /// dead entries outnumber live ones by [`DEAD_SLACK`].
    pub(crate) fn remove(&mut self, is_live: impl Fn(u32, u32) -> bool) {
        self.live -= 1;
        if self.above.len() + self.below.len() > 2 * self.live + DEAD_SLACK {
            self.above.retain(|&Reverse((_, order, peg))| is_live(order, peg));
            self.below.retain(|&(_, order, peg)| is_live(order, peg));
        }
    }

    /// Moves the reference from `from` to `to`: appends to `crossed` the `(order, peg entry)`
    /// of every live threshold crossed (an order may appear twice), and files them on their new
    /// side.
    pub(crate) fn cross(
        &mut self,
        from: Option<u64>,
        to: u64,
        is_live: impl Fn(u32, u32) -> bool,
        crossed: &mut Vec<(OrderRef, u32)>,
    ) {
        if from.is_none_or(|from| from < to) {
            while let Some(&Reverse(threshold)) = self.above.peek() {
                if threshold.0 > to {
                    break;
                }
                self.above.pop();
                if is_live(threshold.1, threshold.2) {
                    self.below.push(threshold);
                    crossed.push((OrderRef(threshold.1), threshold.2));
                }
            }
        } else {
            while let Some(&threshold) = self.below.peek() {
                if threshold.0 <= to {
                    break;
                }
                self.below.pop();
                if is_live(threshold.1, threshold.2) {
                    self.above.push(Reverse(threshold));
                    crossed.push((OrderRef(threshold.1), threshold.2));
                }
            }
        }
    }

    /// Every live entry, each with whether it is filed at or below the reference (for the
    /// invariant checker; in no particular order).
    pub(crate) fn entries<'a>(
        &'a self,
        is_live: impl Fn(u32, u32) -> bool + Copy + 'a,
    ) -> impl Iterator<Item = (Threshold, bool)> + 'a {
        let above = self.above.iter().map(|&Reverse(t)| (t, false));
        let below = self.below.iter().map(|&t| (t, true));
        above.chain(below).filter(move |&((_, order, peg), _)| is_live(order, peg))
    }

    /// For thresholds read from a snapshot: each names a peg entry below `pegs`.
    pub(crate) fn check_restored(&self, pegs: usize) -> Result<(), String> {
        let above = self.above.iter().map(|&Reverse(t)| t);
        let mut all = above.chain(self.below.iter().copied());
        match all.all(|(_, _, peg)| (peg as usize) < pegs) {
            true => Ok(()),
            false => Err("a threshold names a peg entry out of range".into()),
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        (self.above.capacity() + self.below.capacity()) * std::mem::size_of::<Threshold>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Random inserts, removals (enough to trigger the cleanup) and moves: each move reports
    /// exactly the live thresholds between the old and the new reference.
    #[test]
    fn a_move_reports_exactly_the_live_thresholds_it_crosses() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut switches = Switches::default();
        let mut live: Vec<Option<u64>> = Vec::new(); // by order number: its threshold, if live
        let mut reference: Option<u64> = None;
        let mut crossed = Vec::new();
        for _ in 0..20_000 {
            match rng.random_range(0..10u32) {
                0..=4 => {
                    let threshold = rng.random_range(2..200u64);
                    let order = live.len() as u32;
                    switches.insert((threshold, order, order), reference);
                    live.push(Some(threshold));
                }
                5..=7 => {
                    let order = rng.random_range(0..live.len().max(1));
                    if live.get(order).is_some_and(|t| t.is_some()) {
                        live[order] = None;
                        switches.remove(|o, _| live[o as usize].is_some());
                    }
                }
                _ => {
                    let to = rng.random_range(1..200u64);
                    crossed.clear();
                    let is_live = |o: u32, _| live[o as usize].is_some();
                    switches.cross(reference, to, is_live, &mut crossed);
                    let (low, high) = match reference {
                        None => (0, to),
                        Some(from) => (from.min(to), from.max(to)),
                    };
                    let mut want: Vec<u32> = (0..live.len() as u32)
                        .filter(|&o| live[o as usize].is_some_and(|t| low < t && t <= high))
                        .collect();
                    let mut got: Vec<u32> = crossed.iter().map(|(order, _)| order.0).collect();
                    want.sort_unstable();
                    got.sort_unstable();
                    assert_eq!(got, want);
                    reference = Some(to);
                }
            }
            assert_eq!(switches.live(), live.iter().flatten().count());
            assert!(switches.above.len() + switches.below.len() <= 2 * switches.live() + 1025);
        }
    }
}
