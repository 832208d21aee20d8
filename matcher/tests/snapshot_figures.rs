//! Figures for BENCHMARKS.md ("Snapshots"), not a timed test: an engine holding a
//! `gridbook gen` book of 1,000,000 resting orders — the time to copy its state (the matching
//! thread's pause, `Engine::copy_for_snapshot`), to write its snapshot, the snapshot's size, and the time to restore it
//! (checks and `check_invariants` included). Run with
//! `cargo test --release -p gridbook-matcher --test snapshot_figures -- --ignored --nocapture`.

use std::time::Instant;

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Engine, EngineConfig, EngineCopy};

#[test]
#[ignore = "a measurement for BENCHMARKS.md: run in release, by hand"]
fn snapshot_of_a_million_resting_orders() {
    let resting: usize = std::env::var("GRIDBOOK_SNAPSHOT_RESTING")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let config = WorkloadConfig { seed: 1, resting, orders: 0, ..WorkloadConfig::default() };
    let workload = Workload::new(config);
    let symbols = workload.symbols().clone();
    let mut engine = Engine::new(EngineConfig {
        reserve_resting: resting + 1024,
        reserve_orders: resting + 1024,
        ..EngineConfig::default()
    });
    for (ts_ms, command) in workload {
        engine.apply(&command, ts_ms);
    }
    println!("resting orders: {}", engine.resting());
    // As the node does: one copy, reused from snapshot to snapshot (the first run pays for
    // its pages).
    let mut copy = EngineCopy::default();
    for run in 1..=4 {
        let started = Instant::now();
        engine.copy_for_snapshot(&symbols, &mut copy);
        let copy_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let mut bytes = Vec::new();
        copy.write_snapshot(&mut bytes);
        let write_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let restored = Engine::restore_snapshot(&bytes, EngineConfig::default());
        let restore_ms = started.elapsed().as_secs_f64() * 1e3;
        assert!(restored.is_ok(), "its own snapshot restores");
        println!(
            "run {run}: copy (pause) {copy_ms:.1} ms, serialise {write_ms:.1} ms, {:.1} MB, restore {restore_ms:.1} ms",
            bytes.len() as f64 / 1e6
        );
    }
}
