//! Statistics of a run (floating point is fine here: these describe outcomes, they never set
//! a price): percentiles, the Gini coefficient, volatility, means and confidence intervals.

/// The `p`-th percentile (0–100) of `sorted` by nearest rank; `None` when empty.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

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

/// Standard deviation of the log returns between successive `closes`; `None` with fewer than 3.
pub fn volatility(closes: &[u64]) -> Option<f64> {
    let returns: Vec<f64> = closes
        .windows(2)
        .filter(|w| w[0] > 0 && w[1] > 0)
        .map(|w| (w[1] as f64 / w[0] as f64).ln())
        .collect();
    if returns.len() < 2 {
        return None;
    }
    let (mean, sd) = mean_sd(&returns);
    let _ = mean;
    Some(sd)
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
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&[], 50.0), None);
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
