//! The time series: one row per class and interval, written to `timeseries.csv` as each
//! interval closes.

use gridbook_matcher::money::format_nano;

/// A class at the end of an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRow {
    /// End of the interval, ms of simulated time.
    pub ts_ms: u64,
    /// Class id.
    pub class: u32,
    /// The pricing model's reference, per class unit.
    pub reference_nano: Option<u64>,
    /// Deal prices in the interval per class unit: open, high, low, close.
    pub ohlc_nano: Option<(u64, u64, u64, u64)>,
    /// Volume-weighted deal price of the interval per class unit (rounded down).
    pub vwap_nano: Option<u64>,
    /// Slots traded in the interval.
    pub volume_slots: u64,
    /// Slots on resting asks.
    pub supply_slots: u64,
    /// Slots wanted by resting bids.
    pub demand_slots: u64,
    /// Slots leased.
    pub busy_slots: u64,
    /// Slots of the class's machines.
    pub total_slots: u64,
    /// Slots the trace's own pods occupied then, thousandths (trace replays only; may exceed
    /// `total_slots` when the trace's load exceeds the kept cluster).
    pub trace_busy_milli: Option<u64>,
}

impl SeriesRow {
    /// Leased ÷ all slots.
    pub fn utilisation(&self) -> f64 {
        self.busy_slots as f64 / self.total_slots.max(1) as f64
    }

    /// What the trace's pods occupied ÷ all slots, at most 1.
    pub fn trace_utilisation(&self) -> Option<f64> {
        let total = self.total_slots.max(1) as f64;
        self.trace_busy_milli.map(|milli| (milli as f64 / 1000.0 / total).min(1.0))
    }
}

/// The columns of `timeseries.csv`.
pub const COLUMNS: [&str; 15] = [
    "hour",
    "class",
    "reference",
    "open",
    "high",
    "low",
    "close",
    "vwap",
    "volume_slots",
    "supply_slots",
    "demand_slots",
    "busy_slots",
    "total_slots",
    "utilisation",
    "trace_utilisation",
];

fn money(value: Option<u64>) -> String {
    value.map(format_nano).unwrap_or_default()
}

/// `row` as a record of `timeseries.csv` (prices as decimal text, hours with 3 decimals);
/// `class` is its class's name.
pub fn record(row: &SeriesRow, class: &str) -> Vec<String> {
    let (o, h, l, c) = match row.ohlc_nano {
        Some((o, h, l, c)) => (Some(o), Some(h), Some(l), Some(c)),
        None => (None, None, None, None),
    };
    vec![
        format!("{:.3}", row.ts_ms as f64 / 3_600_000.0),
        class.to_string(),
        money(row.reference_nano),
        money(o),
        money(h),
        money(l),
        money(c),
        money(row.vwap_nano),
        row.volume_slots.to_string(),
        row.supply_slots.to_string(),
        row.demand_slots.to_string(),
        row.busy_slots.to_string(),
        row.total_slots.to_string(),
        format!("{:.4}", row.utilisation()),
        row.trace_utilisation().map(|u| format!("{u:.4}")).unwrap_or_default(),
    ]
}
