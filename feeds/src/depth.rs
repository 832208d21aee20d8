//! One depth channel: the aggregated price levels of one side pair (a pricing class, or a
//! machine configuration), its sequence number, and the changes of the command being applied.
//!
//! Levels change order by order while a command's events are followed; only when the command
//! is complete ([`Depth::finish`]) are the levels whose quantity really changed published, as
//! one update. A taker that rests for an instant inside its command, or a peg that moves and
//! comes back, publishes nothing: an update is the net change of one command, which is what
//! the engine applies atomically.

use std::collections::BTreeMap;

use gridbook_matcher::money::push_nano;
use gridbook_matcher::Side;

/// Levels in the checksum, per side.
pub const CHECKSUM_LEVELS: usize = 10;

/// One level change of an update: the side, the price, the quantity now (0: the level is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelChange {
    /// Ask or bid.
    pub side: Side,
    /// The level's price, nano-units (per slot-hour or per class unit, as the channel says).
    pub price_nano: u64,
    /// Its quantity now; 0 removes it.
    pub qty: u64,
}

/// Aggregated levels of both sides, with the channel's sequence number.
#[derive(Debug, Clone, Default)]
pub struct Depth {
    /// Price → quantity, every level > 0; the best ask is the first.
    asks: BTreeMap<u64, u64>,
    /// Price → quantity, every level > 0; the best bid is the last.
    bids: BTreeMap<u64, u64>,
    /// Updates published so far.
    seq: u64,
    /// Sums of the quantities, for tickers (supply and demand).
    ask_total: u64,
    bid_total: u64,
    /// Levels touched by the command being applied, with their quantity before it.
    touched: BTreeMap<(u8, u64), u64>,
}

fn side_key(side: Side) -> u8 {
    match side {
        Side::Ask => 0,
        Side::Bid => 1,
    }
}

impl Depth {
    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<u64, u64> {
        match side {
            Side::Ask => &mut self.asks,
            Side::Bid => &mut self.bids,
        }
    }

    fn remember(&mut self, side: Side, price_nano: u64) {
        let before = self.level(side, price_nano);
        self.touched.entry((side_key(side), price_nano)).or_insert(before);
    }

    /// The quantity at `price_nano` on `side` (0 if there is no level).
    pub fn level(&self, side: Side, price_nano: u64) -> u64 {
        let levels = match side {
            Side::Ask => &self.asks,
            Side::Bid => &self.bids,
        };
        levels.get(&price_nano).copied().unwrap_or(0)
    }

    /// Adds `qty` at `price_nano`.
    pub fn add(&mut self, side: Side, price_nano: u64, qty: u64) {
        if qty == 0 {
            return;
        }
        self.remember(side, price_nano);
        *self.side_mut(side).entry(price_nano).or_insert(0) += qty;
        match side {
            Side::Ask => self.ask_total += qty,
            Side::Bid => self.bid_total += qty,
        }
    }

    /// Takes `qty` away at `price_nano`; the level goes when it reaches 0.
    pub fn remove(&mut self, side: Side, price_nano: u64, qty: u64) {
        if qty == 0 {
            return;
        }
        self.remember(side, price_nano);
        let levels = self.side_mut(side);
        let level = levels.get_mut(&price_nano).expect("an order's quantity is in its level");
        debug_assert!(*level >= qty, "a level holds at least each of its orders");
        *level -= qty;
        if *level == 0 {
            levels.remove(&price_nano);
        }
        match side {
            Side::Ask => self.ask_total -= qty,
            Side::Bid => self.bid_total -= qty,
        }
    }

    /// Whether the command being applied touched this channel.
    pub fn is_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// Ends the command: the levels whose quantity changed, asks then bids, each by price
    /// ascending; `None` if nothing changed (and then `seq` does not move).
    pub fn finish(&mut self) -> Option<Vec<LevelChange>> {
        let touched = std::mem::take(&mut self.touched);
        let changes: Vec<LevelChange> = touched
            .into_iter()
            .filter_map(|((side, price_nano), before)| {
                let side = if side == 0 { Side::Ask } else { Side::Bid };
                let qty = self.level(side, price_nano);
                (qty != before).then_some(LevelChange { side, price_nano, qty })
            })
            .collect();
        if changes.is_empty() {
            return None;
        }
        self.seq += 1;
        Some(changes)
    }

    /// Takes the seq a snapshot saved, forgetting the levels touched while it was rebuilt.
    pub(crate) fn restore_seq(&mut self, seq: u64) {
        self.touched.clear();
        self.seq = seq;
    }

    /// Updates published so far: the `seq` of the newest.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Asks, best (lowest) first.
    pub fn asks(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.asks.iter().map(|(&p, &q)| (p, q))
    }

    /// Bids, best (highest) first.
    pub fn bids(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.bids.iter().rev().map(|(&p, &q)| (p, q))
    }

    /// Best ask and best bid.
    pub fn best(&self) -> (Option<u64>, Option<u64>) {
        (self.asks.keys().next().copied(), self.bids.keys().next_back().copied())
    }

    /// Quantity on each side (supply, demand).
    pub fn totals(&self) -> (u64, u64) {
        (self.ask_total, self.bid_total)
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.asks.is_empty() && self.bids.is_empty()
    }

    /// The checksum of the best [`CHECKSUM_LEVELS`] levels of each side ([`checksum`]).
    pub fn checksum(&self) -> u32 {
        checksum(self.asks().take(CHECKSUM_LEVELS), self.bids().take(CHECKSUM_LEVELS))
    }
}

/// CRC32 (IEEE) of `price:qty;` for each level of `asks` (best first), then of `bids` (best
/// first), prices as the feed writes them (`1.95`). A client computes the same over the best
/// ten levels of each side of its own copy to know it is exact.
pub fn checksum(
    asks: impl Iterator<Item = (u64, u64)>,
    bids: impl Iterator<Item = (u64, u64)>,
) -> u32 {
    let mut text = Vec::with_capacity(2 * CHECKSUM_LEVELS * 24);
    for (price_nano, qty) in asks.chain(bids) {
        push_nano(&mut text, price_nano);
        text.push(b':');
        text.extend_from_slice(qty.to_string().as_bytes());
        text.push(b';');
    }
    crc32fast::hash(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbook_matcher::money::format_nano;

    #[test]
    fn an_update_is_the_net_change_of_a_command() {
        let mut depth = Depth::default();
        depth.add(Side::Ask, 5, 2);
        depth.add(Side::Bid, 3, 1);
        let changes = depth.finish().expect("two levels appeared");
        assert_eq!(changes.len(), 2);
        assert_eq!(depth.seq(), 1);
        // A taker resting for an instant inside its command changes nothing.
        depth.add(Side::Bid, 4, 7);
        depth.remove(Side::Bid, 4, 7);
        assert_eq!(depth.finish(), None);
        assert_eq!(depth.seq(), 1, "no update, no seq");
        depth.remove(Side::Ask, 5, 2);
        let changes = depth.finish().expect("the ask level went");
        assert_eq!(changes, vec![LevelChange { side: Side::Ask, price_nano: 5, qty: 0 }]);
        assert_eq!(depth.totals(), (0, 1));
    }

    #[test]
    fn the_checksum_covers_the_text_of_the_best_ten_levels_of_each_side() {
        let mut depth = Depth::default();
        depth.add(Side::Ask, 1_900_000_000, 2);
        depth.add(Side::Ask, 1_950_000_000, 1);
        depth.add(Side::Bid, 1_500_000_000, 1);
        assert_eq!(depth.checksum(), crc32fast::hash(b"1.9:2;1.95:1;1.5:1;"));
        for price in 0..30 {
            depth.add(Side::Bid, 1_000 + price, 1);
        }
        let text: String = ["1.9:2;1.95:1;1.5:1;"]
            .into_iter()
            .map(str::to_owned)
            .chain((0..9).map(|i| format!("{}:1;", format_nano(1_029 - i))))
            .collect();
        assert_eq!(depth.checksum(), crc32fast::hash(text.as_bytes()));
    }
}
