//! The node's market: the priced engine (`PricedEngine`) behind the line codec `gridbook
//! replay` uses (`LineReplay`), fed journal lines. Because the node applies the journal's bytes
//! with the replay's own codec, `gridbook journal export` + `gridbook replay` gives the node's
//! events byte for byte.
//!
//! It also keeps the last hour of deals (bounded), for the recent deal prices of
//! `GET /v1/price`, and answers probes (a machine to price, a bid to quote) under the market's
//! own names without keeping any ([`Market::probe`]).
//!
//! Snapshots: once armed (after recovery), the market counts the commands it applies and, when
//! the schedule says so, copies its state (`LineReplay::copy_for_snapshot`, into a copy that
//! comes back from the snapshot thread to be reused, and the recent deals) and sends it to the
//! publisher. That copy is the matching thread's whole pause for a snapshot; it is measured for
//! `/metrics`. The recent deals travel beside the state the hash covers: they are the node's
//! bookkeeping, which an offline replay does not keep.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use gridbook_matcher::stream::DecodeError;
use gridbook_matcher::{Command, EngineConfig};
use gridbook_pricing::answers::price::DealRecord;
use gridbook_pricing::{
    model_by_name, ClassId, LineReplay, LineReplayCopy, PricedEngine, PricedOptions,
    PricedSnapshotError, PricingConfig, PricingModel, Taxonomy,
};

use super::publisher::MarketCopyAt;
use crate::snapshot::{MarketCopy, Schedule, SnapshotStats};

use crate::config::MarketConfig;

/// The market cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// A file named by the configuration cannot be read.
    #[error("market: cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The taxonomy, pricing configuration or model name is not valid.
    #[error("market: {0}")]
    Invalid(String),
}

/// How far back in engine time the market keeps deals for `GET /v1/price`: the largest
/// `window_ms` it answers.
pub const RECENT_DEALS_KEPT_MS: u64 = 3_600_000;

/// Most deals kept for `GET /v1/price`; past it the oldest are forgotten first (a market this
/// busy has its reference, which the advice prefers, from the same deals).
pub const RECENT_DEALS_MAX: usize = 65_536;

/// Forgets the deals of `deals` (oldest first) that are older than [`RECENT_DEALS_KEPT_MS`] at
/// engine time `now_ms`, and the oldest beyond [`RECENT_DEALS_MAX`]: the recent deals a node
/// keeps, and its snapshots hold.
fn forget_old_deals(deals: &mut VecDeque<DealRecord>, now_ms: u64) {
    while deals
        .front()
        .is_some_and(|&(_, _, _, ts_ms)| ts_ms.saturating_add(RECENT_DEALS_KEPT_MS) < now_ms)
        || deals.len() > RECENT_DEALS_MAX
    {
        deals.pop_front();
    }
}

/// Appends `deals` (`(class, unit price, units, ts)`, oldest first) to `out` as a snapshot's
/// market extra ([`crate::snapshot::Payload::market_extra`]).
pub fn write_recent_deals(deals: &[(u32, u64, u64, u64)], out: &mut Vec<u8>) {
    let written = postcard::to_extend(deals, std::mem::take(out));
    *out = written.expect("postcard writes numbers into a Vec");
}

/// The recent deals a snapshot's market extra holds ([`write_recent_deals`]), at most
/// [`RECENT_DEALS_MAX`].
pub fn read_recent_deals(extra: &[u8]) -> Result<VecDeque<DealRecord>, PricedSnapshotError> {
    let deals = read_deals(extra)?;
    if deals.len() > RECENT_DEALS_MAX {
        return Err(PricedSnapshotError::Damaged("too many recent deals".into()));
    }
    Ok(deals)
}

/// The deals `bytes` hold in the encoding of [`write_recent_deals`], however many (a length
/// beyond the input fails as its end, so they are bounded by it).
pub fn read_deals(bytes: &[u8]) -> Result<VecDeque<DealRecord>, postcard::Error> {
    let deals = postcard::from_bytes::<Vec<(u32, u64, u64, u64)>>(bytes)?;
    Ok(deals.into_iter().map(|(c, p, u, t)| (ClassId(c), p, u, t)).collect())
}

/// The priced engine of a node.
pub struct Market {
    replay: LineReplay,
    /// Deals of the last [`RECENT_DEALS_KEPT_MS`], oldest first, at most [`RECENT_DEALS_MAX`].
    recent_deals: VecDeque<DealRecord>,
    /// The last journal record applied.
    last_seq: u64,
    /// Taking snapshots, once armed.
    snapshots: Option<Snapshots>,
}

/// What the market needs to take snapshots.
pub struct Snapshots {
    /// When one is due.
    pub schedule: Schedule,
    /// Copies out, to the publisher (at most one in flight).
    pub copies: Sender<MarketCopyAt>,
    /// Copies back from the snapshot thread, to be reused.
    pub spares: Receiver<Box<dyn MarketCopy>>,
    /// The pause, and skips.
    pub stats: Arc<SnapshotStats>,
}

/// A copy of the market for a snapshot: the replay's state and the recent deals.
#[derive(Debug, Default)]
pub struct Copy {
    replay: LineReplayCopy,
    /// `(class, unit price, units, ts)` of each recent deal.
    recent_deals: Vec<(u32, u64, u64, u64)>,
}

impl MarketCopy for Copy {
    fn write_state(&self, out: &mut Vec<u8>) {
        self.replay.write_snapshot(out);
    }

    fn write_extra(&self, out: &mut Vec<u8>) {
        write_recent_deals(&self.recent_deals, out);
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("engine_now_ms", &self.replay.priced().engine().now_ms())
            .finish()
    }
}

fn read(path: &std::path::Path) -> Result<String, MarketError> {
    std::fs::read_to_string(path)
        .map_err(|source| MarketError::Read { path: path.to_owned(), source })
}

/// What a market is made of besides its state.
struct Parts {
    taxonomy: Taxonomy,
    model: Box<dyn PricingModel>,
    options: PricedOptions,
}

impl Parts {
    fn of(config: &MarketConfig) -> Result<Parts, MarketError> {
        let taxonomy = match &config.classes {
            Some(path) => Taxonomy::from_toml_str(&read(path)?)
                .map_err(|error| MarketError::Invalid(format!("{}: {error}", path.display())))?,
            None => Taxonomy::default_taxonomy(),
        };
        let pricing = match &config.pricing_config {
            Some(path) => PricingConfig::from_toml_str(&read(path)?)
                .map_err(|error| MarketError::Invalid(format!("{}: {error}", path.display())))?,
            None => PricingConfig::default(),
        };
        let model = model_by_name(&config.pricing, &pricing)
            .map_err(|error| MarketError::Invalid(format!("market.pricing: {error}")))?;
        let options = PricedOptions {
            book_interval_ms: config.book_interval_ms,
            publish_step_bps: config.publish_step_bps,
            record_deals: true,
            ..PricedOptions::default()
        };
        Ok(Parts { taxonomy, model, options })
    }
}

impl Market {
    /// An empty market as `config` describes it.
    pub fn new(config: &MarketConfig) -> Result<Market, MarketError> {
        let Parts { taxonomy, model, options } = Parts::of(config)?;
        let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        Ok(Market {
            replay: LineReplay::new(priced),
            recent_deals: VecDeque::new(),
            last_seq: 0,
            snapshots: None,
        })
    }

    /// The market `config` describes in the state `bytes` hold ([`Market::write_state`]) with
    /// the recent deals `extra` holds, after journal record `seq`.
    pub fn restore(
        config: &MarketConfig,
        bytes: &[u8],
        extra: &[u8],
        seq: u64,
    ) -> Result<Result<Market, PricedSnapshotError>, MarketError> {
        let Parts { taxonomy, model, options } = Parts::of(config)?;
        let config = EngineConfig::default();
        let restored = LineReplay::restore_snapshot(bytes, config, taxonomy, Some(model), options);
        let replay = match restored {
            Ok(replay) => replay,
            Err(error) => return Ok(Err(error)),
        };
        let recent_deals = match read_recent_deals(extra) {
            Ok(deals) => deals,
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok(Market { replay, recent_deals, last_seq: seq, snapshots: None }))
    }

    /// Appends the market's state bytes (what the state hash covers) to `out`.
    pub fn write_state(&self, out: &mut Vec<u8>) {
        self.replay.write_snapshot(out);
    }

    /// The last journal record applied.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Starts taking snapshots as `snapshots` says.
    pub fn arm_snapshots(&mut self, snapshots: Snapshots) {
        self.snapshots = Some(snapshots);
    }

    /// A copy of the market's state for a snapshot, reusing `spare` if given; the pause it
    /// took is recorded in `stats`.
    pub fn copy(&self, spare: Option<Box<dyn MarketCopy>>, stats: &SnapshotStats) -> MarketCopyAt {
        let started = Instant::now();
        let spare = spare.and_then(|spare| spare.into_any().downcast::<Copy>().ok());
        let mut copy = spare.unwrap_or_default();
        self.replay.copy_for_snapshot(&mut copy.replay);
        copy.recent_deals.clear();
        copy.recent_deals.extend(self.recent_deals.iter().map(|&(c, p, u, t)| (c.0, p, u, t)));
        stats.paused(started.elapsed());
        let ts_ms = self.replay.priced().engine().now_ms();
        MarketCopyAt { seq: self.last_seq, ts_ms, market: copy }
    }

    /// Applies journal record `seq` (its line) and appends its events (JSON lines) to `out`.
    /// Rejected lines report `seq` as their line: in an exported journal, line N is seq N.
    pub fn apply(&mut self, seq: u64, line: &str, out: &mut Vec<u8>) {
        self.replay.line(seq, line.as_bytes(), out);
        self.recent_deals.extend(self.replay.priced_mut().take_deals());
        forget_old_deals(&mut self.recent_deals, self.replay.priced().engine().now_ms());
        self.last_seq = seq;
        self.snapshot_if_due(line);
    }

    /// After a command: a snapshot's copy, if the schedule says one is due.
    fn snapshot_if_due(&mut self, line: &str) {
        let Some(snapshots) = &mut self.snapshots else { return };
        let commands = u64::from(!line.contains("\"op\":\"tick\""));
        let now_ms = self.replay.priced().engine().now_ms();
        if !snapshots.schedule.due(commands, now_ms) {
            return;
        }
        let spare = snapshots.spares.try_recv().ok();
        let copy = self.copy(spare, &self.snapshots.as_ref().expect("armed").stats);
        let snapshots = self.snapshots.as_ref().expect("armed");
        if let Err(TrySendError::Full(_)) = snapshots.copies.try_send(copy) {
            snapshots.stats.skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The deals of the last [`RECENT_DEALS_KEPT_MS`] (at most [`RECENT_DEALS_MAX`]), oldest
    /// first.
    pub fn recent_deals(&self) -> &VecDeque<DealRecord> {
        &self.recent_deals
    }

    /// Decodes `line` (an order that is asked about, not applied) with the market's names and
    /// answers it from the priced engine and the recent deals; the names it brought are
    /// forgotten ([`LineReplay::probe`]).
    pub fn probe<T>(
        &mut self,
        line: &[u8],
        answer: impl FnOnce(&PricedEngine, &VecDeque<DealRecord>, Command) -> T,
    ) -> Result<T, DecodeError> {
        let recent_deals = &self.recent_deals;
        self.replay.probe(line, |priced, command| answer(priced, recent_deals, command))
    }

    /// The node's pricing model (a node always prices).
    pub fn model(&self) -> &dyn PricingModel {
        self.replay.priced().model().expect("a node's market is made with a model")
    }

    /// The priced engine, for queries.
    pub fn priced(&self) -> &PricedEngine {
        self.replay.priced()
    }
}
