//! A node's start from its newest good snapshot, and its last snapshot at a clean stop.
//!
//! At start the newest snapshot whose file is whole and of this market is read; its market
//! state is restored and **re-serialised, and the hash of those bytes must be the header's
//! state hash** (the bytes are canonical, so a restored state that is not the one saved cannot
//! pass); then the publisher's state. Anything that fails is reported with the file and why,
//! and the node falls back to replaying the whole journal: a snapshot only ever saves time.

use std::path::Path;

use super::{state_hash, MarketId, PayloadRef, SnapshotStats, Store};
use crate::config::MarketConfig;
use crate::pipeline::market::{Market, MarketError};
use crate::pipeline::publisher::Publisher;

/// The market restored from the newest good snapshot in `store` (and `publisher` restored
/// beside it) with the seq it is at; `None` (publisher untouched) if there is none.
pub fn restore_newest(
    store: &Store,
    fingerprint: &[u8; 32],
    config: &MarketConfig,
    publisher: &mut Publisher,
) -> Result<Option<Market>, MarketError> {
    let (loaded, skipped) = match store.load_newest(fingerprint) {
        Ok(found) => found,
        Err(error) => {
            eprintln!("gridbook node: snapshots not read ({error}); replaying the whole journal");
            return Ok(None);
        }
    };
    for skipped in skipped {
        let _: Option<()> = report(&skipped.path, &skipped.why);
    }
    let Some(loaded) = loaded else { return Ok(None) };
    let payload = match PayloadRef::decode(&loaded.payload) {
        Ok(payload) => payload,
        Err(error) => return Ok(report(&loaded.path, &error.to_string())),
    };
    let market =
        match Market::restore(config, payload.market, payload.market_extra, loaded.header.seq)? {
            Ok(market) => market,
            Err(error) => return Ok(report(&loaded.path, &error.to_string())),
        };
    let mut state = Vec::new();
    market.write_state(&mut state);
    if state_hash(&state) != loaded.header.state_hash {
        return Ok(report(&loaded.path, "the restored state does not hash to the header's"));
    }
    if let Err(error) = publisher.restore_snapshot(payload.publisher) {
        return Ok(report(&loaded.path, &error.to_string()));
    }
    Ok(Some(market))
}

fn report<T>(path: &Path, why: &str) -> Option<T> {
    eprintln!("gridbook node: skipping snapshot {}: {why}", path.display());
    None
}

/// Writes a snapshot of `market` and the publisher's state now (a clean stop), unless the market has
/// applied nothing yet. A snapshot of the same seq is replaced, atomically, by the same bytes.
pub fn final_snapshot(
    store: &Store,
    market_id: &MarketId,
    market: &Market,
    publisher_state: Vec<u8>,
    stats: &SnapshotStats,
) {
    if market.last_seq() == 0 {
        return;
    }
    let copy = market.copy(None, stats);
    let job = super::Job {
        seq: copy.seq,
        ts_ms: copy.ts_ms,
        market: copy.market,
        publisher: publisher_state,
    };
    match super::writer::write(store, market_id, &job) {
        Ok(written) => stats.set_state_hash(written.header.seq, written.header.state_hash),
        Err(error) => eprintln!("gridbook node: last snapshot not written: {error}"),
    }
}
