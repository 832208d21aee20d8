//! `gridbook replay`'s two threads: a reader that splits the input into lines and decodes
//! them, and the caller's thread, which applies them to the engine and writes the events.
//!
//! Decoding is most of a replay's instructions and needs nothing of the engine but its name
//! table, so the reader decodes each batch of lines against a name table of the batch's own
//! ([`BatchNames`]); the applying thread interns the names into the engine's table in the order
//! a sequential decode would have, so the events are the same bytes
//! ([`gridbook_pricing::LineReplay::line_decoded`]). Batches travel on a bounded queue and come
//! back empty for reuse, so memory stays bounded by the queue's depth however long the input.

use std::io::{self, BufReader, Read};
use std::ops::Range;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use gridbook_matcher::stream::BatchNames;
use gridbook_matcher::{Command, Sym};

use crate::lines::{Line, LineReader};

/// Lines per batch: large enough that the hand-over costs nothing per line, small enough that
/// a batch (about 250 bytes a line) stays in the caches between the two threads.
const BATCH_LINES: usize = 1024;

/// Batches in flight: the reader runs at most this far ahead of the engine.
const QUEUE_DEPTH: usize = 4;

/// What one input line was.
// Nearly every line is `Text`: boxing its command would allocate once per line for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Kind {
    /// Only whitespace: skipped, but counted in line numbers.
    Blank,
    /// A line of text, decoded by the reader: its command and the names it interned, or
    /// `None` when the reader refused it (the applying thread decodes it again itself).
    Text { decoded: Option<(u64, Command)>, trace: Range<usize> },
    /// Longer than the bound; its bytes were not kept.
    TooLong { len_bytes: u64 },
}

/// One line of a batch.
pub(crate) struct BatchLine {
    /// From 1, over the whole input.
    pub(crate) line_no: u64,
    /// Where its bytes are in [`Batch::text`].
    pub(crate) span: Range<usize>,
    pub(crate) kind: Kind,
}

/// Consecutive lines, read and decoded.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) text: Vec<u8>,
    pub(crate) lines: Vec<BatchLine>,
    /// The symbols each line's decode interned, in order (ranges in [`Kind::Text`]).
    pub(crate) traces: Vec<Sym>,
    pub(crate) names: BatchNames,
    /// The input had no further line ready when this batch was sent: whoever waits for the
    /// events so far should get them now.
    pub(crate) input_idle: bool,
}

impl Batch {
    fn clear(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.traces.clear();
        self.names.clear();
        self.input_idle = false;
    }
}

/// The reader thread and the queues to and from it.
pub(crate) struct Pipeline {
    pub(crate) batches: Receiver<io::Result<Batch>>,
    spent: Sender<Batch>,
    reader: JoinHandle<()>,
}

impl Pipeline {
    /// Starts reading `reader` on a new thread; its first line is numbered `lines_before + 1`
    /// (a replay that goes on from a snapshot numbers on from the snapshot's last line).
    pub(crate) fn start<R: Read + Send + 'static>(
        reader: LineReader<BufReader<R>>,
        lines_before: u64,
    ) -> Pipeline {
        let (full_tx, full_rx) = bounded(QUEUE_DEPTH);
        let (spent_tx, spent_rx) = bounded(QUEUE_DEPTH + 1);
        let reader = std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || read_batches(reader, lines_before, &full_tx, &spent_rx))
            .expect("the OS can start one thread");
        Pipeline { batches: full_rx, spent: spent_tx, reader }
    }

    /// Hands a batch back for reuse.
    pub(crate) fn recycle(&self, batch: Batch) {
        // The reader may have finished; an unused batch is then simply dropped.
        let _ = self.spent.try_send(batch);
    }

    /// Waits for the reader thread (it ends at the end of the input, or when the applying side
    /// stops taking batches).
    pub(crate) fn finish(self) {
        drop(self.batches);
        drop(self.spent);
        // The reader never panics on input; a panic there is a bug worth surfacing.
        self.reader.join().expect("the replay reader thread does not panic");
    }
}

/// The reader thread: fills batches until the input ends, an error, or the receiver is gone.
fn read_batches<R: Read>(
    mut reader: LineReader<BufReader<R>>,
    mut line_no: u64,
    full: &Sender<io::Result<Batch>>,
    spent: &Receiver<Batch>,
) {
    loop {
        let mut batch = spent.try_recv().unwrap_or_default();
        batch.clear();
        let mut at_end = false;
        while batch.lines.len() < BATCH_LINES {
            let start = batch.text.len();
            let kind = match reader.append_line(&mut batch.text) {
                Ok(Some(kind)) => kind,
                Ok(None) => {
                    at_end = true;
                    break;
                }
                Err(error) => {
                    let _ = full.send(Ok(batch));
                    let _ = full.send(Err(error));
                    return;
                }
            };
            line_no += 1;
            push_line(&mut batch, line_no, kind, start);
            if !reader.line_buffered() {
                batch.input_idle = true;
                break;
            }
        }
        if full.send(Ok(batch)).is_err() || at_end {
            return;
        }
    }
}

/// Notes the line just read onto the end of `batch.text` (from `start`), decoding it.
fn push_line(batch: &mut Batch, line_no: u64, kind: Line, start: usize) {
    let line = &batch.text[start..];
    let kind = match kind {
        Line::Text if line.iter().all(u8::is_ascii_whitespace) => Kind::Blank,
        Line::Text => {
            let first = batch.traces.len();
            let decoded = batch.names.decode(line, &mut batch.traces).ok();
            Kind::Text { decoded, trace: first..batch.traces.len() }
        }
        Line::TooLong { len_bytes } => Kind::TooLong { len_bytes },
    };
    batch.lines.push(BatchLine { line_no, span: start..batch.text.len(), kind });
}
