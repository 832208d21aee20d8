//! Model state through `PricingModel::save_state` / `restore_state` (model_state.rs).
//!
//! Every model is fed what a deployment feeds it — a generated market's deals in class units
//! and a book summary every 100 ms — and its state is saved at a random step. The rules pinned:
//! - **restore is exact**: the restored model saves the same bytes, and fed the same inputs
//!   afterwards gives the same reference prices and, at the end, the same bytes;
//! - **state is typed**: another model's state, or state saved under another configuration,
//!   is refused;
//! - **damaged bytes are refused, never a panic**: every truncation is an error, and a model
//!   restored from a flipped bit keeps running without panicking.

mod support;

use gridbook_matcher::workload::WorkloadConfig;
use gridbook_pricing::{
    model_by_name, ClassId, ModelStateError, PricingConfig, PricingModel, MODEL_NAMES,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::model_inputs::{model_inputs, Input};

const SUMMARY_EVERY_MS: u64 = 100;

/// The inputs a generated market gives the models, and the number of classes.
fn inputs(seed: u64) -> (Vec<Input>, usize) {
    let config =
        WorkloadConfig { seed, configs: 32, resting: 400, orders: 2500, ..Default::default() };
    model_inputs(config, SUMMARY_EVERY_MS)
}

fn pricing() -> PricingConfig {
    let mut pricing = PricingConfig::default();
    pricing.vwap.window_ms = 1_000;
    pricing.ewma.half_life_ms = 500;
    pricing.utilization.interval_ms = SUMMARY_EVERY_MS;
    pricing
}

/// Feeds `input` to `model`; every class's reference afterwards.
fn feed(model: &mut dyn PricingModel, input: &Input, classes: usize) -> Vec<Option<u64>> {
    match input {
        Input::Deal { class, price_nano, units, ts_ms } => {
            model.on_deal(*class, *price_nano, *units, *ts_ms)
        }
        Input::Time { ts_ms, summary } => model.on_time(*ts_ms, summary),
    }
    (0..classes as u32).map(|c| model.reference_nano(ClassId(c))).collect()
}

fn saved(model: &dyn PricingModel) -> Vec<u8> {
    let mut bytes = Vec::new();
    model.save_state(&mut bytes);
    bytes
}

fn model(name: &str, pricing: &PricingConfig) -> Box<dyn PricingModel> {
    model_by_name(name, pricing).expect("a known model")
}

#[test]
fn a_restored_model_goes_on_exactly_as_the_original() {
    let pricing = pricing();
    for seed in 0..3 {
        let (inputs, classes) = inputs(seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for name in MODEL_NAMES {
            let cut = rng.random_range(0..=inputs.len());
            let mut original = model(name, &pricing);
            for input in &inputs[..cut] {
                feed(original.as_mut(), input, classes);
            }
            let bytes = saved(original.as_ref());
            let mut restored = model(name, &pricing);
            restored.restore_state(&bytes).expect("its own state restores");
            assert_eq!(saved(restored.as_ref()), bytes, "{name}: re-saved differently");
            for (at, input) in inputs[cut..].iter().enumerate() {
                let want = feed(original.as_mut(), input, classes);
                let got = feed(restored.as_mut(), input, classes);
                assert_eq!(got, want, "{name}, seed {seed}: input {at} after the cut");
            }
            assert_eq!(saved(restored.as_ref()), saved(original.as_ref()), "{name}");
        }
    }
}

#[test]
fn state_of_another_model_or_configuration_is_refused() {
    let pricing = pricing();
    let (inputs, classes) = inputs(1);
    for (at, name) in MODEL_NAMES.iter().enumerate() {
        let mut original = model(name, &pricing);
        for input in &inputs[..inputs.len() / 2] {
            feed(original.as_mut(), input, classes);
        }
        let bytes = saved(original.as_ref());
        let other = MODEL_NAMES[(at + 1) % MODEL_NAMES.len()];
        let refused = model(other, &pricing).restore_state(&bytes);
        assert!(matches!(refused, Err(ModelStateError::Model { .. })), "{name} into {other}");
        let mut elsewhere = pricing;
        elsewhere.vwap.floor_nano += 1;
        elsewhere.ewma.floor_nano += 1;
        elsewhere.utilization.floor_nano += 1;
        elsewhere.clearing.floor_nano += 1;
        let refused = model(name, &elsewhere).restore_state(&bytes);
        assert!(matches!(refused, Err(ModelStateError::Config { .. })), "{name}");
    }
}

#[test]
fn damaged_state_is_refused_or_runs_without_panicking() {
    let pricing = pricing();
    let (inputs, classes) = inputs(2);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for name in MODEL_NAMES {
        let mut original = model(name, &pricing);
        let half = inputs.len() / 2;
        for input in &inputs[..half] {
            feed(original.as_mut(), input, classes);
        }
        let bytes = saved(original.as_ref());
        for _ in 0..200 {
            let len = rng.random_range(0..bytes.len());
            let mut fresh = model(name, &pricing);
            assert!(fresh.restore_state(&bytes[..len]).is_err(), "{name}: truncated to {len}");
            assert_eq!(saved(fresh.as_ref()), saved(model(name, &pricing).as_ref()), "unchanged");
            let mut flipped = bytes.clone();
            let at = rng.random_range(0..flipped.len());
            flipped[at] ^= 1 << rng.random_range(0..8u32);
            if fresh.restore_state(&flipped).is_ok() {
                for input in &inputs[half..half + 50] {
                    feed(fresh.as_mut(), input, classes);
                }
            }
        }
    }
}
