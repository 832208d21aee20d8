//! `/metrics` in Prometheus text format: commands by op and outcome, refusals before
//! sequencing, journal fsync latency and group sizes, queue depths, the matching thread's busy
//! time, resting orders, subscribers and their disconnections, snapshots and the matching
//! thread's pause for them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::gateway::listener::ConnectionStats;
use crate::gateway::AppState;
use crate::journal::sequencer::{SequencerStats, FSYNC_BUCKETS_US};
use crate::pipeline::matching::MatchingStats;
use crate::snapshot::SnapshotStats;

/// The node's counters that are not kept by a pipeline stage itself.
#[derive(Debug, Default)]
pub struct NodeMetrics {
    /// Requests refused before sequencing, by error code.
    refused: Mutex<BTreeMap<String, u64>>,
    /// Open WebSocket subscribers.
    pub subscribers: AtomicU64,
    /// Open, refused and timed-out connections.
    pub connections: ConnectionStats,
    /// The sequencer's counters.
    pub sequencer: Arc<SequencerStats>,
    /// The matching thread's counters.
    pub matching: Arc<MatchingStats>,
    /// Snapshots: written, failed, skipped, sizes, the matching thread's pause.
    pub snapshots: Arc<SnapshotStats>,
}

impl NodeMetrics {
    /// Metrics over the stages' counters.
    pub fn new(
        sequencer: Arc<SequencerStats>,
        matching: Arc<MatchingStats>,
        snapshots: Arc<SnapshotStats>,
    ) -> NodeMetrics {
        NodeMetrics { sequencer, matching, snapshots, ..NodeMetrics::default() }
    }

    /// Counts a refusal with `code`.
    pub fn refused(&self, code: &str) {
        *self.refused.lock().entry(code.to_owned()).or_default() += 1;
    }

    /// The text of `/metrics`.
    pub fn render(&self, state: &AppState, resting: Option<usize>) -> String {
        let mut out = String::new();
        let published = state.published.read();
        family(
            &mut out,
            "gridbook_commands_total",
            "counter",
            "Commands applied, by op and outcome (first event, or rejected:reason).",
        );
        for (op, outcomes) in &published.outcomes_by_op {
            for (outcome, count) in outcomes {
                let _ = writeln!(
                    out,
                    "gridbook_commands_total{{op=\"{op}\",outcome=\"{outcome}\"}} {count}"
                );
            }
        }
        family(
            &mut out,
            "gridbook_refused_total",
            "counter",
            "Requests refused before sequencing, by error code.",
        );
        for (code, count) in self.refused.lock().iter() {
            let _ = writeln!(out, "gridbook_refused_total{{code=\"{code}\"}} {count}");
        }
        let subscribers_dropped = published.subscribers_dropped;
        drop(published);
        let seq = &self.sequencer;
        family(
            &mut out,
            "gridbook_journal_fsync_seconds",
            "histogram",
            "Write and fsync of one journal group.",
        );
        let mut cumulative = 0;
        for (bucket, le_us) in FSYNC_BUCKETS_US.iter().enumerate() {
            cumulative += seq.fsync_us_buckets[bucket].load(Ordering::Relaxed);
            let le = if *le_us == u64::MAX {
                "+Inf".to_owned()
            } else {
                format!("{}", *le_us as f64 / 1e6)
            };
            let _ =
                writeln!(out, "gridbook_journal_fsync_seconds_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(
            out,
            "gridbook_journal_fsync_seconds_sum {}",
            seq.fsync_us_total.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "gridbook_journal_fsync_seconds_count {cumulative}");
        gauge(
            &mut out,
            "gridbook_journal_groups_total",
            "counter",
            "Journal groups written (one fsync each).",
            seq.groups.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "gridbook_journal_commands_total",
            "counter",
            "Commands journaled, ticks included.",
            seq.commands.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "gridbook_journal_ticks_total",
            "counter",
            "Ticks the node journaled on a quiet market.",
            seq.ticks.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "gridbook_journal_group_size_max",
            "gauge",
            "Largest journal group so far.",
            seq.group_size_max.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "gridbook_inbound_queue_depth",
            "gauge",
            "Commands admitted and not yet answered.",
            state.in_flight.load(Ordering::Relaxed) as u64,
        );
        gauge(
            &mut out,
            "gridbook_query_queue_depth",
            "gauge",
            "Questions waiting for the matching thread.",
            state.queries.len() as u64,
        );
        gauge(
            &mut out,
            "gridbook_matching_busy_seconds_total",
            "counter",
            "Time the matching thread spent applying and answering.",
            self.matching.busy_ns.load(Ordering::Relaxed) / 1_000_000_000,
        );
        if let Some(resting) = resting {
            gauge(
                &mut out,
                "gridbook_resting_orders",
                "gauge",
                "Orders resting in the book.",
                resting as u64,
            );
        }
        gauge(
            &mut out,
            "gridbook_subscribers",
            "gauge",
            "Open WebSocket subscriptions.",
            self.subscribers.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "gridbook_subscribers_dropped_total",
            "counter",
            "Subscribers disconnected for falling behind.",
            subscribers_dropped,
        );
        let snapshots = &self.snapshots;
        for (name, kind, help, value) in [
            ("gridbook_snapshots_total", "counter", "Snapshots written.", &snapshots.written),
            (
                "gridbook_snapshot_failures_total",
                "counter",
                "Snapshots that failed to write (the journal still holds everything).",
                &snapshots.failed,
            ),
            (
                "gridbook_snapshots_skipped_total",
                "counter",
                "Snapshots skipped because the previous one was still being written.",
                &snapshots.skipped,
            ),
            ("gridbook_snapshot_seq", "gauge", "Sequence number of the newest snapshot.", &snapshots.last_seq),
            (
                "gridbook_snapshot_start_seq",
                "gauge",
                "Sequence number of the snapshot the node started from (0: the whole journal was replayed).",
                &snapshots.start_seq,
            ),
            ("gridbook_snapshot_bytes", "gauge", "Size of the newest snapshot file.", &snapshots.last_bytes),
            (
                "gridbook_snapshot_write_us",
                "gauge",
                "Time to serialise, hash and write the newest snapshot, off the matching thread (µs).",
                &snapshots.last_write_us,
            ),
            (
                "gridbook_snapshot_pause_us",
                "gauge",
                "The matching thread's pause to copy the market for the newest snapshot (µs).",
                &snapshots.last_pause_us,
            ),
            (
                "gridbook_snapshot_pause_us_max",
                "gauge",
                "The longest such pause since start (µs).",
                &snapshots.pause_us_max,
            ),
        ] {
            gauge(&mut out, name, kind, help, value.load(Ordering::Relaxed));
        }
        let connections = &self.connections;
        for (name, kind, help, value) in [
            ("gridbook_connections", "gauge", "Open connections (HTTP and WebSocket).", &connections.open),
            (
                "gridbook_connections_refused_total",
                "counter",
                "Connections refused at accept (limits.connections_max).",
                &connections.refused,
            ),
            (
                "gridbook_connections_idle_closed_total",
                "counter",
                "Connections closed after limits.idle_timeout_ms without a byte from the client.",
                &connections.timed_out_idle,
            ),
            (
                "gridbook_connections_slow_closed_total",
                "counter",
                "Connections closed for a client too slow to send or read (limits.slow_client_timeout_ms).",
                &connections.timed_out_slow,
            ),
        ] {
            gauge(&mut out, name, kind, help, value.load(Ordering::Relaxed));
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    family(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}
