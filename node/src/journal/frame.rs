//! One journal record on disk: `CRC SEQ JSON\n`.
//!
//! `CRC` is 8 hex digits of the CRC-32 of `SEQ JSON`, `SEQ` the command's sequence number in
//! decimal, `JSON` the command exactly as an order-stream line (docs/order-stream.md, with its
//! `ts`). The settlement journal frames its records the same way (checksum, space, JSON, line
//! feed), so one reading of "torn" and "corrupt" holds for both: a last line without its line
//! feed is a torn write (never acknowledged); a complete line whose checksum fails is damage.

use std::fmt::Write as _;

/// Appends the record of `seq` and `line` (one JSON object, no line feed) to `out`.
pub(crate) fn encode(seq: u64, line: &str, out: &mut Vec<u8>) {
    debug_assert!(!line.contains('\n'), "a journaled command is one line");
    let mut body = String::with_capacity(line.len() + 21);
    write!(body, "{seq} {line}").expect("writing to a String cannot fail");
    let crc = crc32fast::hash(body.as_bytes());
    out.extend_from_slice(format!("{crc:08x} ").as_bytes());
    out.extend_from_slice(body.as_bytes());
    out.push(b'\n');
}

/// Reads one complete record (its line feed already stripped): its sequence number and JSON.
pub(crate) fn decode(record: &[u8]) -> Result<(u64, &str), String> {
    let text = std::str::from_utf8(record)
        .map_err(|error| format!("byte {} of the record is not UTF-8", error.valid_up_to()))?;
    let (crc, body) = text.split_once(' ').ok_or("no checksum")?;
    // Lower-case only, as written: an upper-case digit would read as the same number, and a
    // flipped case bit must not pass for a good record.
    if crc.len() != 8 || !crc.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err("the checksum is not 8 lower-case hex digits".to_owned());
    }
    let expected = u32::from_str_radix(crc, 16).map_err(|_| "the checksum is not hex")?;
    if crc32fast::hash(body.as_bytes()) != expected {
        return Err("checksum mismatch".to_owned());
    }
    let (seq, json) = body.split_once(' ').ok_or("no sequence number")?;
    let seq = seq.parse().map_err(|_| format!("bad sequence number `{seq}`"))?;
    Ok((seq, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let mut out = Vec::new();
        encode(42, r#"{"ts":5,"op":"tick"}"#, &mut out);
        assert_eq!(out.last(), Some(&b'\n'));
        assert_eq!(decode(&out[..out.len() - 1]), Ok((42, r#"{"ts":5,"op":"tick"}"#)));
    }

    #[test]
    fn any_flipped_bit_is_caught() {
        let mut out = Vec::new();
        encode(7, r#"{"ts":5,"op":"cancel","id":"a","owner":"0x1"}"#, &mut out);
        let record = &out[..out.len() - 1];
        for byte in 0..record.len() {
            for bit in 0..8 {
                let mut damaged = record.to_vec();
                damaged[byte] ^= 1 << bit;
                if let Ok((seq, json)) = decode(&damaged) {
                    panic!("flip at {byte}.{bit} read as {seq} {json}");
                }
            }
        }
    }
}
