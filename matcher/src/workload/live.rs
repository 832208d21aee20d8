//! The generator's view of which of its orders rest, for cancels of live orders by their owners.

use crate::event::OrderRef;
use crate::owner::Owner;

/// A resting order the generator knows of (for cancels).
#[derive(Debug, Clone, Copy)]
pub(super) struct LiveOrder {
    pub(super) order: OrderRef,
    pub(super) remaining: u64,
    pub(super) owner: Owner,
    /// When rule 6 removes it; a cancel must come earlier.
    pub(super) expiry_ms: u64,
}

/// The generator's view of which orders rest: a dense list for uniform picks, and the position
/// of each order (by arrival number) for O(1) removal.
#[derive(Debug, Clone, Default)]
pub(super) struct LiveSet {
    pub(super) orders: Vec<LiveOrder>,
    pub(super) position: Vec<u32>,
}

pub(super) const ABSENT: u32 = u32::MAX;

impl LiveSet {
    pub(super) fn insert(&mut self, live: LiveOrder) {
        let number = live.order.0 as usize;
        if self.position.len() <= number {
            self.position.resize(number + 1, ABSENT);
        }
        self.position[number] = self.orders.len() as u32;
        self.orders.push(live);
    }

    pub(super) fn find(&self, order: OrderRef) -> Option<usize> {
        match self.position.get(order.0 as usize) {
            Some(&at) if at != ABSENT => Some(at as usize),
            _ => None,
        }
    }

    pub(super) fn remove(&mut self, order: OrderRef) {
        let Some(at) = self.find(order) else { return };
        self.orders.swap_remove(at);
        self.position[order.0 as usize] = ABSENT;
        if let Some(moved) = self.orders.get(at) {
            self.position[moved.order.0 as usize] = at as u32;
        }
    }

    pub(super) fn reduce(&mut self, order: OrderRef, qty: u64) {
        let Some(at) = self.find(order) else { return };
        let live = &mut self.orders[at];
        live.remaining = live.remaining.saturating_sub(qty);
        if live.remaining == 0 {
            self.remove(order);
        }
    }
}
