//! The plain stream generator's model of the book: price-time priority on one instrument, simple
//! rather than fast (it runs before timing). It cuts takers to what fills within their limit,
//! picks live orders to cancel and tallies the trades every engine must report.

use std::collections::{BTreeMap, VecDeque};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{Side, Tally};

/// Not in the live list.
const ABSENT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct ModelOrder {
    side: Side,
    price_ticks: u64,
    remaining: u64,
    owner: u16,
}

/// Orders by price level in arrival order, and the live orders as a dense list for uniform
/// picks.
#[derive(Debug, Default)]
pub(super) struct ModelBook {
    asks: BTreeMap<u64, VecDeque<u32>>,
    bids: BTreeMap<u64, VecDeque<u32>>,
    /// Every order by arrival number.
    orders: Vec<ModelOrder>,
    live: Vec<u32>,
    /// Each order's position in `live`, or `ABSENT`.
    live_at: Vec<u32>,
}

impl ModelBook {
    /// Resting orders.
    pub(super) fn resting(&self) -> usize {
        self.live.len()
    }

    /// Rests a new order that does not cross; its arrival number.
    pub(super) fn rest(&mut self, side: Side, price_ticks: u64, qty: u64, owner: u16) -> u32 {
        let order = self.arrive(side, price_ticks, qty, owner);
        self.live_at[order as usize] = self.live.len() as u32;
        self.live.push(order);
        self.levels(side).entry(price_ticks).or_default().push_back(order);
        order
    }

    /// The best price of the side a `side` order trades with.
    pub(super) fn best_opposite(&self, side: Side) -> Option<u64> {
        match side {
            Side::Buy => self.asks.keys().next().copied(),
            Side::Sell => self.bids.keys().next_back().copied(),
        }
    }

    /// What rests at or better than `limit_ticks` for a `side` taker, counted up to `enough`.
    pub(super) fn available(&self, side: Side, limit_ticks: u64, enough: u64) -> u64 {
        let mut total = 0;
        for (_, queue) in self.opposite_within(side, limit_ticks) {
            total += queue.iter().map(|&at| self.orders[at as usize].remaining).sum::<u64>();
            if total >= enough {
                break;
            }
        }
        total
    }

    /// A taker that fills whole within `limit_ticks` (the caller cut it): trades it in
    /// price-time order, counting each fill at the resting price; its arrival number.
    pub(super) fn take(
        &mut self,
        side: Side,
        limit_ticks: u64,
        qty: u64,
        tally: &mut Tally,
    ) -> u32 {
        let order = self.arrive(side, limit_ticks, qty, 0);
        let mut left = qty;
        while left > 0 {
            let price_ticks = self.best_opposite(side).expect("the taker was cut to what rests");
            let maker = self.opposite(side)[&price_ticks][0];
            let fill = left.min(self.orders[maker as usize].remaining);
            tally.fill(price_ticks, fill);
            left -= fill;
            self.orders[maker as usize].remaining -= fill;
            if self.orders[maker as usize].remaining == 0 {
                self.remove(maker);
            }
        }
        order
    }

    /// Cancels a live order picked uniformly: its number, side and owner.
    pub(super) fn cancel_random(&mut self, rng: &mut ChaCha8Rng) -> Option<(u32, Side, u16)> {
        if self.live.is_empty() {
            return None;
        }
        let order = self.live[rng.random_range(0..self.live.len())];
        let ModelOrder { side, owner, .. } = self.orders[order as usize];
        self.remove(order);
        Some((order, side, owner))
    }

    fn arrive(&mut self, side: Side, price_ticks: u64, qty: u64, owner: u16) -> u32 {
        let order = u32::try_from(self.orders.len()).expect("fewer than 2^32 orders");
        self.orders.push(ModelOrder { side, price_ticks, remaining: qty, owner });
        self.live_at.push(ABSENT);
        order
    }

    /// Takes a live order out of its level and the live list.
    fn remove(&mut self, order: u32) {
        let ModelOrder { side, price_ticks, .. } = self.orders[order as usize];
        let levels = self.levels(side);
        let queue = levels.get_mut(&price_ticks).expect("a live order's level");
        let at = queue.iter().position(|&o| o == order).expect("a live order in its level");
        queue.remove(at);
        if queue.is_empty() {
            levels.remove(&price_ticks);
        }
        let at = std::mem::replace(&mut self.live_at[order as usize], ABSENT) as usize;
        self.live.swap_remove(at);
        if let Some(&moved) = self.live.get(at) {
            self.live_at[moved as usize] = at as u32;
        }
    }

    fn levels(&mut self, side: Side) -> &mut BTreeMap<u64, VecDeque<u32>> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn opposite(&self, side: Side) -> &BTreeMap<u64, VecDeque<u32>> {
        match side {
            Side::Buy => &self.asks,
            Side::Sell => &self.bids,
        }
    }

    /// The opposite side's levels at or better than `limit_ticks`, best first.
    fn opposite_within(
        &self,
        side: Side,
        limit_ticks: u64,
    ) -> Box<dyn Iterator<Item = (&u64, &VecDeque<u32>)> + '_> {
        match side {
            Side::Buy => Box::new(self.asks.range(..=limit_ticks)),
            Side::Sell => Box::new(self.bids.range(limit_ticks..).rev()),
        }
    }
}
