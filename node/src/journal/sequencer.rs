//! The sequencer: one thread that numbers commands, stamps them with the node's time, and makes
//! each burst durable with one fsync (group commit) before handing it on.
//!
//! Commands arrive on a bounded queue from the gateway's workers. The thread takes the first
//! one, then everything else already waiting (up to `group_max`), stamps them all, writes them
//! with [`Journal::append_group`] — one `fdatasync` for the whole group — and only then passes
//! the group to the matching thread. So while one fsync runs, the next group collects; at high
//! rates a group holds hundreds of commands for the cost of one disk flush.
//!
//! The node's time never decreases, even if the wall clock steps back ([`NodeClock`]). When no
//! command arrives for `tick_interval_ms`, the sequencer journals a `tick` of its own, so
//! expiries happen on time and a replay of the journal sees the same ticks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{Journal, JournalError};

/// A command the sequencer can journal.
pub trait Journaled: Send + 'static {
    /// The node's own `tick`, journaled when the market is quiet.
    fn tick() -> Self;
    /// Writes the command's journal line (an order-stream line, one JSON object) at `ts_ms`.
    fn render(&self, ts_ms: u64, out: &mut String);
}

/// A command with its place in the journal.
#[derive(Debug)]
pub struct Stamped<T> {
    /// Its sequence number (1, 2, …; no gaps).
    pub seq: u64,
    /// The node's time when it was sequenced, ms since the Unix epoch.
    pub ts_ms: u64,
    /// Its journal line, exactly as journaled (what the matching thread applies).
    pub line: String,
    /// The command.
    pub item: T,
}

/// The node's clock: the wall clock, but never decreasing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeClock {
    last_ms: u64,
}

impl NodeClock {
    /// A clock that will never read earlier than `last_ms` (the last journaled `ts`).
    pub fn starting_at(last_ms: u64) -> NodeClock {
        NodeClock { last_ms }
    }

    /// The time to stamp now, given the wall clock's reading.
    pub fn stamp(&mut self, wall_ms: u64) -> u64 {
        self.last_ms = self.last_ms.max(wall_ms);
        self.last_ms
    }
}

/// Upper bounds, in microseconds, of the fsync latency histogram's buckets (the last is +Inf).
pub const FSYNC_BUCKETS_US: [u64; 10] =
    [250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, u64::MAX];

/// What the sequencer has done, for `/metrics`; updated with relaxed atomics.
#[derive(Debug, Default)]
pub struct SequencerStats {
    /// Groups written (one fsync each).
    pub groups: AtomicU64,
    /// Commands journaled, ticks included.
    pub commands: AtomicU64,
    /// Ticks the sequencer journaled on its own.
    pub ticks: AtomicU64,
    /// Total time spent in write + fsync, µs.
    pub fsync_us_total: AtomicU64,
    /// Groups by fsync latency, per [`FSYNC_BUCKETS_US`] (not cumulative).
    pub fsync_us_buckets: [AtomicU64; 10],
    /// The largest group so far.
    pub group_size_max: AtomicU64,
}

/// How the sequencer runs.
#[derive(Debug, Clone, Copy)]
pub struct SequencerConfig {
    /// At most this many commands per group (one fsync).
    pub group_max: usize,
    /// A `tick` is journaled after this long without any command, ms.
    pub tick_interval_ms: u64,
}

/// Runs the sequencer until `inbound` closes (every gateway worker is gone); returns the
/// journal so the caller can stop cleanly. `wall_ms` reads the wall clock (ms since the epoch).
///
/// A journal error stops the thread at once: the group that failed was not acknowledged, and
/// nothing after it can be, so the node must stop rather than answer from memory.
pub fn run<T: Journaled>(
    mut journal: Journal,
    mut clock: NodeClock,
    mut wall_ms: impl FnMut() -> u64,
    config: SequencerConfig,
    inbound: Receiver<T>,
    outbound: Sender<Vec<Stamped<T>>>,
    stats: Arc<SequencerStats>,
) -> Result<Journal, JournalError> {
    let tick_interval = Duration::from_millis(config.tick_interval_ms.max(1));
    let mut last_journaled = Instant::now();
    loop {
        let wait = tick_interval.saturating_sub(last_journaled.elapsed());
        let first = match inbound.recv_timeout(wait) {
            Ok(item) => item,
            Err(RecvTimeoutError::Timeout) => {
                stats.ticks.fetch_add(1, Ordering::Relaxed);
                T::tick()
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(journal),
        };
        let mut group = vec![first];
        while group.len() < config.group_max.max(1) {
            match inbound.try_recv() {
                Ok(item) => group.push(item),
                Err(_) => break,
            }
        }
        let stamped = stamp(&mut clock, wall_ms(), journal.last_seq(), group);
        write_group(&mut journal, &stamped, &stats)?;
        last_journaled = Instant::now();
        if outbound.send(stamped).is_err() {
            // The matching thread is gone: the node is stopping; what is journaled stays.
            return Ok(journal);
        }
    }
}

fn stamp<T: Journaled>(
    clock: &mut NodeClock,
    wall_ms: u64,
    last_seq: u64,
    group: Vec<T>,
) -> Vec<Stamped<T>> {
    let ts_ms = clock.stamp(wall_ms);
    (last_seq + 1..)
        .zip(group)
        .map(|(seq, item)| {
            let mut line = String::new();
            item.render(ts_ms, &mut line);
            Stamped { seq, ts_ms, line, item }
        })
        .collect()
}

fn write_group<T: Journaled>(
    journal: &mut Journal,
    group: &[Stamped<T>],
    stats: &SequencerStats,
) -> Result<(), JournalError> {
    let started = Instant::now();
    journal.append_group(group.iter().map(|s| (s.seq, s.line.as_str())))?;
    let took_us = started.elapsed().as_micros().min(u64::MAX as u128) as u64;
    let bucket =
        FSYNC_BUCKETS_US.iter().position(|&le| took_us <= le).expect("the last bucket is +Inf");
    stats.fsync_us_buckets[bucket].fetch_add(1, Ordering::Relaxed);
    stats.fsync_us_total.fetch_add(took_us, Ordering::Relaxed);
    stats.groups.fetch_add(1, Ordering::Relaxed);
    stats.commands.fetch_add(group.len() as u64, Ordering::Relaxed);
    stats.group_size_max.fetch_max(group.len() as u64, Ordering::Relaxed);
    Ok(())
}
