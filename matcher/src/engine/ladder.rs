//! A price ladder: the resting orders of one group (one machine configuration for asks, one
//! requirement signature for bids), by price level, each level in arrival order.
//!
//! Levels are kept in a vector sorted from worst to best *rank* so the best level is the last
//! element: taking the best level away is a `pop`, and new orders, which mostly arrive near the
//! top of the book, shift few elements. Rank is the price for bids (higher is better) and its
//! complement for asks (lower is better), so one ladder type serves both sides.

use super::slab::{Slab, NIL};

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Level {
    pub(crate) rank: u64,
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ladder {
    /// Worst to best.
    pub(crate) levels: Vec<Level>,
}

impl Ladder {
    /// An empty ladder with room for `levels` price levels.
    pub(crate) fn with_capacity(levels: usize) -> Ladder {
        Ladder { levels: Vec::with_capacity(levels) }
    }

    /// Appends `slot` to the level of `rank`, creating the level if needed. The order must be
    /// the latest to arrive at that level (new orders are; re-priced ones use
    /// [`Ladder::insert_by_arrival`]).
    pub(crate) fn push(&mut self, slab: &mut Slab, slot: u32, rank: u64) {
        match self.find(rank) {
            Ok(at) => {
                let level = &mut self.levels[at];
                let tail = level.tail;
                debug_assert!(
                    slab.get(tail).order < slab.get(slot).order,
                    "a level stays in arrival order"
                );
                level.tail = slot;
                slab.get_mut(tail).next = slot;
                let entry = slab.get_mut(slot);
                entry.prev = tail;
                entry.next = NIL;
            }
            Err(at) => {
                self.levels.insert(at, Level { rank, head: slot, tail: slot });
                let entry = slab.get_mut(slot);
                entry.prev = NIL;
                entry.next = NIL;
            }
        }
        self.debug_check_around(rank);
    }

    /// In debug builds: the level of `rank` exists, is non-empty, and ranks strictly between
    /// its neighbours — what every change of a ladder must keep.
    fn debug_check_around(&self, rank: u64) {
        if cfg!(debug_assertions) {
            let at = self.find(rank).expect("the level just changed exists");
            let level = &self.levels[at];
            debug_assert!(level.head != NIL && level.tail != NIL, "a level is never empty");
            debug_assert!(at == 0 || self.levels[at - 1].rank < rank, "levels stay ordered");
            debug_assert!(self.levels.get(at + 1).is_none_or(|next| rank < next.rank));
        }
    }

    /// Puts `slot` into the level of `rank` at its arrival position (after every order that
    /// arrived earlier), creating the level if needed. A re-priced order keeps its time
    /// priority this way; the walk starts at the tail because re-priced orders are moved in
    /// arrival order, so each usually lands at or near the end.
    pub(crate) fn insert_by_arrival(&mut self, slab: &mut Slab, slot: u32, rank: u64) {
        let at = match self.find(rank) {
            Ok(at) => at,
            // No level at that price yet: the order starts one.
            Err(_) => return self.push(slab, slot, rank),
        };
        let order = slab.get(slot).order;
        let mut before = self.levels[at].tail;
        while before != NIL && slab.get(before).order > order {
            before = slab.get(before).prev;
        }
        let after = if before == NIL { self.levels[at].head } else { slab.get(before).next };
        let entry = slab.get_mut(slot);
        entry.prev = before;
        entry.next = after;
        if before == NIL {
            self.levels[at].head = slot;
        } else {
            slab.get_mut(before).next = slot;
        }
        if after == NIL {
            self.levels[at].tail = slot;
        } else {
            slab.get_mut(after).prev = slot;
        }
        self.debug_check_around(rank);
    }

    /// Unlinks `slot` from the level of `rank`, dropping the level when it empties.
    pub(crate) fn unlink(&mut self, slab: &mut Slab, slot: u32, rank: u64) {
        let (prev, next) = {
            let entry = slab.get(slot);
            (entry.prev, entry.next)
        };
        if prev != NIL {
            slab.get_mut(prev).next = next;
        }
        if next != NIL {
            slab.get_mut(next).prev = prev;
        }
        if prev != NIL && next != NIL {
            return;
        }
        // The order was at an end of its level: the level's head or tail changes.
        let at = self.find(rank).expect("a resting order's level exists at its rank");
        let level = &mut self.levels[at];
        debug_assert!(
            level.head == slot || level.tail == slot,
            "an order without a neighbour on one side is at that end of its level"
        );
        if level.head == slot {
            level.head = next;
        }
        if level.tail == slot {
            level.tail = prev;
        }
        if level.head == NIL {
            self.levels.remove(at);
        }
    }

    /// The index of the level of `rank` (`Ok`), or where it would be inserted (`Err`), as
    /// `binary_search` would answer. The search gallops down from the best end: orders mostly
    /// arrive and leave near the top of the book, so it reads the few hot levels there rather
    /// than the cold middle of a long ladder, which a plain binary search starts from.
    fn find(&self, rank: u64) -> Result<usize, usize> {
        let levels = &self.levels;
        // Every level in `hi..` ranks above `rank`.
        let mut hi = levels.len();
        let mut step = 1;
        let lo = loop {
            let probe = hi.saturating_sub(step);
            if probe == hi {
                break hi; // hi == 0: every level ranks above
            }
            if levels[probe].rank <= rank {
                break probe;
            }
            hi = probe;
            step *= 2;
        };
        match levels[lo..hi].binary_search_by(|level| level.rank.cmp(&rank)) {
            Ok(at) => Ok(lo + at),
            Err(at) => Err(lo + at),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Level>()
    }

    /// For a ladder read from a snapshot: every level's ends are slots below `slots` (the
    /// invariant checker then walks them).
    pub(crate) fn check_restored(&self, slots: usize) -> Result<(), String> {
        let in_range = |slot: u32| (slot as usize) < slots;
        match self.levels.iter().all(|level| in_range(level.head) && in_range(level.tail)) {
            true => Ok(()),
            false => Err("a price level ends past the slab".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slab::Resting;

    fn resting(order: u32) -> Resting {
        Resting::for_test(order)
    }

    /// A broken invariant fails loudly (issue 9, item 9): unlinking an order from a level that
    /// does not exist used to return silently, leaving the level's head or tail dangling.
    #[test]
    #[should_panic(expected = "a resting order's level exists at its rank")]
    fn unlinking_from_a_missing_level_fails_loudly() {
        let mut slab = Slab::with_capacity(2);
        let mut ladder = Ladder::default();
        let slot = slab.insert(resting(0));
        ladder.push(&mut slab, slot, 5);
        ladder.unlink(&mut slab, slot, 6);
    }

    /// In debug builds, a level must stay in arrival order: pushing an earlier order behind a
    /// later one is caught where it happens.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "a level stays in arrival order")]
    fn pushing_out_of_arrival_order_is_caught() {
        let mut slab = Slab::with_capacity(2);
        let mut ladder = Ladder::default();
        let later = slab.insert(resting(7));
        let earlier = slab.insert(resting(3));
        ladder.push(&mut slab, later, 5);
        ladder.push(&mut slab, earlier, 5);
    }

    #[test]
    fn find_answers_as_binary_search_does() {
        for len in 0..40u64 {
            let ladder = Ladder {
                levels: (0..len).map(|i| Level { rank: 10 + 3 * i, head: 0, tail: 0 }).collect(),
            };
            for rank in 0..(len * 3 + 20) {
                let want = ladder.levels.binary_search_by(|level| level.rank.cmp(&rank));
                assert_eq!(ladder.find(rank), want, "len {len} rank {rank}");
            }
        }
    }
}
