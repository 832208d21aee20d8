//! The peer table's options and output: the agreement check, then each engine's rate per round
//! and its ratio to gridbook's in the same round, as Markdown for BENCHMARKS.md.

use gridbook_benches::plain::{PlainStream, Tally};

/// The stream's size and how many rounds to time.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) seed: u64,
    pub(crate) resting: usize,
    pub(crate) warm_mix: usize,
    pub(crate) measured: usize,
    pub(crate) rounds: usize,
    /// Run only the engines whose names start with this (for profiling one).
    pub(crate) only: Option<String>,
}

impl Shape {
    /// `--seed`, `--resting`, `--warm-mix`, `--measured`, `--rounds`; cargo's own `--bench` is
    /// ignored. Exits with a message on anything else.
    pub(crate) fn from_args(mut args: impl Iterator<Item = String>) -> Shape {
        let mut shape = Shape {
            seed: 1,
            resting: 100_000,
            warm_mix: 100_000,
            measured: 500_000,
            rounds: 5,
            only: None,
        };
        while let Some(name) = args.next() {
            if name == "--bench" {
                continue;
            }
            if name == "--only" {
                shape.only = args.next();
                continue;
            }
            let value = args.next().and_then(|v| v.parse::<u64>().ok());
            let Some(value) = value else { usage(&format!("{name} needs a number")) };
            let value_usize = usize::try_from(value).unwrap_or(usize::MAX);
            match name.as_str() {
                "--seed" => shape.seed = value,
                "--resting" => shape.resting = value_usize,
                "--warm-mix" => shape.warm_mix = value_usize,
                "--measured" => shape.measured = value_usize,
                "--rounds" => shape.rounds = value_usize,
                _ => usage(&format!("unknown option {name}")),
            }
        }
        shape
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("peers: {problem}");
    eprintln!(
        "options: --seed N --resting N --warm-mix N --measured N --rounds N --only NAME \
         (defaults 1, 100000, 100000, 500000, 5, every engine)"
    );
    std::process::exit(2)
}

/// One engine's fills and its timed runs.
pub(crate) struct Outcome {
    name: &'static str,
    tally: Tally,
    expected: Tally,
    /// Seconds for the measured commands, one per round.
    pub(crate) seconds: Vec<f64>,
}

impl Outcome {
    pub(crate) fn new(name: &'static str, tally: Tally, expected: Tally) -> Outcome {
        Outcome { name, tally, expected, seconds: Vec::new() }
    }

    /// Its fills equal the model's: count, quantity and Σ price × quantity.
    pub(crate) fn agrees(&self) -> bool {
        self.tally == self.expected
    }
}

/// Prints the agreement check and the table.
pub(crate) fn print(shape: &Shape, stream: &PlainStream, outcomes: &[Outcome]) {
    println!(
        "plain stream: seed {}, {} resting ({} after the run), {} warm mix commands, {} measured, \
         {} rounds\n",
        shape.seed,
        shape.resting,
        stream.resting_after,
        shape.warm_mix,
        shape.measured,
        shape.rounds
    );
    println!("| engine | trades | quantity | Σ price × qty (ticks) | agrees |");
    println!("|---|---|---|---|---|");
    let e = stream.expected;
    println!("| model book (expected) | {} | {} | {} | |", e.trades, e.qty, e.notional_ticks);
    for o in outcomes {
        let t = o.tally;
        let verdict = if o.agrees() { "yes" } else { "**no: excluded**" };
        println!("| {} | {} | {} | {} | {verdict} |", o.name, t.trades, t.qty, t.notional_ticks);
    }
    let rates = |o: &Outcome| -> Vec<f64> {
        o.seconds.iter().map(|s| shape.measured as f64 / s / 1e6).collect()
    };
    let Some(first) = outcomes.first() else { return };
    // gridbook comes first unless `--only` left it out; ratios are then to the first engine.
    let gridbook = rates(first);
    println!(
        "\n| engine | M commands/s (min – median – max) | ÷ gridbook, same round (min – median – max) |"
    );
    println!("|---|---|---|");
    for o in outcomes.iter().filter(|o| o.agrees()) {
        let rate = rates(o);
        let ratio: Vec<f64> = rate.iter().zip(&gridbook).map(|(r, g)| r / g).collect();
        println!("| {} | {} | {} |", o.name, spread(&rate, 2), spread(&ratio, 2));
    }
}

/// `min – median – max` (or `min – max` of two), to `digits` decimals.
fn spread(values: &[f64], digits: usize) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.as_slice() {
        [] => "—".to_string(),
        [only] => format!("{only:.digits$}"),
        [low, high] => format!("{low:.digits$} – {high:.digits$}"),
        _ => {
            let (low, mid, high) = (sorted[0], sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
            format!("{low:.digits$} – {mid:.digits$} – {high:.digits$}")
        }
    }
}
