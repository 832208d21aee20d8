//! Simulator throughput: runs a scenario (no output files, no charts) and reports simulated
//! events, engine commands and wall time per run, and with `--sweep-threads` a scenario's
//! sweep on 1 and then N threads. Figures go to BENCHMARKS.md ("Simulations").
//!
//! ```sh
//! cargo run --release -p gridbook-benches --bin simulate -- simulations/scenarios/baseline.toml --seed 1 --runs 5
//! cargo run --release -p gridbook-benches --bin simulate -- simulations/scenarios/pricing-models.toml --seed 1 --sweep-threads 2
//! ```

use std::time::Instant;

use gridbook_simulations::sweep::{cell_scenarios, run_sweep};
use gridbook_simulations::{load_scenario, metrics, Silent, Sim};

fn value(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|at| args.get(at + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: simulate SCENARIO.toml [--seed S] [--runs N] [--sweep-threads N]")?;
    let (source, scenario) = load_scenario(path)?;
    let seed = value(&args, "--seed", scenario.seed.unwrap_or(1));
    if let Some(sweep) = &scenario.sweep {
        let threads = value(&args, "--sweep-threads", 2);
        let cells = cell_scenarios(&source, path, sweep)?;
        for t in [1, threads] {
            let started = Instant::now();
            let runs = run_sweep(&cells, "bench", seed, sweep.replications, t, &|_, _| {})?;
            let seconds = started.elapsed().as_secs_f64();
            println!("sweep: {} runs on {t} thread(s): {seconds:.3} s", runs.len());
        }
        return Ok(());
    }
    for run in 0..value(&args, "--runs", 3) {
        let started = Instant::now();
        let output = Sim::new(&scenario, seed)?.run(&mut Silent);
        let seconds = started.elapsed().as_secs_f64();
        let p = &scenario.pricing;
        let m = metrics::compute(&output, "bench", seed, &p.model, scenario.duration_h);
        let with_metrics = started.elapsed().as_secs_f64();
        println!(
            "run {run}: simulation {:.3} s (with metrics {with_metrics:.3} s), {} sim events ({:.0}/s), {} engine commands ({:.0}/s), {} jobs, {} deals, {} machines",
            seconds,
            m.sim_events,
            m.sim_events as f64 / seconds,
            m.engine_commands,
            m.engine_commands as f64 / seconds,
            m.jobs,
            m.deals,
            output.world.machines.len()
        );
    }
    Ok(())
}
