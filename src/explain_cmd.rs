//! `gridbook explain STREAM ID`: why an order did (not) match. Replays the stream up to the
//! order's line, lists the resting orders of the other side nearest to trading with it at that
//! moment and every rule that kept each apart, then finishes the replay and shows what happened
//! to the order.
//!
//! With `--from-snapshot FILE` the replay starts where the snapshot left the market (priced as
//! it was taken) and STREAM, optional, holds the lines that followed. An order that arrives in
//! STREAM is explained at its arrival; one that does not but rests in the book at the end is
//! explained as it rests (`Engine::explain_resting`).

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use gridbook_matcher::money::{format_nano, format_offset_nano};
use gridbook_matcher::{Command, Price, Symbols};
use gridbook_pricing::answers::explain::{candidates, CandidateAnswer};
use gridbook_pricing::{LineReplay, PricedOptions};

use crate::lines::{Line, LineReader};
use crate::plural::count;
use crate::pricing_args::PricingArgs;
use crate::replay_cmd::LINE_LEN_MAX_BYTES;

/// Arguments of `gridbook explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The order stream (JSON Lines; with --from-snapshot, the lines that followed the
    /// snapshot, optional), then the id of the ask or bid to explain.
    #[arg(value_name = "[STREAM] ID", num_args = 1..=2, required = true)]
    pub(crate) stream_and_id: Vec<String>,
    /// Start from this snapshot (`gridbook snapshot`), priced as it was taken.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_snapshot: Option<PathBuf>,
    /// How many resting orders of the other side to list.
    #[arg(long, default_value_t = 5)]
    pub(crate) nearest: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the explanation found.
struct Found {
    /// The order's line; `None` for an order explained as it rests (from a snapshot).
    line_no: Option<u64>,
    ts_ms: u64,
    /// The order as it arrived; `None` for one explained as it rests.
    command: Option<Command>,
    candidates: Vec<CandidateAnswer>,
    /// The event lines that concern the order, as written.
    events: Vec<String>,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<()> {
    let (stream, id) = match args.stream_and_id.as_slice() {
        [stream, id] => (Some(Path::new(stream)), id.as_str()),
        [id] if args.from_snapshot.is_some() => (None, id.as_str()),
        _ => bail!("explain needs STREAM and ID (or --from-snapshot FILE and ID)"),
    };
    let unpriced = PricingArgs::default();
    let (mut replay, lines) = match &args.from_snapshot {
        Some(path) => {
            let options = PricedOptions::default();
            let restored = crate::snapshot_file::load(path, &unpriced, None, options)?;
            (restored.replay, restored.lines)
        }
        None => (unpriced.line_replay(None, PricedOptions::default())?, 0),
    };
    let mut found = match stream {
        Some(stream) => explain_in_stream(stream, &mut replay, lines, id, args.nearest)?,
        None => None,
    };
    if found.is_none() && args.from_snapshot.is_some() {
        let engine = replay.priced().engine();
        found = engine.explain_resting(id, args.nearest).map(|nearest| Found {
            line_no: None,
            ts_ms: engine.now_ms(),
            command: None,
            candidates: candidates(engine, &nearest),
            events: vec![],
        });
    }
    let Some(found) = found else {
        let name = stream.map_or("the stream".into(), |s| s.display().to_string());
        match &args.from_snapshot {
            Some(_) => bail!("no ask or bid with id {id:?} arrives in {name} or rests in the book"),
            None => bail!("{name} has no ask or bid with id {id:?}"),
        }
    };
    if args.json {
        println!("{}", explanation_json(&replay, id, &found));
    } else {
        print!("{}", explanation_text(&replay, id, &found));
    }
    Ok(())
}

/// Replays `stream` (its lines numbered after `lines`) into `replay`, explaining order `id` as
/// it arrives; what was found, if it arrived.
fn explain_in_stream(
    stream: &Path,
    replay: &mut LineReplay,
    lines: u64,
    id: &str,
    nearest: usize,
) -> Result<Option<Found>> {
    let name = stream.display().to_string();
    let file = File::open(stream).with_context(|| format!("cannot open {name}"))?;
    let mut reader = LineReader::new(BufReader::new(file), LINE_LEN_MAX_BYTES);
    let (mut line, mut out) = (Vec::new(), Vec::new());
    let mut found: Option<Found> = None;
    let needle = serde_json::to_string(id).context("id")?;
    let mut line_no = lines;
    while let Some(kind) =
        reader.next_line(&mut line).with_context(|| format!("cannot read {name}"))?
    {
        line_no += 1;
        if kind != Line::Text || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.clear();
        replay.line_inspected(line_no, &line, &mut out, |priced, ts_ms, command| {
            if found.is_none() && is_target(command, id) {
                let engine = priced.engine();
                let nearest = engine.explain(command, ts_ms, nearest);
                found = Some(Found {
                    line_no: Some(line_no),
                    ts_ms,
                    command: Some(command.clone()),
                    candidates: candidates(engine, &nearest),
                    events: vec![],
                });
            }
        });
        if let Some(found) = found.as_mut() {
            collect_events(&out, &needle, id, &mut found.events);
        }
    }
    Ok(found)
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

fn explanation_json(replay: &LineReplay, id: &str, found: &Found) -> Value {
    let order = found.command.as_ref().map(|command| order_summary(replay, command));
    json!({
        "id": id,
        "line": found.line_no,
        "ts": found.ts_ms,
        "order": order,
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

fn order_summary(replay: &LineReplay, command: &Command) -> String {
    let symbols = replay.priced().symbols();
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

fn explanation_text(replay: &LineReplay, id: &str, found: &Found) -> String {
    let (mut text, when, other) = match (&found.command, found.line_no) {
        (Some(command), Some(line_no)) => {
            let summary = order_summary(replay, command);
            let other = if matches!(command, Command::Bid(_)) { "asks" } else { "bids" };
            let head = format!("{id} (line {line_no}, ts {})\n  {summary}\n", found.ts_ms);
            (head, "On arrival", other)
        }
        _ => {
            let head = format!("{id} (resting in the book at ts {})\n", found.ts_ms);
            (head, "Now", "orders of the other side")
        }
    };
    if found.candidates.is_empty() {
        text.push_str(&format!("{when} there were no resting {other}.\n"));
    } else {
        text.push_str(&format!(
            "{when}, the nearest resting {other} (fewest rules against first):\n"
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
