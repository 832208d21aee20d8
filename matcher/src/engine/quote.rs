//! Quotes: what a bid — or an ask for a machine — would take if it arrived now, walking the
//! book exactly as the matcher would (rules 1–4), without changing it.
//!
//! A quote is a question, not a command: it takes `&self`, uses its own scratch buffers and
//! does not intern the order's group, so asking never changes what happens next. An ask's
//! quote is the ground truth of price advice: the first bid an ask at the lowest price would
//! take is the best bid its machine can serve, so an ask at that bid's limit trades at once.

use super::index::{FloatId, GroupId};
use super::place::deal_window;
use super::plan::{plan, Book, Incoming, Scratch};
use super::slab::{Resting, Terms};
use super::{ask_rank, Engine};
use crate::command::{Ask, Bid, Price};
use crate::event::OrderRef;
use crate::owner::Owner;

/// One resting order the quoted order would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteFill {
    /// The resting order: an ask in a bid's quote, a bid in an ask's quote.
    pub order: OrderRef,
    /// Its group: a machine configuration (see `Engine::config_hardware`) for an ask, a
    /// requirement signature (see `Engine::signature_requirements`) for a bid.
    pub group: u32,
    /// Slots taken.
    pub qty: u64,
    /// Price per slot-hour: the resting order's.
    pub price_nano: u64,
    /// When the slots would start.
    pub start_ms: u64,
    /// When they would end.
    pub end_ms: u64,
}

/// The answer to "what if this order arrived now".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quote {
    /// The order's price now — a bid's limit, an ask's price; a pegged order's effective
    /// one — or `None` when it is unpriced.
    pub limit_nano: Option<u64>,
    /// The fills, in the order the matcher would make them.
    pub fills: Vec<QuoteFill>,
    /// Slots the fills add up to (at most the order's quantity).
    pub filled: u64,
    /// Slots of every resting order of the other side it could take now at its limit,
    /// whatever its quantity: the depth available at the limit.
    pub depth_at_limit: u64,
    /// Every group of the other side the order can trade with, by index: the configurations a
    /// bid's requirements fit, or the signatures an ask's machine satisfies.
    pub eligible_groups: Vec<u32>,
}

/// What a quote needs of the order: its terms (as it would rest), owner, quantity and price.
struct Quoted {
    terms: Terms,
    owner: Owner,
    qty: u64,
    price: Price,
}

impl Engine {
    /// What `bid` would take at the engine's current time, without changing the book.
    pub fn quote(&self, bid: &Bid) -> Quote {
        let eligible: Vec<GroupId> = (0..self.groups.configs.list.len())
            .map(GroupId::of)
            .filter(|&c| bid.req.satisfied_by(&self.groups.configs.get(c).key))
            .collect();
        let terms = Terms::Bid {
            not_before_ms: bid.not_before_ms,
            deadline_ms: bid.deadline_ms,
            duration_ms: bid.duration_ms,
        };
        let quoted = Quoted { terms, owner: bid.owner, qty: bid.qty, price: bid.limit };
        self.quote_order(&quoted, eligible)
    }

    /// What `ask` would take at the engine's current time, without changing the book: the
    /// resting bids its machine satisfies and its window can serve, best limit first. Its
    /// machine need not have been seen before.
    pub fn quote_ask(&self, ask: &Ask) -> Quote {
        let eligible: Vec<GroupId> = (0..self.groups.signatures.list.len())
            .map(GroupId::of)
            .filter(|&s| self.groups.signatures.get(s).key.satisfied_by(&ask.hw))
            .collect();
        let terms = Terms::Ask { from_ms: ask.from_ms, until_ms: ask.until_ms };
        let quoted = Quoted { terms, owner: ask.owner, qty: ask.qty, price: ask.price };
        self.quote_order(&quoted, eligible)
    }

    fn quote_order(&self, quoted: &Quoted, eligible: Vec<GroupId>) -> Quote {
        let eligible_groups = eligible.iter().map(|g| g.0).collect();
        let is_bid = matches!(quoted.terms, Terms::Bid { .. });
        let limit_nano = match quoted.price {
            Price::Fixed(price_nano) => Some(price_nano),
            Price::Pegged(peg) => {
                self.pegs.reference_of(peg.class).and_then(|r| peg.effective_nano(r, is_bid))
            }
        };
        let Some(limit) = limit_nano else {
            return Quote { limit_nano, eligible_groups, ..Quote::default() };
        };
        let qty = u32::try_from(quoted.qty).unwrap_or(u32::MAX);
        let (fills, filled) = self.quote_plan(quoted, limit, qty, &eligible);
        let (_, depth_at_limit) = self.quote_plan(quoted, limit, u32::MAX, &eligible);
        Quote { limit_nano, fills, filled, depth_at_limit, eligible_groups }
    }

    fn quote_plan(
        &self,
        quoted: &Quoted,
        limit: u64,
        need: u32,
        groups: &[GroupId],
    ) -> (Vec<QuoteFill>, u64) {
        let now_ms = self.now_ms;
        let incoming = quoted.terms;
        let fits = move |resting: &Resting| match (incoming, resting.terms) {
            (
                Terms::Bid { not_before_ms, deadline_ms, duration_ms },
                Terms::Ask { from_ms, until_ms },
            )
            | (
                Terms::Ask { from_ms, until_ms },
                Terms::Bid { not_before_ms, deadline_ms, duration_ms },
            ) => {
                deal_window(now_ms, (from_ms, until_ms), (not_before_ms, deadline_ms, duration_ms))
            }
            _ => None,
        };
        let is_bid = matches!(incoming, Terms::Bid { .. });
        let rank_min = if is_bid { ask_rank(limit) } else { limit };
        let incoming = Incoming { rank_min, owner: quoted.owner, need, fits, groups };
        let (configs, signatures) = (&self.groups.configs, &self.groups.signatures);
        let book = Book {
            // A bid takes from the configurations' ladders, an ask from the signatures'.
            group: |g: GroupId| -> (_, &[FloatId]) {
                match is_bid {
                    true => (&configs.get(g).ladder, configs.get(g).floats.as_slice()),
                    false => (&signatures.get(g).ladder, signatures.get(g).floats.as_slice()),
                }
            },
            floats: &self.pegs.floats.list,
        };
        let mut scratch = Scratch::default();
        let planned = plan(incoming, book, &self.slab, &mut scratch);
        let fills = scratch
            .fills
            .iter()
            .map(|fill| {
                let resting = self.slab.get(fill.slot);
                QuoteFill {
                    order: resting.order,
                    group: resting.group.0,
                    qty: u64::from(fill.qty),
                    price_nano: self.price_of(resting).expect("an order on a ladder has a price"),
                    start_ms: fill.start_ms,
                    end_ms: fill.end_ms,
                }
            })
            .collect();
        (fills, u64::from(planned))
    }
}

#[cfg(test)]
mod tests {
    use crate::command::{Ask, Bid, Command, Price, Tif};
    use crate::hardware::{Hardware, Requirements, Sym};
    use crate::limits::TIME_MS_MAX;
    use crate::owner::Owner;
    use crate::{Engine, Event, IdLookup};

    const T0: u64 = 1_767_225_600_000;
    const HOUR_MS: u64 = 3_600_000;

    fn bid(id: &str, limit_nano: u64, regions: Vec<Sym>, deadline_ms: u64) -> Command {
        Command::Bid(Bid {
            id: id.into(),
            owner: Owner([2; 20]),
            limit: Price::Fixed(limit_nano),
            qty: 2,
            tif: Tif::Gtc,
            req: Requirements::new(8, 64, vec![Sym(1)], 1, 80, None, regions),
            duration_ms: HOUR_MS,
            not_before_ms: 0,
            deadline_ms,
            expires_ms: None,
        })
    }

    /// The rule the price advice rests on: the best bid a machine can trade with is the one
    /// whose requirements it satisfies and whose deadline its window can serve — not the best
    /// bid of its class — and an ask at that bid's limit trades with it.
    #[test]
    fn an_ask_quote_takes_only_bids_the_machine_can_serve() {
        let mut engine = Engine::default();
        // The best bid wants another region; the next one needs a slot before the machine
        // is free; the third can be served.
        engine.apply(&bid("b-us", 9_000_000_000, vec![Sym(7)], T0 + 10 * HOUR_MS), T0);
        engine.apply(&bid("b-soon", 5_000_000_000, vec![], T0 + HOUR_MS), T0);
        engine.apply(&bid("b-ok", 2_000_000_000, vec![], T0 + 10 * HOUR_MS), T0);
        let hw = Hardware {
            cpu: 16,
            mem_gib: 128,
            gpu: Some(Sym(1)),
            gpus: 1,
            gpu_mem_gib: 80,
            tee: None,
            region: Sym(3),
        };
        let mut probe = Ask {
            id: "probe".into(),
            owner: Owner([1; 20]),
            price: Price::Fixed(1),
            qty: 1,
            tif: Tif::Ioc,
            hw,
            from_ms: T0 + 2 * HOUR_MS,
            until_ms: TIME_MS_MAX,
            expires_ms: None,
        };
        let quote = engine.quote_ask(&probe);
        assert_eq!(quote.eligible_groups.len(), 1, "b-soon and b-ok share the one it satisfies");
        let best = quote.fills.first().expect("a bid the machine can serve");
        assert_eq!((engine.order_id(best.order), best.price_nano), ("b-ok", 2_000_000_000));
        assert_eq!(quote.depth_at_limit, 2);
        probe.price = Price::Fixed(best.price_nano);
        let events = engine.apply(&Command::Ask(probe), T0);
        let traded = |e: &Event| matches!(e, Event::Deal(d) if d.price_nano == 2_000_000_000);
        assert!(events.iter().any(traded), "{events:?}");
    }
}
