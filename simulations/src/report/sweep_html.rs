//! A sweep's page: its main results in words, the summary table (cells named by their values,
//! figures rounded for reading, headers that wrap) and which charts it draws.

use std::fmt::Write;

use super::html::{escape, money};
use super::sweep_csv::FIGURES;
use crate::metrics::Tokens;
use crate::sweep::{label, SweepRun};

/// The charts of a sweep: (index in [`FIGURES`], file stem, title, y axis).
pub(super) const CHARTS: [(usize, &str, &str, &str); 3] = [
    (0, "efficiency", "Allocative efficiency", "realised surplus ÷ bound"),
    (1, "fill-rate", "Fill rate", "slots leased ÷ requested"),
    (2, "deadline-miss-rate", "Deadline-miss rate", "missed ÷ resolved jobs"),
];

/// A cell by its values: `ewma`, or `ewma, 400` with several keys.
pub(super) fn cell_label(cell: &[(String, toml::Value)]) -> String {
    cell.iter().map(|(_, value)| label(value)).collect::<Vec<_>>().join(", ")
}

/// One figure of one cell for reading: ratios to 3 decimals, times in minutes, money to the
/// cent, counts whole.
fn shown(figure: usize, mean: f64, half: f64) -> String {
    if !mean.is_finite() {
        return "-".into();
    }
    match FIGURES[figure] {
        "time_to_match_p50_ms" | "time_to_match_p90_ms" => {
            format!("{:.1} ± {:.1} min", mean / 60_000.0, half / 60_000.0)
        }
        "deals" => format!("{mean:.0} ± {half:.0}"),
        "requester_payments" => {
            let cents = |v: f64| Tokens::from_nano((v.max(0.0) * 1e9) as u128);
            format!("{} ± {}", money(cents(mean)), money(cents(half)))
        }
        _ => format!("{mean:.3} ± {half:.3}"),
    }
}

/// The summary as an HTML table: per cell, its values and each figure's mean ± half-width.
pub(super) fn table(
    keys: &[String],
    cells: &[Vec<(String, toml::Value)>],
    stats: &[Vec<(f64, f64)>],
) -> String {
    let mut out = String::from("<h2>Results (mean ± 95 % interval)</h2>\n<table><tr>");
    for key in keys {
        let _ = write!(out, "<th>{}</th>", escape(key));
    }
    for figure in FIGURES {
        let header =
            figure.replace("time_to_match_", "time to match ").replace("_ms", "").replace('_', " ");
        let _ = write!(out, "<th>{}</th>", escape(&header));
    }
    out.push_str("</tr>\n");
    for (at, cell) in cells.iter().enumerate() {
        out.push_str("<tr>");
        for (_, value) in cell {
            let _ = write!(out, "<td>{}</td>", escape(&label(value)));
        }
        for (figure, &(mean, half)) in stats[at].iter().enumerate() {
            let _ = write!(out, "<td>{}</td>", escape(&shown(figure, mean, half)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<p>runs.csv has one row per run; summary.csv the same figures with their intervals, unrounded. Volatility: the mean over classes of the standard deviation of interval-to-interval log changes of the closing deal price.</p>\n");
    out
}

/// The best cell for figure `at` (highest, or lowest when `lowest`), as words.
fn best(labels: &[String], stats: &[Vec<(f64, f64)>], at: usize, lowest: bool) -> Option<String> {
    let better = |a: f64, b: f64| if lowest { a < b } else { a > b };
    let mut best: Option<(usize, f64, f64)> = None;
    for (cell, figures) in stats.iter().enumerate() {
        let (mean, half) = figures[at];
        if mean.is_finite() && best.is_none_or(|(_, m, _)| better(mean, m)) {
            best = Some((cell, mean, half));
        }
    }
    best.map(|(cell, mean, half)| format!("{} ({mean:.3} ± {half:.3})", labels[cell]))
}

/// The main results in words.
pub(super) fn summary(labels: &[String], stats: &[Vec<(f64, f64)>], runs: &[SweepRun]) -> String {
    let violated = runs.iter().filter(|run| !run.metrics.conservation.ok).count();
    let mut text = format!(
        "{} runs: {} cells, compared on the same seeds (replication r of every cell uses seed + r). ",
        runs.len(),
        labels.len()
    );
    let parts = [
        ("Highest allocative efficiency", 0, false),
        ("highest fill rate", 1, false),
        ("lowest deadline-miss rate", 2, true),
        ("lowest revenue Gini", 5, true),
    ];
    let said: Vec<String> = parts
        .iter()
        .filter_map(|&(words, at, lowest)| {
            best(labels, stats, at, lowest).map(|b| format!("{words}: {b}"))
        })
        .collect();
    let _ = write!(text, "{}. ", said.join("; "));
    text.push_str(if violated == 0 {
        "Every conservation check holds in every run."
    } else {
        "A CONSERVATION CHECK FAILED in some runs: see runs.csv."
    });
    format!("<h2>Summary</h2>\n<p class=\"summary\">{}</p>\n", escape(&text))
}
