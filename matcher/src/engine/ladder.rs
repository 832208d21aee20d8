//! A price ladder: the resting orders of one group (one machine configuration for asks, one
//! requirement signature for bids), by price level, each level in arrival order.
//!
//! Levels are kept in a vector sorted from worst to best *rank* so the best level is the last
//! element: taking the best level away is a `pop`, and new orders, which mostly arrive near the
//! top of the book, shift few elements. Rank is the price for bids (higher is better) and its
//! complement for asks (lower is better), so one ladder type serves both sides.

use super::slab::{Slab, NIL};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    pub(crate) rank: u64,
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Ladder {
    /// Worst to best.
    pub(crate) levels: Vec<Level>,
}

impl Ladder {

    /// Appends `slot` to the level of `rank`, creating the level if needed.
    pub(crate) fn push(&mut self, slab: &mut Slab, slot: u32, rank: u64) {
        match self.levels.binary_search_by(|level| level.rank.cmp(&rank)) {
            Ok(at) => {
                let level = &mut self.levels[at];
                let tail = level.tail;
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
        let at = match self.levels.binary_search_by(|level| level.rank.cmp(&rank)) {
            Ok(at) => at,
            Err(_) => return,
        };
        let level = &mut self.levels[at];
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

    pub(crate) fn heap_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Level>()
    }
}
