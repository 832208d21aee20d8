//! `gridbook quote STREAM --bid LINE`: for a requester, what a bid would get if it arrived
//! after the stream — whether it fills now, at what total cost, its best and worst slot price,
//! the depth available at its limit, the cheapest ask it could take now at any limit (none when
//! no resting ask fits its requirements and time terms), and the reference price of each
//! eligible class. Fills come from the engine's own planner: a bid sent now at the quoted limit
//! fills exactly what the quote says.

use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::path::PathBuf;

use gridbook_matcher::money::{format_nano, format_nano_wide};
use gridbook_matcher::{Command, IdLookup};
use gridbook_pricing::advice::cheapest_ask_for;
use gridbook_pricing::book::bid_units_per_slot;
use gridbook_pricing::{LineReplay, PricedEngine};

use crate::plural::count;
use crate::pricing_args::PricingArgs;
use crate::stream_file::replay_file;

/// Arguments of `gridbook quote`.
#[derive(Debug, clap::Args)]
pub(crate) struct QuoteArgs {
    /// The order stream that builds the book (JSON Lines).
    pub(crate) stream: PathBuf,
    /// The bid to quote, as one line of the order stream (its ts is ignored: the quote is at
    /// the end of the stream; it is not applied).
    #[arg(long)]
    pub(crate) bid: String,
    /// The pricing model whose class references are shown.
    #[arg(long, default_value = "vwap")]
    pub(crate) pricing: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

pub(crate) fn run(args: &QuoteArgs) -> Result<()> {
    let options = args.pricing_args.options(false, false);
    let mut replay: LineReplay = args.pricing_args.line_replay(Some(&args.pricing), options)?;
    replay_file(&args.stream, &mut replay)?;
    let command = match replay.decode(args.bid.as_bytes()) {
        Ok((_, command)) => command,
        Err(error) => bail!("--bid: {error}"),
    };
    let Command::Bid(bid) = command else { bail!("--bid must be a bid (\"op\":\"bid\")") };
    let priced = replay.priced();
    let engine = priced.engine();
    let quote = engine.quote(&bid);
    let duration_ms = u128::from(bid.duration_ms);
    let cost_nano: u128 = quote
        .fills
        .iter()
        .map(|f| u128::from(f.price_nano) * u128::from(f.qty) * duration_ms)
        .sum::<u128>()
        / 3_600_000;
    let fills: Vec<Value> = quote
        .fills
        .iter()
        .map(|f| {
            json!({"ask": engine.order_id(f.order), "qty": f.qty, "price": format_nano(f.price_nano),
                   "start": f.start_ms, "end": f.end_ms})
        })
        .collect();
    let classes = eligible_classes(priced, &quote.eligible_groups, &bid.req);
    let cheapest_ask = cheapest_ask_for(engine, &bid);
    let answer = json!({
        "ts": engine.now_ms(),
        "qty": bid.qty,
        "limit": quote.limit_nano.map(format_nano),
        "fills_now": quote.filled == bid.qty,
        "filled": quote.filled,
        "total_cost": format_nano_wide(cost_nano),
        "best_slot_price": quote.fills.iter().map(|f| f.price_nano).min().map(format_nano),
        "worst_slot_price": quote.fills.iter().map(|f| f.price_nano).max().map(format_nano),
        "depth_at_limit": quote.depth_at_limit,
        "cheapest_ask": cheapest_ask.map(format_nano),
        "fills": fills,
        "classes": classes,
    });
    if args.json {
        println!("{answer}");
    } else {
        print!("{}", text(&answer));
    }
    Ok(())
}

/// Each class with a configuration the bid fits, and its reference per slot-hour for this bid.
fn eligible_classes(
    priced: &PricedEngine,
    configs: &[u32],
    req: &gridbook_matcher::Requirements,
) -> Vec<Value> {
    let (engine, taxonomy, symbols) = (priced.engine(), priced.taxonomy(), priced.symbols());
    let model = priced.model().expect("`gridbook quote` prices with a model");
    let mut seen = Vec::new();
    for &config in configs {
        let Some(class) =
            engine.config_hardware(config).and_then(|hw| taxonomy.classify(hw, symbols))
        else {
            continue;
        };
        if !seen.contains(&class) {
            seen.push(class);
        }
    }
    seen.sort();
    seen.iter()
        .map(|&class| {
            let unit = taxonomy.class(class).unit;
            let per_slot = bid_units_per_slot(unit, req);
            let reference = model.reference_nano(class);
            json!({
                "class": taxonomy.class(class).name,
                "reference_per_unit": reference.map(format_nano),
                "unit": unit.as_str(),
                "reference_per_slot_hour": reference.map(|r| format_nano(r.saturating_mul(per_slot))),
            })
        })
        .collect()
}

fn text(answer: &Value) -> String {
    let s = |v: &Value| v.as_str().map_or("-".to_string(), str::to_string);
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let filled = n(&answer["filled"]);
    let mut text = format!(
        "quote at ts {}: {filled} of {} {} now{} (limit {})\n",
        answer["ts"],
        count(n(&answer["qty"]), "slot", "slots"),
        if filled == 1 { "fills" } else { "fill" },
        if answer["fills_now"] == true { "" } else { " — NOT all" },
        s(&answer["limit"])
    );
    text.push_str(&format!(
        "total cost {} tokens; slot price best {} worst {}; depth at the limit {}\n",
        s(&answer["total_cost"]),
        s(&answer["best_slot_price"]),
        s(&answer["worst_slot_price"]),
        count(n(&answer["depth_at_limit"]), "slot", "slots")
    ));
    if answer["fills_now"] != true {
        match answer["cheapest_ask"].as_str() {
            Some(price) => text.push_str(&format!(
                "cheapest ask this bid can take now: {price} per slot-hour (a limit there fills at least 1 slot)\n"
            )),
            None => text.push_str(
                "no resting ask fits this bid's requirements and time terms now\n",
            ),
        }
    }
    for fill in answer["fills"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "  take {} x {} at {} ({}..{})\n",
            fill["qty"],
            s(&fill["ask"]),
            s(&fill["price"]),
            fill["start"],
            fill["end"]
        ));
    }
    text.push_str("eligible classes (reference per unit / per slot-hour of this bid):\n");
    for class in answer["classes"].as_array().into_iter().flatten() {
        let reference = match class["reference_per_unit"].as_str() {
            Some(per_unit) => format!(
                "{per_unit} per {} / {}",
                s(&class["unit"]),
                s(&class["reference_per_slot_hour"])
            ),
            None => "no reference yet".to_string(),
        };
        text.push_str(&format!("  {:<18} {reference}\n", s(&class["class"])));
    }
    text
}
