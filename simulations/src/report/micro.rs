//! The micro data of a run: one row per deal (`deals.csv`) and one per job (`jobs.csv`), with
//! typed columns for analysis tools — integers as integers, money as exact decimal text with a
//! `_float` twin, times as milliseconds of simulated time with an ISO 8601 UTC twin.

use serde::Serialize;

/// A deal between a job's bid and a machine's ask.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DealRow {
    /// The engine's deal number.
    pub deal: u64,
    /// When it was made, ms of simulated time, and as UTC.
    pub time_ms: u64,
    #[allow(missing_docs)]
    pub time_utc: String,
    /// The machine's class, and its unit (`gpu-hour`, `core-hour`).
    pub class: String,
    #[allow(missing_docs)]
    pub unit: String,
    /// Machine (provider) and job (requester) numbers, and their addresses.
    pub machine: u32,
    #[allow(missing_docs)]
    pub job: u32,
    #[allow(missing_docs)]
    pub provider: String,
    #[allow(missing_docs)]
    pub requester: String,
    /// Slots.
    pub qty: u64,
    /// Price per slot-hour, tokens (exact), and as a float.
    pub price_per_slot_hour: String,
    #[allow(missing_docs)]
    pub price_per_slot_hour_float: f64,
    /// Price per class unit (per GPU-hour, per core-hour), tokens (exact), and as a float.
    pub price_per_unit: String,
    #[allow(missing_docs)]
    pub price_per_unit_float: f64,
    /// The leased window: start and end, ms of simulated time and UTC.
    pub start_ms: u64,
    #[allow(missing_docs)]
    pub start_utc: String,
    #[allow(missing_docs)]
    pub end_ms: u64,
    #[allow(missing_docs)]
    pub end_utc: String,
    /// What the requester paid, tokens (exact), and as a float.
    pub payment: String,
    #[allow(missing_docs)]
    pub payment_float: f64,
    /// The marketplace's fee out of it, tokens.
    pub fee: String,
}

impl DealRow {
    /// The header, in field order.
    pub const COLUMNS: [&'static str; 21] = [
        "deal",
        "time_ms",
        "time_utc",
        "class",
        "unit",
        "machine",
        "job",
        "provider",
        "requester",
        "qty",
        "price_per_slot_hour",
        "price_per_slot_hour_float",
        "price_per_unit",
        "price_per_unit_float",
        "start_ms",
        "start_utc",
        "end_ms",
        "end_utc",
        "payment",
        "payment_float",
        "fee",
    ];
}

/// A job, written when it is resolved (filled or missed) or, still open, at the end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobRow {
    /// Job number.
    pub job: u32,
    /// Arrival, ms of simulated time and UTC.
    pub arrival_ms: u64,
    #[allow(missing_docs)]
    pub arrival_utc: String,
    /// Latest end, ms and UTC.
    pub deadline_ms: u64,
    #[allow(missing_docs)]
    pub deadline_utc: String,
    /// How long each slot is needed, ms.
    pub duration_ms: u64,
    /// Slots wanted.
    pub qty: u64,
    /// Requirements per slot: cores, GiB, GPUs, GPU GiB, acceptable GPU models (`|`-separated),
    /// TEE kind, acceptable regions (`|`-separated; empty = any).
    pub cpu: u32,
    #[allow(missing_docs)]
    pub mem_gib: u32,
    #[allow(missing_docs)]
    pub gpus: u32,
    #[allow(missing_docs)]
    pub gpu_mem_gib: u32,
    #[allow(missing_docs)]
    pub gpu_models: String,
    #[allow(missing_docs)]
    pub tee: String,
    #[allow(missing_docs)]
    pub regions: String,
    /// The class its pegged bid would follow (the first class that can run it).
    pub class: String,
    /// Private value per slot-hour, tokens (exact), and as a float.
    pub value_per_slot_hour: String,
    #[allow(missing_docs)]
    pub value_per_slot_hour_float: f64,
    /// `filled`, `missed` or `open` (still waiting when the run ended).
    pub outcome: &'static str,
    /// Slots leased.
    pub slots_filled: u64,
    /// Arrival to last slot leased, ms (empty unless filled).
    pub time_to_match_ms: Option<u64>,
    /// What it paid, tokens (exact), and as a float.
    pub cost: String,
    #[allow(missing_docs)]
    pub cost_float: f64,
}

impl JobRow {
    /// The header, in field order.
    pub const COLUMNS: [&'static str; 22] = [
        "job",
        "arrival_ms",
        "arrival_utc",
        "deadline_ms",
        "deadline_utc",
        "duration_ms",
        "qty",
        "cpu",
        "mem_gib",
        "gpus",
        "gpu_mem_gib",
        "gpu_models",
        "tee",
        "regions",
        "class",
        "value_per_slot_hour",
        "value_per_slot_hour_float",
        "outcome",
        "slots_filled",
        "time_to_match_ms",
        "cost",
        "cost_float",
    ];
}
