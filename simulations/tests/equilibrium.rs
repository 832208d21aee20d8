//! The analytic case: one class, linear supply and demand. 50 one-slot machines with costs
//! uniform on [1, 3] and 50 jobs an hour, each needing one slot for an hour, with values
//! uniform on [1, 3]. Per hour, supply at price p is 50·(p − 1)/2 slots and demand 50·(3 − p)/2,
//! so the competitive equilibrium price is 2. Adaptive providers (up 1 % after a fill, down 1 %
//! after 2 unfilled minutes) and truthful bidders must bring the deal price there.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn deal_price_converges_to_the_competitive_equilibrium_within_five_percent() {
    let toml = r#"
duration_h = 150
[pricing]
model = "vwap"
[providers]
count = 50
strategy = "adaptive"
markup_pct = 0
adapt_step_pct = 1
repost_min = 2
[[providers.hardware]]
gpu = "A100-80GB"
gpu_mem_gib = 80
cpu = 8
mem_gib = 64
slots = 1
cost = { min = "1.00", max = "3.00" }
[requesters]
rate_per_h = 50
strategy = "truthful"
[[requesters.jobs]]
gpu = ["A100-80GB"]
cpu = 8
mem_gib = 64
duration_min = { dist = "fixed", value = 60 }
deadline_slack_pct = { dist = "fixed", value = 100 }
value = { min = "1.00", max = "3.00" }
"#;
    let run = common::run_toml(toml, 7);
    // The second half: the first hours are the convergence from the providers' costs.
    let late: Vec<_> = run.output.series.iter().filter(|row| row.ts_ms > 75 * 3_600_000).collect();
    let turnover: u128 = late
        .iter()
        .filter_map(|r| r.vwap_nano.map(|p| u128::from(p) * u128::from(r.volume_slots)))
        .sum();
    let volume: u64 = late.iter().map(|r| r.volume_slots).sum();
    assert!(volume > 1000, "the market trades: {volume} slots");
    let price = turnover as f64 / volume as f64 / 1e9;
    assert!((price - 2.0).abs() <= 0.10, "deal price {price:.4} is not within 5 % of 2");
    // And it got there from far away: the first hour trades well below.
    let first = run.output.series.first().and_then(|r| r.vwap_nano).unwrap() as f64 / 1e9;
    assert!(first < 1.9, "starting price {first}");
}
