//! Price advice that would trade: what `gridbook price` tells a provider and `gridbook quote`
//! tells a requester, computed from the orders they could actually trade with.
//!
//! A class's best bid is no advice for a machine: that bid may want another region, more
//! memory or a slot sooner than the machine is free. So the best bid for a machine is the first
//! bid an ask for it would take, found by the engine's own planner
//! ([`gridbook_matcher::Engine::quote_ask`]: requirements, time terms and self-trade, exactly as
//! matching applies them), and an ask at that bid's limit trades at once. Likewise the cheapest
//! ask for a bid is the first ask the bid would take at any limit. All prices here are per
//! slot-hour of the order being advised, in nano-units.

use gridbook_matcher::limits::PRICE_NANO_MAX;
use gridbook_matcher::{Ask, Bid, Engine, Price};

/// The best resting bid a machine can trade with now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestBid {
    /// Its limit, per slot-hour: an ask at this price trades at once.
    pub price_nano: u64,
    /// Slots wanted now, by every bid the machine can serve, at this limit or above.
    pub slots: u64,
}

/// The best bid `ask`'s machine can serve now, within `ask`'s window and not its owner's
/// own; `None` when no resting bid accepts it. `ask`'s price and quantity are ignored.
pub fn best_bid_for(engine: &Engine, ask: &Ask) -> Option<BestBid> {
    let probe = Ask { price: Price::Fixed(1), qty: 1, ..ask.clone() };
    let price_nano = engine.quote_ask(&probe).fills.first()?.price_nano;
    let at_best = Ask { price: Price::Fixed(price_nano), ..probe };
    Some(BestBid { price_nano, slots: engine.quote_ask(&at_best).depth_at_limit })
}

/// The price of the cheapest resting ask `bid` can take now, per slot-hour: a limit there
/// fills at least one slot. `None` when no resting ask fits its requirements and time terms.
/// `bid`'s limit and quantity are ignored.
pub fn cheapest_ask_for(engine: &Engine, bid: &Bid) -> Option<u64> {
    let probe = Bid { limit: Price::Fixed(PRICE_NANO_MAX), qty: 1, ..bid.clone() };
    Some(engine.quote(&probe).fills.first()?.price_nano)
}

/// Why an ask price is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskReason {
    /// The best bid the machine can serve pays at least the reference: an ask there trades at
    /// once.
    TradesAtOnce,
    /// The class reference; no bid the machine can serve pays that much now, so it rests.
    Reference,
    /// No reference yet: the median of the class's recent deals.
    RecentDeals,
    /// No reference or recent deal yet: the cheapest resting ask of the class.
    CheapestAsk,
    /// The market has said nothing about this class yet.
    Nothing,
}

/// What the market says about a machine's class, per slot-hour of that machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AskInputs {
    /// The best bid the machine can serve ([`best_bid_for`]).
    pub best_bid_nano: Option<u64>,
    /// The class reference, if the market has given it one.
    pub reference_nano: Option<u64>,
    /// The median of the class's recent deals.
    pub recent_median_nano: Option<u64>,
    /// The cheapest resting ask of the class.
    pub class_best_ask_nano: Option<u64>,
}

/// The ask to suggest, per slot-hour, and why: the best bid the machine can serve when it pays
/// at least the reference (so it trades at once), else the reference, else what the class's
/// deals and asks say.
pub fn suggest_ask(inputs: AskInputs) -> (Option<u64>, AskReason) {
    let AskInputs { best_bid_nano, reference_nano, recent_median_nano, class_best_ask_nano } =
        inputs;
    if let Some(bid) = best_bid_nano.filter(|&bid| reference_nano.is_none_or(|r| bid >= r)) {
        return (Some(bid), AskReason::TradesAtOnce);
    }
    match reference_nano {
        Some(reference) => (Some(reference), AskReason::Reference),
        None => match (recent_median_nano, class_best_ask_nano) {
            (Some(median), _) => (Some(median), AskReason::RecentDeals),
            (None, Some(ask)) => (Some(ask), AskReason::CheapestAsk),
            (None, None) => (None, AskReason::Nothing),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bid_the_machine_can_serve_beats_a_lower_reference_and_loses_to_a_higher_one() {
        let market = AskInputs {
            best_bid_nano: Some(500),
            reference_nano: Some(400),
            recent_median_nano: Some(300),
            class_best_ask_nano: Some(200),
        };
        assert_eq!(suggest_ask(market), (Some(500), AskReason::TradesAtOnce));
        let above = AskInputs { reference_nano: Some(600), ..market };
        assert_eq!(suggest_ask(above), (Some(600), AskReason::Reference));
        let no_reference = AskInputs { reference_nano: None, ..market };
        assert_eq!(suggest_ask(no_reference), (Some(500), AskReason::TradesAtOnce));
        let quiet = AskInputs { best_bid_nano: None, reference_nano: None, ..market };
        assert_eq!(suggest_ask(quiet), (Some(300), AskReason::RecentDeals));
        let asks_only = AskInputs { recent_median_nano: None, ..quiet };
        assert_eq!(suggest_ask(asks_only), (Some(200), AskReason::CheapestAsk));
        assert_eq!(suggest_ask(AskInputs::default()), (None, AskReason::Nothing));
    }
}
