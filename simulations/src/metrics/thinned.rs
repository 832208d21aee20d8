//! [`Thinned`]: the intervals the charts draw, at most [`KEPT_MAX`] of them whatever the
//! horizon. Every interval goes to `timeseries.csv` as it closes; this keeps every `stride`-th
//! one (and always the last), doubling the stride when full, so a ten-year run draws every
//! few days while a day-long one draws every interval. Deterministic: which intervals are kept
//! depends only on their numbers.

use super::series::SeriesRow;

/// Most intervals kept for the charts.
pub const KEPT_MAX: usize = 2048;

/// One closed interval: its rows (one per class) and the fill counts of its jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Its number, from 0.
    pub number: u64,
    /// End, ms of simulated time.
    pub ts_ms: u64,
    /// Slots requested by jobs that arrived in it.
    pub requested_slots: u64,
    /// Slots leased in it.
    pub filled_slots: u64,
    /// One row per class with machines.
    pub rows: Vec<SeriesRow>,
}

/// The kept intervals.
#[derive(Debug, Clone, Default)]
pub struct Thinned {
    kept: Vec<Interval>,
    last: Option<Interval>,
    stride: u64,
    seen: u64,
}

impl Thinned {
    /// The next interval.
    pub fn push(&mut self, interval: Interval) {
        debug_assert_eq!(interval.number, self.seen, "intervals arrive in order");
        let stride = self.stride.max(1);
        self.seen += 1;
        if !interval.number.is_multiple_of(stride) {
            self.last = Some(interval);
            return;
        }
        self.last = None;
        self.kept.push(interval);
        if self.kept.len() > KEPT_MAX {
            let wider = stride * 2;
            self.kept.retain(|kept| kept.number.is_multiple_of(wider));
            self.stride = wider;
        }
    }

    /// The kept intervals in order, the last one included.
    pub fn into_intervals(mut self) -> Vec<Interval> {
        self.kept.extend(self.last);
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(number: u64) -> Interval {
        Interval { number, ts_ms: number, requested_slots: 0, filled_slots: 0, rows: Vec::new() }
    }

    #[test]
    fn a_long_run_keeps_at_most_the_cap_evenly_and_its_last_interval() {
        let mut thinned = Thinned::default();
        (0..100_001).for_each(|n| thinned.push(interval(n)));
        let kept = thinned.into_intervals();
        assert!(kept.len() <= KEPT_MAX + 1 && kept.len() > KEPT_MAX / 2, "{}", kept.len());
        let stride = kept[1].number - kept[0].number;
        assert!(kept.windows(2).take(kept.len() - 2).all(|w| w[1].number - w[0].number == stride));
        assert_eq!(kept.last().map(|i| i.number), Some(100_000));
    }

    #[test]
    fn a_short_run_keeps_every_interval() {
        let mut thinned = Thinned::default();
        (0..50).for_each(|n| thinned.push(interval(n)));
        assert_eq!(thinned.into_intervals().len(), 50);
    }
}
