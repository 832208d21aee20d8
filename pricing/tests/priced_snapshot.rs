//! Snapshots of the priced line replay (`priced/snapshot.rs`, `LineReplay::write_snapshot`):
//! engine, name table, model and driver state. The rules pinned, for every model on a
//! generated market with pegged orders (so references move and re-price the book):
//! - **restore is exact**: a replay restored at a random line writes the bytes it was read
//!   from, and fed the rest of the stream writes byte for byte the events of the replay that
//!   never stopped (event numbers included), ending in the same snapshot bytes;
//! - **the matching thread's copy serialises to the same bytes** as the engine itself;
//! - **canonical**: a second replay of the same lines writes the same bytes;
//! - **hostile bytes are refused, never a panic**, and another model's state is refused.

use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, LineReplayCopy, PricedEngine, PricedOptions, PricedSnapshotError,
    PricingConfig, Taxonomy, MODEL_NAMES,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn lines(seed: u64) -> Vec<String> {
    let taxonomy = Taxonomy::default_taxonomy();
    let config = WorkloadConfig {
        seed,
        configs: 24,
        resting: 300,
        orders: 1500,
        pegged_percent: 30,
        ..Default::default()
    };
    let mut workload = Workload::with_classes(config, &taxonomy);
    let mut lines = Vec::new();
    while let Some((ts_ms, command)) = workload.next() {
        lines.push(encode_command(workload.symbols(), ts_ms, &command));
    }
    lines
}

fn options() -> PricedOptions {
    PricedOptions { book_interval_ms: 50, publish_step_bps: 0, ..PricedOptions::default() }
}

fn model(name: &str) -> Box<dyn gridbook_pricing::PricingModel> {
    model_by_name(name, &PricingConfig::default()).expect("a known model")
}

fn replay(name: &str) -> LineReplay {
    let taxonomy = Taxonomy::default_taxonomy();
    LineReplay::new(PricedEngine::new(
        EngineConfig::default(),
        taxonomy,
        Some(model(name)),
        options(),
    ))
}

fn restore(name: &str, bytes: &[u8]) -> Result<LineReplay, PricedSnapshotError> {
    let taxonomy = Taxonomy::default_taxonomy();
    LineReplay::restore_snapshot(
        bytes,
        EngineConfig::default(),
        taxonomy,
        Some(model(name)),
        options(),
    )
}

fn snapshot(replay: &LineReplay) -> Vec<u8> {
    let mut bytes = Vec::new();
    replay.write_snapshot(&mut bytes);
    bytes
}

/// Feeds lines `from..` (line numbers from 1); the events written.
fn feed(replay: &mut LineReplay, lines: &[String], from: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (at, line) in lines.iter().enumerate().skip(from) {
        replay.line(at as u64 + 1, line.as_bytes(), &mut out);
    }
    out
}

#[test]
fn a_restored_priced_replay_goes_on_exactly_as_the_original() {
    for seed in 0..2 {
        let lines = lines(seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for name in MODEL_NAMES {
            let cut = rng.random_range(0..=lines.len());
            let mut original = replay(name);
            feed(&mut original, &lines[..cut], 0);
            let bytes = snapshot(&original);
            let mut copy = LineReplayCopy::default();
            original.copy_for_snapshot(&mut copy);
            let mut copied = Vec::new();
            copy.write_snapshot(&mut copied);
            assert!(copied == bytes, "{name}: the copy serialises differently");

            let mut restored = restore(name, &bytes).expect("its own snapshot restores");
            assert!(snapshot(&restored) == bytes, "{name}: re-serialised differently");
            let want = feed(&mut original, &lines, cut);
            let got = feed(&mut restored, &lines, cut);
            assert!(got == want, "{name}, seed {seed}, cut {cut}: events differ after restore");
            let end = snapshot(&original);
            assert!(snapshot(&restored) == end, "{name}: snapshots differ at the end");
            let mut again = replay(name);
            feed(&mut again, &lines, 0);
            assert!(snapshot(&again) == end, "{name}: same lines, different bytes");
        }
    }
}

#[test]
fn damaged_or_foreign_snapshots_are_refused_without_panicking() {
    let lines = lines(3);
    let mut original = replay("ewma");
    feed(&mut original, &lines[..lines.len() / 2], 0);
    let bytes = snapshot(&original);
    assert!(matches!(restore("vwap", &bytes), Err(PricedSnapshotError::Model(_))));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..40 {
        let len = rng.random_range(0..bytes.len());
        assert!(restore("ewma", &bytes[..len]).is_err(), "truncated to {len}");
        let mut flipped = bytes.clone();
        let at = rng.random_range(0..flipped.len());
        flipped[at] ^= 1 << rng.random_range(0..8u32);
        if let Ok(mut restored) = restore("ewma", &flipped) {
            feed(&mut restored, &lines[..lines.len() / 2 + 200], lines.len() / 2);
        }
    }
}
