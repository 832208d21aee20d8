//! [`Lockstep`]: the rule "a rejected line changes nothing", checked on any stream as it goes.
//!
//! Two priced replays made alike run side by side: the first is fed every line, the second
//! only the lines the first accepts. A rejected line may only add its own `rejected` event and
//! the event numbers after it, so after every accepted line both must have written the same
//! events (sequence numbers aside) and hold the same names and the same engine memory. That is
//! item 1's and item 2's rule of issue 9 as one oracle; the property test and the fuzz targets
//! drive it. It streams — nothing is kept per line — so it checks streams of any length.

use crate::LineReplay;

/// What broke the rule, at which line of the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    /// An accepted line's events differ from the replay without the rejected lines.
    #[error("line {line}: events differ from a replay without the rejected lines\n  with:    {with}\n  without: {without}")]
    Events {
        /// The line, from 1.
        line: u64,
        /// Its events in the replay of every line, without sequence numbers.
        with: String,
        /// Its events in the replay without the rejected lines.
        without: String,
    },
    /// Rejected lines left names in the table.
    #[error("line {line}: {with} names interned, {without} without the rejected lines")]
    Names {
        /// The line, from 1.
        line: u64,
        /// Names held by the replay of every line.
        with: usize,
        /// Names held by the replay without the rejected lines.
        without: usize,
    },
    /// Rejected lines left engine memory behind.
    #[error("line {line}: the engine holds {with} bytes, {without} without the rejected lines")]
    Memory {
        /// The line, from 1.
        line: u64,
        /// Engine heap bytes of the replay of every line.
        with: usize,
        /// Engine heap bytes of the replay without the rejected lines.
        without: usize,
    },
}

/// The two replays and their tallies.
pub struct Lockstep {
    with: LineReplay,
    without: LineReplay,
    lines: u64,
    kept: u64,
    out_with: Vec<u8>,
    out_without: Vec<u8>,
}

impl Lockstep {
    /// Two replays from `make`, which must make them alike (same engine limits, taxonomy,
    /// model and settings).
    pub fn new(mut make: impl FnMut() -> LineReplay) -> Lockstep {
        Lockstep {
            with: make(),
            without: make(),
            lines: 0,
            kept: 0,
            out_with: Vec::new(),
            out_without: Vec::new(),
        }
    }

    /// Feeds the next line (without its newline) and checks the rule after it.
    pub fn line(&mut self, line: &[u8]) -> Result<(), Divergence> {
        self.lines += 1;
        self.out_with.clear();
        if !self.with.line(self.lines, line, &mut self.out_with) {
            return Ok(());
        }
        self.kept += 1;
        self.out_without.clear();
        let kept_too = self.without.line(self.kept, line, &mut self.out_without);
        let (with, without) = (unnumbered(&self.out_with), unnumbered(&self.out_without));
        if !kept_too || with != without {
            return Err(Divergence::Events { line: self.lines, with, without });
        }
        let names = |p: &LineReplay| p.priced().symbols().len();
        let (with, without) = (names(&self.with), names(&self.without));
        if with != without {
            return Err(Divergence::Names { line: self.lines, with, without });
        }
        let heap = |p: &LineReplay| p.priced().engine().heap_bytes();
        let (with, without) = (heap(&self.with), heap(&self.without));
        if with != without {
            return Err(Divergence::Memory { line: self.lines, with, without });
        }
        Ok(())
    }

    /// Lines fed, and how many of them were accepted.
    pub fn counts(&self) -> (u64, u64) {
        (self.lines, self.kept)
    }

    /// The replay that sees every line.
    pub fn replay(&self) -> &LineReplay {
        &self.with
    }
}

/// Event lines without their `"seq":N,` prefix, which counts rejected lines' events too.
fn unnumbered(events: &[u8]) -> String {
    let text = String::from_utf8_lossy(events);
    let mut kept = String::with_capacity(text.len());
    for event in text.lines() {
        let rest = event.strip_prefix("{\"seq\":").and_then(|rest| rest.split_once(','));
        if let Some((_, rest)) = rest {
            kept.push('{');
            kept.push_str(rest);
        } else {
            kept.push_str(event);
        }
        kept.push('\n');
    }
    kept
}
