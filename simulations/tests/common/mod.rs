//! Helpers shared by the simulator's integration tests: small scenarios written inline, so each
//! test shows the market it pins.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use gridbook_simulations::{run, Run, Scenario, Silent};

/// Parses `toml` (panicking with the error: a test scenario must be valid).
pub fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml_str(toml, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `toml` with `seed`.
pub fn run_toml(toml: &str, seed: u64) -> Run {
    run(&scenario(toml), "test", seed, &mut Silent).unwrap_or_else(|e| panic!("{e}"))
}

/// A small two-class market: `strategy` for providers, `bidding` for requesters, `machines`
/// machines of each type and `rate` jobs per hour, over `hours`.
pub fn market(
    strategy: &str,
    bidding: &str,
    machines: u64,
    rate: u64,
    hours: u64,
    model: &str,
) -> String {
    format!(
        r#"
duration_h = {hours}
interval_min = 30
fee_bps = 150
[pricing]
model = "{model}"
[providers]
count = {machines}
strategy = "{strategy}"
repost_min = 20
[[providers.hardware]]
gpu = "A100-80GB"
gpu_mem_gib = 80
cpu = 16
mem_gib = 128
slots = 4
cost = {{ min = "1.00", max = "1.60" }}
[[providers.hardware]]
cpu = 16
mem_gib = 64
slots = 2
cost = {{ min = "0.30", max = "0.50" }}
[requesters]
rate_per_h = {rate}
strategy = "{bidding}"
[[requesters.jobs]]
gpu = ["A100-80GB"]
gpus = 1
cpu = 8
mem_gib = 64
slots = {{ min = 1, max = 3 }}
duration_min = {{ dist = "lognormal", median = 60, sigma = 0.7 }}
deadline_slack_pct = {{ dist = "uniform", min = 20, max = 300 }}
value = {{ min = "1.20", max = "3.50" }}
[[requesters.jobs]]
cpu = 8
mem_gib = 32
duration_min = {{ dist = "exponential", mean = 45 }}
deadline_slack_pct = {{ dist = "fixed", value = 100 }}
value = {{ min = "0.20", max = "1.00" }}
"#
    )
}
