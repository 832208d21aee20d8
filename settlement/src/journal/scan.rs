//! Reading a journal's bytes back into records, and telling a torn tail from corruption.
//!
//! A record is a line: 8 lower-case hex digits of the CRC-32 of the JSON, a space, the JSON, `\n`.
//! Only the very end of the file may be torn, and only as a crash leaves it: bytes without a
//! terminating `\n` that are not a whole record (an append that did not reach the disk whole,
//! which `append` never returned for, so nothing acted on it). Everything else that does not
//! read back is **corruption**, an error naming the file, the line and the byte offset: a
//! complete line whose checksum fails (a flipped byte, even in the last record), a whole record
//! whose terminator is damaged, a byte that is not UTF-8, a checksum-valid line that is not a
//! record. A journal is never guessed at.

use std::path::Path;

use super::{JournalError, Record};

/// What a journal's bytes hold.
#[derive(Debug)]
pub(super) struct Scan {
    /// The records, oldest first.
    pub(super) records: Vec<Record>,
    /// The byte offset at which each record starts.
    pub(super) offsets: Vec<u64>,
    /// Bytes of whole records; anything after is a torn tail.
    pub(super) good_bytes: u64,
}

/// Reads every record of `bytes` (the journal at `path`).
pub(super) fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, JournalError> {
    let mut scan = Scan { records: Vec::new(), offsets: Vec::new(), good_bytes: 0 };
    let mut start = 0usize;
    let mut line = 1u64;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let Some(length) = rest.iter().position(|&byte| byte == b'\n') else {
            // No terminator: torn, unless it is a whole record with its `\n` damaged.
            if rest.len() > 1 && decode(&rest[..rest.len() - 1]).is_ok() {
                let detail = "a whole record whose line terminator is damaged".to_owned();
                let offset = (bytes.len() - 1) as u64;
                return Err(JournalError::Corrupt { path: path.to_owned(), line, offset, detail });
            }
            break;
        };
        let record = decode(&rest[..length]).map_err(|(at, detail)| JournalError::Corrupt {
            path: path.to_owned(),
            line,
            offset: (start + at) as u64,
            detail,
        })?;
        scan.records.push(record);
        scan.offsets.push(start as u64);
        start += length + 1;
        scan.good_bytes = start as u64;
        line += 1;
    }
    Ok(scan)
}

/// One line without its `\n`; an error gives the offset in the line where it goes wrong.
fn decode(line: &[u8]) -> Result<Record, (usize, String)> {
    let text = std::str::from_utf8(line).map_err(|error| {
        let at = error.valid_up_to();
        (at, format!("byte 0x{:02x} is not UTF-8", line[at]))
    })?;
    let (checksum, json) = text.split_once(' ').ok_or((0, "no checksum field".to_owned()))?;
    let well_formed = checksum.len() == 8
        && checksum.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !well_formed {
        return Err((0, format!("bad checksum field {checksum:?}")));
    }
    let expected =
        u32::from_str_radix(checksum, 16).expect("eight lower-case hex digits parse as a u32");
    if crc32fast::hash(json.as_bytes()) != expected {
        return Err((0, "checksum mismatch: the record is damaged".to_owned()));
    }
    serde_json::from_str(json).map_err(|error| {
        (9, format!("a record with a valid checksum that this version cannot read: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn line(record: &str) -> Vec<u8> {
        format!("{:08x} {record}\n", crc32fast::hash(record.as_bytes())).into_bytes()
    }

    fn held(deal_id: u64) -> Vec<u8> {
        let amount = "\"0x7\"";
        let requester = "\"0x0202020202020202020202020202020202020202\"";
        line(&format!(
            r#"{{"held":{{"deal_id":{deal_id},"requester":{requester},"amount":{amount},"reason":"r"}}}}"#
        ))
    }

    fn scanned(bytes: &[u8]) -> Result<Scan, JournalError> {
        scan(&PathBuf::from("j"), bytes)
    }

    fn corruption(bytes: &[u8]) -> (u64, u64, String) {
        match scanned(bytes) {
            Err(JournalError::Corrupt { line, offset, detail, .. }) => (line, offset, detail),
            other => panic!("expected corruption, got {other:?}"),
        }
    }

    #[test]
    fn only_an_unterminated_partial_record_at_the_end_is_a_torn_tail() {
        let mut bytes = [held(1), held(2)].concat();
        let good = bytes.len() as u64;
        bytes.extend_from_slice(&held(3)[..15]);
        let scan = scanned(&bytes).expect("a torn tail is not an error");
        assert_eq!((scan.records.len(), scan.good_bytes), (2, good));
        assert_eq!(scan.offsets, [0, held(1).len() as u64]);
    }

    #[test]
    fn a_complete_last_record_with_a_bad_checksum_is_corruption() {
        let mut bytes = [held(1), held(2)].concat();
        let second = held(1).len();
        bytes[second + 20] ^= 0x04;
        let (line, offset, detail) = corruption(&bytes);
        assert_eq!((line, offset), (2, second as u64));
        assert!(detail.contains("checksum mismatch"), "{detail}");
    }

    #[test]
    fn a_whole_record_without_its_terminator_is_corruption() {
        let mut bytes = [held(1), held(2)].concat();
        let last = bytes.len() - 1;
        bytes[last] = b' ';
        let (line, offset, _) = corruption(&bytes);
        assert_eq!((line, offset), (2, last as u64));
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_corruption_at_its_own_offset() {
        let mut bytes = [held(1), held(2)].concat();
        let at = held(1).len() + 12;
        bytes[at] = 0xc3;
        bytes[at + 1] = b'(';
        let (line, offset, detail) = corruption(&bytes);
        assert_eq!((line, offset), (2, at as u64));
        assert!(detail.contains("0xc3 is not UTF-8"), "{detail}");
    }

    #[test]
    fn a_checksum_must_be_eight_lower_case_hex_digits() {
        for bad in ["+000000a x\n", "0000000A x\n", "000a x\n", "nochecksum\n"] {
            let (line, offset, _) = corruption(bad.as_bytes());
            assert_eq!((line, offset), (1, 0), "{bad}");
        }
    }

    #[test]
    fn a_valid_checksum_over_something_that_is_not_a_record_is_corruption() {
        let (line, offset, detail) = corruption(&line(r#"{"paid":{}}"#));
        assert_eq!((line, offset), (1, 9));
        assert!(detail.contains("cannot read"), "{detail}");
    }
}
