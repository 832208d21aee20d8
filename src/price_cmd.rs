//! `gridbook price STREAM --hw JSON`: for a provider, what a machine is worth in the market the
//! stream leaves (`gridbook_pricing::answers::price`, which the live node's `GET /v1/price`
//! answers too), printed as JSON or as text made from it. With `--from-snapshot FILE` the
//! market starts where the snapshot left it, and STREAM (optional) holds what followed.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::PathBuf;

use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::{Command, RejectReason};
use gridbook_pricing::answers::price;

use crate::plural::count;
use crate::pricing_args::PricingArgs;
use crate::question::Market;

/// Arguments of `gridbook price`.
#[derive(Debug, clap::Args)]
pub(crate) struct PriceArgs {
    /// The order stream that builds the market (JSON Lines); with --from-snapshot, the lines
    /// that followed the snapshot (none if absent).
    #[arg(required_unless_present = "from_snapshot")]
    pub(crate) stream: Option<PathBuf>,
    /// Start from this snapshot (`gridbook snapshot`) instead of an empty market.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_snapshot: Option<PathBuf>,
    /// The machine, as the `hw` object of an ask, e.g.
    /// '{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}'.
    #[arg(long)]
    pub(crate) hw: String,
    /// When the machine is free from, ms since the epoch (default: the end of the stream).
    #[arg(long, value_name = "MS")]
    pub(crate) from: Option<u64>,
    /// Until when, ms since the epoch (default: the latest time the engine accepts).
    #[arg(long, value_name = "MS")]
    pub(crate) until: Option<u64>,
    /// The provider: bids of this address are not counted (no trade with oneself).
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "0x0000000000000000000000000000000000000000"
    )]
    pub(crate) owner: String,
    /// The pricing model whose reference is shown [default: vwap; with --from-snapshot, the
    /// snapshot's].
    #[arg(long, value_name = "MODEL")]
    pub(crate) pricing: Option<String>,
    /// How far back recent deals count, ms of engine time (from a snapshot: at most an hour).
    #[arg(long, default_value_t = 3_600_000)]
    pub(crate) window_ms: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

/// The machine of `args` as an ask over its window, at `now_ms`: its probe line.
fn probe_line(args: &PriceArgs, now_ms: u64) -> Result<String> {
    let hw: Value = serde_json::from_str(&args.hw).map_err(|e| anyhow::anyhow!("--hw: {e}"))?;
    let (from, until) = (args.from.unwrap_or(now_ms), args.until.unwrap_or(TIME_MS_MAX));
    if until <= from {
        bail!("--until {until} must be after --from {from}");
    }
    Ok(price::probe_line(&hw, &args.owner, (from, until), now_ms))
}

pub(crate) fn run(args: &PriceArgs) -> Result<()> {
    if args.from_snapshot.is_some() {
        crate::snapshot_file::check_window(args.window_ms)?;
    }
    let options = args.pricing_args.options(false, true);
    let from = args.from_snapshot.as_deref();
    let model = args.pricing.as_deref();
    let Market { replay: mut priced, deals, .. } =
        Market::build(from, args.stream.as_deref(), &args.pricing_args, model, options)?;
    let line = probe_line(args, priced.priced().engine().now_ms())?;
    // The machine's names are the market's while the answer is made, and forgotten after.
    let answered = priced.probe(line.as_bytes(), |priced, command| match command {
        Command::Ask(machine) => price::price(priced, &machine, &deals, args.window_ms)
            .map_err(|no_class| anyhow::anyhow!("--hw: {no_class}")),
        _ => bail!("--hw: not a machine"),
    });
    let answer = match answered {
        Ok(answer) => answer?,
        Err(error) if error.reason == RejectReason::BadOwner => bail!("--owner: {}", error.detail),
        Err(error) => bail!("--hw: {}", error.detail),
    };
    let answer = serde_json::to_value(answer).context("the answer as JSON")?;
    if args.json {
        println!("{answer}");
    } else {
        print!("{}", text(&answer));
    }
    Ok(())
}

fn text(answer: &Value) -> String {
    let s = |v: &Value| v.as_str().map_or("-".to_string(), str::to_string);
    let unit = s(&answer["unit"]);
    let pair = |v: &Value| {
        format!("{} per {unit} ({} per slot-hour)", s(&v["per_unit"]), s(&v["per_slot_hour"]))
    };
    let reference = match answer["reference"]["per_unit"].is_null() {
        true => "no reference yet".to_string(),
        false => pair(&answer["reference"]),
    };
    let bid = &answer["best_bid"];
    let best_bid = match bid["slots"].as_u64() {
        None => "none: no resting bid accepts this machine and its window now".to_string(),
        Some(slots) => format!(
            "{}, for {} at that limit or above: the best bid this machine can serve now",
            pair(bid),
            count(slots, "slot", "slots")
        ),
    };
    let best_ask = match answer["best_ask"]["per_unit"].is_null() {
        true => "none in the class".to_string(),
        false => format!("{} in the class", pair(&answer["best_ask"])),
    };
    let recent = &answer["recent_deals"];
    let deals = match recent["count"].as_u64().unwrap_or(0) {
        0 => format!("(none in the last {} ms)", recent["window_ms"]),
        n => format!(
            "({n} in the last {} ms), per slot-hour: p10 {} p50 {} p90 {}",
            recent["window_ms"],
            s(&recent["p10"]),
            s(&recent["p50"]),
            s(&recent["p90"])
        ),
    };
    let suggested = &answer["suggested_ask"];
    let suggested_price = match suggested["per_slot_hour"].as_str() {
        Some(price) => format!("{price} per slot-hour"),
        None => "none".to_string(),
    };
    let per_slot = answer["units_per_slot"].as_u64().unwrap_or(1);
    format!(
        "class {} ({} per slot), at ts {}\n  reference  {reference}\n  best bid   {best_bid}\n  best ask   {best_ask}\n  recent deals {deals}\n  suggested ask {suggested_price}: {}\n",
        s(&answer["class"]),
        count(per_slot, &unit, &format!("{unit}s")),
        answer["ts"],
        s(&suggested["reason"])
    )
}
