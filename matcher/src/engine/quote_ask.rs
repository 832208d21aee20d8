//! Ask quotes: what an ask for a machine would take if it arrived now — the resting bids whose
//! requirements the machine satisfies and whose time terms its window can serve, best limit
//! first — walking the book exactly as the matcher would (rules 1–4), without changing it.
//!
//! This is the provider's side of `quote.rs`, and the ground truth for price advice: the best
//! bid an ask can trade with is the first fill of an ask at the lowest price, so an ask priced
//! at that bid's limit trades at once. Like a bid quote it takes `&self`, uses its own scratch
//! and interns nothing, so asking never changes what happens next.

use super::place::deal_window;
use super::plan::{plan, Book, Incoming, Scratch};
use super::slab::{Resting, Terms};
use super::Engine;
use crate::command::{Ask, Price};
use crate::event::OrderRef;

/// One resting bid the ask would take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskQuoteFill {
    /// The bid.
    pub bid: OrderRef,
    /// Its requirement signature (see `Engine::signature_requirements`).
    pub signature: u32,
    /// Slots taken.
    pub qty: u64,
    /// Price per slot-hour: the bid's limit (a deal is at the resting order's price).
    pub price_nano: u64,
    /// When the slots would start.
    pub start_ms: u64,
    /// When they would end.
    pub end_ms: u64,
}

/// The answer to "what if this ask arrived now".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AskQuote {
    /// The ask's price now (a pegged ask's effective price); `None` when it is unpriced.
    pub price_nano: Option<u64>,
    /// The fills, in the order the matcher would make them (best limit first).
    pub fills: Vec<AskQuoteFill>,
    /// Slots the fills add up to (at most the ask's quantity).
    pub filled: u64,
    /// Slots of every bid the machine could serve now at or above the ask's price, whatever
    /// the ask's quantity: the demand available at that price.
    pub depth_at_price: u64,
    /// Every requirement signature the machine satisfies, by index.
    pub eligible_signatures: Vec<u32>,
}

impl Engine {
    /// What `ask` would take at the engine's current time, without changing the book. Its
    /// machine need not have been seen before.
    pub fn quote_ask(&self, ask: &Ask) -> AskQuote {
        let eligible_signatures: Vec<u32> = (0..self.groups.signatures.len() as u32)
            .filter(|&s| self.groups.signatures[s as usize].req.satisfied_by(&ask.hw))
            .collect();
        let price_nano = match ask.price {
            Price::Fixed(price_nano) => Some(price_nano),
            Price::Pegged(peg) => {
                self.pegs.reference_of(peg.class).and_then(|r| peg.effective_nano(r, false))
            }
        };
        let Some(price) = price_nano else {
            return AskQuote { price_nano, eligible_signatures, ..AskQuote::default() };
        };
        let qty = u32::try_from(ask.qty).unwrap_or(u32::MAX);
        let (fills, filled) = self.quote_ask_plan(ask, price, qty, &eligible_signatures);
        let (_, depth_at_price) = self.quote_ask_plan(ask, price, u32::MAX, &eligible_signatures);
        AskQuote { price_nano, fills, filled, depth_at_price, eligible_signatures }
    }

    fn quote_ask_plan(
        &self,
        ask: &Ask,
        price_nano: u64,
        need: u32,
        signatures: &[u32],
    ) -> (Vec<AskQuoteFill>, u64) {
        let now_ms = self.now_ms;
        let window = (ask.from_ms, ask.until_ms);
        let fits = move |bid: &Resting| match bid.terms {
            Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
                deal_window(now_ms, window, (not_before_ms, deadline_ms, duration_ms))
            }
            Terms::Ask { .. } => None,
        };
        let incoming =
            Incoming { rank_min: price_nano, owner: ask.owner, need, fits, groups: signatures };
        let mut scratch = Scratch::default();
        let ladders = &self.groups.signatures;
        let book = Book {
            group: |g: u32| {
                let s = &ladders[g as usize];
                (&s.ladder, s.floats.as_slice())
            },
            floats: &self.pegs.floats.list,
        };
        let planned = plan(incoming, book, &self.slab, &mut scratch);
        let fills = scratch
            .fills
            .iter()
            .map(|fill| {
                let bid = self.slab.get(fill.slot);
                AskQuoteFill {
                    bid: bid.order,
                    signature: bid.group,
                    qty: u64::from(fill.qty),
                    price_nano: self.price_of(bid).expect("a bid on a ladder has a price"),
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
    use crate::owner::Owner;
    use crate::{Engine, Event, IdLookup};

    const T0: u64 = 1_767_225_600_000;
    const HOUR_MS: u64 = 3_600_000;

    fn a100(region: u32) -> Hardware {
        Hardware {
            cpu: 16,
            mem_gib: 128,
            gpu: Some(Sym(1)),
            gpus: 1,
            gpu_mem_gib: 80,
            tee: None,
            region: Sym(region),
        }
    }

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

    fn ask(price_nano: u64, hw: Hardware, until_ms: u64, tif: Tif) -> Ask {
        Ask {
            id: "probe".into(),
            owner: Owner([1; 20]),
            price: Price::Fixed(price_nano),
            qty: 1,
            tif,
            hw,
            from_ms: 0,
            until_ms,
            expires_ms: None,
        }
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
        let hw = a100(3);
        let mut probe = ask(1, hw, crate::limits::TIME_MS_MAX, Tif::Ioc);
        probe.from_ms = T0 + 2 * HOUR_MS;
        let quote = engine.quote_ask(&probe);
        assert_eq!(
            quote.eligible_signatures.len(),
            1,
            "b-soon and b-ok share the one it satisfies"
        );
        let best = quote.fills.first().expect("a bid the machine can serve");
        assert_eq!((engine.order_id(best.bid), best.price_nano), ("b-ok", 2_000_000_000));
        assert_eq!(quote.depth_at_price, 2);
        probe.price = Price::Fixed(best.price_nano);
        let events = engine.apply(&Command::Ask(probe), T0);
        let traded = |e: &Event| matches!(e, Event::Deal(d) if d.price_nano == 2_000_000_000);
        assert!(events.iter().any(traded), "{events:?}");
    }
}
