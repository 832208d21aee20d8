//! Running totals of a run, updated as events arrive: jobs, slots, money, surplus, the
//! conservation counters, and per class the interval's prices and the book's depth. Their size
//! does not grow with the run.

use std::collections::BTreeMap;

use super::stats::{MatchTimeHistogram, Volatility};

/// One class's figures for the current interval and its running depth.
#[derive(Debug, Clone, Default)]
pub struct ClassTally {
    /// Deal prices of the interval per class unit: open, high, low, close.
    pub ohlc_nano: Option<(u64, u64, u64, u64)>,
    /// Slots traded in the interval.
    pub volume_slots: u64,
    /// Σ unit price × slots traded in the interval, for its volume-weighted price.
    pub turnover_nano: u128,
    /// Slots on resting asks now.
    pub supply_slots: u64,
    /// Slots wanted by resting bids now.
    pub demand_slots: u64,
    /// Slots leased now.
    pub busy_slots: u64,
    /// Slots of all machines of the class.
    pub total_slots: u64,
    /// Slot-ms leased within the run, all time.
    pub leased_slot_ms: u128,
    /// Slots traded and Σ unit price × slots, over the whole run.
    pub run_volume_slots: u64,
    /// See `run_volume_slots`.
    pub run_turnover_nano: u128,
    /// Interval closes, for volatility.
    pub volatility: Volatility,
}

impl ClassTally {
    /// A deal at `unit_price_nano` for `qty` slots.
    pub fn deal(&mut self, unit_price_nano: u64, qty: u64) {
        self.ohlc_nano = Some(match self.ohlc_nano {
            None => (unit_price_nano, unit_price_nano, unit_price_nano, unit_price_nano),
            Some((open, high, low, _)) => {
                (open, high.max(unit_price_nano), low.min(unit_price_nano), unit_price_nano)
            }
        });
        self.volume_slots += qty;
        self.turnover_nano += u128::from(unit_price_nano) * u128::from(qty);
        self.run_volume_slots += qty;
        self.run_turnover_nano += u128::from(unit_price_nano) * u128::from(qty);
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Jobs arrived.
    pub jobs: u64,
    /// Jobs whose every slot was leased.
    pub jobs_filled: u64,
    /// Jobs whose latest start passed with slots unfilled.
    pub jobs_missed: u64,
    /// Slots asked for by arrived jobs.
    pub slots_requested: u64,
    /// Slots leased.
    pub slots_filled: u64,
    /// Time from arrival to the last slot leased, ms, over filled jobs.
    pub match_ms: MatchTimeHistogram,
    /// Deals.
    pub deals: u64,
    /// What requesters paid, nano-units.
    pub payments_nano: u128,
    /// The marketplace's fees, nano-units.
    pub fees_nano: u128,
    /// Realised surplus (value − cost) × slot-hours, nano-units × ms ÷ h.
    pub surplus_nano_ms_per_h: i128,
    /// Leases that found fewer free slots than they needed (must stay 0).
    pub double_leases: u64,
    /// Deals whose orders the simulator did not place (must stay 0).
    pub foreign_deals: u64,
    /// Commands the engine refused, by reason code (must stay empty).
    pub rejects: BTreeMap<&'static str, u64>,
    /// Reference commands the pricing model published.
    pub references: u64,
    /// Simulated events (queue events) processed.
    pub sim_events: u64,
    /// Per class, indexed by class id.
    pub classes: Vec<ClassTally>,
    /// Slots requested by jobs arriving in the current interval.
    pub interval_requested_slots: u64,
    /// Slots leased in the current interval.
    pub interval_filled_slots: u64,
}

/// `qty × price × duration`, the payment of a deal in nano-units (floor).
pub fn payment_nano(qty: u64, price_nano: u64, duration_ms: u64) -> u128 {
    u128::from(qty) * u128::from(price_nano) * u128::from(duration_ms) / 3_600_000
}
