//! `gridbook feeds INPUT --out DIR`: the market-data feeds of a recorded market, as tables —
//! the same numbers a node's live feed published for the same history.
//!
//! INPUT is an order stream (a node's exported journal is one) or a node's data directory (its
//! journal and `market.json`, read without disturbing a running node). The stream is replayed
//! through the same line codec as `gridbook replay` and the node, and each command's journal
//! line and events go through [`gridbook_feeds::Feeds::apply`], exactly as the node's publisher
//! does: every trade, every reference, each candle's final figures, and at each multiple of
//! `--interval-ms` at which something changed, the tickers and the best levels of each class.
//!
//! An events file alone is not enough: events name orders but carry no terms (machine,
//! requirements, price), which depth needs; the journal has them.

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use gridbook_feeds::offline::{OfflineFeeds, Sampling};
use gridbook_node::market_file::MarketFile;
use gridbook_pricing::{LineReplay, PricedEngine, PricedOptions};

use crate::lines::{Line, LineReader};
use crate::pricing_args::{parts, PricingArgs, Sources, UNPRICED};
use crate::replay_cmd::LINE_LEN_MAX_BYTES;
use crate::tables::{write_tables, Table, TableFormat};

/// Arguments of `gridbook feeds`.
#[derive(Debug, clap::Args)]
pub(crate) struct FeedsArgs {
    /// An order stream (JSON Lines; a node's export), or a node's data directory.
    pub(crate) input: PathBuf,
    /// The folder the tables go into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// The tables' format.
    #[arg(long, value_enum, default_value = "csv")]
    pub(crate) format: TableFormat,
    /// Tickers and depth are written at each multiple of this much engine time, ms, at which
    /// something changed since the last rows.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub(crate) interval_ms: u64,
    /// Best levels per side in the depth rows.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) depth_levels: usize,
    /// The pricing model the stream ran under (as `gridbook replay --pricing`); a data
    /// directory's own market is used when INPUT is one.
    #[arg(long, value_name = "MODEL")]
    pub(crate) pricing: Option<String>,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

pub(crate) fn run(args: &FeedsArgs) -> Result<()> {
    let tables = offline_tables(args)?;
    let written = write_tables(&args.out, args.format, &tables)?;
    for (table, path) in tables.iter().zip(&written) {
        let rows = table.rows().map_err(|kind| anyhow::anyhow!("{kind}"))?;
        eprintln!("wrote {} ({rows} rows)", path.display());
    }
    Ok(())
}

/// The tables of INPUT's feeds.
fn offline_tables(args: &FeedsArgs) -> Result<Vec<Table>> {
    if args.interval_ms == 0 {
        bail!("--interval-ms must be at least 1");
    }
    let (mut replay, priced) = market_of(args)?;
    let sampling = Sampling { interval_ms: args.interval_ms, depth_levels: args.depth_levels };
    let mut feeds = OfflineFeeds::new(&replay, priced, sampling);
    let mut first_line: Option<Vec<u8>> = None;
    let mut follow = |seq: u64, line: &[u8], replay: &mut LineReplay| -> Result<()> {
        first_line.get_or_insert_with(|| line[..line.len().min(512)].to_vec());
        feeds
            .follow(seq, line, replay)
            .with_context(|| format!("the feeds cannot follow line {seq}"))
    };
    if args.input.is_dir() {
        let mut failed = None;
        gridbook_node::journal::read_only(&args.input, |seq, line| {
            follow(seq, line.as_bytes(), &mut replay).map_err(|error| {
                let detail = format!("{error:#}");
                failed = Some(error);
                detail
            })
        })
        .map_err(|error| failed.take().unwrap_or_else(|| anyhow::Error::new(error)))
        .with_context(|| format!("reading the journal in {}", args.input.display()))?;
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        let name = args.input.display().to_string();
        let mut reader =
            LineReader::new(BufReader::with_capacity(1 << 20, file), LINE_LEN_MAX_BYTES);
        let (mut line, mut line_no) = (Vec::new(), 0);
        while let Some(kind) =
            reader.next_line(&mut line).with_context(|| format!("cannot read {name}"))?
        {
            line_no += 1;
            match kind {
                Line::Text if line.iter().all(u8::is_ascii_whitespace) => {}
                Line::Text => follow(line_no, &line, &mut replay)?,
                // Refused as `gridbook replay` refuses it: a rejection, which the feeds ignore.
                Line::TooLong { .. } => {}
            }
        }
    }
    // An events file, or anything else that is not an order stream, has no line the engine
    // accepts: say so rather than write empty tables.
    let stats = replay.stats();
    eprintln!(
        "followed {}: {} lines, {} applied, {} rejected",
        args.input.display(),
        stats.lines,
        stats.applied,
        stats.rejected_total()
    );
    if let (Some(first), 0) = (&first_line, stats.applied) {
        bail!(
            "no line of {} was applied: it is not an order stream ({}); an events file cannot be followed, its orders' terms are in the journal",
            args.input.display(),
            crate::sniff::hint(first)
        );
    }
    Ok(feeds.finish())
}

/// The replay INPUT needs, and whether it is priced.
fn market_of(args: &FeedsArgs) -> Result<(LineReplay, bool)> {
    let (market, sources) = if args.input.is_dir() {
        let market = MarketFile::read(&args.input).map_err(anyhow::Error::msg)?;
        let Some(market) = market else {
            bail!("{} has no market.json: not a node's data directory", args.input.display())
        };
        let name = format!("{}/market.json", args.input.display());
        (market, Sources { classes: name.clone(), pricing_config: name })
    } else {
        let named = |path: &Option<PathBuf>| path.as_ref().map(|p| p.display().to_string());
        let sources = Sources {
            classes: named(&args.pricing_args.classes).unwrap_or_default(),
            pricing_config: named(&args.pricing_args.pricing_config).unwrap_or_default(),
        };
        (args.pricing_args.market(args.pricing.as_deref())?, sources)
    };
    let options = PricedOptions {
        book_interval_ms: market.book_interval_ms,
        publish_step_bps: market.publish_step_bps,
        ..PricedOptions::default()
    };
    let (taxonomy, model) = parts(&market, &sources)?;
    let engine = gridbook_matcher::EngineConfig::default();
    let priced = market.pricing != UNPRICED;
    Ok((LineReplay::new(PricedEngine::new(engine, taxonomy, model, options)), priced))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbook_matcher::stream::encode_command;
    use gridbook_matcher::workload::{Workload, WorkloadConfig};
    use gridbook_pricing::Taxonomy;

    /// Rule: the feed tables of a priced market with pegged orders hold, in Parquet, exactly
    /// the figures of their CSV, as polars and pyarrow read them.
    #[test]
    fn the_feed_tables_read_the_same_in_polars_and_pyarrow_from_both_formats() {
        let config = WorkloadConfig {
            seed: 5,
            configs: 8,
            resting: 200,
            orders: 3_000,
            pegged_percent: 30,
            ..WorkloadConfig::default()
        };
        let mut workload = Workload::with_classes(config, &Taxonomy::default_taxonomy());
        let mut text = String::new();
        while let Some((ts_ms, command)) = workload.next() {
            // A thousandfold stretch of time, so the market spans many minutes.
            let ts_ms = 1_767_225_600_000 + (ts_ms - 1_767_225_600_000) * 1_000;
            text.push_str(&encode_command(workload.symbols(), ts_ms, &command));
            text.push('\n');
        }
        let dir = std::env::temp_dir().join(format!("gridbook-feeds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let input = dir.join("market.jsonl");
        std::fs::write(&input, text).expect("written");
        let args = FeedsArgs {
            input,
            out: dir.join("out"),
            format: TableFormat::Csv,
            interval_ms: 60_000,
            depth_levels: 10,
            pricing: Some("ewma".into()),
            pricing_args: PricingArgs::default(),
        };
        let tables = offline_tables(&args).expect("the feeds of the market");
        let rows = |name: &str| {
            let table = tables.iter().find(|t| t.name == name).expect("the table");
            table.rows().expect("a whole table")
        };
        assert!(rows("trades") > 100 && rows("candles") > 20 && rows("tickers") > 20);
        assert!(rows("depth") > 100 && rows("references") > 0);
        crate::tables::tests::check_with_python("feeds", &tables);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rule: input with no line the engine accepts (here an events file, the mistake the
    /// issue's wording invites) is an error that says what it looks like, not empty tables.
    #[test]
    fn an_events_file_is_refused_with_what_it_looks_like() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let args = FeedsArgs {
            input: root.join("examples/market.events.jsonl"),
            out: std::env::temp_dir().join("gridbook-feeds-unused"),
            format: TableFormat::Csv,
            interval_ms: 60_000,
            depth_levels: 10,
            pricing: None,
            pricing_args: PricingArgs::default(),
        };
        let error = offline_tables(&args).expect_err("an events file is not an order stream");
        let text = format!("{error:#}");
        assert!(text.contains("no line of") && text.contains("events file"), "{text}");
    }
}
