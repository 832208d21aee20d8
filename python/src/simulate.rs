//! `simulate` and `sweep`: the agent-based simulator (`gridbook simulate`) from Python, its run's
//! metrics as a dict and its time series, deals and jobs as tables; a sweep's runs as a table.
//!
//! A scenario is a path to a scenario file (`os.PathLike`, or a `str` ending in `.toml`), TOML
//! text, or a dict written as TOML; `overrides` sets dotted keys (`{"pricing.model": "vwap"}`)
//! the way a sweep's grid does, through the simulator's own code, so a bad key or value is
//! refused with the key's name. Paths inside a scenario file are relative to it; inside text or
//! a dict, relative to the working directory.

use std::collections::BTreeMap;

use gridbook_simulations::metrics::series::SeriesRow;
use gridbook_simulations::report::files::KeptRows;
use gridbook_simulations::report::sweep_csv;
use gridbook_simulations::sweep::{cell_scenarios, run_sweep, SweepSection};
use gridbook_simulations::{Scenario, ScenarioError, Silent};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::error::refused;
use crate::json::{dumps, to_python};
use crate::table::{decimal_nano, Columns};

/// What one run left: its metrics and its tables.
#[pyclass(module = "gridbook._native", frozen)]
pub(crate) struct SimResult {
    /// Every metric of the run, as `metrics.json` of `gridbook simulate` holds them.
    #[pyo3(get)]
    metrics: Py<PyAny>,
    /// One row per class and interval (up to 2,048 intervals, evenly thinned beyond).
    #[pyo3(get)]
    timeseries: Py<PyAny>,
    /// One row per deal.
    #[pyo3(get)]
    deals: Py<PyAny>,
    /// One row per job.
    #[pyo3(get)]
    jobs: Py<PyAny>,
}

#[pymethods]
impl SimResult {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let metrics = self.metrics.bind(py);
        Ok(format!(
            "SimResult(scenario={}, seed={}, deals={}, efficiency={})",
            metrics.get_item("scenario")?.repr()?,
            metrics.get_item("seed")?,
            metrics.get_item("deals")?,
            metrics.get_item("efficiency")?.get_item("ratio")?,
        ))
    }
}

/// A scenario's TOML text and its origin (a file's path, or a name for text and dicts).
fn scenario_source(scenario: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    if scenario.is_instance_of::<PyDict>() {
        let json: serde_json::Value = serde_json::from_str(&dumps(scenario)?)
            .map_err(|error| refused(format!("scenario: {error}")))?;
        let table: toml::Table = serde_json::from_value(json).map_err(|error| {
            refused(format!("scenario: not expressible as TOML (None has no TOML form?): {error}"))
        })?;
        let text = toml::to_string(&table)
            .map_err(|error| refused(format!("scenario: cannot be written as TOML: {error}")))?;
        return Ok((text, "scenario (dict)".into()));
    }
    if let Ok(text) = scenario.cast::<PyString>() {
        let text = text.to_str()?;
        let names_a_file = text.trim_end().ends_with(".toml") && !text.contains('\n');
        if !names_a_file {
            return Ok((text.to_owned(), "scenario (TOML text)".into()));
        }
    }
    let path: std::path::PathBuf = scenario
        .extract()
        .map_err(|_| refused("scenario: a path to a scenario file, TOML text, or a dict"))?;
    let origin = path.display().to_string();
    let bytes = std::fs::read(&path)
        .map_err(|error| refused(format!("cannot read scenario {origin}: {error}")))?;
    let text = gridbook_simulations::scenario::utf8_text(bytes, &origin).map_err(refused)?;
    Ok((text, origin))
}

/// Scenario keys that name files: a relative path given from Python is relative to the working
/// directory (as any path a Python program opens), not to the scenario file.
const PATH_KEYS: [&str; 3] = ["trace.nodes", "trace.pods", "replay.stream"];

/// The scenarios of `source` with each combination of `grid` (dotted keys) applied, checked; an
/// error names the option (`overrides` or `grid`) and the key.
fn scenarios(
    source: &str,
    origin: &str,
    mut grid: BTreeMap<String, Vec<toml::Value>>,
    option: &str,
) -> PyResult<(Vec<Scenario>, SweepSection)> {
    if grid.is_empty() {
        // The scenario as it is: its own parser names the key and line of an error.
        let scenario = Scenario::from_toml_str(source, origin).map_err(refused)?;
        return Ok((vec![scenario], SweepSection { replications: 1, threads: 0, grid }));
    }
    let cwd = std::env::current_dir().map_err(|error| refused(format!("{option}: {error}")))?;
    for (_, values) in grid.iter_mut().filter(|(key, _)| PATH_KEYS.contains(&key.as_str())) {
        for value in values.iter_mut() {
            if let toml::Value::String(path) = value {
                *path = cwd.join(path.as_str()).to_string_lossy().into_owned();
            }
        }
    }
    let sweep = SweepSection { replications: 1, threads: 0, grid };
    sweep.check().map_err(|(key, message)| refused(format!("{option}: {key}: {message}")))?;
    let scenarios = cell_scenarios(source, origin, &sweep).map_err(|error| match error {
        // The simulator names its own `[sweep]` table; here the grid came from Python.
        ScenarioError::Invalid { key, message, .. } if key == "sweep.grid" => {
            // "cell KEY = VALUE, …: what is wrong": the keys are the caller's own.
            let what = message.split_once(": ").map_or(message.as_str(), |(_, what)| what);
            refused(format!("{option}: {what}"))
        }
        other => refused(other),
    })?;
    Ok((scenarios, sweep))
}

/// A dict of dotted keys to values (or, with `lists`, to lists of values) as TOML values.
fn toml_values(
    dict: Option<&Bound<'_, PyDict>>,
    lists: bool,
    what: &str,
) -> PyResult<BTreeMap<String, Vec<toml::Value>>> {
    let mut values = BTreeMap::new();
    let Some(dict) = dict else { return Ok(values) };
    for (key, value) in dict.iter() {
        let key: String =
            key.extract().map_err(|_| refused(format!("{what}: keys are dotted scenario keys")))?;
        let json: serde_json::Value = serde_json::from_str(&dumps(&value)?)
            .map_err(|error| refused(format!("{what}.{key}: {error}")))?;
        let json = if lists { json } else { serde_json::Value::Array(vec![json]) };
        let list: Vec<toml::Value> = serde_json::from_value(json)
            .map_err(|error| refused(format!("{what}.{key}: {} (None has no TOML form)", error)))?;
        values.insert(key, list);
    }
    Ok(values)
}

fn scenario_name(scenario: &Scenario, origin: &str) -> String {
    scenario.name.clone().unwrap_or_else(|| {
        let stem = std::path::Path::new(origin).file_stem();
        stem.map_or("scenario".into(), |stem| stem.to_string_lossy().into_owned())
    })
}

/// Runs a scenario once (`gridbook simulate`), keeping its tables in memory.
#[pyfunction]
#[pyo3(signature = (scenario, seed=1, overrides=None))]
pub(crate) fn simulate(
    py: Python<'_>,
    scenario: &Bound<'_, PyAny>,
    seed: u64,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<SimResult> {
    let (source, origin) = scenario_source(scenario)?;
    let grid = toml_values(overrides, false, "overrides")?;
    let (mut cells, _) = scenarios(&source, &origin, grid, "overrides")?;
    let scenario = cells.pop().expect("a grid of single values has one cell");
    let name = scenario_name(&scenario, &origin);
    let run = py
        .detach(|| gridbook_simulations::run_keeping_rows(&scenario, &name, seed, &mut Silent))
        .map_err(refused)?;
    let gridbook_simulations::Run { mut output, metrics } = run;
    let kept = output.kept.take().expect("run_keeping_rows keeps the rows");
    Ok(SimResult {
        metrics: to_python(py, &metrics)?.unbind(),
        timeseries: series_table(&output.series, &output.class_names).into_pyarrow(py)?.unbind(),
        deals: deals_table(&kept).into_pyarrow(py)?.unbind(),
        jobs: jobs_table(&kept).into_pyarrow(py)?.unbind(),
    })
}

fn series_table(rows: &[SeriesRow], class_names: &[String]) -> Columns {
    let nano = |value: Option<u64>| value.map(u128::from);
    let ohlc = |pick: fn((u64, u64, u64, u64)) -> u64| {
        rows.iter().map(move |row| row.ohlc_nano.map(|o| u128::from(pick(o))))
    };
    let mut columns = Columns::default();
    columns.u64("ts_ms", rows.iter().map(|row| Some(row.ts_ms)));
    columns.text("class", rows.iter().map(|row| class_names.get(row.class as usize)));
    columns.nano("reference", rows.iter().map(|row| nano(row.reference_nano)));
    columns.nano("open", ohlc(|o| o.0));
    columns.nano("high", ohlc(|o| o.1));
    columns.nano("low", ohlc(|o| o.2));
    columns.nano("close", ohlc(|o| o.3));
    columns.nano("vwap", rows.iter().map(|row| nano(row.vwap_nano)));
    columns.u64("volume_slots", rows.iter().map(|row| Some(row.volume_slots)));
    columns.u64("supply_slots", rows.iter().map(|row| Some(row.supply_slots)));
    columns.u64("demand_slots", rows.iter().map(|row| Some(row.demand_slots)));
    columns.u64("busy_slots", rows.iter().map(|row| Some(row.busy_slots)));
    columns.u64("total_slots", rows.iter().map(|row| Some(row.total_slots)));
    columns.f64("utilisation", rows.iter().map(|row| Some(row.utilisation())));
    columns.f64("trace_utilisation", rows.iter().map(SeriesRow::trace_utilisation));
    columns
}

fn money(text: &str) -> Option<u128> {
    Some(decimal_nano(text).expect("the simulator writes money as exact decimal text"))
}

fn deals_table(kept: &KeptRows) -> Columns {
    let rows = &kept.deals;
    let mut columns = Columns::default();
    columns.u64("deal", rows.iter().map(|r| Some(r.deal)));
    columns.u64("time_ms", rows.iter().map(|r| Some(r.time_ms)));
    columns.text("class", rows.iter().map(|r| Some(&r.class)));
    columns.text("unit", rows.iter().map(|r| Some(&r.unit)));
    columns.u64("machine", rows.iter().map(|r| Some(u64::from(r.machine))));
    columns.u64("job", rows.iter().map(|r| Some(u64::from(r.job))));
    columns.text("provider", rows.iter().map(|r| Some(&r.provider)));
    columns.text("requester", rows.iter().map(|r| Some(&r.requester)));
    columns.u64("qty", rows.iter().map(|r| Some(r.qty)));
    columns.nano("price_per_slot_hour", rows.iter().map(|r| money(&r.price_per_slot_hour)));
    columns.nano("price_per_unit", rows.iter().map(|r| money(&r.price_per_unit)));
    columns.u64("start_ms", rows.iter().map(|r| Some(r.start_ms)));
    columns.u64("end_ms", rows.iter().map(|r| Some(r.end_ms)));
    columns.nano("payment", rows.iter().map(|r| money(&r.payment)));
    columns.nano("fee", rows.iter().map(|r| money(&r.fee)));
    columns
}

fn jobs_table(kept: &KeptRows) -> Columns {
    let rows = &kept.jobs;
    let mut columns = Columns::default();
    columns.u64("job", rows.iter().map(|r| Some(u64::from(r.job))));
    columns.u64("arrival_ms", rows.iter().map(|r| Some(r.arrival_ms)));
    columns.u64("deadline_ms", rows.iter().map(|r| Some(r.deadline_ms)));
    columns.u64("duration_ms", rows.iter().map(|r| Some(r.duration_ms)));
    columns.u64("qty", rows.iter().map(|r| Some(r.qty)));
    columns.u64("cpu", rows.iter().map(|r| Some(u64::from(r.cpu))));
    columns.u64("mem_gib", rows.iter().map(|r| Some(u64::from(r.mem_gib))));
    columns.u64("gpus", rows.iter().map(|r| Some(u64::from(r.gpus))));
    columns.u64("gpu_mem_gib", rows.iter().map(|r| Some(u64::from(r.gpu_mem_gib))));
    columns.text("gpu_models", rows.iter().map(|r| Some(&r.gpu_models)));
    columns.text("tee", rows.iter().map(|r| Some(&r.tee)));
    columns.text("regions", rows.iter().map(|r| Some(&r.regions)));
    columns.text("class", rows.iter().map(|r| Some(&r.class)));
    columns.nano("value_per_slot_hour", rows.iter().map(|r| money(&r.value_per_slot_hour)));
    columns.text("outcome", rows.iter().map(|r| Some(r.outcome)));
    columns.u64("slots_filled", rows.iter().map(|r| Some(r.slots_filled)));
    columns.u64("time_to_match_ms", rows.iter().map(|r| r.time_to_match_ms));
    columns.nano("cost", rows.iter().map(|r| money(&r.cost)));
    columns
}

/// Runs a grid of scenario keys × replications on every core (`gridbook simulate` of a
/// scenario with a `[sweep]`): one row per run, its cell's values and its figures.
#[pyfunction]
#[pyo3(signature = (scenario, grid=None, replications=1, seed=1, threads=0))]
pub(crate) fn sweep<'py>(
    py: Python<'py>,
    scenario: &Bound<'py, PyAny>,
    grid: Option<&Bound<'py, PyDict>>,
    replications: u64,
    seed: u64,
    threads: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let (source, origin) = scenario_source(scenario)?;
    let grid = toml_values(grid, true, "grid")?;
    let (cells, mut sweep) = scenarios(&source, &origin, grid, "grid")?;
    sweep.replications = replications;
    sweep.check().map_err(|(key, message)| refused(format!("{key}: {message}")))?;
    let name = cells.first().map_or("sweep".into(), |first| scenario_name(first, &origin));
    let runs = py
        .detach(|| run_sweep(&cells, &name, seed, replications, threads, &|_, _| {}))
        .map_err(refused)?;
    let labels = sweep.cells();
    let mut columns = Columns::default();
    columns.u64("cell", runs.iter().map(|run| Some(run.cell as u64)));
    for (at, key) in sweep.grid.keys().enumerate() {
        let label = |run: &gridbook_simulations::sweep::SweepRun| {
            labels[run.cell].get(at).map(|(_, value)| gridbook_simulations::sweep::label(value))
        };
        columns.text(key, runs.iter().map(label));
    }
    columns.u64("replication", runs.iter().map(|run| Some(run.replication)));
    columns.u64("seed", runs.iter().map(|run| Some(run.seed)));
    for (at, figure) in sweep_csv::FIGURES.iter().enumerate() {
        columns.f64(figure, runs.iter().map(|run| Some(sweep_csv::figures(&run.metrics)[at])));
    }
    columns.bool("conservation_ok", runs.iter().map(|run| Some(run.metrics.conservation.ok)));
    columns.into_pyarrow(py)
}
