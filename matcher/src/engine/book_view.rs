//! Read-only views of the book by group, for tools that summarise it (the pricing crate):
//! machine configurations with their resting asks, requirement signatures with their resting
//! bids, and which configurations satisfy which signatures.
//!
//! Groups are numbered in first-seen order and never forgotten, so a group index stays valid
//! for the life of the engine. Every iteration is by index or by ladder order (best price first,
//! then arrival), never by hash-map order; walking a group allocates one small vector, a
//! cursor per ladder of the group.

use super::floats::Float;
use super::ladder::Ladder;
use super::slab::{Slab, NIL};
use super::Engine;
use crate::hardware::{Hardware, Requirements};

/// Where one ladder's walk has got to.
#[derive(Debug, Clone, Copy)]
struct Walk<'e> {
    ladder: &'e Ladder,
    /// Added (wrapping) to a level's stored rank: 0 on a fixed ladder.
    shift: u64,
    /// Levels not yet started, counted from the worst: the next level is `levels_left - 1`.
    levels_left: usize,
    /// The next order, with its level's effective rank; `NIL` when the level is done.
    slot: u32,
    rank: u64,
}

impl Walk<'_> {
    /// Moves on to the next non-empty level if the current one is done; false at the end.
    fn ready(&mut self) -> bool {
        while self.slot == NIL {
            let Some(left) = self.levels_left.checked_sub(1) else { return false };
            self.levels_left = left;
            let level = &self.ladder.levels[left];
            self.slot = level.head;
            self.rank = level.rank.wrapping_add(self.shift);
        }
        true
    }
}

/// The orders of one group — its fixed ladder merged with its floating ladders, as the
/// planner merges them — best rank first and at an equal rank in arrival order, as
/// `(price_nano, remaining)`. Only orders on a ladder are seen: every order with a price.
struct GroupOrders<'e> {
    slab: &'e Slab,
    is_bid: bool,
    walks: Vec<Walk<'e>>,
}

impl<'e> GroupOrders<'e> {
    fn new(
        slab: &'e Slab,
        is_bid: bool,
        fixed: &'e Ladder,
        floats: impl Iterator<Item = &'e Float>,
    ) -> GroupOrders<'e> {
        let walk = |ladder: &'e Ladder, shift: u64| Walk {
            ladder,
            shift,
            levels_left: ladder.levels.len(),
            slot: NIL,
            rank: 0,
        };
        let mut walks = vec![walk(fixed, 0)];
        walks.extend(floats.map(|float| walk(&float.ladder, float.shift)));
        GroupOrders { slab, is_bid, walks }
    }
}

impl Iterator for GroupOrders<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        let mut best: Option<(usize, u64, u32)> = None;
        for (at, walk) in self.walks.iter_mut().enumerate() {
            if !walk.ready() {
                continue;
            }
            let arrival = self.slab.get(walk.slot).order.0;
            let better = match best {
                None => true,
                Some((_, rank, first)) => {
                    walk.rank > rank || (walk.rank == rank && arrival < first)
                }
            };
            if better {
                best = Some((at, walk.rank, arrival));
            }
        }
        let (at, rank, _) = best?;
        let resting = self.slab.get(self.walks[at].slot);
        self.walks[at].slot = resting.next;
        let price_nano = if self.is_bid { rank } else { u64::MAX - rank };
        Some((price_nano, u64::from(resting.remaining)))
    }
}

impl Engine {
    /// How many machine configurations (ask groups) the engine has seen; their indices are
    /// `0..config_count()`, in first-seen order.
    pub fn config_count(&self) -> usize {
        self.groups.configs.len()
    }

    /// The hardware of configuration `config`, if that index exists.
    pub fn config_hardware(&self, config: u32) -> Option<&Hardware> {
        self.groups.configs.get(config as usize).map(|c| &c.hw)
    }

    /// The signatures configuration `config` satisfies, in the order they were related.
    pub fn config_signatures(&self, config: u32) -> &[u32] {
        self.groups.configs.get(config as usize).map_or(&[], |c| &c.signatures)
    }

    /// The resting asks of configuration `config` as `(price_nano, remaining)`, cheapest first
    /// and in arrival order within a price; empty for an unknown index.
    pub fn config_asks(&self, config: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
        let floats = &self.pegs.floats.list;
        let group = self.groups.configs.get(config as usize);
        group.into_iter().flat_map(move |c| {
            let own = c.floats.iter().map(move |&f| &floats[f as usize]);
            GroupOrders::new(&self.slab, false, &c.ladder, own)
        })
    }

    /// How many requirement signatures (bid groups) the engine has seen; their indices are
    /// `0..signature_count()`, in first-seen order.
    pub fn signature_count(&self) -> usize {
        self.groups.signatures.len()
    }

    /// The requirements of signature `signature`, if that index exists.
    pub fn signature_requirements(&self, signature: u32) -> Option<&Requirements> {
        self.groups.signatures.get(signature as usize).map(|s| &s.req)
    }

    /// The configurations that satisfy signature `signature`, in the order they were related.
    pub fn signature_configs(&self, signature: u32) -> &[u32] {
        self.groups.signatures.get(signature as usize).map_or(&[], |s| &s.configs)
    }

    /// The resting bids of signature `signature` as `(limit_nano, remaining)`, highest limit
    /// first and in arrival order within a limit; empty for an unknown index.
    pub fn signature_bids(&self, signature: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
        let floats = &self.pegs.floats.list;
        let group = self.groups.signatures.get(signature as usize);
        group.into_iter().flat_map(move |s| {
            let own = s.floats.iter().map(move |&f| &floats[f as usize]);
            GroupOrders::new(&self.slab, true, &s.ladder, own)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Side;
    use crate::workload::{Workload, WorkloadConfig};
    use crate::Engine;

    /// The group views hold exactly the orders of the snapshot, with the same prices and
    /// quantities, and each ladder is walked best first.
    #[test]
    fn group_views_agree_with_the_snapshot() {
        let config =
            WorkloadConfig { configs: 16, resting: 300, orders: 600, ..Default::default() };
        let mut engine = Engine::default();
        for (ts_ms, command) in Workload::new(config) {
            engine.apply(&command, ts_ms);
        }
        let mut from_groups: Vec<(Side, u64, u64)> = Vec::new();
        for config in 0..engine.config_count() as u32 {
            let asks: Vec<_> = engine.config_asks(config).collect();
            assert!(asks.windows(2).all(|w| w[0].0 <= w[1].0), "asks cheapest first");
            from_groups.extend(asks.into_iter().map(|(p, q)| (Side::Ask, p, q)));
        }
        for signature in 0..engine.signature_count() as u32 {
            let bids: Vec<_> = engine.signature_bids(signature).collect();
            assert!(bids.windows(2).all(|w| w[0].0 >= w[1].0), "bids highest first");
            from_groups.extend(bids.into_iter().map(|(p, q)| (Side::Bid, p, q)));
        }
        // Only orders with a price rest on a ladder; a price of 0 marks one that has none yet.
        let mut from_snapshot: Vec<_> = engine
            .snapshot()
            .into_iter()
            .filter(|v| v.price_nano > 0)
            .map(|v| (v.side, v.price_nano, v.remaining))
            .collect();
        from_groups.sort_unstable();
        from_snapshot.sort_unstable();
        assert!(!from_snapshot.is_empty());
        assert_eq!(from_groups, from_snapshot);
        assert_eq!(engine.config_asks(u32::MAX).count(), 0);
        assert_eq!(engine.signature_configs(u32::MAX), &[] as &[u32]);
    }
}
