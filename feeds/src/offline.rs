//! The feeds of a recorded market as tables ([`OfflineFeeds`]): what `gridbook feeds` writes and
//! what the Python package's `gridbook.feeds` returns — every trade and reference, each candle's
//! final figures, and at each multiple of the sampling interval at which something changed, the
//! tickers and the best levels of each class.
//!
//! The caller replays the stream (its own [`LineReplay`], built for the market the stream ran
//! under) and hands each line here; the lines go through the replay and then [`Feeds::apply`],
//! exactly as a node's publisher follows its journal, so the tables hold the figures the live
//! feeds published for the same history. No I/O.

use std::collections::BTreeMap;

use gridbook_pricing::{ClassId, LineReplay};

use crate::table::{Column, Table};
use crate::{
    read_events, Candle, DepthKey, FeedMessage, Feeds, FeedsConfig, FeedsError, Interval,
    ReferencePoint, Ticker, Trade,
};

/// How the tables are sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Tickers and depth are taken at each multiple of this much engine time, ms (at least 1),
    /// at which something changed since the last rows.
    pub interval_ms: u64,
    /// Best levels per side in the depth rows.
    pub depth_levels: usize,
}

/// What the offline feed keeps while it reads: every trade and reference, the last state of
/// every candle, the tickers and depth rows at interval boundaries.
#[derive(Default)]
struct Collected {
    trades: Vec<Trade>,
    references: Vec<ReferencePoint>,
    candles: BTreeMap<(ClassId, Interval, u64), Candle>,
    /// `(boundary ms, ticker)`.
    tickers: Vec<(u64, Ticker)>,
    /// `(boundary ms, class, side, level, price, qty)`.
    depth: Vec<(u64, ClassId, &'static str, u64, u64, u64)>,
}

/// The feeds of a stream being replayed, collected into tables.
pub struct OfflineFeeds {
    feeds: Feeds,
    sampling: Sampling,
    collected: Collected,
    /// The next boundary, once the stream has a time.
    next_ms: Option<u64>,
    /// Whether any feed message came since the last rows.
    changed: bool,
    events: Vec<u8>,
    messages: Vec<FeedMessage>,
}

impl OfflineFeeds {
    /// Feeds for the market `replay` runs (its taxonomy; `priced` when it runs under a model),
    /// sampled as `sampling` says (an interval of 0 is taken as 1 ms).
    pub fn new(replay: &LineReplay, priced: bool, sampling: Sampling) -> OfflineFeeds {
        let taxonomy = replay.priced().taxonomy().clone();
        let config = FeedsConfig { priced, ..FeedsConfig::default() };
        let sampling = Sampling { interval_ms: sampling.interval_ms.max(1), ..sampling };
        OfflineFeeds {
            feeds: Feeds::new(taxonomy, config),
            sampling,
            collected: Collected::default(),
            next_ms: None,
            changed: false,
            events: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// Applies line `seq` of the stream to `replay` and follows its events.
    pub fn follow(
        &mut self,
        seq: u64,
        line: &[u8],
        replay: &mut LineReplay,
    ) -> Result<(), FeedsError> {
        self.events.clear();
        replay.line(seq, line, &mut self.events);
        let first_ts = read_events(&self.events).next().and_then(Result::ok).map(|e| e.ts_ms);
        if let Some(ts_ms) = first_ts {
            self.pass(ts_ms);
        }
        self.messages.clear();
        self.feeds.apply(seq, line, &self.events, &mut self.messages)?;
        self.changed |= !self.messages.is_empty();
        for message in self.messages.drain(..) {
            match message {
                FeedMessage::Trade(trade) => self.collected.trades.push(trade),
                FeedMessage::Reference(point) => self.collected.references.push(point),
                FeedMessage::Candle { class, interval, candle } => {
                    self.collected.candles.insert((class, interval, candle.start_ms), candle);
                }
                FeedMessage::Depth { .. } | FeedMessage::Ticker(_) => {}
            }
        }
        Ok(())
    }

    /// A command at `ts_ms` is next: rows for the boundary it passes (the market as it was
    /// just before it), if anything changed.
    fn pass(&mut self, ts_ms: u64) {
        let interval = self.sampling.interval_ms;
        let next = *self.next_ms.get_or_insert_with(|| (ts_ms / interval + 1) * interval);
        if ts_ms < next {
            return;
        }
        if self.changed {
            self.sample(next);
            self.changed = false;
        }
        self.next_ms = Some((ts_ms / interval + 1) * interval);
    }

    /// Every class's ticker, and the best levels of each side of its depth, as of `at_ms`.
    fn sample(&mut self, at_ms: u64) {
        let (feeds, collected) = (&self.feeds, &mut self.collected);
        collected.tickers.extend(feeds.tickers().map(|ticker| (at_ms, ticker.clone())));
        for at in 0..feeds.taxonomy().len() as u32 {
            let class = ClassId(at);
            let depth = feeds.book().depth(feeds.book().channel(DepthKey::Class(class)));
            let sides =
                [("ask", depth.asks().collect::<Vec<_>>()), ("bid", depth.bids().collect())];
            for (side, prices) in sides {
                let best = prices.into_iter().take(self.sampling.depth_levels).enumerate();
                for (level, (price, qty)) in best {
                    collected.depth.push((at_ms, class, side, level as u64 + 1, price, qty));
                }
            }
        }
    }

    /// The stream ended: rows at the boundary after its last command, if anything changed,
    /// then the tables `trades`, `candles`, `tickers`, `depth` and `references`.
    pub fn finish(mut self) -> Vec<Table> {
        if let (Some(next), true) = (self.next_ms, self.changed) {
            self.sample(next);
        }
        tables(&self.feeds, self.collected)
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
