//! [`LineReplay`]: the JSON Lines codec around a [`PricedEngine`] — decode a line, apply it with
//! [`PricedEngine::apply`], write the step's events, keep the tallies.
//!
//! Every driver that reads the order stream goes through it: `gridbook replay` (with a model or
//! without), the offline tools, the simulator's counterfactual replays, and the node applying
//! its journal — so a journal exported from the node and replayed gives the node's bytes.
//!
//! A rejected line leaves nothing behind, not even the names it brought: the name table is
//! marked before decoding and rolled back when the line is refused, by the decoder or in the
//! step. So the accepted lines of any stream give the events a stream without the rejected
//! lines gives (`lockstep.rs` checks it).
//!
//! Its snapshot is the priced engine's with the number of events written before it, so a
//! restored replay numbers its next event where the original would have; the tallies are
//! per run and start again.

use gridbook_matcher::stream::{
    decode_line, BatchNames, DecodeError, RejectContext, ReplayStats, StepSource, StepWriter,
};
use gridbook_matcher::{Command, EngineConfig, Event, RejectReason, Sym};

use crate::priced::{PricedCopy, PricedOptions, PricedSnapshotError};
use crate::{PricedEngine, PricingModel, Taxonomy};

/// A [`LineReplay`]'s state copied for a snapshot; kept and reused between snapshots.
#[derive(Debug, Default)]
pub struct LineReplayCopy {
    events_written: u64,
    priced: PricedCopy,
}

impl LineReplayCopy {
    /// Appends the snapshot of the copied replay to `out`: byte for byte what
    /// [`LineReplay::write_snapshot`] wrote when the copy was taken.
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.events_written.to_le_bytes());
        self.priced.write_snapshot(out);
    }
}

/// A priced engine driven by lines of the order stream.
pub struct LineReplay {
    priced: PricedEngine,
    writer: StepWriter,
}

impl LineReplay {
    /// Drives `priced` from lines, numbering events from 1.
    pub fn new(priced: PricedEngine) -> LineReplay {
        LineReplay { priced, writer: StepWriter::new() }
    }

    /// Appends this replay's snapshot to `out`: events written so far (u64 LE), then the
    /// priced engine's ([`PricedEngine::write_snapshot`]).
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.writer.events_written().to_le_bytes());
        self.priced.write_snapshot(out);
    }

    /// Makes `copy` hold this replay's state ([`PricedEngine::copy_for_snapshot`]).
    pub fn copy_for_snapshot(&self, copy: &mut LineReplayCopy) {
        copy.events_written = self.writer.events_written();
        self.priced.copy_for_snapshot(&mut copy.priced);
    }

    /// The replay `bytes` ([`LineReplay::write_snapshot`]) describe, as
    /// [`PricedEngine::restore_snapshot`] restores its engine.
    pub fn restore_snapshot(
        bytes: &[u8],
        config: EngineConfig,
        taxonomy: Taxonomy,
        model: Option<Box<dyn PricingModel>>,
        options: PricedOptions,
    ) -> Result<LineReplay, PricedSnapshotError> {
        let not_one = gridbook_matcher::SnapshotError::NotASnapshot;
        let (written, rest) = bytes.split_first_chunk::<8>().ok_or(not_one)?;
        let priced = PricedEngine::restore_snapshot(rest, config, taxonomy, model, options)?;
        let writer = StepWriter::resuming_after(u64::from_le_bytes(*written));
        Ok(LineReplay { priced, writer })
    }

    /// The priced engine.
    pub fn priced(&self) -> &PricedEngine {
        &self.priced
    }

    /// The priced engine, to take its price rows and deals (a step applied to it directly
    /// bypasses this codec's tallies and event numbers).
    pub fn priced_mut(&mut self) -> &mut PricedEngine {
        &mut self.priced
    }

    /// Tallies so far.
    pub fn stats(&self) -> &ReplayStats {
        self.writer.stats()
    }

    /// Applies line `line_no` (from 1, without its newline) and appends the events of its step
    /// to `out`; whether the line was accepted.
    pub fn line(&mut self, line_no: u64, line: &[u8], out: &mut Vec<u8>) -> bool {
        self.step_line(line_no, line, Some(out), |_, _, _| {})
    }

    /// [`LineReplay::line`], showing `before` the decoded command, its time and the market
    /// just before the command is applied (`gridbook explain` explains an order on arrival).
    pub fn line_inspected(
        &mut self,
        line_no: u64,
        line: &[u8],
        out: &mut Vec<u8>,
        before: impl FnOnce(&PricedEngine, u64, &Command),
    ) -> bool {
        self.step_line(line_no, line, Some(out), before)
    }

    /// [`LineReplay::line`] without rendering the events: pricing, tallies and price rows are
    /// the same (for tools that only want the state at the end of a stream).
    pub fn line_unrendered(&mut self, line_no: u64, line: &[u8]) -> bool {
        self.step_line(line_no, line, None, |_, _, _| {})
    }

    fn step_line(
        &mut self,
        line_no: u64,
        line: &[u8],
        out: Option<&mut Vec<u8>>,
        before: impl FnOnce(&PricedEngine, u64, &Command),
    ) -> bool {
        let mark = self.priced.symbols().mark();
        let decoded = decode_line(self.priced.symbols_mut(), line);
        let accepted = self.step_decoded(line_no, decoded, out, before);
        if !accepted {
            self.priced.symbols_mut().rollback(mark);
        }
        accepted
    }

    /// [`LineReplay::line`] for a line another thread already decoded with `names` (a batch's
    /// table, [`BatchNames::decode`]): `decoded` is that decode's command and `trace` the names
    /// it interned, or `None` when it refused the line — which is then decoded here, so every
    /// refusal is the one [`LineReplay::line`] gives. Same events, same names, same tallies.
    pub fn line_decoded(
        &mut self,
        line_no: u64,
        line: &[u8],
        decoded: Option<(u64, Command)>,
        trace: &[Sym],
        names: &mut BatchNames,
        out: &mut Vec<u8>,
    ) -> bool {
        let mark = self.priced.symbols().mark();
        let decoded = match decoded {
            Some((ts_ms, mut command)) => names
                .remap(trace, self.priced.symbols_mut(), &mut command)
                .map(|()| (ts_ms, command)),
            None => decode_line(self.priced.symbols_mut(), line),
        };
        let accepted = self.step_decoded(line_no, decoded, Some(out), |_, _, _| {});
        if !accepted {
            self.priced.symbols_mut().rollback(mark);
            names.forget_rolled_back(self.priced.symbols());
        }
        accepted
    }

    fn step_decoded(
        &mut self,
        line_no: u64,
        decoded: Result<(u64, Command), DecodeError>,
        out: Option<&mut Vec<u8>>,
        before: impl FnOnce(&PricedEngine, u64, &Command),
    ) -> bool {
        match decoded {
            Ok((ts_ms, command)) => {
                before(&self.priced, ts_ms, &command);
                self.step(line_no, ts_ms, &command, out)
            }
            Err(error) => {
                self.reject_undecodable(line_no, &error, out);
                false
            }
        }
    }

    /// Applies a command decoded by [`LineReplay::decode`] from line `line_no`, at `ts_ms`, and
    /// appends the events of its step to `out`; whether it was accepted. (The names its line
    /// brought stay, accepted or not: [`LineReplay::line`] is the path that forgets them.)
    pub fn apply(
        &mut self,
        line_no: u64,
        ts_ms: u64,
        command: &Command,
        out: &mut Vec<u8>,
    ) -> bool {
        self.step(line_no, ts_ms, command, Some(out))
    }

    fn step(
        &mut self,
        line_no: u64,
        ts_ms: u64,
        command: &Command,
        out: Option<&mut Vec<u8>>,
    ) -> bool {
        let accepted =
            !matches!(self.priced.apply(command, ts_ms).first(), Some(Event::Rejected { .. }));
        let priced = &self.priced;
        let source = StepSource { line_no, id: command.id(), detail: priced.refusal() };
        self.writer.step(priced.engine(), priced.symbols(), source, priced.events(), out);
        accepted
    }

    fn reject_undecodable(&mut self, line_no: u64, error: &DecodeError, out: Option<&mut Vec<u8>>) {
        let context = RejectContext {
            id: error.id.as_deref(),
            line: Some(line_no),
            detail: Some(&error.detail),
        };
        self.writer.reject(self.priced.engine(), error.reason, context, out);
    }

    /// Reports a line that could not be read at all (for example, too long).
    pub fn reject(&mut self, reason: RejectReason, context: RejectContext<'_>, out: &mut Vec<u8>) {
        self.writer.reject(self.priced.engine(), reason, context, Some(out));
    }

    /// Decodes `line` as a question — an order that is not applied (a price probe, a bid to
    /// quote) — and answers it with `answer`, then forgets every name the line brought: a name
    /// the market has never seen matches nothing, and asking leaves the name table as it was.
    pub fn probe<T>(
        &mut self,
        line: &[u8],
        answer: impl FnOnce(&PricedEngine, Command) -> T,
    ) -> Result<T, DecodeError> {
        let mark = self.priced.symbols().mark();
        let decoded = decode_line(self.priced.symbols_mut(), line);
        let answered = decoded.map(|(_, command)| answer(&self.priced, command));
        self.priced.symbols_mut().rollback(mark);
        answered
    }

    /// Decodes a line with the engine's name table, without applying it (a probe such as the
    /// bid `gridbook quote` prices); its names stay in the table.
    pub fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        decode_line(self.priced.symbols_mut(), line)
    }
}
