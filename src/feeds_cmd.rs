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

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use gridbook_feeds::{
    read_events, Candle, DepthKey, FeedMessage, Feeds, FeedsConfig, Interval, ReferencePoint,
    Ticker, Trade,
};
use gridbook_node::market_file::MarketFile;
use gridbook_pricing::{ClassId, LineReplay, PricedEngine, PricedOptions};

use crate::lines::{Line, LineReader};
use crate::pricing_args::{parts, PricingArgs, Sources, UNPRICED};
use crate::replay_cmd::LINE_LEN_MAX_BYTES;
use crate::tables::{write_tables, Column, Table, TableFormat};

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

/// What the offline feed keeps while it reads: every trade and reference, the last state of
/// every candle, the tickers and depth rows at interval boundaries.
struct Collected {
    trades: Vec<Trade>,
    references: Vec<ReferencePoint>,
    candles: BTreeMap<(ClassId, Interval, u64), Candle>,
    /// `(boundary ms, ticker)`.
    tickers: Vec<(u64, Ticker)>,
    /// `(boundary ms, class, side, level, price, qty)`.
    depth: Vec<(u64, ClassId, &'static str, u64, u64, u64)>,
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
    let taxonomy = replay.priced().taxonomy().clone();
    let config = FeedsConfig { priced, ..FeedsConfig::default() };
    let mut feeds = Feeds::new(taxonomy, config);
    let mut collected = Collected {
        trades: Vec::new(),
        references: Vec::new(),
        candles: BTreeMap::new(),
        tickers: Vec::new(),
        depth: Vec::new(),
    };
    let mut sampler = Sampler { next_ms: None, changed: false };
    let mut first_line: Option<Vec<u8>> = None;
    let mut follow = |seq: u64, line: &[u8], replay: &mut LineReplay| -> Result<()> {
        first_line.get_or_insert_with(|| line[..line.len().min(512)].to_vec());
        let mut events = Vec::new();
        replay.line(seq, line, &mut events);
        if let Some(first_ts) = first_ts(&events) {
            sampler.pass(first_ts, args, &feeds, &mut collected);
        }
        let mut messages = Vec::new();
        feeds
            .apply(seq, line, &events, &mut messages)
            .with_context(|| format!("the feeds cannot follow line {seq}"))?;
        sampler.changed |= !messages.is_empty();
        collect(messages, &mut collected);
        Ok(())
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
    sampler.finish(args, &feeds, &mut collected);
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
    Ok(tables(&feeds, collected))
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

/// The `ts` of a step's first event (every step has one).
fn first_ts(events: &[u8]) -> Option<u64> {
    read_events(events).next()?.ok().map(|event| event.ts_ms)
}

fn collect(messages: Vec<FeedMessage>, collected: &mut Collected) {
    for message in messages {
        match message {
            FeedMessage::Trade(trade) => collected.trades.push(trade),
            FeedMessage::Reference(point) => collected.references.push(point),
            FeedMessage::Candle { class, interval, candle } => {
                collected.candles.insert((class, interval, candle.start_ms), candle);
            }
            FeedMessage::Depth { .. } | FeedMessage::Ticker(_) => {}
        }
    }
}

/// Writes tickers and depth rows at the interval boundaries the stream passes.
struct Sampler {
    /// The next boundary, once the stream has a time.
    next_ms: Option<u64>,
    /// Whether any feed message came since the last rows.
    changed: bool,
}

impl Sampler {
    /// A command at `ts_ms` is next: rows for the boundary it passes (the market as it was
    /// just before it), if anything changed.
    fn pass(&mut self, ts_ms: u64, args: &FeedsArgs, feeds: &Feeds, collected: &mut Collected) {
        let interval = args.interval_ms;
        let next = *self.next_ms.get_or_insert_with(|| (ts_ms / interval + 1) * interval);
        if ts_ms < next {
            return;
        }
        if self.changed {
            sample(next, args.depth_levels, feeds, collected);
            self.changed = false;
        }
        self.next_ms = Some((ts_ms / interval + 1) * interval);
    }

    /// The stream ended: rows at the boundary after its last command, if anything changed.
    fn finish(&mut self, args: &FeedsArgs, feeds: &Feeds, collected: &mut Collected) {
        if let (Some(next), true) = (self.next_ms, self.changed) {
            sample(next, args.depth_levels, feeds, collected);
        }
    }
}

/// Every class's ticker, and the best `levels` of each side of its depth, as of `at_ms`.
fn sample(at_ms: u64, levels: usize, feeds: &Feeds, collected: &mut Collected) {
    collected.tickers.extend(feeds.tickers().map(|ticker| (at_ms, ticker.clone())));
    for at in 0..feeds.taxonomy().len() as u32 {
        let class = ClassId(at);
        let depth = feeds.book().depth(feeds.book().channel(DepthKey::Class(class)));
        for (side, prices) in
            [("ask", depth.asks().collect::<Vec<_>>()), ("bid", depth.bids().collect())]
        {
            for (level, (price, qty)) in prices.into_iter().take(levels).enumerate() {
                collected.depth.push((at_ms, class, side, level as u64 + 1, price, qty));
            }
        }
    }
}

fn tables(feeds: &Feeds, collected: Collected) -> Vec<Table> {
    let taxonomy = feeds.taxonomy();
    let name = |class: ClassId| taxonomy.class(class).name.clone();
    let unit = |class: ClassId| taxonomy.class(class).unit.as_str().to_owned();
    let trades = &collected.trades;
    let trade_class = |t: &Trade| t.class.map(|(class, _)| class);
    let trades = Table {
        name: "trades",
        columns: vec![
            ("deal", Column::U64(trades.iter().map(|t| t.deal).collect())),
            ("ts", Column::TimeMs(trades.iter().map(|t| t.ts_ms).collect())),
            ("class", Column::OptText(trades.iter().map(|t| trade_class(t).map(name)).collect())),
            ("unit", Column::OptText(trades.iter().map(|t| trade_class(t).map(unit)).collect())),
            ("price", Column::Nano(trades.iter().map(|t| t.price_nano).collect())),
            ("unit_price", Column::OptNano(trades.iter().map(Trade::unit_price_nano).collect())),
            ("qty", Column::U64(trades.iter().map(|t| t.qty).collect())),
            ("units", Column::OptU64(trades.iter().map(Trade::units).collect())),
            ("start", Column::TimeMs(trades.iter().map(|t| t.start_ms).collect())),
            ("end", Column::TimeMs(trades.iter().map(|t| t.end_ms).collect())),
            ("bid", Column::Text(trades.iter().map(|t| t.bid.clone()).collect())),
            ("ask", Column::Text(trades.iter().map(|t| t.ask.clone()).collect())),
        ],
    };
    let candles: Vec<_> = collected.candles.iter().collect();
    let candles = Table {
        name: "candles",
        columns: vec![
            ("class", Column::Text(candles.iter().map(|((c, _, _), _)| name(*c)).collect())),
            (
                "interval",
                Column::Text(candles.iter().map(|((_, i, _), _)| i.name().to_owned()).collect()),
            ),
            ("start", Column::TimeMs(candles.iter().map(|(_, c)| c.start_ms).collect())),
            ("open", Column::Nano(candles.iter().map(|(_, c)| c.open_nano).collect())),
            ("high", Column::Nano(candles.iter().map(|(_, c)| c.high_nano).collect())),
            ("low", Column::Nano(candles.iter().map(|(_, c)| c.low_nano).collect())),
            ("close", Column::Nano(candles.iter().map(|(_, c)| c.close_nano).collect())),
            ("volume", Column::U64(candles.iter().map(|(_, c)| c.volume).collect())),
            ("trades", Column::U64(candles.iter().map(|(_, c)| c.trades).collect())),
        ],
    };
    let tickers = &collected.tickers;
    let change = |t: &Ticker| {
        t.change_24h_nano
            .map(|c| i64::try_from(c).unwrap_or(if c < 0 { i64::MIN } else { i64::MAX }))
    };
    let tickers = Table {
        name: "tickers",
        columns: vec![
            ("at", Column::TimeMs(tickers.iter().map(|(at, _)| *at).collect())),
            ("class", Column::Text(tickers.iter().map(|(_, t)| name(t.class)).collect())),
            ("unit", Column::Text(tickers.iter().map(|(_, t)| unit(t.class)).collect())),
            ("ts", Column::TimeMs(tickers.iter().map(|(_, t)| t.ts_ms).collect())),
            ("best_bid", Column::OptNano(tickers.iter().map(|(_, t)| t.best_bid_nano).collect())),
            ("best_ask", Column::OptNano(tickers.iter().map(|(_, t)| t.best_ask_nano).collect())),
            ("last", Column::OptNano(tickers.iter().map(|(_, t)| t.last_nano).collect())),
            ("reference", Column::OptNano(tickers.iter().map(|(_, t)| t.reference_nano).collect())),
            ("volume_24h", Column::U64(tickers.iter().map(|(_, t)| t.volume_24h).collect())),
            ("change_24h", Column::SignedNano(tickers.iter().map(|(_, t)| change(t)).collect())),
            ("supply", Column::U64(tickers.iter().map(|(_, t)| t.supply).collect())),
            ("demand", Column::U64(tickers.iter().map(|(_, t)| t.demand).collect())),
        ],
    };
    let depth = &collected.depth;
    let depth = Table {
        name: "depth",
        columns: vec![
            ("at", Column::TimeMs(depth.iter().map(|row| row.0).collect())),
            ("class", Column::Text(depth.iter().map(|row| name(row.1)).collect())),
            ("side", Column::Text(depth.iter().map(|row| row.2.to_owned()).collect())),
            ("level", Column::U64(depth.iter().map(|row| row.3).collect())),
            ("price", Column::Nano(depth.iter().map(|row| row.4).collect())),
            ("qty", Column::U64(depth.iter().map(|row| row.5).collect())),
        ],
    };
    let references = &collected.references;
    let references = Table {
        name: "references",
        columns: vec![
            ("class", Column::Text(references.iter().map(|r| r.class.clone()).collect())),
            ("ts", Column::TimeMs(references.iter().map(|r| r.ts_ms).collect())),
            ("price", Column::Nano(references.iter().map(|r| r.price_nano).collect())),
        ],
    };
    vec![trades, candles, tickers, depth, references]
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

    #[test]
    fn a_steps_first_ts_is_read_from_its_first_event() {
        let events = b"{\"seq\":12,\"ts\":1767225600010,\"type\":\"accepted\",\"id\":\"a\"}\n";
        assert_eq!(first_ts(events), Some(1_767_225_600_010));
        assert_eq!(first_ts(b""), None);
    }
}
