//! One snapshot file: a fixed header, then the payload.
//!
//! ```text
//!   "GBNODESN" | version u32 | seq u64 | ts_ms u64 | state_hash [32] | market [32]
//!   | payload_len u64 | payload_crc32 u32 | header_crc32 u32 | payload
//! ```
//!
//! Little-endian. `state_hash` is the keccak-256 of the market state the payload holds (the
//! caller's to compute and check: it is what a replay of the journal up to `seq` hashes to);
//! `market` is the fingerprint of the market configuration the state was made under. The two
//! CRCs tell a torn or damaged file from a good one before anything is decoded.

/// What every snapshot file starts with.
const MAGIC: &[u8; 8] = b"GBNODESN";
/// The layout this build writes and reads (2: the payload records the market configuration
/// itself, not only its fingerprint, so a refusal can name what differs; 3: the publisher's
/// part carries the market-data feeds' state).
pub const FILE_VERSION: u32 = 3;
/// Bytes of the header, its own CRC included.
pub const HEADER_BYTES: usize = 8 + 4 + 8 + 8 + 32 + 32 + 8 + 4 + 4;

/// What a snapshot's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The last journal record applied to the state.
    pub seq: u64,
    /// That record's `ts` (the node's clock then), ms.
    pub ts_ms: u64,
    /// keccak-256 of the market state.
    pub state_hash: [u8; 32],
    /// Fingerprint of the market configuration.
    pub market: [u8; 32],
}

/// Why a file is not a usable snapshot (the loader skips it and says why).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Shorter than a header, or not starting as a snapshot does.
    #[error("not a snapshot file (no GBNODESN header)")]
    NotASnapshot,
    /// Another header version.
    #[error("snapshot file version {0}; this build reads version {FILE_VERSION}")]
    Version(u32),
    /// The header's checksum does not match.
    #[error("header checksum mismatch")]
    Header,
    /// The payload is shorter or longer than the header says (a torn write).
    #[error("payload is {found} bytes, the header says {expected}")]
    Length {
        /// Bytes after the header.
        found: u64,
        /// Bytes the header announces.
        expected: u64,
    },
    /// The payload's checksum does not match.
    #[error("payload checksum mismatch")]
    Payload,
    /// Taken under another market configuration.
    #[error("taken under another market configuration (pricing model, its parameters or the taxonomy differ)")]
    OtherMarket,
}

/// The whole file for `header` and `payload`.
pub fn encode(header: &Header, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_BYTES + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FILE_VERSION.to_le_bytes());
    bytes.extend_from_slice(&header.seq.to_le_bytes());
    bytes.extend_from_slice(&header.ts_ms.to_le_bytes());
    bytes.extend_from_slice(&header.state_hash);
    bytes.extend_from_slice(&header.market);
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let header_crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&header_crc.to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// A cursor over the header's fields.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (field, rest) =
            self.0.split_first_chunk::<N>().expect("the header's length was checked");
        self.0 = rest;
        *field
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
}

/// The header and payload of `bytes`, if they are a whole, undamaged snapshot taken under
/// `market`.
pub fn decode<'a>(bytes: &'a [u8], market: &[u8; 32]) -> Result<(Header, &'a [u8]), FileError> {
    let (header, payload) = decode_any_market(bytes)?;
    if header.market != *market {
        return Err(FileError::OtherMarket);
    }
    Ok((header, payload))
}

/// The header and payload of `bytes`, if they are a whole, undamaged snapshot, whatever market
/// it was taken under: for a caller that compares the market itself to say what differs.
pub fn decode_any_market(bytes: &[u8]) -> Result<(Header, &[u8]), FileError> {
    if bytes.len() < HEADER_BYTES || !bytes.starts_with(MAGIC) {
        return Err(FileError::NotASnapshot);
    }
    let (head, payload) = bytes.split_at(HEADER_BYTES);
    let mut fields = Fields(&head[MAGIC.len()..]);
    let version = fields.u32();
    if version != FILE_VERSION {
        return Err(FileError::Version(version));
    }
    let header = Header {
        seq: fields.u64(),
        ts_ms: fields.u64(),
        state_hash: fields.take(),
        market: fields.take(),
    };
    let (expected, payload_crc, header_crc) = (fields.u64(), fields.u32(), fields.u32());
    if crc32fast::hash(&head[..HEADER_BYTES - 4]) != header_crc {
        return Err(FileError::Header);
    }
    if payload.len() as u64 != expected {
        return Err(FileError::Length { found: payload.len() as u64, expected });
    }
    if crc32fast::hash(payload) != payload_crc {
        return Err(FileError::Payload);
    }
    Ok((header, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header { seq: 42, ts_ms: 1_767_225_600_000, state_hash: [7; 32], market: [9; 32] }
    }

    #[test]
    fn a_file_decodes_to_its_header_and_payload() {
        let bytes = encode(&header(), b"payload");
        assert_eq!(decode(&bytes, &[9; 32]), Ok((header(), b"payload".as_slice())));
    }

    /// Every truncation and every flipped bit is refused: a torn or damaged file is never
    /// taken for a snapshot.
    #[test]
    fn every_truncation_and_flipped_bit_is_refused() {
        let bytes = encode(&header(), b"some state");
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], &[9; 32]).is_err(), "truncated to {len}");
        }
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                assert!(decode(&flipped, &[9; 32]).is_err(), "byte {at} bit {bit}");
            }
        }
    }

    #[test]
    fn a_snapshot_of_another_market_is_refused() {
        let bytes = encode(&header(), b"x");
        assert_eq!(decode(&bytes, &[8; 32]), Err(FileError::OtherMarket));
    }
}
