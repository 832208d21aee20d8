//! Market-quality metrics of a run ([`Metrics`], written as `metrics.json`), the time series
//! ([`series`]), the running totals they come from ([`tally`]), the efficiency bound
//! ([`bound`]) and the statistics helpers ([`stats`]). docs/simulations.md defines each one.

pub mod bound;
pub mod demand;
pub mod series;
pub mod stats;
pub mod tally;
pub mod thinned;
pub mod tokens;

use serde::Serialize;

pub use tokens::Tokens;

use crate::sim::RunOutput;

/// Time from arrival to the last slot leased, per filled job.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MatchTimes {
    /// Median, ms.
    pub p50_ms: Option<u64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<u64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<u64>,
}

/// Realised surplus against the upper bound.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Efficiency {
    /// Σ (value − cost) × slot-hours of every lease, tokens.
    pub realised_surplus: Tokens,
    /// The dual bound of [`bound`], tokens (rounded down to the nano).
    pub upper_bound: Tokens,
    /// realised ÷ bound (1 when both are 0).
    pub ratio: f64,
}

/// Money, in tokens (decimal text, exact).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Money {
    /// What requesters paid.
    pub requester_payments: Tokens,
    /// What providers earned.
    pub provider_revenue: Tokens,
    /// The marketplace's fees.
    pub fees: Tokens,
    /// Gini coefficient of revenue over machines.
    pub revenue_gini: f64,
}

/// A hardware class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassMetrics {
    /// Class name.
    pub class: String,
    /// Slots of its machines.
    pub slots: u64,
    /// Leased slot-time ÷ slot-time of the run.
    pub utilisation: f64,
    /// What the trace's own pods occupied, as the same ratio (trace replays only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_utilisation: Option<f64>,
    /// Standard deviation of interval-to-interval log returns of the closing deal price.
    pub volatility: Option<f64>,
    /// The last interval's reference price per class unit (tokens).
    pub last_reference: Option<Tokens>,
    /// Volume-weighted deal price per class unit over the run (tokens; rounded down).
    pub deal_price: Option<Tokens>,
    /// Slots traded.
    pub volume_slots: u64,
    /// The unit its prices are per (`gpu-hour`, `core-hour`).
    pub unit: String,
}

/// The conservation checks; every count must be 0.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Conservation {
    /// Leases that found a slot already leased.
    pub double_leases: u64,
    /// Deals between orders the simulator did not place.
    pub foreign_deals: u64,
    /// Commands the engine refused.
    pub rejected_commands: u64,
    /// Σ requester payments = Σ provider revenue + Σ fees, summed over separate ledgers.
    pub payments_balance: bool,
    /// All of the above hold.
    pub ok: bool,
}

/// Every metric of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Pricing model.
    pub pricing_model: String,
    /// Simulated hours.
    pub duration_h: u64,
    /// Queue events processed.
    pub sim_events: u64,
    /// Engine commands applied (ticks and re-pricing included).
    pub engine_commands: u64,
    /// Deals.
    pub deals: u64,
    /// References the model published.
    pub references: u64,
    /// Jobs arrived.
    pub jobs: u64,
    /// Jobs fully filled.
    pub jobs_filled: u64,
    /// Jobs whose deadline could no longer be met with slots unfilled.
    pub jobs_missed: u64,
    /// Jobs still waiting at the end.
    pub jobs_open_at_end: u64,
    /// Trace pods left out (never ended, or no machine could run them).
    pub trace_pods_skipped: u64,
    /// Slots leased ÷ slots requested.
    pub fill_rate: f64,
    /// Missed ÷ (filled + missed).
    pub deadline_miss_rate: f64,
    /// Time to match.
    pub time_to_match: MatchTimes,
    /// Allocative efficiency.
    pub efficiency: Efficiency,
    /// Money.
    pub money: Money,
    /// Per class with machines.
    pub classes: Vec<ClassMetrics>,
    /// Conservation checks.
    pub conservation: Conservation,
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        1.0
    }
}

/// The metrics of a finished run.
pub fn compute(
    run: &RunOutput,
    scenario: &str,
    seed: u64,
    model: &str,
    duration_h: u64,
) -> Metrics {
    let t = &run.tally;
    let w = &run.world;
    let bound = bound::upper_bound(&w.machines, &w.groups, &w.shapes, &run.demand, run.end_ms);
    let surplus = t.surplus_nano_ms_per_h as f64 / 3_600_000.0;
    let revenue: u128 = run.revenue_nano.iter().sum();
    let paid = run.paid_nano;
    let rejected: u64 = t.rejects.values().sum();
    let balance = paid == revenue + t.fees_nano && paid == t.payments_nano;
    let classes = t
        .classes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.total_slots > 0)
        .map(|(at, c)| ClassMetrics {
            class: run.class_names[at].clone(),
            slots: c.total_slots,
            utilisation: c.leased_slot_ms as f64
                / (c.total_slots as f64 * run.end_ms.max(1) as f64),
            trace_utilisation: w
                .trace_load
                .as_ref()
                .map(|load| load.utilisation(at, c.total_slots, run.end_ms)),
            volatility: c.volatility.value(),
            last_reference: run
                .series
                .iter()
                .rev()
                .find(|row| row.class == at as u32)
                .and_then(|row| row.reference_nano)
                .map(|nano| Tokens::from_nano(u128::from(nano))),
            deal_price: (c.run_volume_slots > 0)
                .then(|| Tokens::from_nano(c.run_turnover_nano / u128::from(c.run_volume_slots))),
            volume_slots: c.run_volume_slots,
            unit: run.class_units[at].to_string(),
        })
        .collect();
    let ok = t.double_leases == 0 && t.foreign_deals == 0 && rejected == 0 && balance;
    Metrics {
        scenario: scenario.to_string(),
        seed,
        pricing_model: model.to_string(),
        duration_h,
        sim_events: t.sim_events,
        engine_commands: run.commands,
        deals: t.deals,
        references: t.references,
        jobs: t.jobs,
        jobs_filled: t.jobs_filled,
        jobs_missed: t.jobs_missed,
        jobs_open_at_end: run.jobs_open,
        trace_pods_skipped: w.skipped_pods,
        fill_rate: ratio(t.slots_filled as f64, t.slots_requested as f64),
        deadline_miss_rate: 1.0
            - ratio(t.jobs_filled as f64, (t.jobs_filled + t.jobs_missed) as f64),
        time_to_match: MatchTimes {
            p50_ms: t.match_ms.percentile(50.0),
            p90_ms: t.match_ms.percentile(90.0),
            p99_ms: t.match_ms.percentile(99.0),
        },
        efficiency: Efficiency {
            realised_surplus: Tokens::from_nano(
                u128::try_from(t.surplus_nano_ms_per_h / 3_600_000)
                    .expect("every lease's value is at least its machine's cost"),
            ),
            upper_bound: Tokens::from_nano(bound.max(0.0) as u128),
            ratio: ratio(surplus, bound),
        },
        money: Money {
            requester_payments: Tokens::from_nano(paid),
            provider_revenue: Tokens::from_nano(revenue),
            fees: Tokens::from_nano(t.fees_nano),
            revenue_gini: stats::gini(&run.revenue_nano),
        },
        classes,
        conservation: Conservation {
            double_leases: t.double_leases,
            foreign_deals: t.foreign_deals,
            rejected_commands: rejected,
            payments_balance: balance,
            ok,
        },
    }
}
