//! Snapshots of the node: the market's state (engine, model, driver) and the publisher's
//! (order status, event log, idempotent retries, open orders) at one journal sequence number,
//! so that a restart replays only the journal after it.
//!
//! - `file.rs` — one snapshot file: header (format version, seq, node ts, state hash, market
//!   fingerprint, length, checksums) and payload.
//! - `store.rs` — `DATA_DIR/snapshots/`: atomic writes, keeping the newest `snapshot.keep`,
//!   loading the newest good one (a bad one is skipped and reported with its path and why).
//! - `schedule.rs` — when one is due (`snapshot.every_commands`, `snapshot.every_ms`).
//! - `writer.rs` — the snapshot thread: the matching thread only copies the market (its pause
//!   is measured for `/metrics`); serialising, hashing and writing happen there.
//!
//! The **state hash** is keccak-256 of the market section alone: the bytes the engine and its
//! model write are canonical (a pure function of the journaled commands), so the node's hash at
//! seq N equals the hash of an offline replay of the exported journal up to N. The publisher's
//! section is the node's own bookkeeping and is not part of it.
//!
//! The **market fingerprint** is keccak-256 of `market.json` as the node would write it (the
//! pricing model, its parameters and the taxonomy): a snapshot taken under other pricing is
//! refused, never loaded into a market it does not describe. The payload carries those bytes
//! too ([`Payload::market_file`]), so a tool holding only the file (`gridbook snapshot`, then
//! `gridbook price --from-snapshot`) can name what differs.
//!
//! The same file format serves the node's `DATA_DIR/snapshots/` and the command line's
//! `gridbook snapshot --out FILE`.

pub mod file;
pub mod schedule;
pub mod start;
pub mod store;
pub mod writer;

use alloy_primitives::keccak256;
use serde::{Deserialize, Serialize};

use crate::market_file::MarketFile;

pub use file::{FileError, Header};
pub use schedule::Schedule;
pub use store::{Loaded, Skipped, Store, StoreError};
pub use writer::{Job, MarketCopy, SnapshotStats, Written};

/// What a snapshot file's payload holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The market's state: what the state hash covers.
    pub market: Vec<u8>,
    /// The node's bookkeeping about the market (recent deals), not hashed.
    pub market_extra: Vec<u8>,
    /// The publisher's state ([`crate::pipeline::publisher`]); empty in a snapshot taken
    /// offline.
    pub publisher: Vec<u8>,
    /// The market configuration the state was made under: `market.json`'s bytes
    /// ([`MarketId::json`]), whose keccak-256 is the header's market fingerprint.
    pub market_file: Vec<u8>,
}

/// A payload as read, its sections borrowed from the file's bytes: decoding copies nothing (a
/// byte vector and a byte slice are written alike, so [`Payload::encode`]'s bytes decode here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PayloadRef<'a> {
    /// [`Payload::market`].
    pub market: &'a [u8],
    /// [`Payload::market_extra`].
    pub market_extra: &'a [u8],
    /// [`Payload::publisher`].
    pub publisher: &'a [u8],
    /// [`Payload::market_file`].
    pub market_file: &'a [u8],
}

impl<'a> PayloadRef<'a> {
    /// The payload `bytes` hold (all of them), borrowed.
    pub fn decode(bytes: &'a [u8]) -> Result<PayloadRef<'a>, PayloadError> {
        let (payload, rest) = postcard::take_from_bytes::<PayloadRef<'a>>(bytes)?;
        match rest.is_empty() {
            true => Ok(payload),
            false => Err(PayloadError(postcard::Error::DeserializeBadEncoding)),
        }
    }
}

/// A payload that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("snapshot payload does not decode: {0}")]
pub struct PayloadError(#[from] postcard::Error);

impl Payload {
    /// The payload's bytes.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard writes byte vectors")
    }
}

/// The state hash of a market section.
pub fn state_hash(market: &[u8]) -> [u8; 32] {
    keccak256(market).0
}

/// The market configuration a snapshot is taken under, as it is written into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketId {
    /// `market.json`'s bytes (compact JSON of a [`MarketFile`]).
    pub json: Vec<u8>,
    /// keccak-256 of `json`.
    pub fingerprint: [u8; 32],
}

impl MarketId {
    /// The identity of `market`.
    pub fn of(market: &MarketFile) -> MarketId {
        let json = serde_json::to_vec(market).expect("plain data serialises");
        MarketId { fingerprint: MarketId::fingerprint_of(&json), json }
    }

    /// The fingerprint of a market description's bytes (a snapshot's
    /// [`Payload::market_file`]).
    pub fn fingerprint_of(json: &[u8]) -> [u8; 32] {
        keccak256(json).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload is written owned and read borrowed: the same bytes either way.
    #[test]
    fn a_payload_reads_back_borrowed_and_trailing_bytes_are_refused() {
        let payload = Payload {
            market: vec![1; 300],
            market_extra: vec![2, 3],
            publisher: vec![],
            market_file: b"{}".to_vec(),
        };
        let mut bytes = payload.encode();
        let read = PayloadRef::decode(&bytes).expect("decodes");
        assert_eq!(
            (read.market, read.market_extra, read.publisher, read.market_file),
            (&[1u8; 300][..], &[2u8, 3][..], &[][..], &b"{}"[..])
        );
        bytes.push(0);
        assert!(PayloadRef::decode(&bytes).is_err());
    }
}
