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

/// One price level: its quantity, and what it was before the command being applied touched
/// it (valid while `epoch` is the channel's).
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    qty: u64,
    before: u64,
    epoch: u64,
}

/// Aggregated levels of both sides, with the channel's sequence number.
///
/// A level touched by the command being applied carries its quantity from before the command
/// (marked by the command's epoch), so a command's changes are found without a second map; a
/// level emptied by the command stays, at 0, until [`Depth::finish`] removes it.
#[derive(Debug, Clone, Default)]
pub struct Depth {
    /// Price → level; the best ask is the first.
    asks: BTreeMap<u64, Level>,
    /// Price → level; the best bid is the last.
    bids: BTreeMap<u64, Level>,
    /// Updates published so far.
    seq: u64,
    /// Sums of the quantities, for tickers (supply and demand).
    ask_total: u64,
    bid_total: u64,
    /// The command being applied (levels it touched carry it).
    epoch: u64,
    /// Levels the command being applied touched, each once.
    touched: Vec<(Side, u64)>,
}

impl Depth {
    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<u64, Level> {
        match side {
            Side::Ask => &mut self.asks,
            Side::Bid => &mut self.bids,
        }
    }

    /// The level at `price_nano`, made if absent, marked as touched by this command.
    fn touch(&mut self, side: Side, price_nano: u64) -> &mut Level {
        let epoch = self.epoch + 1;
        let levels = match side {
            Side::Ask => &mut self.asks,
            Side::Bid => &mut self.bids,
        };
        let level = levels.entry(price_nano).or_default();
        if level.epoch != epoch {
            level.before = level.qty;
            level.epoch = epoch;
            self.touched.push((side, price_nano));
        }
        level
    }

    /// The quantity at `price_nano` on `side` (0 if there is no level).
    pub fn level(&self, side: Side, price_nano: u64) -> u64 {
        let levels = match side {
            Side::Ask => &self.asks,
            Side::Bid => &self.bids,
        };
        levels.get(&price_nano).map_or(0, |level| level.qty)
    }

    /// Adds `qty` at `price_nano`.
    pub fn add(&mut self, side: Side, price_nano: u64, qty: u64) {
        if qty == 0 {
            return;
        }
        self.touch(side, price_nano).qty += qty;
        match side {
            Side::Ask => self.ask_total += qty,
            Side::Bid => self.bid_total += qty,
        }
    }

    /// Takes `qty` away at `price_nano`; the level goes when the command ends at 0.
    pub fn remove(&mut self, side: Side, price_nano: u64, qty: u64) {
        if qty == 0 {
            return;
        }
        let level = self.touch(side, price_nano);
        debug_assert!(level.qty >= qty, "a level holds at least each of its orders");
        level.qty -= qty;
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
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        let mut changes = Vec::new();
        for &(side, price_nano) in &touched {
            let levels = self.side_mut(side);
            let level = *levels.get(&price_nano).expect("a touched level stays until finish");
            if level.qty == 0 {
                levels.remove(&price_nano);
            }
            if level.qty != level.before {
                changes.push(LevelChange { side, price_nano, qty: level.qty });
            }
        }
        touched.clear();
        self.touched = touched;
        self.epoch += 1;
        if changes.is_empty() {
            return None;
        }
        self.seq += 1;
        Some(changes)
    }

    /// Forgets every level (an untracked channel), keeping the seq.
    pub(crate) fn clear(&mut self) {
        self.asks.clear();
        self.bids.clear();
        self.touched.clear();
        self.ask_total = 0;
        self.bid_total = 0;
        self.epoch += 1;
    }

    /// Takes the seq a snapshot saved, ending the command that rebuilt the levels.
    pub(crate) fn restore_seq(&mut self, seq: u64) {
        self.touched.clear();
        self.epoch += 1;
        self.seq = seq;
    }

    /// Updates published so far: the `seq` of the newest.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Asks, best (lowest) first.
    pub fn asks(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.asks.iter().filter(|(_, l)| l.qty > 0).map(|(&p, l)| (p, l.qty))
    }

    /// Bids, best (highest) first.
    pub fn bids(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.bids.iter().rev().filter(|(_, l)| l.qty > 0).map(|(&p, l)| (p, l.qty))
    }

    /// Best ask and best bid.
    pub fn best(&self) -> (Option<u64>, Option<u64>) {
        (self.asks().next().map(|(p, _)| p), self.bids().next().map(|(p, _)| p))
    }

    /// Quantity on each side (supply, demand).
    pub fn totals(&self) -> (u64, u64) {
        (self.ask_total, self.bid_total)
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.asks().next().is_none() && self.bids().next().is_none()
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
