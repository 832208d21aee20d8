//! A sweep's tables: `runs.csv` (one row per run) and `summary.csv` (per cell, the mean and
//! the 95 % confidence interval of each figure over its replications).

use crate::metrics::stats::mean_ci95;
use crate::sweep::{label, SweepRun};
use crate::Metrics;

/// The figures a sweep compares, by column name.
pub const FIGURES: [&str; 9] = [
    "efficiency",
    "fill_rate",
    "deadline_miss_rate",
    "time_to_match_p50_ms",
    "time_to_match_p90_ms",
    "revenue_gini",
    "volatility_mean",
    "deals",
    "requester_payments",
];

/// The figures of one run, in [`FIGURES`] order (NaN when undefined).
pub fn figures(m: &Metrics) -> [f64; 9] {
    let ms = |v: Option<u64>| v.map_or(f64::NAN, |v| v as f64);
    let vols: Vec<f64> = m.classes.iter().filter_map(|c| c.volatility).collect();
    let volatility =
        if vols.is_empty() { f64::NAN } else { vols.iter().sum::<f64>() / vols.len() as f64 };
    [
        m.efficiency.ratio,
        m.fill_rate,
        m.deadline_miss_rate,
        ms(m.time_to_match.p50_ms),
        ms(m.time_to_match.p90_ms),
        m.money.revenue_gini,
        volatility,
        m.deals as f64,
        m.money.requester_payments.to_f64(),
    ]
}

fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.6}")
    } else {
        String::new()
    }
}

fn labels(cell: &[(String, toml::Value)]) -> impl Iterator<Item = String> + '_ {
    cell.iter().map(|(_, value)| label(value))
}

/// `runs.csv`.
pub fn runs_csv(
    keys: &[String],
    cells: &[Vec<(String, toml::Value)>],
    runs: &[SweepRun],
) -> String {
    let mut header = vec!["cell".to_string()];
    header.extend(keys.iter().cloned());
    header.extend(["replication".to_string(), "seed".to_string()]);
    header.extend(FIGURES.iter().map(|f| f.to_string()));
    header.push("conservation_ok".into());
    let rows = runs.iter().map(|run| {
        let mut row = vec![run.cell.to_string()];
        row.extend(labels(&cells[run.cell]));
        row.extend([run.replication.to_string(), run.seed.to_string()]);
        row.extend(figures(&run.metrics).iter().map(|v| number(*v)));
        row.push(run.metrics.conservation.ok.to_string());
        row
    });
    super::files::csv_text(std::iter::once(header).chain(rows))
}

/// Per cell and figure: (mean, half-width of the 95 % interval), over finite values.
pub fn summarise(cells: usize, runs: &[SweepRun]) -> Vec<Vec<(f64, f64)>> {
    (0..cells)
        .map(|cell| {
            let rows: Vec<[f64; 9]> =
                runs.iter().filter(|r| r.cell == cell).map(|r| figures(&r.metrics)).collect();
            (0..FIGURES.len())
                .map(|at| {
                    let values: Vec<f64> =
                        rows.iter().map(|row| row[at]).filter(|v| v.is_finite()).collect();
                    mean_ci95(&values)
                })
                .collect()
        })
        .collect()
}

/// `summary.csv`.
pub fn summary_csv(
    keys: &[String],
    cells: &[Vec<(String, toml::Value)>],
    runs: &[SweepRun],
) -> String {
    let mut header = vec!["cell".to_string()];
    header.extend(keys.iter().cloned());
    header.push("runs".into());
    for figure in FIGURES {
        header.extend(["mean", "ci95_low", "ci95_high"].map(|part| format!("{figure}_{part}")));
    }
    let rows = summarise(cells.len(), runs).into_iter().enumerate().map(|(cell, stats)| {
        let count = runs.iter().filter(|r| r.cell == cell).count();
        let mut row = vec![cell.to_string()];
        row.extend(labels(&cells[cell]));
        row.push(count.to_string());
        for (mean, half) in stats {
            row.extend([number(mean), number(mean - half), number(mean + half)]);
        }
        row
    });
    super::files::csv_text(std::iter::once(header).chain(rows))
}
