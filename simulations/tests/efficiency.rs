//! Allocative efficiency: never above 1 (the bound is an upper bound), and close to 1 when
//! bidders are truthful and supply is ample.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn efficiency_never_exceeds_one_whatever_the_market() {
    for (strategy, bidding, machines, rate) in [
        ("markup", "truthful", 4, 120),
        ("adaptive", "truthful", 10, 60),
        ("pegged", "shaded", 30, 40),
    ] {
        let run =
            common::run_toml(&common::market(strategy, bidding, machines, rate, 8, "ewma"), 5);
        let ratio = run.metrics.efficiency.ratio;
        assert!(ratio > 0.0 && ratio <= 1.0, "{strategy}/{bidding}/{machines}: efficiency {ratio}");
    }
}

#[test]
fn truthful_bidders_with_ample_supply_reach_nearly_full_efficiency() {
    // One machine type at one cost, far more slots than jobs: every job can be served by a
    // machine of the same cost, so the bound is the sum of every job's surplus.
    let toml = r#"
duration_h = 12
[providers]
count = 60
strategy = "markup"
markup_pct = 10
[[providers.hardware]]
gpu = "L4"
cpu = 8
mem_gib = 32
slots = 4
cost = { min = "0.50", max = "0.50" }
[requesters]
rate_per_h = 40
strategy = "truthful"
[[requesters.jobs]]
gpu = ["L4"]
cpu = 4
mem_gib = 16
slots = { min = 1, max = 2 }
duration_min = { dist = "uniform", min = 10, max = 90 }
deadline_slack_pct = { dist = "uniform", min = 50, max = 200 }
value = { min = "0.60", max = "2.00" }
"#;
    let m = common::run_toml(toml, 9).metrics;
    assert!(m.fill_rate > 0.99, "ample supply fills nearly everything: {}", m.fill_rate);
    assert!(
        m.efficiency.ratio > 0.97 && m.efficiency.ratio <= 1.0,
        "efficiency {}",
        m.efficiency.ratio
    );
}
