//! Outputs: a run's rows as it runs ([`files`]: `timeseries.csv`, and the micro data of
//! [`micro`]: `deals.csv`, `jobs.csv`), then its `metrics.json`, charts and `report.html`; a
//! sweep's `runs.csv` and `summary.csv` ([`sweep_csv`]).

pub mod chart;
pub mod figures;
pub mod files;
pub mod html;
pub mod micro;
pub mod sweep_csv;
mod sweep_html;

use std::path::Path;

use crate::sweep::{SweepRun, SweepSection};
use crate::{Run, SimError};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SimError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)
        .map_err(|source| SimError::Write { path: path.display().to_string(), source })
}

/// Writes what a finished run adds to the rows it streamed into `dir` ([`files`]):
/// `metrics.json`, each chart as SVG and PNG, and `report.html` (which shows
/// `scenario_source`).
pub fn write_run(dir: &Path, run: &Run, scenario_source: &str) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let mut json = serde_json::to_string_pretty(&run.metrics).expect("metrics are plain data");
    json.push('\n');
    write(dir, "metrics.json", json.as_bytes())?;
    let m = &run.metrics;
    let mut page =
        html::open(&format!("{} — seed {}, {} pricing", m.scenario, m.seed, m.pricing_model));
    page.push_str(&html::summary(m));
    page.push_str(&html::metrics_tables(m));
    page.push_str("<h2>Charts</h2>\n");
    for figure in figures::run_figures(&run.output) {
        let svg = chart::svg(&figure)?;
        write(dir, &format!("{}.svg", figure.stem), svg.as_bytes())?;
        chart::png(&figure, &dir.join(format!("{}.png", figure.stem)))?;
        page.push_str(&html::figure(&svg, &figure.title));
    }
    page.push_str(&html::close(scenario_source));
    write(dir, "report.html", page.as_bytes())
}

/// Writes a sweep's tables, its charts (efficiency, fill rate and deadline-miss rate per cell,
/// SVG and PNG) and `report.html` into `dir`.
pub fn write_sweep(
    dir: &Path,
    name: &str,
    sweep: &SweepSection,
    runs: &[SweepRun],
    scenario_source: &str,
) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let keys: Vec<String> = sweep.grid.keys().cloned().collect();
    let cells = sweep.cells();
    write(dir, "runs.csv", sweep_csv::runs_csv(&keys, &cells, runs).as_bytes())?;
    let summary = sweep_csv::summary_csv(&keys, &cells, runs);
    write(dir, "summary.csv", summary.as_bytes())?;
    let stats = sweep_csv::summarise(cells.len(), runs);
    let labels: Vec<String> = cells.iter().map(|cell| sweep_html::cell_label(cell)).collect();
    let mut page = html::open(&format!(
        "{name} — sweep of {} cells × {} runs",
        cells.len(),
        sweep.replications
    ));
    page.push_str(&sweep_html::summary(&labels, &stats, runs));
    page.push_str(&sweep_html::table(&keys, &cells, &stats));
    page.push_str("<h2>Charts</h2>\n");
    for (at, stem, title, axis) in sweep_html::CHARTS {
        let column: Vec<(f64, f64)> = stats.iter().map(|cell| cell[at]).collect();
        let figure = figures::sweep_figure(stem, title, axis, &labels, &column);
        let svg = chart::svg(&figure)?;
        write(dir, &format!("{stem}.svg"), svg.as_bytes())?;
        chart::png(&figure, &dir.join(format!("{stem}.png")))?;
        page.push_str(&html::figure(&svg, &figure.title));
    }
    page.push_str(&html::close(scenario_source));
    write(dir, "report.html", page.as_bytes())
}

/// Writes a counterfactual replay's `metrics.json` and `timeseries.csv` into `dir`.
pub fn write_replay(dir: &Path, run: &crate::stream_replay::ReplayRun) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let mut json = serde_json::to_string_pretty(&run.metrics).expect("metrics are plain data");
    json.push('\n');
    write(dir, "metrics.json", json.as_bytes())?;
    write(dir, "timeseries.csv", run.csv.as_bytes())
}
