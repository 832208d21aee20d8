//! The peer table: gridbook's engine and published Rust order books on the same plain stream
//! (`gridbook_benches::plain`: one instrument, 100 000 resting, 50 % passive orders, 30 %
//! cancels, 20 % crossing orders cut to what fills within their limit), side by side.
//!
//! Before timing, each engine's fills on the measured commands — count, quantity and Σ price ×
//! quantity — must equal the generator's model book's; an engine that disagrees is excluded
//! and the table says why. Then `--rounds` rounds; in each, every engine (in an order rotated
//! per round, so drift in the machine's speed hits all alike) builds a fresh book, applies the
//! warm-up and warm mix untimed, and is timed on the measured commands.
//!
//! Run: `cargo bench -p gridbook-benches --features peers --bench peers [-- --rounds 5
//! --measured 500000 --resting 100000 --seed 1]` (BENCHMARKS.md, "Against other order books").
//! Instructions per command, stable where wall-clock time is not: the bench binary under
//! `valgrind --tool=callgrind` with `--rounds 0 --measured 100000` (the agreement run only),
//! then `callgrind_annotate --inclusive=yes`: `peers::measured<ENGINE>` ÷ 100 000.

mod contender;
mod lobster;
mod matchcore;
mod orderbook_rs;
mod table;

use std::hint::black_box;
use std::time::{Duration, Instant};

use gridbook_benches::plain::{PlainCommand, PlainConfig, PlainStream, Tally};

use contender::{Contender, Gridbook};
use table::{Outcome, Shape};

/// One engine, its commands prepared: runs a fresh book and returns the measured commands'
/// fills and time.
struct Entry {
    name: &'static str,
    run: Box<dyn Fn() -> (Tally, Duration)>,
}

fn entry<C: Contender + 'static>(stream: &PlainStream, resting: usize) -> Entry {
    let all: Vec<PlainCommand> = stream.warm.iter().chain(&stream.measured).copied().collect();
    let prepared = C::prepare(&all);
    let warm = stream.warm.len();
    let run = move || {
        let mut book = C::new(resting, prepared.len());
        let mut untimed = Tally::default();
        for command in &prepared[..warm] {
            book.apply(command, &mut untimed);
        }
        let started = Instant::now();
        let tally = measured(&mut book, &prepared[warm..]);
        let elapsed = started.elapsed();
        black_box(&book);
        (tally, elapsed)
    };
    Entry { name: C::NAME, run: Box::new(run) }
}

/// The timed loop, never inlined so that `valgrind --tool=callgrind` reports its instructions
/// per engine (`callgrind_annotate --inclusive=yes`, `peers::measured<...>`).
#[inline(never)]
fn measured<C: Contender>(book: &mut C, commands: &[C::Command]) -> Tally {
    let mut tally = Tally::default();
    for command in commands {
        book.apply(command, &mut tally);
    }
    tally
}

fn main() {
    let shape = Shape::from_args(std::env::args().skip(1));
    let config = PlainConfig {
        seed: shape.seed,
        resting: shape.resting,
        warm_mix: shape.warm_mix,
        measured: shape.measured,
    };
    let stream = config.generate();
    let wanted = |name: &str| shape.only.as_ref().is_none_or(|only| name.starts_with(only));
    let mut entries = Vec::new();
    if wanted(Gridbook::NAME) {
        entries.push(entry::<Gridbook>(&stream, shape.resting));
    }
    if wanted(matchcore::Matchcore::NAME) {
        entries.push(entry::<matchcore::Matchcore>(&stream, shape.resting));
    }
    if wanted(lobster::Lobster::NAME) {
        entries.push(entry::<lobster::Lobster>(&stream, shape.resting));
    }
    if wanted(orderbook_rs::OrderbookRs::NAME) {
        entries.push(entry::<orderbook_rs::OrderbookRs>(&stream, shape.resting));
    }
    let mut outcomes: Vec<Outcome> = entries
        .iter()
        .map(|e| {
            let (tally, _) = (e.run)();
            Outcome::new(e.name, tally, stream.expected)
        })
        .collect();
    for round in 0..shape.rounds {
        for turn in 0..entries.len() {
            let at = (turn + round) % entries.len();
            if outcomes[at].agrees() {
                let (_, elapsed) = (entries[at].run)();
                outcomes[at].seconds.push(elapsed.as_secs_f64());
            }
        }
    }
    table::print(&shape, &stream, &outcomes);
}
