//! Every model fed the way a deployment would feed it: a generated workload replayed through
//! the engine, each deal turned into class units through the taxonomy, and a book summary
//! every simulated minute. Checks that the classes that trade get plausible prices and that a
//! second run gives the same prices.

mod support;

use gridbook_matcher::workload::WorkloadConfig;
use gridbook_pricing::{model_by_name, ClassId, PricingConfig, PricingModel, MODEL_NAMES};
use support::model_inputs::{model_inputs, Input};

/// The generator's commands are 0–2 ms apart, so the models run on a compressed scale: a
/// summary every 100 ms, a 100 ms utilisation interval, a 1 s VWAP window.
const SUMMARY_EVERY_MS: u64 = 100;
const TOKEN_NANO: u64 = 1_000_000_000;

/// Every model's reference for every class after each book summary, and the classes that
/// traded.
fn run() -> (Vec<Vec<Option<u64>>>, Vec<ClassId>) {
    let config =
        WorkloadConfig { seed: 3, configs: 32, resting: 800, orders: 4000, ..Default::default() };
    let (inputs, classes) = model_inputs(config, SUMMARY_EVERY_MS);
    let mut pricing = PricingConfig::default();
    pricing.vwap.window_ms = 1_000;
    pricing.ewma.half_life_ms = 500;
    pricing.utilization.interval_ms = SUMMARY_EVERY_MS;
    let mut models: Vec<Box<dyn PricingModel>> = MODEL_NAMES
        .iter()
        .map(|name| model_by_name(name, &pricing).expect("a known model"))
        .collect();
    let (mut outputs, mut traded) = (Vec::new(), Vec::new());
    for input in inputs {
        match input {
            Input::Deal { class, price_nano, units, ts_ms } => {
                for model in &mut models {
                    model.on_deal(class, price_nano, units, ts_ms);
                }
                traded.push(class);
            }
            Input::Time { ts_ms, summary } => {
                for model in &mut models {
                    model.on_time(ts_ms, &summary);
                    let references = (0..classes as u32).map(|c| model.reference_nano(ClassId(c)));
                    outputs.push(references.collect());
                }
            }
        }
    }
    traded.sort_unstable();
    traded.dedup();
    // Final prices of the deal-driven models, for the plausibility check below.
    let last: Vec<Option<u64>> = traded
        .iter()
        .flat_map(|&class| models[..2].iter().map(move |m| m.reference_nano(class)))
        .collect();
    outputs.push(last);
    (outputs, traded)
}

#[test]
fn models_price_a_replayed_market_deterministically() {
    let (outputs, traded) = run();
    assert!(traded.len() >= 4, "several classes should trade: {traded:?}");
    assert!(outputs.len() > 8, "several book summaries");
    let summaries = &outputs[..outputs.len() - 1];
    // A class has a price once the market gave it one (a deal, or a mid for the models that
    // read the book); every price is positive.
    for prices in summaries {
        assert!(prices.iter().flatten().all(|&price| price >= 1));
    }
    let priced = summaries.last().map_or(0, |prices| prices.iter().flatten().count());
    assert!(priced >= traded.len(), "at least the traded classes are priced by the end");
    // VWAP and EWMA of traded classes stay within the generator's price range (a few cents
    // to a few tokens per GPU-hour or core-hour).
    for price in outputs.last().into_iter().flatten() {
        let price = price.expect("traded classes have a price");
        assert!((TOKEN_NANO / 1000..=10 * TOKEN_NANO).contains(&price), "{price}");
    }
    assert_eq!(run(), (outputs, traded), "the same inputs give the same prices");
}
