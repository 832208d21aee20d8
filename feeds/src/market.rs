//! Trades, candles and tickers: what the deal and reference events say about each class.
//!
//! Candle times are the events' `ts`; a candle of interval `i` starts at a multiple of `i`
//! since the Unix epoch. Prices are per class unit, volumes in class units (slots × units per
//! slot). Each series is bounded ([`crate::FeedsConfig`]) and forgets its oldest entries.

use std::collections::VecDeque;

use gridbook_pricing::ClassId;

/// A candle interval.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// One hour.
    H1,
    /// One day.
    D1,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 4] = [Interval::M1, Interval::M5, Interval::H1, Interval::D1];

    /// Its length, ms.
    pub fn ms(self) -> u64 {
        match self {
            Interval::M1 => 60_000,
            Interval::M5 => 300_000,
            Interval::H1 => 3_600_000,
            Interval::D1 => 86_400_000,
        }
    }

    /// Its name in the API (`1m`, `5m`, `1h`, `1d`).
    pub fn name(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::H1 => "1h",
            Interval::D1 => "1d",
        }
    }

    /// The interval named `name`.
    pub fn from_name(name: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|interval| interval.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One deal, as the trade feed publishes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    /// Deal number.
    pub deal: u64,
    /// When it was made, ms.
    pub ts_ms: u64,
    /// The class of the ask's machine, with the units one slot holds.
    pub class: Option<(ClassId, u64)>,
    /// Price per slot-hour.
    pub price_nano: u64,
    /// Slots.
    pub qty: u64,
    /// When the slots start and end, ms.
    pub start_ms: u64,
    /// End of the slots, ms (exclusive).
    pub end_ms: u64,
    /// The bid's id.
    pub bid: String,
    /// The ask's id.
    pub ask: String,
}

impl Trade {
    /// Price per class unit (`None` without a class).
    pub fn unit_price_nano(&self) -> Option<u64> {
        self.class.map(|(_, per_slot)| crate::book::per_unit(self.price_nano, per_slot))
    }

    /// Quantity in class units (`None` without a class).
    pub fn units(&self) -> Option<u64> {
        self.class.map(|(_, per_slot)| self.qty * per_slot)
    }
}

/// Open, high, low, close (per class unit), volume (units) and trade count of one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candle {
    /// Start of the interval, ms.
    pub start_ms: u64,
    /// First trade's unit price.
    pub open_nano: u64,
    /// Highest.
    pub high_nano: u64,
    /// Lowest.
    pub low_nano: u64,
    /// Last.
    pub close_nano: u64,
    /// Units traded.
    pub volume: u64,
    /// Trades.
    pub trades: u64,
}

impl Candle {
    fn new(start_ms: u64, price_nano: u64, units: u64) -> Candle {
        Candle {
            start_ms,
            open_nano: price_nano,
            high_nano: price_nano,
            low_nano: price_nano,
            close_nano: price_nano,
            volume: units,
            trades: 1,
        }
    }

    fn add(&mut self, price_nano: u64, units: u64) {
        self.high_nano = self.high_nano.max(price_nano);
        self.low_nano = self.low_nano.min(price_nano);
        self.close_nano = price_nano;
        self.volume += units;
        self.trades += 1;
    }
}

/// A class's candles at every interval, oldest first.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ClassCandles {
    series: [VecDeque<Candle>; 4],
}

impl ClassCandles {
    /// Adds a trade at `ts_ms`; the candle it changed, per interval.
    pub fn add(&mut self, ts_ms: u64, price_nano: u64, units: u64, kept: usize) -> [Candle; 4] {
        Interval::ALL.map(|interval| {
            let series = &mut self.series[interval.index()];
            let start_ms = ts_ms - ts_ms % interval.ms();
            match series.back_mut() {
                Some(last) if last.start_ms == start_ms => last.add(price_nano, units),
                _ => {
                    series.push_back(Candle::new(start_ms, price_nano, units));
                    if series.len() > kept.max(1) {
                        series.pop_front();
                    }
                }
            }
            *series.back().expect("just written")
        })
    }

    /// Candles of `interval`, oldest first.
    pub fn series(&self, interval: Interval) -> &VecDeque<Candle> {
        &self.series[interval.index()]
    }

    /// Volume (units) and the change of price (last close − first open, signed nano-units) of
    /// the one-minute candles that start after `now_ms − 24 h`: the ticker's rolling day, at
    /// one-minute resolution.
    pub fn day(&self, now_ms: u64) -> (u64, Option<i128>) {
        let since_ms = now_ms.saturating_sub(Interval::D1.ms());
        let minutes = self.series(Interval::M1);
        let start = minutes.partition_point(|candle| candle.start_ms <= since_ms);
        let day = minutes.range(start..);
        let volume = day.clone().map(|candle| candle.volume).sum();
        let first = day.clone().next().map(|candle| candle.open_nano);
        let last = day.last().map(|candle| candle.close_nano);
        let change = first.zip(last).map(|(first, last)| i128::from(last) - i128::from(first));
        (volume, change)
    }
}

/// The last trades, oldest first, at most `kept`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Tape {
    trades: VecDeque<Trade>,
}

impl Tape {
    /// Appends `trade`, forgetting the oldest beyond `kept`.
    pub fn push(&mut self, trade: Trade, kept: usize) {
        self.trades.push_back(trade);
        if self.trades.len() > kept {
            self.trades.pop_front();
        }
    }

    /// The trades kept, oldest first.
    pub fn trades(&self) -> &VecDeque<Trade> {
        &self.trades
    }
}

/// What a ticker says about a class.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ticker {
    /// The class.
    pub class: ClassId,
    /// When it last changed, ms.
    pub ts_ms: u64,
    /// Best bid and ask, per unit.
    pub best_bid_nano: Option<u64>,
    /// Best ask, per unit.
    pub best_ask_nano: Option<u64>,
    /// Last trade's unit price.
    pub last_nano: Option<u64>,
    /// The class's reference, per unit.
    pub reference_nano: Option<u64>,
    /// Units traded in the rolling day ([`ClassCandles::day`]).
    pub volume_24h: u64,
    /// Change of price over the rolling day, signed nano-units.
    pub change_24h_nano: Option<i128>,
    /// Resting units offered.
    pub supply: u64,
    /// Resting units wanted.
    pub demand: u64,
}

impl Ticker {
    /// Whether `other` says the same, apart from its time.
    pub fn same_as(&self, other: &Ticker) -> bool {
        Ticker { ts_ms: other.ts_ms, ..self.clone() } == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candles_start_at_multiples_of_their_interval_and_keep_the_newest() {
        let mut candles = ClassCandles::default();
        candles.add(61_000, 5, 1, 2);
        candles.add(119_999, 7, 2, 2);
        let changed = candles.add(120_000, 3, 1, 2);
        assert_eq!(changed[0], Candle::new(120_000, 3, 1));
        let first = candles.series(Interval::M1)[0];
        assert_eq!(
            (first.start_ms, first.open_nano, first.high_nano, first.close_nano),
            (60_000, 5, 7, 7)
        );
        assert_eq!((first.volume, first.trades), (3, 2));
        candles.add(180_000, 4, 1, 2);
        assert_eq!(candles.series(Interval::M1).len(), 2, "the oldest is forgotten");
        assert_eq!(candles.series(Interval::H1).len(), 1);
        assert_eq!(candles.series(Interval::H1)[0].volume, 5);
    }

    #[test]
    fn the_rolling_day_counts_the_minutes_that_start_after_a_day_ago() {
        let mut candles = ClassCandles::default();
        candles.add(0, 10, 1, 5000);
        candles.add(60_000, 12, 2, 5000);
        candles.add(86_400_000, 9, 4, 5000);
        // At one day, the minute starting at 0 is a day old; the one at 60 s is not.
        assert_eq!(candles.day(86_400_000), (6, Some(9 - 12)));
        assert_eq!(candles.day(86_400_000 + 60_000), (4, Some(0)));
    }
}
