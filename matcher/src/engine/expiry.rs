//! The expiry queue: resting orders by (expiry time, arrival), earliest first (matching rule 6).
//!
//! Orders that leave the book early (filled or cancelled) are not searched for in the heap;
//! their entries go stale and are skipped when they surface. Stale entries are swept out a few
//! at a time: once they outnumber live orders, every command examines [`SWEEP_STEP`] entries
//! and removes the stale ones, until the sweep has passed over the whole heap. Cleaning the
//! heap in one pass instead would stall one command for a time proportional to the book
//! (milliseconds at 100 000 resting orders, tens of milliseconds at a million).
//!
//! Only stale entries are ever removed, and the entries' keys are unique, so the order in which
//! entries are popped depends only on which live orders rest, never on when sweeps run.

use super::slab::Slab;
use crate::event::OrderRef;

/// Heap entries examined by the sweep per command. Enough to finish a sweep long before the next
/// is due (a sweep starts once at least `live + 1024` entries are stale, and a command makes
/// only a few entries stale), few enough that a command pays a few hundred ns, not a stall.
const SWEEP_STEP: usize = 8;

/// `(expiry_ms, arrival number, slot)`, compared in that order.
type Entry = (u64, u32, u32);

/// A binary min-heap of entries, with an incremental sweep of stale ones.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExpiryQueue {
    /// Heap-ordered: every entry is no later than its children (`2i + 1`, `2i + 2`).
    heap: Vec<Entry>,
    /// Where the running sweep has got to, if one is running.
    sweep_at: Option<usize>,
}

impl ExpiryQueue {
    pub(crate) fn with_capacity(capacity: usize) -> ExpiryQueue {
        ExpiryQueue { heap: Vec::with_capacity(capacity), sweep_at: None }
    }

    /// Makes this queue a copy of `source`, reusing its allocation (as `Slab::copy_from`).
    pub(crate) fn copy_from(&mut self, source: &ExpiryQueue) {
        self.heap.clone_from(&source.heap);
        self.sweep_at = source.sweep_at;
    }

    pub(crate) fn push(&mut self, expiry_ms: u64, order: OrderRef, slot: u32) {
        self.heap.push((expiry_ms, order.0, slot));
        self.sift_up(self.heap.len() - 1);
    }

    /// The earliest entry due at `now_ms`, if any: `(order, slot)`. May be stale.
    pub(crate) fn pop_due(&mut self, now_ms: u64) -> Option<(OrderRef, u32)> {
        match self.heap.first() {
            Some(&(expiry_ms, _, _)) if expiry_ms <= now_ms => {
                let (_, order, slot) = self.remove_at(0);
                Some((OrderRef(order), slot))
            }
            _ => None,
        }
    }

    /// One step of the sweep of stale entries, starting a sweep when they outnumber the `live`
    /// orders; `is_live` tells which entries are live. Should stale entries ever pile up faster
    /// than the sweep removes them (a stream of orders that each fill many), the heap is
    /// cleaned in one pass once it is twice past the sweep's threshold, so it stays bounded.
    pub(crate) fn sweep_stale(&mut self, live: usize, is_live: impl Fn(OrderRef, u32) -> bool) {
        let threshold = 2 * live + 1024;
        if self.heap.len() > 2 * threshold {
            self.heap.retain(|&(_, order, slot)| is_live(OrderRef(order), slot));
            self.heapify();
            self.sweep_at = None;
            return;
        }
        if self.sweep_at.is_none() && self.heap.len() > threshold {
            self.sweep_at = Some(0);
        }
        let Some(mut at) = self.sweep_at else { return };
        let mut budget = SWEEP_STEP;
        while budget > 0 && at < self.heap.len() {
            budget -= 1;
            // Stale entries at the end leave as leaves, without reordering anything. So the
            // entry that replaces a stale one below is live, and should it sift up past the
            // sweep, nothing stale is left behind there.
            let (_, order, slot) = self.heap[self.heap.len() - 1];
            if !is_live(OrderRef(order), slot) {
                self.heap.pop();
                continue;
            }
            let (_, order, slot) = self.heap[at];
            if is_live(OrderRef(order), slot) {
                at += 1;
            } else {
                self.remove_at(at);
            }
        }
        self.sweep_at = (at < self.heap.len()).then_some(at);
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Entry>()
    }

    /// For a queue read from a snapshot: heap-ordered, the sweep within the heap, and each of
    /// the slab's live orders there exactly once with its own expiry time.
    pub(crate) fn check_restored(&self, slab: &Slab) -> Result<(), String> {
        if (1..self.heap.len()).any(|at| self.heap[(at - 1) / 2] > self.heap[at]) {
            return Err("the expiry heap is out of order".into());
        }
        if self.sweep_at.is_some_and(|at| at >= self.heap.len()) {
            return Err("the expiry sweep is past the heap".into());
        }
        let mut seen = vec![false; slab.slots()];
        for &(expiry_ms, order, slot) in &self.heap {
            if !slab.holds(slot, OrderRef(order)) {
                continue; // stale: its order left the book
            }
            if slab.get(slot).expiry_ms != expiry_ms
                || std::mem::replace(&mut seen[slot as usize], true)
            {
                return Err(format!("slot {slot}: expiry entry wrong or twice"));
            }
        }
        match seen.iter().filter(|&&s| s).count() == slab.live() {
            true => Ok(()),
            false => Err("a resting order has no expiry entry".into()),
        }
    }

    /// Removes and returns the entry at `at` (which must exist), keeping the heap ordered.
    fn remove_at(&mut self, at: usize) -> Entry {
        let removed = self.heap.swap_remove(at);
        if at < self.heap.len() {
            let moved_to = self.sift_up(at);
            if moved_to == at {
                self.sift_down(at);
            }
        }
        removed
    }

    /// Moves the entry at `at` up while it is earlier than its parent; returns where it ends.
    fn sift_up(&mut self, mut at: usize) -> usize {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[at] >= self.heap[parent] {
                break;
            }
            self.heap.swap(at, parent);
            at = parent;
        }
        at
    }

    /// Moves the entry at `at` down while a child is earlier.
    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child =
                if right < len && self.heap[right] < self.heap[left] { right } else { left };
            if self.heap[child] >= self.heap[at] {
                break;
            }
            self.heap.swap(at, child);
            at = child;
        }
    }

    /// Restores heap order over the whole vector (Floyd's bottom-up construction).
    fn heapify(&mut self) {
        for at in (0..self.heap.len() / 2).rev() {
            self.sift_down(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Random pushes, removals (stale-making), pops and sweeps: the queue pops the same live
    /// entries in the same order as a plain binary heap with lazy deletion, and stays bounded.
    #[test]
    fn sweeping_never_changes_what_pops() {
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut queue = ExpiryQueue::with_capacity(16);
            let mut reference: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
            let mut live: Vec<bool> = Vec::new();
            let mut resting: Vec<u32> = Vec::new();
            let mut now_ms = 0u64;
            let mut swept = 0;
            for _ in 0..20_000 {
                match rng.random_range(0..10u32) {
                    0..=3 => {
                        let order = live.len() as u32;
                        let expiry_ms = now_ms + rng.random_range(1..200_000u64);
                        live.push(true);
                        resting.push(order);
                        queue.push(expiry_ms, OrderRef(order), order % 97);
                        reference.push(Reverse((expiry_ms, order, order % 97)));
                    }
                    4..=7 if !resting.is_empty() => {
                        let at = rng.random_range(0..resting.len() as u64) as usize;
                        live[resting.swap_remove(at) as usize] = false;
                    }
                    _ => now_ms += rng.random_range(0..200u64),
                }
                let mut got = Vec::new();
                while let Some((order, _)) = queue.pop_due(now_ms) {
                    if live[order.0 as usize] {
                        got.push(order.0);
                    }
                }
                let mut want = Vec::new();
                while reference.peek().is_some_and(|Reverse(entry)| entry.0 <= now_ms) {
                    if let Some(Reverse((_, order, _))) = reference.pop() {
                        if live[order as usize] {
                            want.push(order);
                        }
                    }
                }
                assert_eq!(got, want, "seed {seed}");
                for &order in &got {
                    live[order as usize] = false;
                }
                resting.retain(|&order| live[order as usize]);
                queue.sweep_stale(resting.len(), |order, _| live[order.0 as usize]);
                swept += usize::from(queue.sweep_at.is_some());
                assert!(queue.heap.len() <= 2 * (2 * resting.len() + 1024), "seed {seed}");
                for at in 1..queue.heap.len() {
                    assert!(queue.heap[(at - 1) / 2] <= queue.heap[at], "heap order, seed {seed}");
                }
            }
            assert!(swept > 0, "seed {seed}: no sweep ran");
        }
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn a_heap_far_past_the_threshold_is_cleaned_at_once() {
        let mut queue = ExpiryQueue::with_capacity(16);
        for order in 0..10_000u32 {
            queue.push(u64::from(order), OrderRef(order), order);
        }
        queue.sweep_stale(10, |order, _| order.0 < 10);
        assert_eq!(queue.heap.len(), 10);
        assert_eq!(queue.pop_due(u64::MAX), Some((OrderRef(0), 0)));
    }

    #[test]
    fn a_sweep_removes_every_stale_entry_it_passes() {
        let mut queue = ExpiryQueue::with_capacity(16);
        for order in 0..3_000u32 {
            queue.push(u64::from(order % 500), OrderRef(order), order);
        }
        // 1 500 live, 1 500 stale: past the threshold (2 × 700 + 1024) but not twice past it.
        let is_live = |order: OrderRef, _| order.0.is_multiple_of(2);
        while {
            queue.sweep_stale(700, is_live);
            queue.sweep_at.is_some()
        } {}
        assert_eq!(queue.heap.len(), 1_500);
        let mut last = (0, 0);
        while let Some((order, _)) = queue.pop_due(u64::MAX) {
            assert!(is_live(order, 0));
            let key = (u64::from(order.0 % 500), order.0);
            assert!(key > last || last == (0, 0));
            last = key;
        }
    }
}
