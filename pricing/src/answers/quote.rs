//! What a bid would get if it arrived now, for a requester: whether it fills, at what total
//! cost, its best and worst slot price, the depth available at its limit, the cheapest ask it
//! could take now at any limit (none when no resting ask fits its requirements and time terms),
//! and the reference price of each eligible class. Fills come from the engine's own planner: a
//! bid sent now at the quoted limit fills exactly what the quote says.

use gridbook_matcher::money::{format_nano, format_nano_wide};
use gridbook_matcher::{Bid, IdLookup, Requirements};
use serde::Serialize;

use crate::advice::cheapest_ask_for;
use crate::book::bid_units_per_slot;
use crate::PricedEngine;

/// The answer of `gridbook quote` and `POST /v1/quote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteAnswer {
    /// Engine time of the quote, ms.
    pub ts: u64,
    /// Slots the bid wants.
    pub qty: u64,
    /// Its limit now (a pegged bid's effective limit); `None` when unpriced.
    pub limit: Option<String>,
    /// It fills completely now.
    pub fills_now: bool,
    /// Slots it would fill now.
    pub filled: u64,
    /// What those fills cost in all, tokens.
    pub total_cost: String,
    /// The cheapest slot price among the fills, per slot-hour.
    pub best_slot_price: Option<String>,
    /// The dearest.
    pub worst_slot_price: Option<String>,
    /// Slots of every ask it could take now at its limit, whatever its quantity.
    pub depth_at_limit: u64,
    /// The cheapest ask it could take now at any limit, per slot-hour.
    pub cheapest_ask: Option<String>,
    /// The fills, in the order the matcher would make them.
    pub fills: Vec<QuoteFillAnswer>,
    /// Each class with a configuration the bid fits, with its reference.
    pub classes: Vec<EligibleClass>,
}

/// One ask the bid would take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteFillAnswer {
    /// The ask's id.
    pub ask: String,
    /// Slots.
    pub qty: u64,
    /// Per slot-hour.
    pub price: String,
    /// When the slots would start, ms.
    pub start: u64,
    /// When they would end, ms.
    pub end: u64,
}

/// A class with a configuration the bid fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleClass {
    /// Its name.
    pub class: String,
    /// Its reference per class unit.
    pub reference_per_unit: Option<String>,
    /// Its unit.
    pub unit: &'static str,
    /// Its reference per slot-hour of this bid.
    pub reference_per_slot_hour: Option<String>,
}

/// What `bid` (decoded with `priced`'s names, see [`LineReplay::probe`]) would get now.
pub fn quote(priced: &PricedEngine, bid: &Bid) -> QuoteAnswer {
    let engine = priced.engine();
    let quote = engine.quote(bid);
    let duration_ms = u128::from(bid.duration_ms);
    let cost_nano: u128 = quote
        .fills
        .iter()
        .map(|f| u128::from(f.price_nano) * u128::from(f.qty) * duration_ms)
        .sum::<u128>()
        / 3_600_000;
    let fills = quote
        .fills
        .iter()
        .map(|f| QuoteFillAnswer {
            ask: engine.order_id(f.order).to_owned(),
            qty: f.qty,
            price: format_nano(f.price_nano),
            start: f.start_ms,
            end: f.end_ms,
        })
        .collect();
    QuoteAnswer {
        ts: engine.now_ms(),
        qty: bid.qty,
        limit: quote.limit_nano.map(format_nano),
        fills_now: quote.filled == bid.qty,
        filled: quote.filled,
        total_cost: format_nano_wide(cost_nano),
        best_slot_price: quote.fills.iter().map(|f| f.price_nano).min().map(format_nano),
        worst_slot_price: quote.fills.iter().map(|f| f.price_nano).max().map(format_nano),
        depth_at_limit: quote.depth_at_limit,
        cheapest_ask: cheapest_ask_for(engine, bid).map(format_nano),
        fills,
        classes: eligible_classes(priced, &quote.eligible_groups, &bid.req),
    }
}

/// Each class with a configuration the bid fits, and its reference per slot-hour for this bid.
fn eligible_classes(
    priced: &PricedEngine,
    configs: &[u32],
    req: &Requirements,
) -> Vec<EligibleClass> {
    let (engine, taxonomy) = (priced.engine(), priced.taxonomy());
    let symbols = priced.symbols();
    let mut seen = Vec::new();
    for &config in configs {
        let Some(class) =
            engine.config_hardware(config).and_then(|hw| taxonomy.classify(hw, symbols))
        else {
            continue;
        };
        if !seen.contains(&class) {
            seen.push(class);
        }
    }
    seen.sort();
    seen.iter()
        .map(|&class| {
            let unit = taxonomy.class(class).unit;
            let per_slot = bid_units_per_slot(unit, req);
            let reference = priced.model().and_then(|model| model.reference_nano(class));
            EligibleClass {
                class: taxonomy.class(class).name.clone(),
                reference_per_unit: reference.map(format_nano),
                unit: unit.as_str(),
                reference_per_slot_hour: reference.map(|r| format_nano(r.saturating_mul(per_slot))),
            }
        })
        .collect()
}
