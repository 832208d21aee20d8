//! Engine snapshots (engine/snapshot.rs): a snapshot is the engine, byte for byte.
//!
//! Random streams from the workload generator — with pegged orders, reference moves and
//! capacities small enough that idle groups are reclaimed — are cut at a random point. The
//! rules pinned:
//! - **restore is exact**: the restored engine re-serialises to the same bytes, passes
//!   `check_invariants`, and fed the rest of the stream gives the same events and, at the end,
//!   the same snapshot bytes as the engine that never stopped;
//! - **bytes are canonical**: two engines that applied the same commands write the same bytes;
//! - **hostile bytes are refused, never a panic**: every truncation is an error, and a flipped
//!   bit is an error or a book that passes `check_invariants`.

use gridbook_matcher::workload::{PegClassifier, Workload, WorkloadConfig};
use gridbook_matcher::{
    Bound, Command, Engine, EngineConfig, EngineCopy, Event, Hardware, Requirements, SnapshotError,
    Sym, Symbols,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Classes by GPU model (three of them, and one for CPU-only machines), a slot of a machine
/// counting for its GPUs' units.
struct ByModel;

fn class_of(hw: &Hardware) -> (String, u32) {
    (format!("class-{}", hw.gpu.map_or(9, |Sym(s)| s % 3)), hw.gpus.max(1))
}

impl PegClassifier for ByModel {
    fn ask_class(&self, hw: &Hardware, _: &Symbols) -> Option<(String, u32)> {
        Some(class_of(hw))
    }

    fn bid_class(&self, target: &Hardware, _: &Requirements, _: &Symbols) -> Option<(String, u32)> {
        Some(class_of(target))
    }
}

/// Capacities small enough that configurations and signatures are reclaimed and some orders
/// hit a bound, with every invariant checked after each command in debug builds.
fn config() -> EngineConfig {
    EngineConfig {
        configs_max: 12,
        signatures_max: 24,
        resting_max: 400,
        debug_check_invariants: true,
        ..EngineConfig::default()
    }
}

/// A stream of `(ts, command)`: the generator's, with a reference move of a random class
/// every few commands and now and then a jump of hours (so orders expire), and the name table
/// its symbols come from.
fn stream(seed: u64, pegged_percent: u8) -> (Vec<(u64, Command)>, Symbols) {
    let workload = WorkloadConfig {
        seed,
        configs: 20,
        resting: 150,
        orders: 900,
        pegged_percent,
        ..WorkloadConfig::default()
    };
    let workload = Workload::with_classes(workload, &ByModel);
    let symbols = workload.symbols().clone();
    let classes: Vec<Sym> = ["class-0", "class-1", "class-2", "class-9"]
        .iter()
        .filter_map(|n| symbols.get(n))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut commands = Vec::new();
    let mut skipped_ms = 0;
    for (ts_ms, command) in workload {
        if rng.random_range(0..150u32) == 0 {
            skipped_ms += rng.random_range(1..12u64) * 3_600_000;
        }
        let ts_ms = ts_ms + skipped_ms;
        if !classes.is_empty() && rng.random_range(0..12u32) == 0 {
            let class = classes[rng.random_range(0..classes.len())];
            let price_nano = rng.random_range(1..=40u64) * 250_000_000;
            commands.push((ts_ms, Command::Reference { class, price_nano }));
        }
        commands.push((ts_ms, command));
    }
    (commands, symbols)
}

fn snapshot(engine: &Engine, symbols: &Symbols) -> Vec<u8> {
    let mut bytes = Vec::new();
    engine.write_snapshot(symbols, &mut bytes);
    bytes
}

fn apply(engine: &mut Engine, commands: &[(u64, Command)]) -> Vec<Vec<Event>> {
    commands.iter().map(|(ts_ms, command)| engine.apply(command, *ts_ms)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_restored_engine_goes_on_exactly_as_the_original(
        seed in 0u64..1_000_000,
        pegged_percent in prop_oneof![Just(0u8), 10u8..60],
        cut_per_mille in 0usize..=1000,
    ) {
        let (commands, symbols) = stream(seed, pegged_percent);
        let cut = commands.len() * cut_per_mille / 1000;
        let (before, after) = commands.split_at(cut);
        let mut original = Engine::new(config());
        apply(&mut original, before);
        let bytes = snapshot(&original, &symbols);
        // The matching thread's copy, serialised elsewhere, writes the very same bytes.
        let mut copy = EngineCopy::default();
        original.copy_for_snapshot(&symbols, &mut copy);
        let mut copied = Vec::new();
        copy.write_snapshot(&mut copied);
        prop_assert!(copied == bytes, "a copy serialises differently");

        let (mut restored, names) = Engine::restore_snapshot(&bytes, config())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(restored.check_invariants(), Ok(()));
        prop_assert!(snapshot(&restored, &names) == bytes, "restored engine re-serialises differently");

        for (at, (ts_ms, command)) in after.iter().enumerate() {
            let want = original.apply(command, *ts_ms);
            let got = restored.apply(command, *ts_ms);
            prop_assert_eq!(got, want, "command {} after the cut", at);
        }
        let end = snapshot(&original, &symbols);
        // A copy reused from an earlier snapshot holds nothing of it.
        original.copy_for_snapshot(&symbols, &mut copy);
        copied.clear();
        copy.write_snapshot(&mut copied);
        prop_assert!(copied == end, "a reused copy serialises differently");
        prop_assert!(snapshot(&restored, &names) == end, "snapshots differ after the same commands");

        // Canonical: an engine built separately from the same commands writes the same bytes.
        let mut fresh = Engine::new(EngineConfig { reserve_resting: 7, ..config() });
        apply(&mut fresh, &commands);
        prop_assert!(snapshot(&fresh, &symbols) == end, "same commands, different bytes");
    }

    #[test]
    fn damaged_snapshots_are_refused_without_panicking(seed in 0u64..1_000_000) {
        let (commands, symbols) = stream(seed, 30);
        let mut engine = Engine::new(config());
        apply(&mut engine, &commands[..commands.len() / 2]);
        let bytes = snapshot(&engine, &symbols);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..64 {
            let len = rng.random_range(0..bytes.len());
            prop_assert!(Engine::restore_snapshot(&bytes[..len], config()).is_err(), "truncated to {}", len);
            let mut flipped = bytes.clone();
            let at = rng.random_range(0..flipped.len());
            flipped[at] ^= 1 << rng.random_range(0..8u32);
            if let Ok((engine, _)) = Engine::restore_snapshot(&flipped, config()) {
                prop_assert_eq!(engine.check_invariants(), Ok(()));
            }
            let mut garbage = vec![0u8; rng.random_range(0..256usize)];
            rng.fill(&mut garbage[..]);
            garbage.splice(..0, bytes[..12].iter().copied());
            prop_assert!(Engine::restore_snapshot(&garbage, config()).is_err());
        }
    }
}

#[test]
fn an_empty_engine_round_trips() {
    let engine = Engine::new(config());
    let bytes = snapshot(&engine, &Symbols::new());
    let (restored, names) = Engine::restore_snapshot(&bytes, config()).expect("restores");
    assert_eq!(snapshot(&restored, &names), bytes);
}

#[test]
fn other_capacities_other_versions_and_other_formats_are_refused() {
    let bytes = snapshot(&Engine::new(config()), &Symbols::new());
    let other = EngineConfig { configs_max: 13, ..config() };
    assert!(matches!(
        Engine::restore_snapshot(&bytes, other),
        Err(SnapshotError::Config { bound: Bound::ConfigsMax, snapshot: 12, configured: 13 })
    ));
    let mut later = bytes.clone();
    later[8] = 2;
    assert!(matches!(
        Engine::restore_snapshot(&later, config()),
        Err(SnapshotError::Version { found: 2 })
    ));
    assert!(matches!(
        Engine::restore_snapshot(b"{\"op\":\"tick\"}", config()),
        Err(SnapshotError::NotASnapshot)
    ));
    let mut longer = bytes;
    longer.push(0);
    assert!(matches!(Engine::restore_snapshot(&longer, config()), Err(SnapshotError::Trailing(1))));
}
