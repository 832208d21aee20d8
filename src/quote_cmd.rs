//! `gridbook quote STREAM --bid LINE`: for a requester, what a bid would get if it arrived
//! after the stream (`gridbook_pricing::answers::quote`, which the live node's `POST /v1/quote`
//! answers too), printed as JSON or as text made from it. With `--from-snapshot FILE` the book
//! starts where the snapshot left it, and STREAM (optional) holds what followed.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::PathBuf;

use gridbook_matcher::Command;
use gridbook_pricing::answers::quote;

use crate::plural::count;
use crate::pricing_args::PricingArgs;
use crate::question::Market;

/// Arguments of `gridbook quote`.
#[derive(Debug, clap::Args)]
pub(crate) struct QuoteArgs {
    /// The order stream that builds the book (JSON Lines); with --from-snapshot, the lines
    /// that followed the snapshot (none if absent).
    #[arg(required_unless_present = "from_snapshot")]
    pub(crate) stream: Option<PathBuf>,
    /// Start from this snapshot (`gridbook snapshot`) instead of an empty book.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_snapshot: Option<PathBuf>,
    /// The bid to quote, as one line of the order stream (its ts is ignored: the quote is at
    /// the end of the stream; it is not applied).
    #[arg(long)]
    pub(crate) bid: String,
    /// The pricing model whose class references are shown [default: vwap; with
    /// --from-snapshot, the snapshot's].
    #[arg(long, value_name = "MODEL")]
    pub(crate) pricing: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

pub(crate) fn run(args: &QuoteArgs) -> Result<()> {
    let options = args.pricing_args.options(false, false);
    let from = args.from_snapshot.as_deref();
    let model = args.pricing.as_deref();
    let Market { replay: mut priced, .. } =
        Market::build(from, args.stream.as_deref(), &args.pricing_args, model, options)?;
    // The bid's names are the market's while the quote is made, and forgotten after.
    let answered = priced.probe(args.bid.as_bytes(), |priced, command| match command {
        Command::Bid(bid) => Ok(quote::quote(priced, &bid)),
        _ => bail!("--bid must be a bid (\"op\":\"bid\")"),
    });
    let answer = match answered {
        Ok(answer) => answer?,
        Err(error) => bail!("--bid: {error}"),
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
