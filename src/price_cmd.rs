//! `gridbook price STREAM --hw JSON`: for a provider, what a machine is worth in the market the
//! stream leaves — its class, the class reference, the best resting bid and ask, recent deal
//! prices (p10/p50/p90 over a window) and a suggested ask price with the reason.

use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::path::PathBuf;

use gridbook_matcher::money::format_nano;
use gridbook_matcher::Command;
use gridbook_pricing::{BookSummary, PricedReplay};

use crate::pricing_args::PricingArgs;
use crate::stream_file::replay_file;

/// Arguments of `gridbook price`.
#[derive(Debug, clap::Args)]
pub(crate) struct PriceArgs {
    /// The order stream that builds the market (JSON Lines).
    pub(crate) stream: PathBuf,
    /// The machine, as the `hw` object of an ask, e.g.
    /// '{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}'.
    #[arg(long)]
    pub(crate) hw: String,
    /// The pricing model whose reference is shown.
    #[arg(long, default_value = "vwap")]
    pub(crate) pricing: String,
    /// How far back recent deals count, ms of engine time.
    #[arg(long, default_value_t = 3_600_000)]
    pub(crate) window_ms: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

/// The `q`-th quantile (in per cent) of sorted `prices`, nearest rank.
fn quantile(prices: &[u64], q: usize) -> Option<u64> {
    if prices.is_empty() {
        return None;
    }
    let rank = (q * prices.len()).div_ceil(100).max(1);
    prices.get(rank - 1).copied()
}

pub(crate) fn run(args: &PriceArgs) -> Result<()> {
    let mut priced = args.pricing_args.priced_replay(&args.pricing)?;
    priced.record_deals(true);
    let mut deals = Vec::new();
    replay_file(&args.stream, &mut priced)?;
    deals.extend(priced.take_deals());
    let hw_value: Value =
        serde_json::from_str(&args.hw).map_err(|e| anyhow::anyhow!("--hw: {e}"))?;
    let probe = json!({"ts": 0, "op": "ask", "id": "price-probe", "price": "1", "qty": 1, "tif": "post",
        "owner": "0x0000000000000000000000000000000000000000", "hw": hw_value, "from": 0, "until": 1});
    let hw = match priced.decode(probe.to_string().as_bytes()) {
        Ok((_, Command::Ask(ask))) => ask.hw,
        Ok(_) => bail!("--hw: not a machine"),
        Err(error) => bail!("--hw: {}", error.detail),
    };
    let (taxonomy, symbols) = (priced.taxonomy(), priced.replay().decoder().symbols());
    let Some(class) = taxonomy.classify(&hw, symbols) else {
        bail!("--hw: this machine belongs to no class of the taxonomy")
    };
    let unit = taxonomy.class(class).unit;
    let per_slot = unit.units_per_slot(&hw);
    let slot = |unit_nano: Option<u64>| unit_nano.map(|p| format_nano(p.saturating_mul(per_slot)));
    let now_ms = priced.replay().engine().now_ms();
    let mut recent: Vec<u64> = deals
        .iter()
        .filter(|(c, _, _, ts)| *c == class && ts.saturating_add(args.window_ms) >= now_ms)
        .map(|(_, price, _, _)| *price)
        .collect();
    recent.sort_unstable();
    let summary = BookSummary::from_engine(priced.replay().engine(), taxonomy, symbols);
    let book = summary.class(class);
    let (best_bid, best_ask) =
        (book.and_then(|b| b.best_bid_nano()), book.and_then(|b| b.best_ask_nano()));
    let reference = priced.model().reference_nano(class);
    let (suggested, reason) =
        suggest(&priced, reference, best_bid, best_ask, quantile(&recent, 50));
    let answer = json!({
        "ts": now_ms,
        "class": taxonomy.class(class).name,
        "unit": unit.as_str(),
        "units_per_slot": per_slot,
        "reference": {"per_unit": reference.map(format_nano), "per_slot_hour": slot(reference)},
        "best_bid": {"per_unit": best_bid.map(format_nano), "per_slot_hour": slot(best_bid)},
        "best_ask": {"per_unit": best_ask.map(format_nano), "per_slot_hour": slot(best_ask)},
        "recent_deals": {"window_ms": args.window_ms, "count": recent.len(),
            "p10": slot(quantile(&recent, 10)), "p50": slot(quantile(&recent, 50)), "p90": slot(quantile(&recent, 90))},
        "suggested_ask": {"per_slot_hour": slot(suggested), "reason": reason},
    });
    if args.json {
        println!("{answer}");
    } else {
        print!("{}", text(&answer));
    }
    Ok(())
}

/// The suggested ask per unit, and why.
fn suggest(
    priced: &PricedReplay,
    reference: Option<u64>,
    best_bid: Option<u64>,
    best_ask: Option<u64>,
    median: Option<u64>,
) -> (Option<u64>, String) {
    let model = priced.model().name();
    match (reference, best_bid, median, best_ask) {
        (Some(r), Some(b), _, _) if b > r => (Some(b), format!("a resting bid pays {} per unit, above the {model} reference: an ask there trades at once", format_nano(b))),
        (Some(r), ..) => (Some(r), format!("the class reference under the {model} model")),
        (None, _, Some(m), _) => (Some(m), "the median price of the class's recent deals".into()),
        (None, _, None, Some(a)) => (Some(a), "no reference or recent deal: matching the cheapest resting ask".into()),
        _ => (None, "no reference, deal or resting ask in this class yet".into()),
    }
}

fn text(answer: &Value) -> String {
    let s = |v: &Value| v.as_str().map_or("-".to_string(), str::to_string);
    let pair = |v: &Value| {
        format!(
            "{} per {} ({} per slot-hour)",
            s(&v["per_unit"]),
            s(&answer["unit"]),
            s(&v["per_slot_hour"])
        )
    };
    let recent = &answer["recent_deals"];
    format!(
        "class {} ({} {} per slot), at ts {}\n  reference  {}\n  best bid   {}\n  best ask   {}\n  recent deals ({} in the last {} ms), per slot-hour: p10 {} p50 {} p90 {}\n  suggested ask {} per slot-hour: {}\n",
        s(&answer["class"]), answer["units_per_slot"], s(&answer["unit"]), answer["ts"],
        pair(&answer["reference"]), pair(&answer["best_bid"]), pair(&answer["best_ask"]),
        recent["count"], recent["window_ms"], s(&recent["p10"]), s(&recent["p50"]), s(&recent["p90"]),
        s(&answer["suggested_ask"]["per_slot_hour"]), s(&answer["suggested_ask"]["reason"])
    )
}
