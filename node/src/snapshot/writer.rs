//! Taking snapshots without stalling the matching thread.
//!
//! ```text
//!  matching thread                      publisher thread                 snapshot thread
//!  schedule due? → copy the market ──►  after that group: its own   ──►  serialise the copy,
//!  (the pause, measured)                state's bytes, one Job            hash, write the file
//! ```
//!
//! The matching thread only copies (the engine is `Clone`; the model writes its few bytes);
//! everything proportional to the book — serialising, hashing, writing, fsync — happens on the
//! snapshot thread. The copy travels behind its group through the publisher, so the
//! publisher's state joins it at the same sequence number. One job at a time: a snapshot due
//! while the previous one is still being written is skipped (counted), so memory holds at most
//! one copy in flight. A failed write is counted and reported, never fatal: the journal holds
//! everything a snapshot would.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::store::{Store, StoreError};
use super::{state_hash, Header, MarketId, Payload};

/// A copy of the market's state, taken on the matching thread, serialised elsewhere.
pub trait MarketCopy: Send {
    /// Appends the market's state bytes (canonical: what the state hash covers) to `out`.
    fn write_state(&self, out: &mut Vec<u8>);

    /// Appends what travels beside the state without being hashed (the node's own
    /// bookkeeping about the market) to `out`.
    fn write_extra(&self, _out: &mut Vec<u8>) {}

    /// The copy as `Any`, for the market that takes it back to reuse.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// One snapshot to write.
pub struct Job {
    /// The last journal record applied to the copy.
    pub seq: u64,
    /// Its `ts`, ms.
    pub ts_ms: u64,
    /// The market's copy.
    pub market: Box<dyn MarketCopy>,
    /// The publisher's state at the same record.
    pub publisher: Vec<u8>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("seq", &self.seq).field("ts_ms", &self.ts_ms).finish()
    }
}

/// Snapshot counters, for `/metrics`.
#[derive(Debug, Default)]
pub struct SnapshotStats {
    /// Snapshots written.
    pub written: AtomicU64,
    /// Snapshots that failed to write.
    pub failed: AtomicU64,
    /// Snapshots skipped because the previous one was still being written.
    pub skipped: AtomicU64,
    /// The newest snapshot's seq.
    pub last_seq: AtomicU64,
    /// The seq of the snapshot the node started from (0: it replayed the whole journal).
    pub start_seq: AtomicU64,
    /// The newest snapshot file's size, bytes.
    pub last_bytes: AtomicU64,
    /// Time to serialise, hash and write the newest one, µs.
    pub last_write_us: AtomicU64,
    /// The matching thread's pause for the newest copy, µs.
    pub last_pause_us: AtomicU64,
    /// The longest such pause, µs.
    pub pause_us_max: AtomicU64,
    /// The newest known state hash and the seq it is the hash after: from recovery, then from
    /// each snapshot written (for `GET /v1/health`).
    state_hash: parking_lot::Mutex<Option<(u64, [u8; 32])>>,
}

impl SnapshotStats {
    /// The newest known state hash, with the seq it is the hash after.
    pub fn state_hash(&self) -> Option<(u64, [u8; 32])> {
        *self.state_hash.lock()
    }

    /// Records the state hash after record `seq` (recovery, or a snapshot written).
    pub fn set_state_hash(&self, seq: u64, hash: [u8; 32]) {
        let mut known = self.state_hash.lock();
        if known.is_none_or(|(known_seq, _)| known_seq <= seq) {
            *known = Some((seq, hash));
        }
    }

    /// Records the matching thread's pause for one copy.
    pub fn paused(&self, pause: Duration) {
        let pause_us = pause.as_micros().min(u128::from(u64::MAX)) as u64;
        self.last_pause_us.store(pause_us, Ordering::Relaxed);
        self.pause_us_max.fetch_max(pause_us, Ordering::Relaxed);
    }
}

/// Hands `job` to the snapshot thread, unless it is still busy with the previous one.
pub fn submit(jobs: &Sender<Job>, job: Job, stats: &SnapshotStats) {
    match jobs.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
        }
        // The snapshot thread is gone (the node is stopping): nothing to do.
        Err(TrySendError::Disconnected(_)) => {}
    }
}

/// What one written snapshot was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its file.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// The file's size, bytes.
    pub bytes: u64,
}

/// Serialises `job`, hashes its market state and writes it into `store` under `market`.
pub fn write(store: &Store, market: &MarketId, job: &Job) -> Result<Written, StoreError> {
    let mut state = Vec::new();
    job.market.write_state(&mut state);
    let header = Header {
        seq: job.seq,
        ts_ms: job.ts_ms,
        state_hash: state_hash(&state),
        market: market.fingerprint,
    };
    let mut market_extra = Vec::new();
    job.market.write_extra(&mut market_extra);
    let payload = Payload {
        market: state,
        market_extra,
        publisher: job.publisher.clone(),
        market_file: market.json.clone(),
    };
    let payload = payload.encode();
    let path = store.write(&header, &payload)?;
    let bytes = (payload.len() + super::file::HEADER_BYTES) as u64;
    Ok(Written { path, header, bytes })
}

/// The snapshot thread: writes each job until the queue closes, handing each copy back on
/// `spares` for the matching thread to reuse; the last snapshot written.
pub fn run(
    store: Store,
    market: MarketId,
    jobs: Receiver<Job>,
    spares: Sender<Box<dyn MarketCopy>>,
    stats: &SnapshotStats,
) -> Option<Written> {
    let mut last = None;
    for job in jobs {
        let started = Instant::now();
        let written = write(&store, &market, &job);
        // Full: a spare is already waiting; this one is dropped.
        let _ = spares.try_send(job.market);
        match written {
            Ok(written) => {
                let write_us = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
                stats.written.fetch_add(1, Ordering::Relaxed);
                stats.last_seq.store(written.header.seq, Ordering::Relaxed);
                stats.last_bytes.store(written.bytes, Ordering::Relaxed);
                stats.last_write_us.store(write_us, Ordering::Relaxed);
                stats.set_state_hash(written.header.seq, written.header.state_hash);
                last = Some(written);
            }
            Err(error) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "gridbook node: snapshot not written (the journal still has it all): {error}"
                );
            }
        }
    }
    last
}
