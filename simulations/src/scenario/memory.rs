//! The memory a run will take, estimated from the scenario before anything is allocated, so a
//! scenario that cannot fit is refused at start — with the estimate, the budget and the key to
//! change — instead of aborting on a failed allocation or growing until the machine swaps.
//!
//! What grows, per run (the constants are upper bounds of what was measured):
//! - machines: their state and one lease end per slot;
//! - orders: the engine remembers every id it ever accepted (ids are never reused), so every
//!   job's bid and every posting of a machine costs [`ORDER_BYTES`] for the rest of the run;
//! - open jobs: a resting bid and the job's state, until it is filled or missed.
//!
//! Everything else is bounded whatever the horizon: the time series, deals and jobs are written
//! to disk as they happen, the charts keep at most [`crate::metrics::thinned::KEPT_MAX`]
//! intervals, the efficiency bound and the time-to-match percentiles keep fixed-size summaries.

use std::path::Path;

use super::{Arrival, Dist, DistKind, Scenario};

/// Bytes per engine order over the run: the id registry's bucket, span and id bytes (about 50
/// measured on a ten-year run: 390 MB for 7 million orders), with room for the table's
/// doubling, when old and new tables live at once.
const ORDER_BYTES: f64 = 96.0;
/// Bytes per open job: its resting bid (slab, ladder level, expiry entry) and its state.
const OPEN_JOB_BYTES: f64 = 640.0;
/// Bytes per machine, plus [`SLOT_BYTES`] per slot.
const MACHINE_BYTES: f64 = 384.0;
/// Bytes per slot of a machine (its lease end).
const SLOT_BYTES: f64 = 16.0;
/// The program, the engine's preallocation, the thinned chart series, buffers.
const BASE_BYTES: f64 = 96.0 * 1024.0 * 1024.0;
/// Trace rows per byte of file, at least (the shortest rows of the trace's format).
const TRACE_ROWS_PER_BYTE: f64 = 1.0 / 24.0;
/// Bytes per trace row once loaded (the row, the machine or job it becomes).
const TRACE_ROW_BYTES: f64 = 512.0;

const MIB: f64 = 1024.0 * 1024.0;

/// One part of the estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The scenario key that sizes it (what to lower).
    pub key: &'static str,
    /// What it is, in words (`400 machines`).
    pub what: String,
    /// Estimated bytes.
    pub bytes: f64,
}

/// A run's estimated memory, by part.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEstimate {
    /// The parts, largest first.
    pub parts: Vec<Part>,
}

impl MemoryEstimate {
    /// Total bytes, fixed base included.
    pub fn bytes(&self) -> f64 {
        BASE_BYTES + self.parts.iter().map(|p| p.bytes).sum::<f64>()
    }

    /// `None` when the estimate fits `budget_mib`; else the message naming the key to change.
    pub fn refusal(&self, budget_mib: u64) -> Option<(&'static str, String)> {
        if self.bytes() <= budget_mib as f64 * MIB {
            return None;
        }
        let largest = self.parts.first()?;
        let parts: Vec<String> =
            self.parts.iter().map(|p| format!("{}: {}", p.what, mib(p.bytes))).collect();
        let message = format!(
            "the run needs about {} of memory ({}), more than the budget of {budget_mib} MiB \
             (`memory_budget_mib`, default 4096): lower `{}` or `duration_h`",
            mib(self.bytes()),
            parts.join(", "),
            largest.key,
        );
        Some((largest.key, message))
    }
}

fn mib(bytes: f64) -> String {
    if bytes >= 1024.0 * MIB {
        format!("{:.1} GiB", bytes / (1024.0 * MIB))
    } else {
        format!("{:.0} MiB", bytes / MIB)
    }
}

/// The mean of a distribution (a lognormal's is median × e^(σ²/2)).
fn mean(dist: &Dist) -> f64 {
    match dist.kind {
        DistKind::Fixed | DistKind::Exponential => dist.a,
        DistKind::Uniform => (dist.a + dist.b) / 2.0,
        DistKind::Lognormal => dist.a * (dist.b * dist.b / 2.0).exp(),
    }
}

fn file_rows(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 * TRACE_ROWS_PER_BYTE)
}

/// The estimate for `scenario` (a `[replay]` streams its input and is not estimated here).
pub fn estimate(s: &Scenario) -> MemoryEstimate {
    let hours = s.duration_h as f64;
    let p = &s.providers;
    let r = &s.requesters;
    let postings_per_machine = hours * 60.0 / p.repost_min.max(1) as f64;
    let mut parts = Vec::new();
    let (machines, jobs, open_jobs) = if let Some(trace) = &s.trace {
        let (nodes, pods) = (file_rows(Path::new(&trace.nodes)), file_rows(Path::new(&trace.pods)));
        parts.push(Part {
            key: "trace.max_pods",
            what: format!("about {:.0} trace rows", nodes + pods),
            bytes: (nodes + pods) * TRACE_ROW_BYTES,
        });
        let pods = trace.max_pods.map_or(pods, |max| pods.min(max as f64));
        (nodes, pods, pods)
    } else {
        let jobs_total = expected_jobs(s);
        // An open job waits at most its latest start: duration × slack after arrival.
        let window_h = r
            .jobs
            .iter()
            .map(|job| {
                mean(&job.duration_min) / 60.0 * (1.0 + mean(&job.deadline_slack_pct) / 100.0)
            })
            .fold(0.0, f64::max);
        (p.count as f64, jobs_total, (peak_rate(s) * window_h).min(jobs_total))
    };
    let slots = p.hardware.iter().map(|hw| hw.slots).max().unwrap_or(16) as f64;
    let postings = machines * postings_per_machine;
    parts.push(Part {
        key: "providers.count",
        what: format!("{machines:.0} machines posting {postings:.0} asks"),
        bytes: machines * (MACHINE_BYTES + slots * SLOT_BYTES) + postings * ORDER_BYTES,
    });
    // Each job bids once; each of its leases ends with its machine posting again.
    parts.push(Part {
        key: if s.trace.is_some() { "trace.max_pods" } else { "requesters.rate_per_h" },
        what: format!("{jobs:.0} jobs, {open_jobs:.0} open at once"),
        bytes: jobs * 2.0 * ORDER_BYTES + open_jobs * OPEN_JOB_BYTES,
    });
    parts.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
    MemoryEstimate { parts }
}

/// Jobs the arrival process will draw, on average, over the run.
fn expected_jobs(s: &Scenario) -> f64 {
    let r = &s.requesters;
    let hours = s.duration_h as f64;
    let profile = if r.arrival == Arrival::Daily && r.daily_profile.len() == 24 {
        r.daily_profile.iter().sum::<f64>() / 24.0
    } else {
        1.0
    };
    let spike = r.spike_factor.map_or(0.0, |factor| {
        let spike_h = (r.spike_until_h.min(s.duration_h)).saturating_sub(r.spike_from_h) as f64;
        (factor - 1.0) * spike_h
    });
    r.rate_per_h * profile * (hours + spike.max(0.0))
}

/// The highest arrival rate, jobs per hour.
fn peak_rate(s: &Scenario) -> f64 {
    let r = &s.requesters;
    let profile = r.daily_profile.iter().copied().fold(1.0, f64::max);
    r.rate_per_h * profile * r.spike_factor.unwrap_or(1.0).max(1.0)
}
