//! Reading the order stream line by line with a bound on line length.
//!
//! A line longer than the bound is not buffered: the reader skips to its end and reports it as
//! too long, so no input, however long its lines, can exhaust memory. A UTF-8 byte-order mark
//! at the start of the input (some editors write one) is skipped rather than spoiling line 1.

use std::io::{self, BufRead, BufReader, Read};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line's bytes are in the buffer (newline and a trailing `\r` removed).
    Text,
    /// The line was longer than the bound; its bytes were skipped.
    TooLong {
        /// The line's length in bytes.
        len_bytes: u64,
    },
}

/// Reads lines of at most `max_len_bytes` bytes.
pub(crate) struct LineReader<R> {
    inner: R,
    max_len_bytes: usize,
    /// Bytes consumed so far, newlines included (for progress).
    consumed_bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R, max_len_bytes: usize) -> LineReader<R> {
        LineReader { inner, max_len_bytes, consumed_bytes: 0 }
    }

    /// Bytes of input read so far.
    pub(crate) fn consumed_bytes(&self) -> u64 {
        self.consumed_bytes
    }

    /// Reads the next line into `buf` (cleared first); `None` at the end of input.
    pub(crate) fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        self.append_line(buf)
    }

    /// Reads the next line onto the end of `buf`, leaving what `buf` held before as it was
    /// (for a reader that gathers many lines in one buffer); `None` at the end of input.
    pub(crate) fn append_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        let start = buf.len();
        let starts_input = self.consumed_bytes == 0;
        let mut len_bytes: u64 = 0;
        let mut too_long = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if chunk.is_empty() {
                if len_bytes == 0 {
                    return Ok(None);
                }
                break;
            }
            let (part, found_newline) = match memchr::memchr(b'\n', chunk) {
                Some(at) => (&chunk[..at], true),
                None => (chunk, false),
            };
            len_bytes += part.len() as u64;
            if !too_long && buf.len() - start + part.len() <= self.max_len_bytes + 1 {
                buf.extend_from_slice(part);
            } else if !too_long {
                too_long = true;
                buf.truncate(start);
            }
            let consumed = part.len() + usize::from(found_newline);
            self.inner.consume(consumed);
            self.consumed_bytes += consumed as u64;
            if found_newline {
                len_bytes += 1;
                break;
            }
        }
        if buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        if starts_input && buf[start..].starts_with(BOM) {
            buf.drain(start..start + BOM.len());
        }
        if too_long || buf.len() - start > self.max_len_bytes {
            buf.truncate(start);
            return Ok(Some(Line::TooLong { len_bytes }));
        }
        Ok(Some(Line::Text))
    }
}

impl<T: Read> LineReader<BufReader<T>> {
    /// Whether a whole line is already buffered, so reading it will not wait for input.
    pub(crate) fn line_buffered(&self) -> bool {
        self.inner.buffer().contains(&b'\n')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(4, input), max);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line(&mut buf).unwrap() {
            lines.push((line, buf.clone()));
        }
        lines
    }

    /// Lines appended one after another to one buffer (the replay's reader thread) are the
    /// lines `next_line` gives, with the same kinds: carriage returns, the byte order mark and
    /// over-long lines are handled on the appended part alone.
    #[test]
    fn appended_lines_are_the_lines_next_line_gives() {
        let input = b"\xef\xbb\xbfa\r\n\nbbbbbbbbbbbb\nccc\r\nlast".as_slice();
        let expected = read_all(input, 8);
        let mut reader = LineReader::new(io::BufReader::with_capacity(4, input), 8);
        let mut buf = b"kept".to_vec();
        let mut got = Vec::new();
        loop {
            let start = buf.len();
            let Some(line) = reader.append_line(&mut buf).unwrap() else { break };
            got.push((line, buf[start..].to_vec()));
        }
        assert_eq!(got, expected);
        assert!(buf.starts_with(b"kept"));
    }

    #[test]
    fn lines_split_on_newline_and_drop_carriage_return() {
        let lines = read_all(b"ab\r\ncd\n\nlast", 10);
        let texts: Vec<_> = lines.iter().map(|(_, b)| b.as_slice()).collect();
        assert_eq!(texts, [&b"ab"[..], b"cd", b"", b"last"]);
    }

    #[test]
    fn a_line_over_the_bound_is_skipped_not_buffered() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        let lines = read_all(&input, 10);
        assert_eq!(lines[0], (Line::TooLong { len_bytes: 1001 }, vec![]));
        assert_eq!(lines[1], (Line::Text, b"ok".to_vec()));
        assert_eq!(lines.len(), 2);
    }

    /// A byte-order mark is skipped at the start of the input only (it is data elsewhere).
    #[test]
    fn a_byte_order_mark_at_the_start_is_skipped() {
        let lines = read_all(b"\xEF\xBB\xBF{}\n\xEF\xBB\xBF{}\n", 10);
        let texts: Vec<_> = lines.iter().map(|(_, b)| b.as_slice()).collect();
        assert_eq!(texts, [&b"{}"[..], b"\xEF\xBB\xBF{}"]);
    }

    #[test]
    fn a_line_of_exactly_the_bound_is_kept() {
        let lines = read_all(b"0123456789\n", 10);
        assert_eq!(lines, vec![(Line::Text, b"0123456789".to_vec())]);
    }
}
