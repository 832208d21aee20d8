//! The micro data of a run: one row per deal (`deals.csv`) and one per job (`jobs.csv`), with
//! typed columns for analysis tools — integers as integers, money as exact decimal text with a
//! `_float` twin, times as milliseconds of simulated time with an ISO 8601 UTC twin.

use serde::Serialize;

/// A deal between a job's bid and a machine's ask.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DealRow {
    /// The engine's deal number.
    pub deal: u64,
    /// When it was made, ms of simulated time.
    pub time_ms: u64,
    /// The same time, ISO 8601 UTC.
    pub time_utc: String,
    /// The machine's class.
    pub class: String,
    /// The class's unit.
    pub unit: String,
    /// The machine (provider) number.
    pub machine: u32,
    /// The job (requester) number.
    pub job: u32,
    /// The machine owner's address.
    pub provider: String,
    /// The job owner's address.
    pub requester: String,
    /// Slots.
    pub qty: u64,
    /// Price per slot-hour, tokens (exact decimal text).
    pub price_per_slot_hour: String,
    /// The same, as a float (for analysis; inexact).
    pub price_per_slot_hour_float: f64,
    /// Price per class unit (per GPU-hour, per core-hour), tokens (exact decimal text).
    pub price_per_unit: String,
    /// The same, as a float (for analysis; inexact).
    pub price_per_unit_float: f64,
    /// Start of the leased window, ms of simulated time.
    pub start_ms: u64,
    /// The same, ISO 8601 UTC.
    pub start_utc: String,
    /// End of the leased window, ms of simulated time.
    pub end_ms: u64,
    /// The same, ISO 8601 UTC.
    pub end_utc: String,
    /// What the requester paid, tokens (exact decimal text).
    pub payment: String,
    /// The same, as a float (for analysis; inexact).
    pub payment_float: f64,
    /// The marketplace's fee out of it, tokens (exact decimal text).
    pub fee: String,
    /// The same, as a float (for analysis; inexact).
    pub fee_float: f64,
}

impl DealRow {
    /// The header, in field order.
    pub const COLUMNS: [&'static str; 22] = [
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
        "fee_float",
    ];
}

/// A job, written when it is resolved (filled or missed) or, still open, at the end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobRow {
    /// Job number.
    pub job: u32,
    /// Arrival, ms of simulated time.
    pub arrival_ms: u64,
    /// The same, ISO 8601 UTC.
    pub arrival_utc: String,
    /// Latest end, ms of simulated time.
    pub deadline_ms: u64,
    /// The same, ISO 8601 UTC.
    pub deadline_utc: String,
    /// How long each slot is needed, ms.
    pub duration_ms: u64,
    /// Slots wanted.
    pub qty: u64,
    /// Cores per slot.
    pub cpu: u32,
    /// Memory per slot, GiB.
    pub mem_gib: u32,
    /// GPUs per slot.
    pub gpus: u32,
    /// Memory per GPU, GiB.
    pub gpu_mem_gib: u32,
    /// Acceptable GPU models, `|`-separated (empty: no GPU).
    pub gpu_models: String,
    /// Required TEE kind (empty: none).
    pub tee: String,
    /// Acceptable regions, `|`-separated (empty: any).
    pub regions: String,
    /// The class its pegged bid would follow (the first class that can run it).
    pub class: String,
    /// Private value per slot-hour, tokens (exact decimal text).
    pub value_per_slot_hour: String,
    /// The same, as a float (for analysis; inexact).
    pub value_per_slot_hour_float: f64,
    /// `filled`, `missed` or `open` (still waiting when the run ended).
    pub outcome: &'static str,
    /// Slots leased.
    pub slots_filled: u64,
    /// Arrival to last slot leased, ms (empty unless filled).
    pub time_to_match_ms: Option<u64>,
    /// What it paid, tokens (exact decimal text).
    pub cost: String,
    /// The same, as a float (for analysis; inexact).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of<T: Serialize>(row: &T) -> Vec<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(row).expect("a row serialises");
        let bytes = writer.into_inner().expect("in memory");
        let text = String::from_utf8(bytes).expect("text");
        text.lines().next().unwrap_or_default().split(',').map(str::to_string).collect()
    }

    #[test]
    fn the_written_headers_name_the_fields_in_order() {
        let deal = DealRow {
            deal: 1,
            time_ms: 0,
            time_utc: String::new(),
            class: String::new(),
            unit: String::new(),
            machine: 0,
            job: 0,
            provider: String::new(),
            requester: String::new(),
            qty: 1,
            price_per_slot_hour: String::new(),
            price_per_slot_hour_float: 0.0,
            price_per_unit: String::new(),
            price_per_unit_float: 0.0,
            start_ms: 0,
            start_utc: String::new(),
            end_ms: 0,
            end_utc: String::new(),
            payment: String::new(),
            payment_float: 0.0,
            fee: String::new(),
            fee_float: 0.0,
        };
        assert_eq!(header_of(&deal), DealRow::COLUMNS);
        let job = JobRow {
            job: 0,
            arrival_ms: 0,
            arrival_utc: String::new(),
            deadline_ms: 0,
            deadline_utc: String::new(),
            duration_ms: 0,
            qty: 1,
            cpu: 0,
            mem_gib: 0,
            gpus: 0,
            gpu_mem_gib: 0,
            gpu_models: String::new(),
            tee: String::new(),
            regions: String::new(),
            class: String::new(),
            value_per_slot_hour: String::new(),
            value_per_slot_hour_float: 0.0,
            outcome: "open",
            slots_filled: 0,
            time_to_match_ms: None,
            cost: String::new(),
            cost_float: 0.0,
        };
        assert_eq!(header_of(&job), JobRow::COLUMNS);
    }
}
