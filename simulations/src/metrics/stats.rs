//! Statistics of a run (floating point is fine here: these describe outcomes, they never set
//! a price): percentiles of match times, the Gini coefficient, volatility, means and
//! confidence intervals.

/// The Gini coefficient of `values` (0: equal; → 1: one holds everything); 0 when all are 0.
pub fn gini(values: &[u128]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total == 0.0 {
        return 0.0;
    }
    let weighted: f64 = sorted.iter().enumerate().map(|(i, v)| (i as f64 + 1.0) * v).sum();
    (2.0 * weighted) / (n * total) - (n + 1.0) / n
}

/// The standard deviation of the log returns between successive interval closes, kept as a
/// running sum (Welford), so a long run holds three numbers, not every close.
#[derive(Debug, Clone, Default)]
pub struct Volatility {
    last_close_nano: Option<u64>,
    returns: u64,
    mean: f64,
    sum_squares: f64,
}

impl Volatility {
    /// The next interval's closing price.
    pub fn close(&mut self, close_nano: u64) {
        if let Some(last) = self.last_close_nano.filter(|&last| last > 0 && close_nano > 0) {
            let change = (close_nano as f64 / last as f64).ln();
            self.returns += 1;
            let delta = change - self.mean;
            self.mean += delta / self.returns as f64;
            self.sum_squares += delta * (change - self.mean);
        }
        self.last_close_nano = Some(close_nano);
    }

    /// The sample standard deviation of the returns; `None` with fewer than 2.
    pub fn value(&self) -> Option<f64> {
        (self.returns >= 2).then(|| (self.sum_squares / (self.returns - 1) as f64).sqrt())
    }
}

/// Times to match, ms, as a histogram to 3 significant digits: a fixed few hundred kilobytes
/// however many jobs a run has, and nearest-rank percentiles within 0.1 %.
#[derive(Debug, Clone)]
pub struct MatchTimeHistogram {
    histogram: hdrhistogram::Histogram<u64>,
}

impl Default for MatchTimeHistogram {
    fn default() -> MatchTimeHistogram {
        let histogram = hdrhistogram::Histogram::new(3).expect("3 significant digits are valid");
        MatchTimeHistogram { histogram }
    }
}

impl MatchTimeHistogram {
    /// One filled job's time to match.
    pub fn record(&mut self, ms: u64) {
        self.histogram.record(ms).expect("an auto-resizing histogram takes every u64");
    }

    /// The `p`-th percentile (0–100) by nearest rank, the lower edge of its bucket; `None`
    /// when no job was filled.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.histogram.is_empty() {
            return None;
        }
        let value = self.histogram.value_at_quantile(p / 100.0);
        Some(self.histogram.lowest_equivalent(value))
    }
}

/// Mean and sample standard deviation.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Mean and the half-width of its 95 % confidence interval (Student's t).
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    let (mean, sd) = mean_sd(values);
    let n = values.len();
    if n < 2 {
        return (mean, 0.0);
    }
    (mean, t95(n - 1) * sd / (n as f64).sqrt())
}

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.max(1) - 1).copied().unwrap_or(1.96)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_time_percentiles_are_nearest_rank_within_a_tenth_of_a_percent() {
        let mut times = MatchTimeHistogram::default();
        assert_eq!(times.percentile(50.0), None);
        (1..=100u64).for_each(|v| times.record(v * 60_000));
        let p50 = times.percentile(50.0).unwrap_or(0);
        assert!(p50.abs_diff(50 * 60_000) <= 50 * 60, "{p50}");
        times.record(0);
        assert_eq!(times.percentile(0.5), Some(0));
    }

    #[test]
    fn volatility_is_the_sample_deviation_of_log_returns() {
        let mut v = Volatility::default();
        [100, 110, 99].into_iter().for_each(|c| v.close(c));
        let returns = [(110f64 / 100.0).ln(), (99f64 / 110.0).ln()];
        let (_, sd) = mean_sd(&returns);
        assert!((v.value().unwrap_or(0.0) - sd).abs() < 1e-12);
    }

    #[test]
    fn gini_is_zero_for_equal_and_high_for_concentrated() {
        assert!(gini(&[5, 5, 5, 5]).abs() < 1e-12);
        assert!((gini(&[0, 0, 0, 100]) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn the_ci_shrinks_with_more_runs() {
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12 && (h - 4.303 / 3f64.sqrt()).abs() < 1e-9);
    }
}
