//! A sweep's tables: `runs.csv` (one row per run) and `summary.csv` (per cell, the mean and
//! the 95 % confidence interval of each figure over its replications).

use std::fmt::Write;

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

/// `runs.csv`.
pub fn runs_csv(
    keys: &[String],
    cells: &[Vec<(String, toml::Value)>],
    runs: &[SweepRun],
) -> String {
    let mut out =
        format!("cell,{}replication,seed,{},conservation_ok\n", header(keys), FIGURES.join(","));
    for run in runs {
        let values: Vec<String> = figures(&run.metrics).iter().map(|v| number(*v)).collect();
        let _ = writeln!(
            out,
            "{},{}{},{},{},{}",
            run.cell,
            cell_labels(&cells[run.cell]),
            run.replication,
            run.seed,
            values.join(","),
            run.metrics.conservation.ok
        );
    }
    out
}

fn header(keys: &[String]) -> String {
    keys.iter().map(|k| format!("{k},")).collect()
}

fn cell_labels(cell: &[(String, toml::Value)]) -> String {
    cell.iter().map(|(_, v)| format!("{},", label(v))).collect()
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
    let mut out = format!("cell,{}runs", header(keys));
    for figure in FIGURES {
        let _ = write!(out, ",{figure}_mean,{figure}_ci95_low,{figure}_ci95_high");
    }
    out.push('\n');
    for (cell, stats) in summarise(cells.len(), runs).iter().enumerate() {
        let count = runs.iter().filter(|r| r.cell == cell).count();
        let _ = write!(out, "{cell},{}{count}", cell_labels(&cells[cell]));
        for &(mean, half) in stats {
            let _ =
                write!(out, ",{},{},{}", number(mean), number(mean - half), number(mean + half));
        }
        out.push('\n');
    }
    out
}
