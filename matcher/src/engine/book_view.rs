//! Read-only views of the book by group, for tools that summarise it (the pricing crate):
//! machine configurations with their resting asks, requirement signatures with their resting
//! bids, and which configurations satisfy which signatures.
//!
//! Groups are numbered in first-seen order. A group whose orders have all left keeps its index
//! until room is needed for a new group, which may then take that index over (`groups.rs`): an
//! index names the same group only as long as the book does not change. Every iteration is by
//! index or by ladder order (best price first, then arrival), never by hash-map order; walking a
//! group allocates one small vector, a cursor per ladder of the group.

use super::floats::Float;
use super::index::GroupId;
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
    /// The next order and its level's effective rank; `NIL` when the walk is over.
    slot: u32,
    rank: u64,
}

impl<'e> Walk<'e> {
    fn new(ladder: &'e Ladder, shift: u64) -> Walk<'e> {
        let mut walk = Walk { ladder, shift, levels_left: ladder.levels.len(), slot: NIL, rank: 0 };
        walk.settle(NIL);
        walk
    }

    /// Moves to `next` (the order after the current one in its level), or to the head of the
    /// next level when `next` is `NIL`. Reads no order: a walk's next order is read only when
    /// it is taken, or to break a tie of ranks.
    fn settle(&mut self, next: u32) {
        self.slot = next;
        while self.slot == NIL {
            let Some(left) = self.levels_left.checked_sub(1) else { return };
            self.levels_left = left;
            let level = &self.ladder.levels[left];
            self.slot = level.head;
            self.rank = level.rank.wrapping_add(self.shift);
        }
    }
}

/// Whether `walk`'s next order comes before the order in `slot` at `rank`: a better rank, or
/// the same and an earlier arrival.
fn leads(slab: &Slab, walk: &Walk<'_>, (rank, slot): (u64, u32)) -> bool {
    walk.rank > rank || (walk.rank == rank && slab.get(walk.slot).order < slab.get(slot).order)
}

/// The orders of one group — its fixed ladder merged with its floating ladders, as the
/// planner merges them — best rank first and at an equal rank in arrival order, as
/// `(price_nano, remaining)`. Only orders on a ladder are seen: every order with a price.
///
/// The merge keeps taking from one ladder while it leads the best of the others (its rival),
/// and compares all ladders again only when it stops leading or ends, so a run of orders from
/// one ladder costs one comparison each, whatever the number of ladders.
struct GroupOrders<'e> {
    slab: &'e Slab,
    is_bid: bool,
    /// One walk per ladder that has orders left.
    walks: Vec<Walk<'e>>,
    /// The walk taken from, and the best next order of the others as `(rank, slot)` (`None`:
    /// no other, or not known since the walks changed).
    current: usize,
    rival: Option<(u64, u32)>,
    stale: bool,
}

impl<'e> GroupOrders<'e> {
    fn new(
        slab: &'e Slab,
        is_bid: bool,
        fixed: &'e Ladder,
        floats: impl Iterator<Item = &'e Float>,
    ) -> GroupOrders<'e> {
        let mut walks = vec![Walk::new(fixed, 0)];
        walks.extend(floats.map(|float| Walk::new(&float.ladder, float.shift)));
        walks.retain(|walk| walk.slot != NIL);
        GroupOrders { slab, is_bid, walks, current: 0, rival: None, stale: true }
    }

    /// Finds the leading walk and its rival by comparing them all.
    fn rescan(&mut self) {
        let (mut best, mut rival): (usize, Option<(u64, u32)>) = (0, None);
        for at in 1..self.walks.len() {
            let walk = &self.walks[at];
            let leader = (self.walks[best].rank, self.walks[best].slot);
            if leads(self.slab, walk, leader) {
                (rival, best) = (Some(leader), at);
            } else if rival.is_none_or(|rival| leads(self.slab, walk, rival)) {
                rival = Some((walk.rank, walk.slot));
            }
        }
        (self.current, self.rival, self.stale) = (best, rival, false);
    }
}

impl Iterator for GroupOrders<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.walks.is_empty() {
            return None;
        }
        // After a walk ends, `current` may be out of range: the rescan comes first.
        if self.stale
            || self.rival.is_some_and(|rival| !leads(self.slab, &self.walks[self.current], rival))
        {
            self.rescan();
        }
        let walk = &mut self.walks[self.current];
        let resting = self.slab.get(walk.slot);
        let rank = walk.rank;
        walk.settle(resting.next);
        if walk.slot == NIL {
            self.walks.swap_remove(self.current);
            self.stale = true;
        }
        let price_nano = if self.is_bid { rank } else { u64::MAX - rank };
        Some((price_nano, u64::from(resting.remaining)))
    }
}

impl Engine {
    /// How many machine configuration groups the engine holds (with resting asks, or idle and
    /// not yet reclaimed); their indices are `0..config_count()`.
    pub fn config_count(&self) -> usize {
        self.groups.configs.list.len()
    }

    /// The hardware of configuration `config`, if that index exists.
    pub fn config_hardware(&self, config: u32) -> Option<&Hardware> {
        self.groups.configs.list.get(config as usize).map(|c| &c.key)
    }

    /// The signatures configuration `config` satisfies, in the order they were related.
    pub fn config_signatures(&self, config: u32) -> impl Iterator<Item = u32> + '_ {
        let group = self.groups.configs.list.get(config as usize);
        group.into_iter().flat_map(|c| c.related.iter().map(|g| g.0))
    }

    /// The resting asks of configuration `config` as `(price_nano, remaining)`, cheapest first
    /// and in arrival order within a price; empty for an unknown index.
    pub fn config_asks(&self, config: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
        let floats = &self.pegs.floats.list;
        let group = self.groups.configs.list.get(config as usize);
        group.into_iter().flat_map(move |c| {
            let own = c.floats.iter().map(move |&f| &floats[f.at()]);
            GroupOrders::new(&self.slab, false, &c.ladder, own)
        })
    }

    /// How many requirement signature groups the engine holds (as [`Engine::config_count`]);
    /// their indices are `0..signature_count()`.
    pub fn signature_count(&self) -> usize {
        self.groups.signatures.list.len()
    }

    /// The requirements of signature `signature`, if that index exists.
    pub fn signature_requirements(&self, signature: u32) -> Option<&Requirements> {
        self.groups.signatures.list.get(signature as usize).map(|s| &s.key)
    }

    /// The configurations that satisfy signature `signature`, in the order they were related.
    pub fn signature_configs(&self, signature: u32) -> impl Iterator<Item = u32> + '_ {
        let group = self.groups.signatures.list.get(signature as usize);
        group.into_iter().flat_map(|s| s.related.iter().map(|g: &GroupId| g.0))
    }

    /// The resting bids of signature `signature` as `(limit_nano, remaining)`, highest limit
    /// first and in arrival order within a limit; empty for an unknown index.
    pub fn signature_bids(&self, signature: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
        let floats = &self.pegs.floats.list;
        let group = self.groups.signatures.list.get(signature as usize);
        group.into_iter().flat_map(move |s| {
            let own = s.floats.iter().map(move |&f| &floats[f.at()]);
            GroupOrders::new(&self.slab, true, &s.ladder, own)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::command::{Command, Peg, Price};
    use crate::engine::Side;
    use crate::hardware::Sym;
    use crate::workload::{Workload, WorkloadConfig};
    use crate::Engine;

    /// The group views hold exactly the orders of the snapshot, with the same prices and
    /// quantities, and each group is walked best first — with pegged orders on floating and
    /// fixed ladders too, once references price them.
    #[test]
    fn group_views_agree_with_the_snapshot() {
        for pegged_percent in [0, 40] {
            group_views_agree(pegged_percent);
        }
    }

    fn group_views_agree(pegged_percent: u8) {
        let config =
            WorkloadConfig { configs: 16, resting: 300, orders: 600, ..Default::default() };
        let mut engine = Engine::default();
        let classes = [Sym(1_000), Sym(1_001), Sym(1_002)];
        let mut last_ms = 0;
        for (at, (ts_ms, mut command)) in Workload::new(config).enumerate() {
            // Some orders pegged so that a reference of 1 token gives back their price, with a
            // limit that binds for every other one.
            let pegged = (at * 37) % 100 < usize::from(pegged_percent);
            let (price, is_bid) = match &mut command {
                Command::Ask(ask) => (Some(&mut ask.price), false),
                Command::Bid(bid) => (Some(&mut bid.limit), true),
                _ => (None, false),
            };
            if let Some(price) = price.filter(|_| pegged) {
                if let Price::Fixed(price_nano) = *price {
                    let binds = at % 2 == 0;
                    let limit_nano = match (is_bid, binds) {
                        (true, true) | (false, false) => price_nano - price_nano / 20,
                        (true, false) | (false, true) => price_nano + price_nano / 20,
                    };
                    *price = Price::Pegged(Peg {
                        class: classes[at % 3],
                        offset_nano: price_nano as i64 - 1_000_000_000,
                        limit_nano,
                        units: 1,
                    });
                }
            }
            engine.apply(&command, ts_ms);
            last_ms = ts_ms;
        }
        for reference_nano in [1_000_000_000, 1_020_000_000] {
            for class in classes {
                engine.apply(&Command::Reference { class, price_nano: reference_nano }, last_ms);
            }
        }
        let floating = engine.pegs.floats.list.iter().filter(|f| !f.ladder.levels.is_empty());
        assert_eq!(floating.count() > 1, pegged_percent > 0, "several floating ladders in use");
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
        assert_eq!(engine.signature_configs(u32::MAX).count(), 0);
    }
}
