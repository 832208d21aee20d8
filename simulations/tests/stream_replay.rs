//! Counterfactual replays: a recorded order stream runs under any pricing model.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use gridbook_simulations::stream_replay::replay_stream;
use gridbook_simulations::Scenario;

fn scenario(model: &str, extra: &str) -> Result<Scenario, String> {
    let stream = format!("{}/../examples/market.jsonl", env!("CARGO_MANIFEST_DIR"));
    let source =
        format!("[pricing]\nmodel = \"{model}\"\n[replay]\nstream = \"{stream}\"\n{extra}");
    Scenario::from_toml_str(&source, "replay.toml").map_err(|e| e.to_string())
}

#[test]
fn the_example_market_replays_under_every_model_with_the_same_fixed_price_deals() {
    let mut deals = Vec::new();
    for model in ["vwap", "ewma", "utilization", "clearing"] {
        let s = scenario(model, "").unwrap();
        let run = replay_stream("r", s.replay.as_ref().unwrap(), &s.pricing).unwrap();
        let m = &run.metrics;
        assert_eq!(m.pricing_model, model);
        assert!(m.deals > 0 && m.applied + m.rejected == m.lines, "{m:?}");
        assert!(run.csv.starts_with("ts_ms,class,reference"));
        deals.push(m.deals);
    }
    // Only the example's pegged bid depends on the model; its fixed-price deals do not.
    let fewest = *deals.iter().min().unwrap();
    assert!(deals.iter().all(|&d| d - fewest <= 2), "{deals:?}");
}

#[test]
fn a_replay_with_a_sweep_is_refused_at_its_line() {
    let error = scenario("vwap", "[sweep]\nreplications = 2\n").unwrap_err();
    assert!(error.contains("line 4") && error.contains("replay.stream"), "{error}");
    let missing = "[replay]\nstream = \"/nonexistent.jsonl\"\n";
    let error = Scenario::from_toml_str(missing, "r.toml").err().unwrap().to_string();
    assert!(error.contains("line 2") && error.contains("/nonexistent.jsonl"), "{error}");
}
