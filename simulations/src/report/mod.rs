//! Outputs: a run's `metrics.json` and `timeseries.csv`, a sweep's `runs.csv` and
//! `summary.csv` ([`sweep_csv`]).

pub mod sweep_csv;

use std::path::Path;

use crate::sweep::{SweepRun, SweepSection};
use crate::{Run, SimError};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SimError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)
        .map_err(|source| SimError::Write { path: path.display().to_string(), source })
}

/// Writes a single run's outputs into `dir` (created if needed).
pub fn write_run(dir: &Path, run: &Run) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let mut json = serde_json::to_string_pretty(&run.metrics).unwrap_or_default();
    json.push('\n');
    write(dir, "metrics.json", json.as_bytes())?;
    let csv = crate::metrics::series::to_csv(&run.output.series, &run.output.class_names);
    write(dir, "timeseries.csv", csv.as_bytes())?;
    Ok(())
}

/// Writes a sweep's tables into `dir` (created if needed).
pub fn write_sweep(dir: &Path, sweep: &SweepSection, runs: &[SweepRun]) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let keys: Vec<String> = sweep.grid.keys().cloned().collect();
    let cells = sweep.cells();
    write(dir, "runs.csv", sweep_csv::runs_csv(&keys, &cells, runs).as_bytes())?;
    write(dir, "summary.csv", sweep_csv::summary_csv(&keys, &cells, runs).as_bytes())?;
    Ok(())
}

/// Writes a counterfactual replay's `metrics.json` and `timeseries.csv` into `dir`.
pub fn write_replay(dir: &Path, run: &crate::stream_replay::ReplayRun) -> Result<(), SimError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
    let mut json = serde_json::to_string_pretty(&run.metrics).unwrap_or_default();
    json.push('\n');
    write(dir, "metrics.json", json.as_bytes())?;
    write(dir, "timeseries.csv", run.csv.as_bytes())
}
