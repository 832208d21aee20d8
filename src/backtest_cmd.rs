//! `gridbook backtest STREAM --models vwap,ewma,...`: replays one stream under each pricing
//! model and compares them side by side: how well each model's reference predicted the next
//! deal of its class, how much it moved, and — since pegged orders follow it — how much traded.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use gridbook_matcher::money::format_nano_wide;
use gridbook_pricing::backtest::{score, Scores};
use gridbook_pricing::MODEL_NAMES;

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

fn percent(bps: Option<u128>) -> String {
    bps.map_or("-".into(), |bps| format!("{}.{:02}%", bps / 100, bps % 100))
}

fn row(model: &str, s: &Scores) -> String {
    format!(
        "| {model} | {} | {} | {} | {} | {} | {} | {} |",
        s.deals,
        s.mae_nano().map_or("-".into(), format_nano_wide),
        percent(s.mape_bps()),
        percent(s.volatility_bps()),
        percent(s.fill_rate_bps()),
        s.traded_slots,
        format_nano_wide(s.value_nano)
    )
}
