//! The expiry queue: resting orders by (expiry time, arrival), earliest first (matching rule 6).
//!
//! Orders that leave the book early (filled or cancelled) are not searched for in the heap;
//! their entries go stale and are skipped when they surface. The heap is compacted when stale
//! entries outnumber live orders, so its size stays within about twice the book.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::event::OrderRef;

#[derive(Debug, Clone)]
pub(crate) struct ExpiryQueue {
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
}

impl ExpiryQueue {
    pub(crate) fn with_capacity(capacity: usize) -> ExpiryQueue {
        ExpiryQueue { heap: BinaryHeap::with_capacity(capacity) }
    }

    pub(crate) fn push(&mut self, expiry_ms: u64, order: OrderRef, slot: u32) {
        self.heap.push(Reverse((expiry_ms, order.0, slot)));
    }

    /// The earliest entry due at `now_ms`, if any: `(order, slot)`. May be stale.
    pub(crate) fn pop_due(&mut self, now_ms: u64) -> Option<(OrderRef, u32)> {
        match self.heap.peek() {
            Some(Reverse((expiry_ms, _, _))) if *expiry_ms <= now_ms => {
                self.heap.pop().map(|Reverse((_, order, slot))| (OrderRef(order), slot))
            }
            _ => None,
        }
    }

    /// Drops stale entries when they outnumber the `live` orders; `is_live` tells which are.
    pub(crate) fn compact_if_stale(&mut self, live: usize, is_live: impl Fn(OrderRef, u32) -> bool) {
        if self.heap.len() > 2 * live + 1024 {
            self.heap.retain(|Reverse((_, order, slot))| is_live(OrderRef(*order), *slot));
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Reverse<(u64, u32, u32)>>()
    }
}
