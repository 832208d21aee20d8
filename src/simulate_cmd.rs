//! `gridbook simulate`: runs a scenario (or its sweep) of the market simulator and writes the
//! metrics, the time series, the charts and the report into the output directory.
//!
//! The seed is required, in the scenario or with `--seed` (the flag wins); there is no
//! clock-derived default, so every run can be repeated exactly.

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

use gridbook_simulations::sweep::{self, cell_scenarios, SweepSection};
use gridbook_simulations::{load_scenario, report, stream_replay, Progress};

use crate::plural::count;

/// Arguments of `gridbook simulate`.
#[derive(Debug, clap::Args)]
pub(crate) struct SimulateArgs {
    /// The scenario file (TOML; docs/simulations.md).
    pub(crate) scenario: PathBuf,
    /// Seed of every random draw; overrides the scenario's `seed`.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Output directory (default `sim-out/<scenario name>`).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

/// indicatif's bar over simulated time. indicatif draws on standard error only when it is a
/// terminal, so redirected runs and tests stay silent.
struct Bar(ProgressBar);

impl Bar {
    fn new(length: u64, unit: &str) -> Bar {
        Bar(crate::progress::bar(length, unit))
    }
}

impl Progress for Bar {
    fn advance(&mut self, at_ms: u64, end_ms: u64) {
        self.0.set_length(end_ms.max(1));
        self.0.set_position(at_ms.min(end_ms));
    }
}

pub(crate) fn run(args: &SimulateArgs) -> Result<()> {
    let path = args.scenario.to_string_lossy().into_owned();
    let (source, scenario) = load_scenario(&path)?;
    // A replay draws nothing, so it needs no seed.
    let seed = args.seed.or(scenario.seed).or(scenario.replay.as_ref().map(|_| 0));
    let Some(seed) = seed else {
        bail!("{path}: no seed: write `seed = N` in the scenario or pass --seed N");
    };
    let name = scenario.name.clone().unwrap_or_else(|| stem(&args.scenario));
    let out = args.out.clone().unwrap_or_else(|| Path::new("sim-out").join(&name));
    if let Some(sweep) = &scenario.sweep {
        return run_sweep(&source, &path, sweep, &name, seed, &out);
    }
    if let Some(replay) = &scenario.replay {
        let run = stream_replay::replay_stream(&name, replay, &scenario.pricing)?;
        report::write_replay(&out, &run).with_context(|| format!("writing {}", out.display()))?;
        let m = &run.metrics;
        eprintln!(
            "replayed {} under {}: {}, {}, fill rate {:.3}; outputs in {}",
            count(m.lines, "line", "lines"),
            m.pricing_model,
            count(m.deals, "deal", "deals"),
            count(m.slots, "slot", "slots"),
            m.fill_rate,
            out.display()
        );
        return Ok(());
    }
    let mut bar = Bar::new(1, "of simulated time");
    let run = gridbook_simulations::run_into(&out, &scenario, &source, &name, seed, &mut bar)
        .with_context(|| format!("writing {}", out.display()))?;
    bar.0.finish_and_clear();
    let m = &run.metrics;
    eprintln!(
        "simulated {} h: {}, {}, fill rate {:.3}, efficiency {:.3}, conservation {}; outputs in {}",
        m.duration_h,
        count(m.jobs, "job", "jobs"),
        count(m.deals, "deal", "deals"),
        m.fill_rate,
        m.efficiency.ratio,
        if m.conservation.ok { "ok" } else { "VIOLATED" },
        out.display()
    );
    Ok(())
}

fn run_sweep(
    source: &str,
    path: &str,
    sweep: &SweepSection,
    name: &str,
    seed: u64,
    out: &Path,
) -> Result<()> {
    let scenarios = cell_scenarios(source, path, sweep)?;
    let bar = Bar::new(1, "of the sweep's runs");
    let done = |finished: usize, total: usize| {
        bar.0.set_length(total as u64);
        bar.0.set_position(finished as u64);
    };
    let runs = sweep::run_sweep(&scenarios, name, seed, sweep.replications, sweep.threads, &done)?;
    bar.0.finish_and_clear();
    report::write_sweep(out, name, sweep, &runs, source)
        .with_context(|| format!("writing {}", out.display()))?;
    let violated = runs.iter().filter(|run| !run.metrics.conservation.ok).count();
    eprintln!(
        "sweep: {} x {} = {}, conservation violated in {violated}; outputs in {}",
        count(scenarios.len() as u64, "cell", "cells"),
        count(sweep.replications, "replication", "replications"),
        count(runs.len() as u64, "run", "runs"),
        out.display()
    );
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "scenario".to_string(), |s| s.to_string_lossy().into_owned())
}
