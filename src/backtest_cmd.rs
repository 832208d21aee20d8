//! `gridbook backtest STREAM --models vwap,ewma,...`: replays one stream under each pricing
//! model and compares them side by side: how well each model's reference predicted the next
//! deal of its class, how much it moved, and — since pegged orders follow it — how much traded.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use gridbook_matcher::money::format_nano_wide;
use gridbook_pricing::{LineReplay, MODEL_NAMES};

use crate::lines::{Line, LineReader};
use crate::pricing_args::PricingArgs;
use crate::replay_cmd::LINE_LEN_MAX_BYTES;

/// Arguments of `gridbook backtest`.
#[derive(Debug, clap::Args)]
pub(crate) struct BacktestArgs {
    /// The order stream (JSON Lines).
    pub(crate) stream: PathBuf,
    /// Models to compare, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "vwap,ewma,utilization,clearing")]
    pub(crate) models: Vec<String>,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

/// What one model did over the stream. Errors are integers: nano-units and basis points.
#[derive(Debug, Default)]
struct Scores {
    deals: u64,
    /// Deals whose class had a reference before them (the ones the error is measured on).
    predicted: u64,
    abs_error_nano: u128,
    abs_error_bps: u128,
    moves: u64,
    abs_move_bps: u128,
    bid_slots: u64,
    traded_slots: u64,
    value_nano: u128,
}

pub(crate) fn run(args: &BacktestArgs) -> Result<()> {
    for model in &args.models {
        anyhow::ensure!(
            MODEL_NAMES.contains(&model.as_str()),
            "unknown model {model:?} (known: {})",
            MODEL_NAMES.join(", ")
        );
    }
    let lines = read_lines(&args.stream)?;
    println!("| model | deals | next-deal MAE (per unit) | next-deal MAPE | reference volatility (mean move) | fill rate | slots traded | value traded |");
    println!("|---|---|---|---|---|---|---|---|");
    for model in &args.models {
        let options = args.pricing_args.options(true, true);
        let mut priced = args.pricing_args.line_replay(Some(model), options)?;
        let scores = score(&mut priced, &lines);
        println!("{}", row(model, &scores));
    }
    Ok(())
}

fn read_lines(path: &PathBuf) -> Result<Vec<Vec<u8>>> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
    let mut reader = LineReader::new(BufReader::new(file), LINE_LEN_MAX_BYTES);
    let (mut lines, mut line) = (Vec::new(), Vec::new());
    while let Some(kind) =
        reader.next_line(&mut line).with_context(|| format!("cannot read {name}"))?
    {
        // Over-long lines would be rejected by every model alike; they change no score.
        lines.push(if kind == Line::Text { line.clone() } else { Vec::new() });
    }
    Ok(lines)
}

fn score(replay: &mut LineReplay, lines: &[Vec<u8>]) -> Scores {
    let mut scores = Scores::default();
    let classes = replay.priced().taxonomy().len();
    let mut last_reference: Vec<Option<u64>> = vec![None; classes];
    let (mut out, mut before) = (Vec::new(), Vec::with_capacity(classes));
    for (at, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The reference each class had before this line is the model's prediction of its deals.
        before.clear();
        let model = replay.priced().model().expect("a backtest prices with a model");
        before.extend(
            (0..classes).map(|c| model.reference_nano(gridbook_pricing::ClassId(c as u32))),
        );
        out.clear();
        replay.line(at as u64 + 1, line, &mut out);
        let priced = replay.priced_mut();
        for (class, unit_price_nano, _units, _ts) in priced.take_deals() {
            scores.deals += 1;
            if let Some(reference) = before[class.index()] {
                let error = u128::from(reference.abs_diff(unit_price_nano));
                scores.predicted += 1;
                scores.abs_error_nano += error;
                scores.abs_error_bps += error * 10_000 / u128::from(unit_price_nano.max(1));
            }
        }
        for row in priced.take_rows() {
            let (Some(now), Some(previous)) =
                (row.reference_nano, last_reference[row.class.index()])
            else {
                last_reference[row.class.index()] =
                    row.reference_nano.or(last_reference[row.class.index()]);
                continue;
            };
            scores.moves += 1;
            scores.abs_move_bps +=
                u128::from(now.abs_diff(previous)) * 10_000 / u128::from(previous.max(1));
            last_reference[row.class.index()] = Some(now);
        }
    }
    let stats = replay.stats();
    scores.traded_slots = stats.slots;
    scores.bid_slots = replay.priced().bid_slots_accepted();
    scores.value_nano = stats.value_nano();
    scores
}

fn ratio_bps(numerator: u128, denominator: u128) -> String {
    if denominator == 0 {
        return "-".into();
    }
    let bps = numerator * 10_000 / denominator;
    format!("{}.{:02}%", bps / 100, bps % 100)
}

fn row(model: &str, s: &Scores) -> String {
    let mean = |sum: u128, n: u64| if n == 0 { None } else { Some(sum / u128::from(n)) };
    let mae = mean(s.abs_error_nano, s.predicted).map_or("-".into(), format_nano_wide);
    let mape = mean(s.abs_error_bps, s.predicted)
        .map_or("-".into(), |bps| format!("{}.{:02}%", bps / 100, bps % 100));
    let vol = mean(s.abs_move_bps, s.moves)
        .map_or("-".into(), |bps| format!("{}.{:02}%", bps / 100, bps % 100));
    format!(
        "| {model} | {} | {mae} | {mape} | {vol} | {} | {} | {} |",
        s.deals,
        ratio_bps(u128::from(s.traded_slots), u128::from(s.bid_slots)),
        s.traded_slots,
        format_nano_wide(s.value_nano)
    )
}
