//! The command line's snapshots: `gridbook snapshot` writes one after a stream, and the
//! `--from-snapshot FILE` of `price`, `quote`, `explain` and `replay` starts from it instead of
//! replaying the history again.
//!
//! The file is the live node's (`gridbook_node::snapshot`): its header (format version, the
//! number of lines read, the engine's clock, the state hash, the market fingerprint, CRCs) and
//! its payload — the replay's state (`LineReplay::write_snapshot`: engine, names, model,
//! driver, events written), the recent deals as the node keeps them, no publisher, and the
//! market's description, whose hash is the fingerprint.
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
use gridbook_node::pipeline::market::{
    forget_old_deals, read_recent_deals, write_recent_deals, RECENT_DEALS_KEPT_MS,
};
use gridbook_node::snapshot::{file, state_hash, Header, MarketId, Payload};
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
/// recent ones of `deals` (all the deals of the stream, oldest first), atomically to `path`.
pub(crate) fn write(
    path: &Path,
    replay: &LineReplay,
    lines: u64,
    deals: VecDeque<DealRecord>,
    market: &MarketFile,
) -> Result<Written> {
    let mut state = Vec::new();
    replay.write_snapshot(&mut state);
    let ts_ms = replay.priced().engine().now_ms();
    let mut deals = deals;
    forget_old_deals(&mut deals, ts_ms);
    let rows: Vec<_> = deals.iter().map(|&(class, p, u, t)| (class.0, p, u, t)).collect();
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
    let payload = Payload::decode(payload).map_err(|e| refused(&e))?;
    if MarketId::fingerprint_of(&payload.market_file) != header.market {
        return Err(refused(&"its market description does not hash to its header's fingerprint"));
    }
    let market: MarketFile = serde_json::from_slice(&payload.market_file)
        .map_err(|e| refused(&format!("its market description does not decode: {e}")))?;
    args.check_against(model, &market).with_context(|| format!("{name}"))?;
    let sources = Sources {
        classes: format!("the classes recorded in {name}"),
        pricing_config: format!("the pricing configuration recorded in {name}"),
    };
    let (taxonomy, model) = parts(&market, &sources)?;
    let config = EngineConfig::default();
    let replay = LineReplay::restore_snapshot(&payload.market, config, taxonomy, model, options)
        .map_err(|e| refused(&e))?;
    let mut state = Vec::with_capacity(payload.market.len());
    replay.write_snapshot(&mut state);
    if state_hash(&state) != header.state_hash {
        return Err(refused(&"the restored state does not hash to the header's state hash"));
    }
    let deals = read_recent_deals(&payload.market_extra).map_err(|e| refused(&e))?;
    Ok(Restored { replay, lines: header.seq, deals })
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
