//! What the peer table runs: an engine fed the plain stream, commands prepared before timing,
//! fills counted in a [`Tally`] for the agreement check. gridbook's engine is one of them.

use gridbook_benches::plain::{
    gridbook_command, gridbook_config, tally_events, PlainCommand, Tally,
};
use gridbook_matcher::{Command, Engine, Event};

/// An order book as the table times it.
pub(crate) trait Contender {
    /// Its name in the table.
    const NAME: &'static str;
    /// A command in the engine's own form.
    type Command;
    /// The engine's form of every command of the stream, in order (before timing: ids,
    /// sequence numbers and structures are built here, never while timed).
    fn prepare(stream: &[PlainCommand]) -> Vec<Self::Command>;
    /// An empty book with room for about `resting` resting orders of a stream of `orders`.
    fn new(resting: usize, orders: usize) -> Self;
    /// Applies one command, counting its fills.
    fn apply(&mut self, command: &Self::Command, tally: &mut Tally);
}

/// gridbook's engine through `Engine::apply_into`, every event written to a reused buffer.
pub(crate) struct Gridbook {
    engine: Engine,
    events: Vec<Event>,
}

/// Commands 1 ms apart from 2026-01-01.
const START_MS: u64 = 1_767_225_600_000;

impl Contender for Gridbook {
    const NAME: &'static str = "gridbook";
    type Command = (u64, Command);

    fn prepare(stream: &[PlainCommand]) -> Vec<(u64, Command)> {
        stream.iter().zip(START_MS..).map(|(c, ts_ms)| (ts_ms, gridbook_command(c))).collect()
    }

    fn new(resting: usize, orders: usize) -> Gridbook {
        Gridbook {
            engine: Engine::new(gridbook_config(resting, orders)),
            events: Vec::with_capacity(1024),
        }
    }

    fn apply(&mut self, (ts_ms, command): &(u64, Command), tally: &mut Tally) {
        self.events.clear();
        self.engine.apply_into(command, *ts_ms, &mut self.events);
        tally_events(&self.events, tally);
    }
}
