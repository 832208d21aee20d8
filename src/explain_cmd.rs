//! `gridbook explain STREAM ID`: why an order did (not) match. Replays the stream up to the
//! order's line, lists the resting orders of the other side nearest to trading with it at that
//! moment and every rule that kept each apart, then finishes the replay and shows what happened
//! to the order.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use gridbook_matcher::money::{format_nano, format_offset_nano};
use gridbook_matcher::stream::Replay;
use gridbook_matcher::{Command, Price, Symbols};
use gridbook_pricing::answers::explain::{candidates, CandidateAnswer};

use crate::lines::{Line, LineReader};
use crate::plural::count;
use crate::replay_cmd::LINE_LEN_MAX_BYTES;

/// Arguments of `gridbook explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The order stream (JSON Lines).
    pub(crate) stream: PathBuf,
    /// The id of the ask or bid to explain.
    pub(crate) id: String,
    /// How many resting orders of the other side to list.
    #[arg(long, default_value_t = 5)]
    pub(crate) nearest: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the explanation found.
struct Found {
    line_no: u64,
    ts_ms: u64,
    command: Command,
    candidates: Vec<CandidateAnswer>,
    /// The event lines that concern the order, as written.
    events: Vec<String>,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<()> {
    let name = args.stream.display().to_string();
    let file = File::open(&args.stream).with_context(|| format!("cannot open {name}"))?;
    let mut reader = LineReader::new(BufReader::new(file), LINE_LEN_MAX_BYTES);
    let mut replay = Replay::default();
    let (mut line, mut out) = (Vec::new(), Vec::new());
    let mut found: Option<Found> = None;
    let needle = serde_json::to_string(&args.id).context("id")?;
    let mut line_no = 0u64;
    while let Some(kind) =
        reader.next_line(&mut line).with_context(|| format!("cannot read {name}"))?
    {
        line_no += 1;
        if kind != Line::Text || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.clear();
        // As `Replay::line`: a rejected line's names are forgotten, so the replay goes on
        // exactly as `gridbook replay`'s.
        let mark = replay.names_mark();
        match replay.decode(&line) {
            Ok((ts_ms, command)) => {
                if found.is_none() && is_target(&command, &args.id) {
                    let nearest = replay.engine().explain(&command, ts_ms, args.nearest);
                    found = Some(Found {
                        line_no,
                        ts_ms,
                        command: command.clone(),
                        candidates: candidates(replay.engine(), &nearest),
                        events: vec![],
                    });
                }
                replay.apply(line_no, ts_ms, &command, &mut out);
                if replay.last_rejected() {
                    replay.rollback_names(mark);
                }
            }
            Err(error) => {
                replay.rollback_names(mark);
                replay.reject_undecodable(line_no, &error, &mut out);
            }
        }
        if let Some(found) = found.as_mut() {
            collect_events(&out, &needle, &args.id, &mut found.events);
        }
    }
    let Some(found) = found else {
        bail!("{name} has no ask or bid with id {:?}", args.id);
    };
    if args.json {
        println!("{}", explanation_json(&replay, &args.id, &found));
    } else {
        print!("{}", explanation_text(&replay, &args.id, &found));
    }
    Ok(())
}

fn is_target(command: &Command, id: &str) -> bool {
    matches!(command, Command::Ask(ask) if ask.id == id)
        || matches!(command, Command::Bid(bid) if bid.id == id)
}

/// The events among `out` (JSON lines) that concern `id`.
fn collect_events(out: &[u8], needle: &str, id: &str, events: &mut Vec<String>) {
    for event_line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if !event_line.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            continue;
        }
        let Ok(event) = serde_json::from_slice::<Value>(event_line) else { continue };
        let concerns = ["id", "bid", "ask"]
            .iter()
            .any(|key| event.get(*key).and_then(Value::as_str) == Some(id));
        if concerns {
            events.push(String::from_utf8_lossy(event_line).into_owned());
        }
    }
}

fn explanation_json(replay: &Replay, id: &str, found: &Found) -> Value {
    json!({
        "id": id,
        "line": found.line_no,
        "ts": found.ts_ms,
        "order": order_summary(replay, &found.command),
        "nearest": found.candidates,
        "events": found.events.iter().filter_map(|e| serde_json::from_str::<Value>(e).ok()).collect::<Vec<_>>(),
    })
}

/// A fixed price as a number; a peg as `class+offset` with its limit (`max`: a bid's ceiling,
/// `min`: an ask's floor).
fn price_text(symbols: &Symbols, price: &Price, bound: &str) -> String {
    match price {
        Price::Fixed(price_nano) => format_nano(*price_nano),
        Price::Pegged(peg) => {
            let offset = format_offset_nano(peg.offset_nano);
            let sign = if peg.offset_nano < 0 { "" } else { "+" };
            let (class, limit) = (symbols.name(peg.class), format_nano(peg.limit_nano));
            format!("{class}{sign}{offset} ({bound} {limit})")
        }
    }
}

fn order_summary(replay: &Replay, command: &Command) -> String {
    let symbols = replay.symbols();
    let names = |syms: &[gridbook_matcher::Sym]| -> String {
        syms.iter().map(|&s| symbols.name(s)).collect::<Vec<_>>().join("|")
    };
    match command {
        Command::Bid(bid) => {
            let r = &bid.req;
            let gpu = if r.gpu.is_empty() {
                "no GPU needed".to_string()
            } else {
                format!("{} x{} with >= {} GiB", names(&r.gpu), r.gpus.max(1), r.gpu_mem_gib)
            };
            let tee = r.tee.map_or("any TEE".to_string(), |t| format!("TEE {}", symbols.name(t)));
            let regions =
                if r.regions.is_empty() { "any region".to_string() } else { names(&r.regions) };
            format!(
                "bid: {} for {} ms at <= {} per slot-hour, start >= {}, end <= {}; needs >= {}, >= {} GiB, {gpu}, {tee}, {regions}",
                count(bid.qty, "slot", "slots"), bid.duration_ms, price_text(symbols, &bid.limit, "max"), bid.not_before_ms, bid.deadline_ms, count(u64::from(r.cpu), "core", "cores"), r.mem_gib
            )
        }
        Command::Ask(ask) => {
            let hw = &ask.hw;
            let gpu = hw.gpu.map_or("no GPU".to_string(), |g| {
                format!("{} x{} ({} GiB)", symbols.name(g), hw.gpus, hw.gpu_mem_gib)
            });
            let tee = hw.tee.map_or("no TEE".to_string(), |t| format!("TEE {}", symbols.name(t)));
            format!(
                "ask: {} at {} per slot-hour in [{}, {}); {}, {} GiB, {gpu}, {tee}, {}",
                count(ask.qty, "slot", "slots"),
                price_text(symbols, &ask.price, "min"),
                ask.from_ms,
                ask.until_ms,
                count(u64::from(hw.cpu), "core", "cores"),
                hw.mem_gib,
                symbols.name(hw.region)
            )
        }
        Command::Cancel(_) | Command::Tick | Command::Reference { .. } => String::new(),
    }
}

fn explanation_text(replay: &Replay, id: &str, found: &Found) -> String {
    let mut text = format!(
        "{id} (line {}, ts {})\n  {}\n",
        found.line_no,
        found.ts_ms,
        order_summary(replay, &found.command)
    );
    let other = if matches!(found.command, Command::Bid(_)) { "asks" } else { "bids" };
    if found.candidates.is_empty() {
        text.push_str(&format!("On arrival there were no resting {other}.\n"));
    } else {
        text.push_str(&format!(
            "On arrival, the nearest resting {other} (fewest rules against first):\n"
        ));
        for c in &found.candidates {
            let verdict = if c.excluded_by.is_empty() {
                "could trade".to_string()
            } else {
                format!("excluded by {}", c.excluded_by.join(", "))
            };
            text.push_str(&format!(
                "  {:<20} price {:<12} qty {:<8} {verdict}\n",
                c.id, c.price, c.remaining
            ));
        }
    }
    text.push_str("What happened to it:\n");
    for event in &found.events {
        text.push_str(&format!("  {event}\n"));
    }
    text
}
