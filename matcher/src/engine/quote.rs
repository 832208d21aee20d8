//! Quotes: what a bid would take if it arrived now, walking the book exactly as the matcher
//! would (rules 1–4), without changing it.
//!
//! A quote is a question, not a command: it takes `&self`, uses its own scratch buffers and
//! does not intern the bid's requirement signature, so asking never changes what happens next.

use super::index::{FloatId, GroupId};
use super::place::deal_window;
use super::plan::{plan, Book, Incoming, Scratch};
use super::slab::{Resting, Terms};
use super::{ask_rank, Engine};
use crate::command::{Bid, Price};
use crate::event::OrderRef;

/// One resting ask the bid would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteFill {
    /// The ask.
    pub ask: OrderRef,
    /// Its machine configuration (see `Engine::config_hardware`).
    pub config: u32,
    /// Slots taken.
    pub qty: u64,
    /// Price per slot-hour: the ask's.
    pub price_nano: u64,
    /// When the slots would start.
    pub start_ms: u64,
    /// When they would end.
    pub end_ms: u64,
}

/// The answer to "what if this bid arrived now".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quote {
    /// The bid's limit now (a pegged bid's effective limit); `None` when it is unpriced.
    pub limit_nano: Option<u64>,
    /// The fills, in the order the matcher would make them.
    pub fills: Vec<QuoteFill>,
    /// Slots the fills add up to (at most the bid's quantity).
    pub filled: u64,
    /// Slots of every compatible ask at or under the limit that could run in time, whatever
    /// the bid's quantity: the depth available at the limit.
    pub depth_at_limit: u64,
    /// Every configuration the bid's requirements fit, by index.
    pub eligible_configs: Vec<u32>,
}

impl Engine {
    /// What `bid` would take at the engine's current time, without changing the book.
    pub fn quote(&self, bid: &Bid) -> Quote {
        let eligible: Vec<GroupId> = (0..self.groups.configs.list.len())
            .map(GroupId::of)
            .filter(|&c| bid.req.satisfied_by(&self.groups.configs.get(c).key))
            .collect();
        let eligible_configs = eligible.iter().map(|c| c.0).collect();
        let limit_nano = match bid.limit {
            Price::Fixed(limit_nano) => Some(limit_nano),
            Price::Pegged(peg) => {
                self.pegs.reference_of(peg.class).and_then(|r| peg.effective_nano(r, true))
            }
        };
        let Some(limit) = limit_nano else {
            return Quote { limit_nano, eligible_configs, ..Quote::default() };
        };
        let qty = u32::try_from(bid.qty).unwrap_or(u32::MAX);
        let (fills, filled) = self.quote_plan(bid, limit, qty, &eligible);
        let (_, depth_at_limit) = self.quote_plan(bid, limit, u32::MAX, &eligible);
        Quote { limit_nano, fills, filled, depth_at_limit, eligible_configs }
    }

    fn quote_plan(
        &self,
        bid: &Bid,
        limit: u64,
        need: u32,
        configs: &[GroupId],
    ) -> (Vec<QuoteFill>, u64) {
        let now_ms = self.now_ms;
        let terms = (bid.not_before_ms, bid.deadline_ms, bid.duration_ms);
        let fits = move |ask: &Resting| match ask.terms {
            Terms::Ask { from_ms, until_ms } => deal_window(now_ms, (from_ms, until_ms), terms),
            Terms::Bid { .. } => None,
        };
        let incoming =
            Incoming { rank_min: ask_rank(limit), owner: bid.owner, need, fits, groups: configs };
        let mut scratch = Scratch::default();
        let ladders = &self.groups.configs;
        let book = Book {
            group: |g: GroupId| -> (_, &[FloatId]) {
                let c = ladders.get(g);
                (&c.ladder, c.floats.as_slice())
            },
            floats: &self.pegs.floats.list,
        };
        let planned = plan(incoming, book, &self.slab, &mut scratch);
        let fills = scratch
            .fills
            .iter()
            .map(|fill| {
                let ask = self.slab.get(fill.slot);
                QuoteFill {
                    ask: ask.order,
                    config: ask.group.0,
                    qty: u64::from(fill.qty),
                    price_nano: self.price_of(ask).expect(
                        "the planner takes only orders on a ladder, which all have a price",
                    ),
                    start_ms: fill.start_ms,
                    end_ms: fill.end_ms,
                }
            })
            .collect();
        (fills, u64::from(planned))
    }
}
