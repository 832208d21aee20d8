//! Open orders per owner, folded from the published events alone: an order is open from its
//! `accepted` until a `deal` takes its last slot, or it is `cancelled` or `expired`. The gateway
//! reads the count to enforce `limits.open_orders_per_owner` before sequencing.
//!
//! Unlike order status, which keeps only the most recent `orders_kept` orders, this holds exactly
//! the resting book — one entry per resting order — so it is bounded by the engine's
//! `resting_max`, and an owner cannot slip under the limit by pushing its old orders out of a
//! window of recent ones.

// Keyed by client-chosen ids and owners: a seeded hash (hashbrown's), not SipHash.
use hashbrown::HashMap;

#[derive(Debug)]
struct Open {
    owner: Box<str>,
    remaining: u64,
}

/// Resting orders by id, and their count by owner (owners in lower case).
#[derive(Debug, Default)]
pub struct OpenOrders {
    by_id: HashMap<Box<str>, Open>,
    by_owner: HashMap<Box<str>, usize>,
}

impl OpenOrders {
    /// Resting orders of `owner` (`0x…` in lower case).
    pub fn of(&self, owner: &str) -> usize {
        self.by_owner.get(owner).copied().unwrap_or(0)
    }

    /// Resting orders in all.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no order rests.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every open order as `(id, owner, remaining)`, by id (for a snapshot).
    pub fn entries(&self) -> Vec<(Box<str>, Box<str>, u64)> {
        let mut entries: Vec<_> =
            self.by_id.iter().map(|(id, o)| (id.clone(), o.owner.clone(), o.remaining)).collect();
        entries.sort_unstable();
        entries
    }

    /// The open orders `entries` lists ([`OpenOrders::entries`]); `None` if an id is there
    /// twice.
    pub fn from_entries(entries: Vec<(Box<str>, Box<str>, u64)>) -> Option<OpenOrders> {
        let mut open = OpenOrders::default();
        for (id, owner, remaining) in entries {
            *open.by_owner.entry(owner.clone()).or_default() += 1;
            if open.by_id.insert(id, Open { owner, remaining }).is_some() {
                return None;
            }
        }
        Some(open)
    }

    /// Order `id` of `owner` was accepted for `qty` slots.
    pub fn accepted(&mut self, id: &str, owner: &str, qty: u64) {
        let owner: Box<str> = owner.to_ascii_lowercase().into();
        *self.by_owner.entry(owner.clone()).or_default() += 1;
        let previous = self.by_id.insert(id.into(), Open { owner, remaining: qty });
        debug_assert!(previous.is_none(), "the engine accepts an id once");
        if qty == 0 {
            self.closed(id);
        }
    }

    /// Order `id` traded `qty` slots; it closes when none remain.
    pub fn traded(&mut self, id: &str, qty: u64) {
        let Some(open) = self.by_id.get_mut(id) else { return };
        open.remaining = open.remaining.saturating_sub(qty);
        if open.remaining == 0 {
            self.closed(id);
        }
    }

    /// Order `id` left the book (filled, cancelled or expired).
    pub fn closed(&mut self, id: &str) {
        let Some(open) = self.by_id.remove(id) else { return };
        let count =
            self.by_owner.get_mut(&open.owner).expect("every open order counts for its owner");
        *count -= 1;
        if *count == 0 {
            self.by_owner.remove(&open.owner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_open_from_accepted_until_filled_cancelled_or_expired() {
        let mut open = OpenOrders::default();
        open.accepted("a", "0xAB", 3);
        open.accepted("b", "0xab", 1);
        open.accepted("c", "0xab", 1);
        assert_eq!(open.of("0xab"), 3, "owners are compared in lower case");
        open.traded("a", 2);
        assert_eq!(open.of("0xab"), 3, "a partial fill leaves the order open");
        open.traded("a", 1);
        open.closed("b");
        assert_eq!(open.of("0xab"), 1);
        open.closed("c");
        assert_eq!(open.of("0xab"), 0);
        assert!(open.is_empty() && open.by_owner.is_empty(), "nothing is kept for closed orders");
        open.closed("unknown");
        open.traded("unknown", 1);
    }
}
