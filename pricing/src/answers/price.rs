//! What a machine is worth in the market now, for a provider: its class, the class reference,
//! the best resting bid **this machine can serve** (its requirements accept the machine, its
//! time terms fit the machine's window, and it is not the provider's own), the class's best
//! ask, recent deal prices (p10/p50/p90 over a window) and a suggested ask with the reason.
//! When the suggestion says it trades at once, an `ioc` ask at that price for that machine fills
//! at least one slot: the best bid comes from the engine's own planner ([`crate::advice`]).

use gridbook_matcher::money::format_nano;
use gridbook_matcher::Ask;
use serde::Serialize;
use serde_json::json;

use super::UnitAndSlot;
use crate::advice::{best_bid_for, suggest_ask, AskInputs, AskReason};
use crate::{BookSummary, ClassId, PricedEngine};

/// A deal as the priced replay records it: class, price per class unit, units, engine time.
pub type DealRecord = (ClassId, u64, u64, u64);

/// The answer of `gridbook price` and `GET /v1/price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceAnswer {
    /// Engine time of the answer, ms.
    pub ts: u64,
    /// The machine's class.
    pub class: String,
    /// The class's unit.
    pub unit: &'static str,
    /// Class units per slot of this machine.
    pub units_per_slot: u64,
    /// The class reference under the market's pricing model.
    pub reference: UnitAndSlot,
    /// The best resting bid this machine can serve.
    pub best_bid: BestBidAnswer,
    /// The cheapest resting ask of the class.
    pub best_ask: UnitAndSlot,
    /// The class's recent deals.
    pub recent_deals: RecentDeals,
    /// The ask to place.
    pub suggested_ask: SuggestedAsk,
}

/// The best resting bid a machine can serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BestBidAnswer {
    /// Per class unit.
    pub per_unit: Option<String>,
    /// Per slot-hour: an ask there trades at once.
    pub per_slot_hour: Option<String>,
    /// Slots wanted at that limit or above by bids the machine can serve.
    pub slots: Option<u64>,
}

/// The class's deals in the last `window_ms`, prices per slot-hour of the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentDeals {
    /// How far back deals count, ms of engine time.
    pub window_ms: u64,
    /// How many.
    pub count: usize,
    /// 10th percentile (nearest rank).
    pub p10: Option<String>,
    /// Median.
    pub p50: Option<String>,
    /// 90th percentile.
    pub p90: Option<String>,
}

/// The suggested ask and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedAsk {
    /// Per slot-hour; `None` when the market says nothing about the class.
    pub per_slot_hour: Option<String>,
    /// An ask at this price trades at once.
    pub trades_at_once: bool,
    /// Why, in words.
    pub reason: String,
}

/// The machine belongs to no class of the taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this machine belongs to no class of the taxonomy")]
pub struct NoClass;

/// The line of a price probe: an `ioc` ask for the machine `hw` (an ask's `hw` object) owned by
/// `owner`, free over `[from_ms, until_ms)`, at `now_ms`. Its price and quantity are
/// placeholders the advice ignores. Decode it with [`LineReplay::probe`].
pub fn probe_line(
    hw: &serde_json::Value,
    owner: &str,
    (from_ms, until_ms): (u64, u64),
    now_ms: u64,
) -> String {
    json!({"ts": now_ms, "op": "ask", "id": "price-probe", "price": "1", "qty": 1,
        "tif": "ioc", "owner": owner, "hw": hw, "from": from_ms, "until": until_ms})
    .to_string()
}

/// What `machine` is worth in `priced`'s market now, with `deals` (the market's, oldest first;
/// those older than `window_ms` are not counted).
pub fn price<'a>(
    priced: &PricedEngine,
    machine: &Ask,
    deals: impl IntoIterator<Item = &'a DealRecord>,
    window_ms: u64,
) -> Result<PriceAnswer, NoClass> {
    let (taxonomy, symbols) = (priced.taxonomy(), priced.symbols());
    let engine = priced.engine();
    let now_ms = engine.now_ms();
    let class = taxonomy.classify(&machine.hw, symbols).ok_or(NoClass)?;
    let unit = taxonomy.class(class).unit;
    let per_slot = unit.units_per_slot(&machine.hw);
    let slot = |unit_nano: Option<u64>| unit_nano.map(|p| p.saturating_mul(per_slot));
    let per_unit = |slot_nano: u64| taxonomy.normalise_nano(class, &machine.hw, slot_nano);
    let mut recent: Vec<u64> = deals
        .into_iter()
        .filter(|(c, _, _, ts)| *c == class && ts.saturating_add(window_ms) >= now_ms)
        .map(|(_, price, _, _)| *price)
        .collect();
    recent.sort_unstable();
    let summary = BookSummary::from_engine(engine, taxonomy, symbols);
    let best_ask = summary.class(class).and_then(|b| b.best_ask_nano());
    let reference = priced.model().and_then(|model| model.reference_nano(class));
    let best_bid = best_bid_for(engine, machine);
    let inputs = AskInputs {
        best_bid_nano: best_bid.map(|b| b.price_nano),
        reference_nano: slot(reference),
        recent_median_nano: slot(quantile(&recent, 50)),
        class_best_ask_nano: slot(best_ask),
    };
    let (suggested, reason) = suggest_ask(inputs);
    let pair = |unit_nano: Option<u64>| UnitAndSlot {
        per_unit: unit_nano.map(format_nano),
        per_slot_hour: slot(unit_nano).map(format_nano),
    };
    let recent_slot = |q| slot(quantile(&recent, q)).map(format_nano);
    Ok(PriceAnswer {
        ts: now_ms,
        class: taxonomy.class(class).name.clone(),
        unit: unit.as_str(),
        units_per_slot: per_slot,
        reference: pair(reference),
        best_bid: BestBidAnswer {
            per_unit: best_bid.map(|b| format_nano(per_unit(b.price_nano))),
            per_slot_hour: best_bid.map(|b| format_nano(b.price_nano)),
            slots: best_bid.map(|b| b.slots),
        },
        best_ask: pair(best_ask),
        recent_deals: RecentDeals {
            window_ms,
            count: recent.len(),
            p10: recent_slot(10),
            p50: recent_slot(50),
            p90: recent_slot(90),
        },
        suggested_ask: SuggestedAsk {
            per_slot_hour: suggested.map(format_nano),
            trades_at_once: reason == AskReason::TradesAtOnce,
            reason: reason_text(
                reason,
                reference.is_some(),
                priced.model().map_or("none", |m| m.name()),
            ),
        },
    })
}

/// The `q`-th quantile (in per cent) of sorted `prices`, nearest rank.
fn quantile(prices: &[u64], q: usize) -> Option<u64> {
    if prices.is_empty() {
        return None;
    }
    let rank = (q * prices.len()).div_ceil(100).max(1);
    prices.get(rank - 1).copied()
}

/// Why the ask is suggested, in words.
fn reason_text(reason: AskReason, has_reference: bool, model: &str) -> String {
    match reason {
        AskReason::TradesAtOnce if has_reference => format!(
            "the best bid this machine can serve pays that, at or above the {model} reference: \
             an ask there trades at once"
        ),
        AskReason::TradesAtOnce => "no reference yet; the best bid this machine can serve pays \
            that: an ask there trades at once"
            .into(),
        AskReason::Reference => format!(
            "the class reference under the {model} model; no bid this machine can serve pays that \
             much now, so an ask there rests until one does"
        ),
        AskReason::RecentDeals => "no reference and no bid this machine can serve yet: the median \
            of the class's recent deals"
            .into(),
        AskReason::CheapestAsk => "no reference, recent deal or bid this machine can serve yet: \
            the cheapest resting ask of the class"
            .into(),
        AskReason::Nothing => {
            "no reference, deal, bid or ask for this machine's class yet: nothing to go by".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model_by_name, LineReplay, PricedOptions, PricingConfig, Taxonomy};
    use gridbook_matcher::{Command, EngineConfig};

    /// Asking is not trading: a probe's names (a GPU and a region the market has never seen)
    /// are forgotten once the answer is made.
    #[test]
    fn a_probe_leaves_no_name_behind() {
        let model = model_by_name("vwap", &PricingConfig::default()).expect("a model");
        let taxonomy = Taxonomy::default_taxonomy();
        let options = PricedOptions::default();
        let engine = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        let mut priced = LineReplay::new(engine);
        let names = priced.priced().symbols().len();
        let hw = json!({"cpu": 8, "mem": 64, "gpu": "Z9000", "gpus": 1, "gpu_mem": 80,
            "tee": null, "region": "mars"});
        let owner = "0x0000000000000000000000000000000000000001";
        let line = probe_line(&hw, owner, (0, 3_600_000), 0);
        let answered = priced.probe(line.as_bytes(), |priced, command| match command {
            Command::Ask(machine) => price(priced, &machine, &[], 60_000),
            other => panic!("a price probe decodes to an ask, not {other:?}"),
        });
        let answer = answered.expect("the probe decodes").expect("the catch-all class");
        assert_eq!(answer.class, "gpu.other");
        assert_eq!(priced.priced().symbols().len(), names, "no name left behind");
    }
}
