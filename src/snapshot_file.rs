//! The command line's snapshots: `gridbook snapshot` writes one after a stream, and the
//! `--from-snapshot FILE` of `price`, `quote`, `explain` and `replay` starts from it instead of
//! replaying the history again.
//!
//! The file is the live node's (`gridbook_node::snapshot`): its header (format version, the
//! number of lines read, the engine's clock, the state hash, the market fingerprint, CRCs) and
//! its payload — the replay's state (`LineReplay::write_snapshot`: engine, names, model,
//! driver, events written), the deals of the last hour in the node's encoding (all of them,
//! where the node keeps at most 65,536), no publisher, and the market's description, whose
//! hash is the fingerprint.
//!
//! Loading trusts nothing: the header and both CRCs, the market (a snapshot of another model,
//! configuration or taxonomy is refused, naming the option that differs), the state (restored
//! with every index range-checked), and the state hash — the restored state is serialised
//! again and must hash to the header's, as the node checks at start.

use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::path::Path;

use gridbook_matcher::EngineConfig;
use gridbook_node::market_file::MarketFile;
use gridbook_node::pipeline::market::{read_deals, write_recent_deals, RECENT_DEALS_KEPT_MS};
use gridbook_node::snapshot::{file, state_hash, Header, MarketId, Payload, PayloadRef};
use gridbook_pricing::answers::price::DealRecord;
use gridbook_pricing::{LineReplay, PricedOptions};

use crate::pricing_args::{parts, PricingArgs, Sources};

/// A replay restored from a snapshot file.
pub(crate) struct Restored {
    /// The replay, where the snapshot left it.
    pub(crate) replay: LineReplay,
    /// Lines of the stream the snapshot was taken after: a stream that continues it numbers
    /// its first line one more.
    pub(crate) lines: u64,
    /// The deals of the last [`RECENT_DEALS_KEPT_MS`] before the snapshot, oldest first.
    pub(crate) deals: VecDeque<DealRecord>,
}

/// What `gridbook snapshot` wrote.
pub(crate) struct Written {
    pub(crate) header: Header,
    pub(crate) bytes: u64,
}

/// Writes the snapshot of `replay` after `lines` lines of a stream, under `market`, with the
/// last hour's of `deals` (all the deals of the stream, oldest first), atomically to `path`.
pub(crate) fn write(
    path: &Path,
    replay: &LineReplay,
    lines: u64,
    deals: &[DealRecord],
    market: &MarketFile,
) -> Result<Written> {
    let mut state = Vec::new();
    replay.write_snapshot(&mut state);
    let ts_ms = replay.priced().engine().now_ms();
    // Every deal of the last hour, however many: `price` counts them all, and a cap (the
    // node's 65,536) would make its answer from a snapshot differ from the whole stream's.
    let recent = |deal: &&DealRecord| deal.3.saturating_add(RECENT_DEALS_KEPT_MS) >= ts_ms;
    let rows: Vec<_> =
        deals.iter().filter(recent).map(|&(class, p, u, t)| (class.0, p, u, t)).collect();
    let mut market_extra = Vec::new();
    write_recent_deals(&rows, &mut market_extra);
    let id = MarketId::of(market);
    let header =
        Header { seq: lines, ts_ms, state_hash: state_hash(&state), market: id.fingerprint };
    let payload =
        Payload { market: state, market_extra, publisher: Vec::new(), market_file: id.json };
    let payload = payload.encode();
    gridbook_node::snapshot::store::write_file(path, &header, &payload)?;
    Ok(Written { header, bytes: (file::HEADER_BYTES + payload.len()) as u64 })
}

/// The replay the snapshot at `path` holds, priced as it was taken, with `options`; `model` and
/// the flags of `args` given explicitly must agree with the snapshot's market.
pub(crate) fn load(
    path: &Path,
    args: &PricingArgs,
    model: Option<&str>,
    options: PricedOptions,
) -> Result<Restored> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let refused =
        |why: &dyn std::fmt::Display| anyhow::anyhow!("{name}: not a usable snapshot: {why}");
    let (header, payload) = file::decode_any_market(&bytes).map_err(|e| refused(&e))?;
    let payload = PayloadRef::decode(payload).map_err(|e| refused(&e))?;
    if MarketId::fingerprint_of(payload.market_file) != header.market {
        return Err(refused(&"its market description does not hash to its header's fingerprint"));
    }
    let market: MarketFile = serde_json::from_slice(payload.market_file)
        .map_err(|e| refused(&format!("its market description does not decode: {e}")))?;
    args.check_against(model, &market).with_context(|| format!("{name}"))?;
    let sources = Sources {
        classes: format!("the classes recorded in {name}"),
        pricing_config: format!("the pricing configuration recorded in {name}"),
    };
    let (taxonomy, model) = parts(&market, &sources)?;
    // The state hash is checked as the node checks it — the restored state, serialised again,
    // hashes to the header's — in two halves that run side by side: the bytes read hash to the
    // header's (on another thread: hashing is a third of the load), and the restored state
    // serialises to exactly those bytes.
    let (hashed, restored) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| state_hash(payload.market) == header.state_hash);
        let restored = restore(payload.market, taxonomy, model, options);
        (hashing.join().expect("hashing does not panic"), restored)
    });
    let replay = restored.map_err(|e| refused(&e))?;
    if !hashed {
        return Err(refused(&"the restored state does not hash to the header's state hash"));
    }
    let deals = read_deals(payload.market_extra)
        .map_err(|e| refused(&format!("its recent deals do not decode: {e}")))?;
    Ok(Restored { replay, lines: header.seq, deals })
}

/// The replay `state` describes, which must serialise back to exactly `state`.
fn restore(
    state: &[u8],
    taxonomy: gridbook_pricing::Taxonomy,
    model: Option<Box<dyn gridbook_pricing::PricingModel>>,
    options: PricedOptions,
) -> Result<LineReplay, String> {
    let config = EngineConfig::default();
    let replay = LineReplay::restore_snapshot(state, config, taxonomy, model, options)
        .map_err(|e| e.to_string())?;
    let mut again = Vec::with_capacity(state.len());
    replay.write_snapshot(&mut again);
    match again == state {
        true => Ok(replay),
        false => Err("the restored state does not serialise to the bytes read".into()),
    }
}

/// Refuses a window of recent deals longer than a snapshot keeps.
pub(crate) fn check_window(window_ms: u64) -> Result<()> {
    if window_ms > RECENT_DEALS_KEPT_MS {
        bail!(
            "--window-ms {window_ms}: a snapshot keeps the deals of the last {RECENT_DEALS_KEPT_MS} ms"
        );
    }
    Ok(())
}
