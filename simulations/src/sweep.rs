//! Sweeps: a `[sweep]` grid of scenario keys × replications, run on every core.
//!
//! Each *cell* is one combination of the grid's values (keys in sorted order, the last key
//! varying fastest); each cell runs `replications` times, replication `r` with seed
//! `seed + r` in every cell (common random numbers: cells are compared on the same draws).
//! Runs are spread over threads, but their results are put back in cell and replication order,
//! so the outputs do not depend on the number of threads or on which finished first.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Deserialize;

use crate::scenario::ScenarioError;
use crate::{Metrics, Scenario, Silent, SimError};

/// `[sweep]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Runs per cell (default 1).
    #[serde(default = "default_replications")]
    pub replications: u64,
    /// Worker threads (default 0: one per core).
    #[serde(default)]
    pub threads: u64,
    /// Dotted scenario key → the values it takes (`"pricing.model" = ["vwap", "ewma"]`).
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<toml::Value>>,
}

fn default_replications() -> u64 {
    1
}

/// Most runs a sweep may ask for.
const RUNS_MAX: u64 = 100_000;

impl SweepSection {
    /// `(key, message)` of the first problem.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.replications == 0 {
            return Err(("replications", "must be > 0".into()));
        }
        for (key, values) in &self.grid {
            if values.is_empty() {
                return Err(("grid", format!("`{key}` has no values")));
            }
            if key == "seed" || key.starts_with("sweep") {
                return Err(("grid", format!("`{key}` cannot be swept")));
            }
        }
        if self.cells().len() as u64 * self.replications > RUNS_MAX {
            return Err(("replications", format!("more than {RUNS_MAX} runs")));
        }
        Ok(())
    }

    /// Every cell: the (key, value) of each grid key.
    pub fn cells(&self) -> Vec<Vec<(String, toml::Value)>> {
        let mut cells = vec![Vec::new()];
        for (key, values) in &self.grid {
            let mut next = Vec::with_capacity(cells.len() * values.len());
            for cell in &cells {
                for value in values {
                    let mut extended: Vec<(String, toml::Value)> = cell.clone();
                    extended.push((key.clone(), value.clone()));
                    next.push(extended);
                }
            }
            cells = next;
        }
        cells
    }
}

/// `value` as a cell label (strings without quotes).
pub fn label(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// `table` with dotted `key` set to `value`, creating tables on the way.
fn set(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().ok_or("empty key")?;
    let mut at = table;
    for part in parts {
        let entry =
            at.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        at = entry.as_table_mut().ok_or_else(|| format!("`{part}` is not a table"))?;
    }
    at.insert(last.to_string(), value);
    Ok(())
}

/// The scenario of each cell, checked; an error names the grid key's line.
pub fn cell_scenarios(
    source: &str,
    origin: &str,
    sweep: &SweepSection,
) -> Result<Vec<Scenario>, ScenarioError> {
    let base: toml::Table = toml::from_str(source)
        .map_err(|error| crate::scenario::locate::syntax_error(source, origin, &error))?;
    let mut scenarios = Vec::new();
    for cell in sweep.cells() {
        let mut table = base.clone();
        table.remove("sweep");
        let name =
            cell.iter().map(|(k, v)| format!("{k} = {}", label(v))).collect::<Vec<_>>().join(", ");
        let fail = |message: String| {
            let key = cell.first().map_or("grid", |(k, _)| k.as_str());
            let line = crate::scenario::locate::key_line(
                source,
                "sweep.grid",
                None,
                &format!("\"{key}\""),
            );
            ScenarioError::Invalid {
                origin: origin.to_string(),
                key: "sweep.grid".into(),
                line,
                message: format!("cell {name}: {message}"),
            }
        };
        for (key, value) in &cell {
            set(&mut table, key, value.clone()).map_err(fail)?;
        }
        let mut scenario: Scenario = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| fail(e.message().to_string()))?;
        scenario.resolve_paths(origin);
        crate::scenario::check::check(&scenario, source, origin)
            .map_err(|e| fail(e.to_string()))?;
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// One run of a sweep.
pub struct SweepRun {
    /// Cell index.
    pub cell: usize,
    /// Replication index.
    pub replication: u64,
    /// Its seed.
    pub seed: u64,
    /// Its metrics.
    pub metrics: Metrics,
}

/// Runs every cell × replication on `threads` threads (0: one per core); `done(finished,
/// total)` is called after each run, from the thread that ran it.
pub fn run_sweep(
    scenarios: &[Scenario],
    name: &str,
    seed: u64,
    replications: u64,
    threads: u64,
    done: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<SweepRun>, SimError> {
    let jobs: Vec<(usize, u64)> =
        (0..scenarios.len()).flat_map(|c| (0..replications).map(move |r| (c, r))).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if threads == 0 { cores } else { threads as usize }.clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SweepRun, SimError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let at = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(cell, replication)) = jobs.get(at) else { break };
                let run_seed = seed.wrapping_add(replication);
                let outcome =
                    crate::run(&scenarios[cell], name, run_seed, &mut Silent).map(|run| SweepRun {
                        cell,
                        replication,
                        seed: run_seed,
                        metrics: run.metrics,
                    });
                results.lock().expect("no sweep thread panics while holding the results")[at] =
                    Some(outcome);
                done(finished.fetch_add(1, Ordering::Relaxed) + 1, jobs.len());
            });
        }
    });
    let slots = results.into_inner().expect("no sweep thread panics while holding the results");
    slots.into_iter().map(|slot| slot.expect("the scoped threads ran every job")).collect()
}
