//! `gridbook replay`: applies an order stream, writes events, summarises on stderr.
//!
//! Events go out as soon as the input has no further line ready when the output is a pipe or
//! a terminal, so a program can drive the engine line by line through `replay -`; into a
//! file they are written in large blocks. A stream whose every line was rejected gets a hint
//! about what the file looks like instead (`sniff.rs`); `--strict` makes any rejected line
//! an error. With `--from-snapshot FILE` the replay starts where the snapshot left the market
//! (its lines numbered after the snapshot's), so a snapshot and the rest of a stream give the
//! events of the rest of the whole stream, byte for byte.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Instant;

use gridbook_matcher::money::format_nano_wide;
use gridbook_matcher::stream::{RejectContext, ReplayStats};
use gridbook_matcher::RejectReason;

use crate::lines::LineReader;
use crate::plural::count;
use crate::price_csv::PriceCsv;
use crate::pricing_args::PricingArgs;
use crate::replay_pipeline::{Kind, Pipeline};

/// Longest line accepted, in bytes. Real commands are well under 2 KiB.
pub(crate) const LINE_LEN_MAX_BYTES: usize = 1 << 20;

/// Arguments of `gridbook replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The order stream (JSON Lines), or `-` for standard input; with --from-snapshot, the
    /// lines that followed the snapshot (none if absent).
    #[arg(required_unless_present = "from_snapshot")]
    pub(crate) input: Option<PathBuf>,
    /// Start from this snapshot (`gridbook snapshot`): its market, then the input's lines
    /// numbered after the snapshot's.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_snapshot: Option<PathBuf>,
    /// Write events here instead of standard output.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Apply a pricing model inside the engine (vwap, ewma, utilization, clearing; `none`: the
    /// plain engine, the default): its class references re-price pegged orders as they move.
    /// With --from-snapshot, the snapshot's model unless given.
    #[arg(long, value_name = "MODEL")]
    pub(crate) pricing: Option<String>,
    /// With --pricing: write the reference price series per class here (CSV).
    #[arg(long, value_name = "FILE.csv", requires = "pricing")]
    pub(crate) prices_out: Option<PathBuf>,
    /// Exit with an error when any line was rejected (after writing every event).
    #[arg(long)]
    pub(crate) strict: bool,
    /// Write the state hash after the last line here (`0x` + 64 hex digits and a newline):
    /// keccak-256 of the engine's, model's and driver's snapshot bytes — what a node that
    /// journaled these lines reports in `GET /v1/health` at the same seq.
    #[arg(long, value_name = "FILE")]
    pub(crate) state_hash: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

fn open_input(path: Option<&Path>) -> Result<Box<dyn Read + Send>> {
    let Some(path) = path else { return Ok(Box::new(io::empty())) };
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(file))
}

/// Whether events should go out line by line: the output is standard output and it is a
/// pipe or a terminal (something may be waiting for them), not a regular file.
fn output_is_live(path: &Option<PathBuf>) -> bool {
    if path.is_some() {
        return false;
    }
    let stdout = io::stdout();
    let Ok(fd) = stdout.as_fd().try_clone_to_owned() else { return true };
    File::from(fd).metadata().map_or(true, |m| !m.file_type().is_file())
}

/// The first bytes of the first non-blank line, kept for the hint of an all-rejected stream.
const SNIFF_LEN_BYTES: usize = 512;

fn open_output(path: &Option<PathBuf>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Box::new(file)
        }
        None => Box::new(io::stdout().lock()),
    })
}

pub(crate) fn run(args: &ReplayArgs) -> Result<()> {
    let input_name = match (&args.input, &args.from_snapshot) {
        (Some(input), _) => input.display().to_string(),
        (None, Some(snapshot)) => snapshot.display().to_string(),
        (None, None) => unreachable!("clap requires an input or a snapshot"),
    };
    let output_name =
        args.out.as_ref().map_or("standard output".into(), |p| p.display().to_string());
    let input = open_input(args.input.as_deref())?;
    let mut output = BufWriter::with_capacity(1 << 20, open_output(&args.out)?);
    let reader = LineReader::new(BufReader::with_capacity(1 << 20, input), LINE_LEN_MAX_BYTES);
    let options = args.pricing_args.options(args.prices_out.is_some(), false);
    let model = args.pricing.as_deref();
    let (mut replay, lines_before) = match &args.from_snapshot {
        Some(path) => {
            let restored = crate::snapshot_file::load(path, &args.pricing_args, model, options)?;
            (restored.replay, restored.lines)
        }
        None => (args.pricing_args.line_replay(model, options)?, 0),
    };
    let mut prices = match &args.prices_out {
        Some(path) => Some(PriceCsv::create(path)?),
        None => None,
    };
    let mut events = Vec::with_capacity(1 << 16);
    let mut first_line: Option<Vec<u8>> = None;
    let live = output_is_live(&args.out);
    let started = Instant::now();
    let pipeline = Pipeline::start(reader, lines_before);
    for batch in &pipeline.batches {
        let mut batch = batch.with_context(|| format!("cannot read {input_name}"))?;
        let mut lines = std::mem::take(&mut batch.lines);
        for line in &mut lines {
            match &mut line.kind {
                Kind::Blank => continue,
                Kind::Text { decoded, trace } => {
                    let bytes = &batch.text[line.span.clone()];
                    let sniff = &bytes[..bytes.len().min(SNIFF_LEN_BYTES)];
                    first_line.get_or_insert_with(|| sniff.to_vec());
                    let trace = &batch.traces[trace.clone()];
                    let (line_no, names) = (line.line_no, &mut batch.names);
                    replay.line_decoded(line_no, bytes, decoded.take(), trace, names, &mut events);
                }
                Kind::TooLong { len_bytes } => {
                    let detail = format!("{len_bytes} bytes; at most {LINE_LEN_MAX_BYTES}");
                    let context =
                        RejectContext { id: None, line: Some(line.line_no), detail: Some(&detail) };
                    replay.reject(RejectReason::LineTooLong, context, &mut events);
                }
            }
            if let Some(csv) = prices.as_mut() {
                csv.write(replay.priced_mut())?;
            }
            if events.len() >= 1 << 16 {
                output.write_all(&events).with_context(|| format!("cannot write {output_name}"))?;
                events.clear();
            }
        }
        batch.lines = lines;
        // Before the reader waits for input, hand over what the lines so far produced.
        if live && batch.input_idle && !events.is_empty() {
            output.write_all(&events).with_context(|| format!("cannot write {output_name}"))?;
            output.flush().with_context(|| format!("cannot write {output_name}"))?;
            events.clear();
        }
        pipeline.recycle(batch);
    }
    pipeline.finish();
    output.write_all(&events).with_context(|| format!("cannot write {output_name}"))?;
    output.flush().with_context(|| format!("cannot write {output_name}"))?;
    if let Some(csv) = prices.as_mut() {
        csv.finish()?;
    }
    if let Some(path) = &args.state_hash {
        let mut state = Vec::new();
        replay.write_snapshot(&mut state);
        let hash = alloy_primitives::hex::encode_prefixed(alloy_primitives::keccak256(&state));
        std::fs::write(path, format!("{hash}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    let (stats, resting) = (replay.stats(), replay.priced().engine().resting());
    eprint!("{}", summary(&input_name, stats, resting, elapsed_s));
    let rejected = stats.rejected_total();
    if rejected > 0 && stats.applied == 0 {
        let first = first_line.unwrap_or_default();
        eprintln!("hint: every line was rejected; {}", crate::sniff::hint(&first));
    }
    if args.strict && rejected > 0 {
        bail!("--strict: {rejected} of {} rejected", count(stats.lines, "line", "lines"));
    }
    Ok(())
}

/// The human summary printed on stderr after a replay.
pub(crate) fn summary(input: &str, stats: &ReplayStats, resting: usize, elapsed_s: f64) -> String {
    let rate = if elapsed_s > 0.0 { stats.lines as f64 / elapsed_s } else { 0.0 };
    let slot_hours = stats.slot_ms as f64 / 3_600_000.0;
    let mut text = format!(
        "replayed {input}: {}, {} applied, {} rejected, in {elapsed_s:.3} s ({rate:.0} lines/s)\n\
         deals: {}, slots traded: {}, slot-hours: {slot_hours:.3}, value: {} tokens\n\
         resting at end: {}\n",
        count(stats.lines, "line", "lines"),
        count(stats.applied, "command", "commands"),
        stats.rejected_total(),
        stats.deals,
        stats.slots,
        format_nano_wide(stats.value_nano()),
        count(resting as u64, "order", "orders"),
    );
    if !stats.rejected.is_empty() {
        // Capacity rejections are told apart by the bound they reached.
        let label = |reason: &RejectReason| match reason {
            RejectReason::Capacity(bound) => format!("capacity ({})", bound.key()),
            other => other.code().to_string(),
        };
        let reasons: Vec<String> =
            stats.rejected.iter().map(|(reason, n)| format!("{} {n}", label(reason))).collect();
        text.push_str(&format!("rejected by reason: {}\n", reasons.join(", ")));
    }
    text
}
