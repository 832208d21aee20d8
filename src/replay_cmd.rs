//! `gridbook replay`: applies an order stream, writes events, summarises on stderr.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use gridbook_matcher::money::format_nano_wide;
use gridbook_matcher::stream::{RejectContext, Replay, ReplayStats};
use gridbook_matcher::{EngineConfig, RejectReason};

use crate::lines::{Line, LineReader};

/// Longest line accepted, in bytes. Real commands are well under 2 KiB.
pub(crate) const LINE_LEN_MAX_BYTES: usize = 1 << 20;

/// Arguments of `gridbook replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The order stream (JSON Lines), or `-` for standard input.
    pub(crate) input: PathBuf,
    /// Write events here instead of standard output.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

fn open_input(path: &PathBuf) -> Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(file))
}

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
    let input_name = args.input.display().to_string();
    let output_name =
        args.out.as_ref().map_or("standard output".into(), |p| p.display().to_string());
    let input = open_input(&args.input)?;
    let mut output = BufWriter::with_capacity(1 << 20, open_output(&args.out)?);
    let mut reader = LineReader::new(BufReader::with_capacity(1 << 20, input), LINE_LEN_MAX_BYTES);
    let mut replay = Replay::new(EngineConfig::default());
    let (mut line, mut events) = (Vec::with_capacity(4096), Vec::with_capacity(1 << 16));
    let mut line_no = 0u64;
    let started = Instant::now();
    while let Some(kind) =
        reader.next_line(&mut line).with_context(|| format!("cannot read {input_name}"))?
    {
        line_no += 1;
        match kind {
            Line::Text if line.iter().all(u8::is_ascii_whitespace) => continue,
            Line::Text => replay.line(line_no, &line, &mut events),
            Line::TooLong { len_bytes } => {
                let detail = format!("{len_bytes} bytes; at most {LINE_LEN_MAX_BYTES}");
                let context =
                    RejectContext { id: None, line: Some(line_no), detail: Some(&detail) };
                replay.reject(RejectReason::LineTooLong, context, &mut events);
            }
        }
        if events.len() >= 1 << 16 {
            output.write_all(&events).with_context(|| format!("cannot write {output_name}"))?;
            events.clear();
        }
    }
    output.write_all(&events).with_context(|| format!("cannot write {output_name}"))?;
    output.flush().with_context(|| format!("cannot write {output_name}"))?;
    let elapsed_s = started.elapsed().as_secs_f64();
    eprint!("{}", summary(&input_name, replay.stats(), replay.engine().resting(), elapsed_s));
    Ok(())
}

/// The human summary printed on stderr after a replay.
pub(crate) fn summary(input: &str, stats: &ReplayStats, resting: usize, elapsed_s: f64) -> String {
    let rate = if elapsed_s > 0.0 { stats.lines as f64 / elapsed_s } else { 0.0 };
    let slot_hours = stats.slot_ms as f64 / 3_600_000.0;
    let mut text = format!(
        "replayed {input}: {} lines, {} commands applied, {} rejected, in {elapsed_s:.3} s ({rate:.0} lines/s)\n\
         deals: {}, slots traded: {}, slot-hours: {slot_hours:.3}, value: {} tokens\n\
         resting at end: {resting} orders\n",
        stats.lines,
        stats.applied,
        stats.rejected_total(),
        stats.deals,
        stats.slots,
        format_nano_wide(stats.value_nano()),
    );
    if !stats.rejected.is_empty() {
        let reasons: Vec<String> =
            stats.rejected.iter().map(|(reason, n)| format!("{} {n}", reason.code())).collect();
        text.push_str(&format!("rejected by reason: {}\n", reasons.join(", ")));
    }
    text
}
