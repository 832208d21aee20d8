//! What the fuzz targets check, on any bytes.
//!
//! - [`priced_replay`]: the bytes are an order stream (the first byte picks the pricing model);
//!   replayed in [`Lockstep`], every accepted line must give the events of the stream without
//!   the rejected lines, with the same names and engine memory (issue 9, item 1's rule), and
//!   the name table stays within its bound.
//! - [`decode`]: the hand-written reader and serde decode every line alike; every line the
//!   decoder accepts encodes back to a line that decodes to the same
//!   command; a refused line leaves the name table as it was once the replay rolls it back.
//!
//! A broken rule panics, which libFuzzer reports with the input that broke it.

use std::sync::OnceLock;

use gridbook_matcher::stream::{encode_command, Decoder};
use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, Lockstep, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
    MODEL_NAMES,
};

/// Small bounds, so that inputs reach them (names, configurations and signatures), and small
/// reservations, so that each run starts fast.
fn config() -> EngineConfig {
    EngineConfig {
        configs_max: 8,
        signatures_max: 8,
        names_max: 64,
        reserve_resting: 16,
        reserve_orders: 64,
        ..EngineConfig::default()
    }
}

/// The default taxonomy, parsed once per process.
fn taxonomy() -> Taxonomy {
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    TAXONOMY.get_or_init(Taxonomy::default_taxonomy).clone()
}

/// Replays `data` in lockstep under the model its first byte picks.
pub fn priced_replay(data: &[u8]) {
    let Some((&pick, stream)) = data.split_first() else { return };
    let name = MODEL_NAMES[usize::from(pick) % MODEL_NAMES.len()];
    let make = || {
        let model = model_by_name(name, &PricingConfig::default()).expect("a known model");
        let options = PricedOptions { book_interval_ms: 50, ..PricedOptions::default() };
        LineReplay::new(PricedEngine::new(config(), taxonomy(), Some(model), options))
    };
    let mut lockstep = Lockstep::new(make);
    for line in stream.split(|&b| b == b'\n') {
        if let Err(divergence) = lockstep.line(line) {
            panic!("{name}: {divergence}");
        }
    }
    let names = lockstep.replay().priced().symbols().len();
    // The taxonomy's class names are interned on top of the bounded input names.
    let classes = lockstep.replay().priced().taxonomy().len();
    assert!(names <= config().names_max + classes, "{names} names");
}

/// Decodes every line of `data`: the fast paths and serde's two-step path must agree, and what
/// decodes must round-trip through the encoder.
pub fn decode(data: &[u8]) {
    let mut decoder = Decoder::with_names_max(config().names_max);
    for line in data.split(|&b| b == b'\n') {
        let agree = gridbook_matcher::stream::decode_paths_agree(line);
        assert!(agree, "decode paths disagree on {}", String::from_utf8_lossy(line));
        let Ok((ts_ms, command)) = decoder.decode(line) else { continue };
        let again = encode_command(decoder.symbols(), ts_ms, &command);
        match decoder.decode(again.as_bytes()) {
            Ok(decoded) => assert_eq!(decoded, (ts_ms, command), "{again}"),
            Err(error) => panic!("re-encoded line refused: {error}\n{again}"),
        }
    }
}
