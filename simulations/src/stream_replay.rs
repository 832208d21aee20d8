//! Counterfactual replays: a recorded order stream (the replay format, docs/order-stream.md)
//! applied under the scenario's pricing model, to ask what a market would have done had its
//! references come from another model. Fixed-price orders trade as recorded; pegged orders
//! follow the model. The stream runs through [`gridbook_pricing::LineReplay`] (the codec around
//! the priced engine), as in `gridbook backtest`; this adds the simulator's outputs.

use gridbook_matcher::money::format_nano;
use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, PriceRow, PricedEngine, PricedOptions, Taxonomy,
};
use serde::{Deserialize, Serialize};

use crate::metrics::Tokens;
use crate::scenario::PricingSection;
use crate::SimError;

/// `[replay]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySection {
    /// The order stream (a relative path is relative to the scenario file's folder).
    pub stream: String,
}

impl ReplaySection {
    /// `(key, message)` of the first problem.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        std::fs::metadata(&self.stream).map(|_| ()).map_err(|error| {
            ("stream", format!("cannot read order stream {}: {error}", self.stream))
        })
    }
}

/// One class at the end of the replay.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayClass {
    /// Class name.
    pub class: String,
    /// The model's last reference per class unit.
    pub last_reference: Option<Tokens>,
    /// Units traded.
    pub volume_units: u64,
}

/// What a counterfactual replay measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayMetrics {
    /// Scenario name.
    pub scenario: String,
    /// The stream replayed.
    pub stream: String,
    /// Pricing model.
    pub pricing_model: String,
    /// Lines read.
    pub lines: u64,
    /// Lines the engine accepted.
    pub applied: u64,
    /// Lines refused.
    pub rejected: u64,
    /// Deals.
    pub deals: u64,
    /// Slots traded.
    pub slots: u64,
    /// Value traded, tokens.
    pub value_traded: Tokens,
    /// Slots traded ÷ slots of accepted bids.
    pub fill_rate: f64,
    /// Per class that had a row.
    pub classes: Vec<ReplayClass>,
}

/// A finished replay.
pub struct ReplayRun {
    /// Its metrics.
    pub metrics: ReplayMetrics,
    /// The price series (`timeseries.csv`).
    pub csv: String,
}

/// Replays `replay.stream` under `pricing`.
pub fn replay_stream(
    name: &str,
    replay: &ReplaySection,
    pricing: &PricingSection,
) -> Result<ReplayRun, SimError> {
    let text = std::fs::read(&replay.stream)
        .map_err(|error| SimError::Setup(format!("{}: {error}", replay.stream)))?;
    let model = model_by_name(&pricing.model, &pricing.params)
        .map_err(|e| SimError::Setup(e.to_string()))?;
    let taxonomy = Taxonomy::default_taxonomy();
    let options = PricedOptions {
        book_interval_ms: pricing.book_interval_s * 1000,
        publish_step_bps: pricing.publish_step_bps,
        record_rows: true,
        record_deals: true,
    };
    let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
    let mut line_replay = LineReplay::new(priced);
    let mut rows: Vec<PriceRow> = Vec::new();
    let mut volume: Vec<u64> = Vec::new();
    for (at, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line_replay.line_unrendered(at as u64 + 1, line);
        let priced = line_replay.priced_mut();
        rows.extend(priced.take_rows());
        for (class, _, units, _) in priced.take_deals() {
            let at = class.0 as usize;
            if volume.len() <= at {
                volume.resize(at + 1, 0);
            }
            volume[at] += units;
        }
    }
    let (stats, priced) = (line_replay.stats(), line_replay.priced());
    let model = priced.model().expect("a counterfactual replay prices with a model");
    let names: Vec<String> = priced.taxonomy().classes().iter().map(|c| c.name.clone()).collect();
    let mut classes: Vec<ReplayClass> = Vec::new();
    for (at, name) in names.iter().enumerate() {
        let units = volume.get(at).copied().unwrap_or(0);
        if units == 0 {
            continue;
        }
        let reference = model.reference_nano(gridbook_pricing::ClassId(at as u32));
        classes.push(ReplayClass {
            class: name.clone(),
            last_reference: reference.map(|nano| Tokens::from_nano(u128::from(nano))),
            volume_units: units,
        });
    }
    let accepted = priced.bid_slots_accepted();
    let metrics = ReplayMetrics {
        scenario: name.to_string(),
        stream: replay.stream.clone(),
        pricing_model: pricing.model.clone(),
        lines: stats.lines,
        applied: stats.applied,
        rejected: stats.rejected_total(),
        deals: stats.deals,
        slots: stats.slots,
        value_traded: Tokens::from_nano(stats.value_nano()),
        fill_rate: if accepted > 0 { stats.slots as f64 / accepted as f64 } else { 0.0 },
        classes,
    };
    Ok(ReplayRun { metrics, csv: rows_csv(&rows, &names) })
}

fn rows_csv(rows: &[PriceRow], names: &[String]) -> String {
    let money = |v: Option<u64>| v.map(format_nano).unwrap_or_default();
    let header =
        ["ts_ms", "class", "reference", "best_bid", "best_ask", "last_deal", "volume_units"];
    let records = rows.iter().map(|r| {
        vec![
            r.ts_ms.to_string(),
            names[r.class.0 as usize].clone(),
            money(r.reference_nano),
            money(r.best_bid_nano),
            money(r.best_ask_nano),
            money(r.last_deal_nano),
            r.volume_units.to_string(),
        ]
    });
    let header = header.iter().map(|h| h.to_string()).collect();
    crate::report::files::csv_text(std::iter::once(header).chain(records))
}
