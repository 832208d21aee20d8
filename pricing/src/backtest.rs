//! A backtest's score: how well a pricing model's reference predicted the next deal of its
//! class, how much the reference moved, and — since pegged orders follow it — how much traded,
//! over one stream. `gridbook backtest` prints one row per model; the Python package's
//! `gridbook.backtest` returns the same figures as a table.
//!
//! Integers only: errors in nano-units and basis points, sums in `u128`.

use crate::{ClassId, LineReplay};

/// What one model did over the stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scores {
    /// Deals made.
    pub deals: u64,
    /// Deals whose class had a reference before them (the ones the error is measured on).
    pub predicted: u64,
    /// Σ |reference before − deal's unit price|, nano-units.
    pub abs_error_nano: u128,
    /// Σ of that error in basis points of the deal's unit price.
    pub abs_error_bps: u128,
    /// Reference moves (a class's reference replaced by another).
    pub moves: u64,
    /// Σ |move| in basis points of the reference moved from.
    pub abs_move_bps: u128,
    /// Slots the accepted bids asked for.
    pub bid_slots: u64,
    /// Slots traded.
    pub traded_slots: u64,
    /// Value traded, nano-units (exact, floored once).
    pub value_nano: u128,
}

impl Scores {
    /// Mean absolute error of the reference against the next deal, nano-units per class unit.
    pub fn mae_nano(&self) -> Option<u128> {
        mean(self.abs_error_nano, self.predicted)
    }

    /// Mean absolute percentage error, basis points.
    pub fn mape_bps(&self) -> Option<u128> {
        mean(self.abs_error_bps, self.predicted)
    }

    /// Mean move of the reference, basis points (its volatility).
    pub fn volatility_bps(&self) -> Option<u128> {
        mean(self.abs_move_bps, self.moves)
    }

    /// Slots traded per slot bid, basis points.
    pub fn fill_rate_bps(&self) -> Option<u128> {
        let bid = u128::from(self.bid_slots);
        (bid > 0).then(|| u128::from(self.traded_slots) * 10_000 / bid)
    }
}

fn mean(sum: u128, n: u64) -> Option<u128> {
    (n > 0).then(|| sum / u128::from(n))
}

/// Replays `lines` (numbered from 1; blank ones skipped) through `replay`, which must price
/// with a model and record its rows and deals, and scores the model.
pub fn score<L: AsRef<[u8]>>(replay: &mut LineReplay, lines: &[L]) -> Scores {
    let mut scores = Scores::default();
    let classes = replay.priced().taxonomy().len();
    let mut last_reference: Vec<Option<u64>> = vec![None; classes];
    let (mut out, mut before) = (Vec::new(), Vec::with_capacity(classes));
    for (at, line) in lines.iter().enumerate() {
        let line = line.as_ref();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The reference each class had before this line is the model's prediction of its deals.
        before.clear();
        let model = replay.priced().model().expect("a backtest prices with a model");
        before.extend((0..classes).map(|c| model.reference_nano(ClassId(c as u32))));
        out.clear();
        replay.line(at as u64 + 1, line, &mut out);
        let priced = replay.priced_mut();
        for (class, unit_price_nano, _units, _ts) in priced.take_deals() {
            scores.deals += 1;
            if let Some(reference) = before[class.index()] {
                let error = u128::from(reference.abs_diff(unit_price_nano));
                scores.predicted += 1;
                scores.abs_error_nano += error;
                scores.abs_error_bps += error * 10_000 / u128::from(unit_price_nano.max(1));
            }
        }
        for row in priced.take_rows() {
            let last = &mut last_reference[row.class.index()];
            let (Some(now), Some(previous)) = (row.reference_nano, *last) else {
                *last = row.reference_nano.or(*last);
                continue;
            };
            scores.moves += 1;
            scores.abs_move_bps +=
                u128::from(now.abs_diff(previous)) * 10_000 / u128::from(previous.max(1));
            *last = Some(now);
        }
    }
    let stats = replay.stats();
    scores.traded_slots = stats.slots;
    scores.bid_slots = replay.priced().bid_slots_accepted();
    scores.value_nano = stats.value_nano();
    scores
}
