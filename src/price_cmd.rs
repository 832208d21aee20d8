//! `gridbook price STREAM --hw JSON`: for a provider, what a machine is worth in the market the
//! stream leaves — its class, the class reference, the best resting bid **this machine can
//! serve** (its requirements accept the machine, its time terms fit the machine's window, and
//! it is not the provider's own), the class's best ask, recent deal prices (p10/p50/p90 over a
//! window) and a suggested ask with the reason. When the suggestion says it trades at once, an
//! `ioc` ask at that price for that machine fills at least one slot: the best bid comes from the
//! engine's own planner (`gridbook_pricing::advice`).

use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::path::PathBuf;

use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Ask, Command, RejectReason};
use gridbook_pricing::advice::{best_bid_for, suggest_ask, AskInputs, AskReason};
use gridbook_pricing::{BookSummary, LineReplay};

use crate::plural::count;
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

/// The machine as an ask over its window, decoded with the replay's names (its price and
/// quantity are placeholders the advice ignores).
fn machine(replay: &mut LineReplay, args: &PriceArgs, now_ms: u64) -> Result<Ask> {
    let hw: Value = serde_json::from_str(&args.hw).map_err(|e| anyhow::anyhow!("--hw: {e}"))?;
    let (from, until) = (args.from.unwrap_or(now_ms), args.until.unwrap_or(TIME_MS_MAX));
    let probe = json!({"ts": now_ms, "op": "ask", "id": "price-probe", "price": "1", "qty": 1,
        "tif": "ioc", "owner": args.owner, "hw": hw, "from": from, "until": until});
    if until <= from {
        bail!("--until {until} must be after --from {from}");
    }
    match replay.decode(probe.to_string().as_bytes()) {
        Ok((_, Command::Ask(ask))) => Ok(ask),
        Ok(_) => bail!("--hw: not a machine"),
        Err(error) if error.reason == RejectReason::BadOwner => bail!("--owner: {}", error.detail),
        Err(error) => bail!("--hw: {}", error.detail),
    }
}

pub(crate) fn run(args: &PriceArgs) -> Result<()> {
    let options = args.pricing_args.options(false, true);
    let mut replay = args.pricing_args.line_replay(Some(&args.pricing), options)?;
    replay_file(&args.stream, &mut replay)?;
    let deals = replay.priced_mut().take_deals();
    let now_ms = replay.priced().engine().now_ms();
    let machine = machine(&mut replay, args, now_ms)?;
    let priced = replay.priced();
    let model = priced.model().expect("`gridbook price` prices with a model");
    let (taxonomy, symbols) = (priced.taxonomy(), priced.symbols());
    let Some(class) = taxonomy.classify(&machine.hw, symbols) else {
        bail!("--hw: this machine belongs to no class of the taxonomy")
    };
    let unit = taxonomy.class(class).unit;
    let per_slot = unit.units_per_slot(&machine.hw);
    let slot = |unit_nano: Option<u64>| unit_nano.map(|p| p.saturating_mul(per_slot));
    let per_unit = |slot_nano: u64| taxonomy.normalise_nano(class, &machine.hw, slot_nano);
    let mut recent: Vec<u64> = deals
        .iter()
        .filter(|(c, _, _, ts)| *c == class && ts.saturating_add(args.window_ms) >= now_ms)
        .map(|(_, price, _, _)| *price)
        .collect();
    recent.sort_unstable();
    let summary = BookSummary::from_engine(priced.engine(), taxonomy, symbols);
    let best_ask = summary.class(class).and_then(|b| b.best_ask_nano());
    let reference = model.reference_nano(class);
    let best_bid = best_bid_for(priced.engine(), &machine);
    let inputs = AskInputs {
        best_bid_nano: best_bid.map(|b| b.price_nano),
        reference_nano: slot(reference),
        recent_median_nano: slot(quantile(&recent, 50)),
        class_best_ask_nano: slot(best_ask),
    };
    let (suggested, reason) = suggest_ask(inputs);
    let price = |unit_nano: Option<u64>| json!({"per_unit": unit_nano.map(format_nano), "per_slot_hour": slot(unit_nano).map(format_nano)});
    let recent_slot = |q| slot(quantile(&recent, q)).map(format_nano);
    let answer = json!({
        "ts": now_ms,
        "class": taxonomy.class(class).name,
        "unit": unit.as_str(),
        "units_per_slot": per_slot,
        "reference": price(reference),
        "best_bid": {"per_unit": best_bid.map(|b| format_nano(per_unit(b.price_nano))),
            "per_slot_hour": best_bid.map(|b| format_nano(b.price_nano)),
            "slots": best_bid.map(|b| b.slots)},
        "best_ask": price(best_ask),
        "recent_deals": {"window_ms": args.window_ms, "count": recent.len(),
            "p10": recent_slot(10), "p50": recent_slot(50), "p90": recent_slot(90)},
        "suggested_ask": {"per_slot_hour": suggested.map(format_nano),
            "trades_at_once": reason == AskReason::TradesAtOnce,
            "reason": reason_text(reason, reference.is_some(), model.name())},
    });
    if args.json {
        println!("{answer}");
    } else {
        print!("{}", text(&answer));
    }
    Ok(())
}

/// Why the ask is suggested, in words.
fn reason_text(reason: AskReason, has_reference: bool, model: &str) -> String {
    match reason {
        AskReason::TradesAtOnce if has_reference => format!(
            "the best bid this machine can serve pays that, at or above the {model} reference: \
             an ask there trades at once"
        ),
        AskReason::TradesAtOnce => "no reference yet; the best bid this machine can serve pays \
            that: an ask there trades at once"
            .into(),
        AskReason::Reference => format!(
            "the class reference under the {model} model; no bid this machine can serve pays that \
             much now, so an ask there rests until one does"
        ),
        AskReason::RecentDeals => "no reference and no bid this machine can serve yet: the median \
            of the class's recent deals"
            .into(),
        AskReason::CheapestAsk => "no reference, recent deal or bid this machine can serve yet: \
            the cheapest resting ask of the class"
            .into(),
        AskReason::Nothing => {
            "no reference, deal, bid or ask for this machine's class yet: nothing to go by".into()
        }
    }
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
