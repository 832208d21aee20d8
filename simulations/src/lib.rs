//! gridbook's market simulator: agent-based scenarios, replays of cluster traces, market
//! metrics, parameter sweeps and reports, all on the real engine and pricing code.
//!
//! ```text
//!  scenario.toml ──► Scenario ──► World (machines, job source) ──► Sim ──► RunOutput ──► Metrics
//!   (scenario/)      (checked)     (world.rs, source.rs, trace.rs)  (sim/)   │            (metrics/)
//!                                                                  │        └► series, report/
//!                                      Market = PricedEngine (engine + pricing model)
//! ```
//!
//! - [`scenario`]: the TOML model and its checks (every error names key and line).
//! - [`world`], [`source`], [`trace`]: machines and jobs, from mixes or the Alibaba trace;
//!   [`trace_load`]: what the trace's own pods occupied, to compare the market with.
//! - [`market`]: the engine and the pricing model, exactly as operators run them
//!   ([`gridbook_pricing::PricedEngine`], stepped through its one step API).
//! - [`sim`]: the discrete-event loop, the agents and their strategies.
//! - [`metrics`]: efficiency against a documented bound, fill, time to match, prices,
//!   revenue and conservation checks.
//! - [`stream_replay`]: a recorded order stream under any pricing model (a counterfactual).
//! - [`sweep`]: grids of parameters × replications, run on all cores.
//! - [`report`]: CSV and JSON outputs, SVG charts and the self-contained `report.html`.
//!
//! Assumptions: simulated time starts at 0 ms; money is `u64`/`u128` nano-units, never a
//! float; every random draw comes from a per-agent stream of the seed ([`rng`]); no output
//! depends on a clock or on hash-map order, so a scenario, seed and build give identical bytes.

pub mod market;
pub mod metrics;
pub mod progress;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod source;
pub mod stream_replay;
pub mod sweep;
pub mod trace;
pub mod trace_load;
pub mod world;

use thiserror::Error;

pub use metrics::Metrics;
pub use progress::{Progress, Silent};
pub use scenario::{Scenario, ScenarioError};
pub use sim::{RunOutput, Sim};

/// Why a simulation could not run.
#[derive(Debug, Error)]
pub enum SimError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A trace file is unreadable or malformed.
    #[error(transparent)]
    Trace(#[from] trace::TraceError),
    /// The market could not be set up.
    #[error("{0}")]
    Setup(String),
    /// Writing an output failed.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A finished run: its output and its metrics.
pub struct Run {
    /// What the run left behind.
    pub output: RunOutput,
    /// Its metrics.
    pub metrics: Metrics,
}

/// Runs `scenario` once with `seed`, writing no files (a sweep's runs, tests).
pub fn run(
    scenario: &Scenario,
    name: &str,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<Run, SimError> {
    finish(Sim::new(scenario, seed)?.run(progress), scenario, name, seed)
}

/// Runs `scenario` once with `seed`, writing no files but keeping every deal and job row in
/// memory (`RunOutput::kept`: the Python package's tables).
pub fn run_keeping_rows(
    scenario: &Scenario,
    name: &str,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<Run, SimError> {
    let files = report::files::RunFiles::keep();
    finish(Sim::with_files(scenario, seed, files)?.run(progress), scenario, name, seed)
}

/// Runs `scenario` once with `seed` and writes every output into `dir`: the rows as the run
/// goes (`timeseries.csv`, `deals.csv`, `jobs.csv`), then `metrics.json`, the charts and
/// `report.html`, which shows `source`, the scenario's text.
pub fn run_into(
    dir: &std::path::Path,
    scenario: &Scenario,
    source: &str,
    name: &str,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<Run, SimError> {
    let files = report::files::RunFiles::create(dir)?;
    let run = finish(Sim::with_files(scenario, seed, files)?.run(progress), scenario, name, seed)?;
    report::write_run(dir, &run, source)?;
    Ok(run)
}

fn finish(
    mut output: RunOutput,
    scenario: &Scenario,
    name: &str,
    seed: u64,
) -> Result<Run, SimError> {
    if let Some(error) = output.write_error.take() {
        return Err(error);
    }
    let p = &scenario.pricing;
    let metrics = metrics::compute(&output, name, seed, &p.model, scenario.duration_h);
    Ok(Run { output, metrics })
}

/// Reads and checks the scenario at `path`; also returns its text (a sweep needs it).
pub fn load_scenario(path: &str) -> Result<(String, Scenario), ScenarioError> {
    let bytes = std::fs::read(path).map_err(|error| ScenarioError::Read {
        origin: path.to_string(),
        message: error.to_string(),
    })?;
    let source = scenario::utf8_text(bytes, path)?;
    let scenario = Scenario::from_toml_str(&source, path)?;
    Ok((source, scenario))
}
