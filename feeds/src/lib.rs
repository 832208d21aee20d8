//! gridbook's market-data feeds: depth, trades, candles, tickers and reference prices, a pure
//! function of the stream of applied commands (no clock, no I/O, no threads).
//!
//! [`Feeds::apply`] takes what a node's publisher has for each applied command — its journal
//! line and its event lines — and returns the feed messages it causes ([`FeedMessage`]). The
//! same journal always gives the same messages: times are the events' `ts`, every collection
//! that reaches an output is ordered, and every series is bounded ([`FeedsConfig`]).
//!
//! - [`book`]: the resting book the feeds follow (the events carry no order terms, so the
//!   feeds read an accepted order's line) and its depth channels.
//! - [`depth`]: one channel's levels, its sequence and checksum.
//! - [`market`]: trades, candles and tickers.
//! - [`events`]: reading event lines; [`json`]: the messages as the API writes them.
//! - [`offline`]: a recorded market's feeds as [`table`]s (`gridbook feeds`, Python).

pub mod book;
pub mod depth;
pub mod error;
pub mod events;
pub mod json;
pub mod market;
pub mod offline;
mod state;
pub mod table;

use std::collections::BTreeSet;

use gridbook_matcher::stream::decode_line;
use gridbook_matcher::{Command, Symbols};
use gridbook_pricing::{prepare_command, ClassId, Taxonomy};

pub use book::{Book, ChannelId, ConfigId, DepthKey, Terms};
pub use depth::{checksum, Depth, LevelChange, CHECKSUM_LEVELS};
pub use error::FeedsError;
pub use events::{read_event, read_events, FeedEvent, Stamped};
pub use market::{Candle, ClassCandles, Interval, Tape, Ticker, Trade};

/// Bounds and settings of the feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedsConfig {
    /// Whether the engine runs under a pricing model: a pegged order's units per slot then
    /// come from the taxonomy, as the model's engine set them (otherwise 1, as in the stream).
    pub priced: bool,
    /// Machine configurations the feeds know at most (each has a depth channel).
    pub configs_max: usize,
    /// Whether every configuration's channel holds levels (offline, and the tests); off, only
    /// those [`Feeds::track`] names do, as the node runs them for its subscribers.
    pub all_configurations: bool,
    /// Distinct names (the engine's `names_max`).
    pub names_max: usize,
    /// Trades kept for `GET /v1/trades` and a subscription's first message.
    pub trades_kept: usize,
    /// Candles kept per class and interval (at least a day of minutes, for tickers).
    pub candles_kept: usize,
    /// Reference points kept per class.
    pub references_kept: usize,
}

impl Default for FeedsConfig {
    fn default() -> FeedsConfig {
        FeedsConfig {
            priced: false,
            configs_max: 65_536,
            all_configurations: true,
            names_max: 65_536,
            trades_kept: 10_000,
            candles_kept: 1_500,
            references_kept: 10_000,
        }
    }
}

/// A reference price as the feed publishes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReferencePoint {
    /// The class's name.
    pub class: String,
    /// Per unit.
    pub price_nano: u64,
    /// When it was set, ms.
    pub ts_ms: u64,
}

/// One feed message, caused by one applied command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedMessage {
    /// A depth channel's update.
    Depth {
        /// The channel.
        channel: ChannelId,
        /// Its seq, and the previous.
        seq: u64,
        /// The seq before (`seq − 1`).
        prev_seq: u64,
        /// The command's time, ms.
        ts_ms: u64,
        /// Levels that changed.
        changes: Vec<LevelChange>,
        /// Checksum of the channel's best levels after the update.
        checksum: u32,
    },
    /// A deal.
    Trade(Trade),
    /// A class's candle of `interval` changed.
    Candle {
        /// The class.
        class: ClassId,
        /// The interval.
        interval: Interval,
        /// The candle now.
        candle: Candle,
    },
    /// A class's ticker changed.
    Ticker(Ticker),
    /// A class's reference was set.
    Reference(ReferencePoint),
}

/// The feeds of one market.
#[derive(Debug, Clone)]
pub struct Feeds {
    config: FeedsConfig,
    symbols: Symbols,
    book: Book,
    tape: Tape,
    candles: Vec<ClassCandles>,
    references: Vec<std::collections::VecDeque<ReferencePoint>>,
    tickers: Vec<Option<Ticker>>,
    last_ts_ms: u64,
    commands: u64,
}

impl Feeds {
    /// Feeds of an empty market under `taxonomy`.
    pub fn new(taxonomy: Taxonomy, config: FeedsConfig) -> Feeds {
        let classes = taxonomy.len();
        Feeds {
            symbols: Symbols::with_names_max(config.names_max),
            book: Book::new(taxonomy, config.configs_max, config.all_configurations),
            tape: Tape::default(),
            candles: vec![ClassCandles::default(); classes],
            references: vec![Default::default(); classes],
            tickers: vec![None; classes],
            last_ts_ms: 0,
            commands: 0,
            config,
        }
    }

    /// Follows one applied command, `line` (as journaled) with `events` (its event lines, each
    /// ending in `\n`), and appends the messages it causes to `out`: trades and references in
    /// event order, then the candles, depth updates and tickers it changed.
    pub fn apply(
        &mut self,
        seq: u64,
        line: &[u8],
        events: &[u8],
        out: &mut Vec<FeedMessage>,
    ) -> Result<(), FeedsError> {
        let mut classes = BTreeSet::new();
        let mut candles = Vec::new();
        let mut ts_ms = self.last_ts_ms;
        for event in read_events(events) {
            let event = event?;
            ts_ms = event.ts_ms;
            self.follow(seq, line, event, out, &mut classes, &mut candles)?;
        }
        self.commands += 1;
        self.last_ts_ms = ts_ms;
        out.extend(candles.into_iter().map(|(class, interval, candle)| FeedMessage::Candle {
            class,
            interval,
            candle,
        }));
        for channel in self.book.take_dirty() {
            if let book::DepthKey::Class(class) = self.book.key(channel) {
                classes.insert(class);
            }
            if let Some(changes) = self.book.finish(channel) {
                let depth = self.book.depth(channel);
                out.push(FeedMessage::Depth {
                    channel,
                    seq: depth.seq(),
                    prev_seq: depth.seq() - 1,
                    ts_ms,
                    changes,
                    checksum: depth.checksum(),
                });
            }
        }
        for class in classes {
            let ticker = self.ticker_now(class, ts_ms);
            let slot = &mut self.tickers[class.index()];
            if slot.as_ref().is_none_or(|last| !last.same_as(&ticker)) {
                *slot = Some(ticker.clone());
                out.push(FeedMessage::Ticker(ticker));
            }
        }
        Ok(())
    }

    fn follow(
        &mut self,
        seq: u64,
        line: &[u8],
        event: Stamped<'_>,
        out: &mut Vec<FeedMessage>,
        classes: &mut BTreeSet<ClassId>,
        candles: &mut Vec<(ClassId, Interval, Candle)>,
    ) -> Result<(), FeedsError> {
        match event.event {
            FeedEvent::Accepted { id } => self.accept(seq, line, &id),
            FeedEvent::Deal { deal, bid, ask, qty, price_nano, start_ms, end_ms } => {
                let class = self.book.ask_class(&ask).ok_or_else(|| FeedsError::Inconsistent {
                    seq: event.seq,
                    detail: format!("deal {deal}: ask `{ask}` does not rest"),
                })?;
                self.book.trade(event.seq, &bid, qty)?;
                self.book.trade(event.seq, &ask, qty)?;
                let trade = Trade {
                    deal,
                    ts_ms: event.ts_ms,
                    class,
                    price_nano,
                    qty,
                    start_ms,
                    end_ms,
                    bid: bid.into_owned(),
                    ask: ask.into_owned(),
                };
                if let (Some((class, _)), Some(unit_price), Some(units)) =
                    (trade.class, trade.unit_price_nano(), trade.units())
                {
                    let changed = self.candles[class.index()].add(
                        event.ts_ms,
                        unit_price,
                        units,
                        self.config.candles_kept,
                    );
                    for (interval, candle) in Interval::ALL.into_iter().zip(changed) {
                        let same =
                            |c: &(ClassId, Interval, Candle)| c.0 == class && c.1 == interval;
                        match candles.iter_mut().find(|c| same(c)) {
                            Some(entry) => entry.2 = candle,
                            None => candles.push((class, interval, candle)),
                        }
                    }
                    classes.insert(class);
                }
                self.tape.push(trade.clone(), self.config.trades_kept);
                out.push(FeedMessage::Trade(trade));
                Ok(())
            }
            FeedEvent::Gone { id, remaining } => self.book.gone(event.seq, &id, remaining),
            FeedEvent::Reference { class, price_nano } => {
                let sym = self.symbols.intern_bounded(&class).ok_or(FeedsError::Bound {
                    key: "names_max",
                    value: self.config.names_max,
                    what: "distinct names",
                })?;
                self.book.set_reference(sym, price_nano);
                let point =
                    ReferencePoint { class: class.into_owned(), price_nano, ts_ms: event.ts_ms };
                if let Some(at) = self.book.taxonomy().find(&point.class) {
                    classes.insert(at);
                    let series = &mut self.references[at.index()];
                    series.push_back(point.clone());
                    if series.len() > self.config.references_kept {
                        series.pop_front();
                    }
                }
                out.push(FeedMessage::Reference(point));
                Ok(())
            }
            FeedEvent::Other => Ok(()),
        }
    }

    /// An order accepted by command `seq`: its terms come from its line, as the engine saw it.
    fn accept(&mut self, seq: u64, line: &[u8], id: &str) -> Result<(), FeedsError> {
        let bad = |detail: String| FeedsError::Command { seq, detail };
        let (_, command) = decode_line(&mut self.symbols, line)
            .map_err(|error| bad(format!("an accepted line cannot be read: {}", error.detail)))?;
        let command = if self.config.priced {
            match prepare_command(self.book.taxonomy(), &self.symbols, &command) {
                Ok(Some(prepared)) => prepared,
                Ok(None) => command,
                Err(detail) => return Err(bad(format!("the model refuses it: {detail}"))),
            }
        } else {
            command
        };
        let (terms, qty) = match command {
            Command::Ask(ask) if ask.id == id => {
                (Terms::Ask { hw: ask.hw, price: ask.price }, ask.qty)
            }
            Command::Bid(bid) if bid.id == id => {
                (Terms::Bid { req: bid.req, limit: bid.limit }, bid.qty)
            }
            _ => return Err(bad(format!("`{id}` accepted, but the line is not its order"))),
        };
        self.book.accept(seq, id, terms, qty, &self.symbols)
    }

    fn ticker_now(&self, class: ClassId, ts_ms: u64) -> Ticker {
        let depth = self.book.depth(self.book.channel(DepthKey::Class(class)));
        let (best_ask_nano, best_bid_nano) = depth.best();
        let (supply, demand) = depth.totals();
        let candles = &self.candles[class.index()];
        let last_nano = candles.series(Interval::M1).back().map(|candle| candle.close_nano);
        let (volume_24h, change_24h_nano) = candles.day(ts_ms);
        let name = &self.book.taxonomy().class(class).name;
        let reference_nano = self.symbols.get(name).and_then(|sym| self.book.reference(sym));
        Ticker {
            class,
            ts_ms,
            best_bid_nano,
            best_ask_nano,
            last_nano,
            reference_nano,
            volume_24h,
            change_24h_nano,
            supply,
            demand,
        }
    }

    /// Tracks or stops tracking `config`'s channel ([`Book::track`], [`Book::untrack`]);
    /// between commands.
    pub fn track(&mut self, config: ConfigId, on: bool) {
        if on {
            self.book.track(config);
        } else {
            self.book.untrack(config);
        }
    }

    /// The resting book and its depth channels.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The names the feeds read (a configuration's machine is written with them).
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        self.book.taxonomy()
    }

    /// The last trades, oldest first.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// The candles of `class`.
    pub fn candles(&self, class: ClassId) -> &ClassCandles {
        &self.candles[class.index()]
    }

    /// The reference points kept of `class`, oldest first.
    pub fn references(&self, class: ClassId) -> &std::collections::VecDeque<ReferencePoint> {
        &self.references[class.index()]
    }

    /// Every class's ticker as last published (`None` for a class nothing happened to).
    pub fn tickers(&self) -> impl Iterator<Item = &Ticker> {
        self.tickers.iter().flatten()
    }

    /// Time of the last event followed, ms.
    pub fn now_ms(&self) -> u64 {
        self.last_ts_ms
    }

    /// Commands followed.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The settings.
    pub fn config(&self) -> &FeedsConfig {
        &self.config
    }
}
