//! The simulator's view of each agent: a machine's slots and resting ask, a job's progress.

use gridbook_matcher::{OrderRef, Owner, Sym};
use gridbook_pricing::ClassId;

/// Who placed an accepted order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// Machine (provider) number.
    Machine(u32),
    /// Job (requester) number.
    Job(u32),
}

/// A machine's resting ask.
#[derive(Debug, Clone)]
pub(crate) struct RestingAsk {
    pub(crate) order: OrderRef,
    pub(crate) id: String,
    pub(crate) remaining: u64,
    /// Whether any of it was filled (the adaptive strategy lowers its price only if not).
    pub(crate) filled: bool,
}

/// A provider's machine while the run goes.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) owner: Owner,
    /// Per slot: the end of its current lease (≤ now: free).
    pub(crate) busy_until_ms: Vec<u64>,
    pub(crate) ask: Option<RestingAsk>,
    /// An ask sent and not yet accepted: (id, qty).
    pub(crate) sending: Option<(String, u64)>,
    /// Own price per slot-hour (markup, or the adaptive provider's current price).
    pub(crate) price_nano: u64,
    pub(crate) class: Option<ClassId>,
    pub(crate) class_sym: Option<Sym>,
    pub(crate) posts: u64,
    pub(crate) revenue_nano: u128,
}

/// How a job ended (or that it had not when the run did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobStatus {
    /// Its bid still rested (perhaps partly filled) when the run ended.
    Open,
    /// Every slot leased.
    Filled,
    /// Its latest start passed with slots unfilled.
    Missed,
}

impl JobStatus {
    /// Its name in `jobs.csv`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobStatus::Open => "open",
            JobStatus::Filled => "filled",
            JobStatus::Missed => "missed",
        }
    }
}

/// A requester's job while the run goes.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) spec: crate::source::JobSpec,
    pub(crate) remaining: u64,
    pub(crate) class: Option<ClassId>,
    pub(crate) paid_nano: u128,
}
