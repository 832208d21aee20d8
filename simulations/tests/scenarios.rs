//! Every shipped scenario is valid, and the baseline — the economist's first run — runs with
//! its conservation checks holding.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use gridbook_simulations::{load_scenario, ScenarioError};

fn path(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_shipped_scenario_is_valid() {
    for name in ["baseline", "gpu-shortage", "demand-spike", "deadline-heavy", "pricing-models"] {
        let (_, scenario) =
            load_scenario(&path(&format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.name.as_deref(), Some(name));
    }
    // The trace replay reads ../../../shared/data relative to its own folder; on a machine
    // without the trace the only possible complaint is the missing trace.
    match load_scenario(&path("alibaba-replay.toml")) {
        Ok((_, scenario)) => assert!(scenario.trace.is_some()),
        Err(ScenarioError::Invalid { key, .. }) => assert_eq!(key, "trace.nodes"),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn the_baseline_runs_and_conserves_slots_and_money() {
    let (_, scenario) = load_scenario(&path("baseline.toml")).unwrap();
    let run =
        gridbook_simulations::run(&scenario, "baseline", 1, &mut gridbook_simulations::Silent)
            .unwrap();
    let m = &run.metrics;
    assert!(m.conservation.ok, "{:?}", m.conservation);
    assert!(m.jobs > 1000 && m.fill_rate > 0.9, "{} jobs, fill {}", m.jobs, m.fill_rate);
    assert!(m.efficiency.ratio > 0.5 && m.efficiency.ratio <= 1.0);
}
