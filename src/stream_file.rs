//! Replaying a whole stream file through a priced replay, for the commands that answer
//! questions about the book it leaves (`quote`, `price`, `snapshot`). Without a snapshot they
//! replay the whole history for every question (seconds on a million lines), so a progress bar
//! says so on a terminal.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use gridbook_matcher::stream::RejectContext;
use gridbook_matcher::RejectReason;
use gridbook_pricing::LineReplay;

use crate::lines::{Line, LineReader};
use crate::replay_cmd::LINE_LEN_MAX_BYTES;

/// Applies every line of `path` to `priced`, discarding the events (they are not rendered),
/// numbering its lines after `lines_before` (the lines a snapshot was taken after); the number
/// of the last line.
pub(crate) fn replay_file(path: &Path, priced: &mut LineReplay, lines_before: u64) -> Result<u64> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
    let len_bytes = file.metadata().map_or(0, |m| m.len());
    let mut reader = LineReader::new(BufReader::with_capacity(1 << 20, file), LINE_LEN_MAX_BYTES);
    let (mut line, mut out) = (Vec::new(), Vec::new());
    let mut line_no = lines_before;
    let bar = crate::progress::bar(len_bytes, &format!("of {name} replayed"));
    while let Some(kind) =
        reader.next_line(&mut line).with_context(|| format!("cannot read {name}"))?
    {
        line_no += 1;
        if line_no.is_multiple_of(16_384) {
            bar.set_position(reader.consumed_bytes());
        }
        out.clear();
        match kind {
            Line::Text if line.iter().all(u8::is_ascii_whitespace) => {}
            Line::Text => {
                priced.line_unrendered(line_no, &line);
            }
            Line::TooLong { .. } => {
                let context = RejectContext { id: None, line: Some(line_no), detail: None };
                priced.reject(RejectReason::LineTooLong, context, &mut out);
            }
        }
    }
    bar.finish_and_clear();
    Ok(line_no)
}
