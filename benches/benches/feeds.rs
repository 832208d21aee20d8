//! Criterion cost of the market-data feeds (see BENCHMARKS.md, "Market-data feeds"), beside
//! what the node already spends per command on the same mix:
//!
//! - `feeds_mix/feeds`: `Feeds::apply` for each command of the benchmark mix (100 000
//!   resting, 30 % pegged, priced by ewma), given the command's journal line and the event
//!   lines the node's market produced for it — what the node's publisher adds per command
//!   (configuration channels kept only while followed, none here, as the node runs);
//!   `feeds_mix/feeds_all_configurations` the same keeping every configuration's channel, as
//!   `gridbook feeds` does.
//!   The lines and events are produced before timing; each sample applies the first 10 000
//!   measured commands to a copy of the warm feed (after the warm-up and warm mix), made
//!   outside the timing.
//! - `feeds_mix/replay`: the same commands through the node's market codec
//!   (`LineReplay::line`: decode, price, match, render the events), for scale: the same 10 000
//!   commands on a copy of the warm market (restored from its snapshot outside the timing).
//! - `feeds_mix/render`: turning each chunk's feed messages into the JSON frames the node
//!   broadcasts (`json::message_json`).
//!
//! Run: `cargo bench -p gridbook-benches --bench feeds`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use gridbook_benches::Setup;
use gridbook_feeds::{json, Feeds, FeedsConfig};
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::Workload;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
};

const CHUNK: usize = 10_000;

fn setup() -> Setup {
    Setup { pegged_percent: 30, measured: CHUNK, ..Setup::default() }
}

fn replay(setup: &Setup) -> LineReplay {
    let model = model_by_name("ewma", &PricingConfig::default()).expect("a model");
    let options = PricedOptions::default();
    let taxonomy = Taxonomy::default_taxonomy();
    LineReplay::new(PricedEngine::new(setup.engine_config(), taxonomy, Some(model), options))
}

/// A command's journal line and its event lines.
type Step = (Vec<u8>, Vec<u8>);

/// Every command's line and events; the index where measuring starts.
fn stream(setup: &Setup) -> (Vec<Step>, usize) {
    let mut workload = Workload::with_classes(setup.workload(), &Taxonomy::default_taxonomy());
    let mut replay = replay(setup);
    let mut steps = Vec::with_capacity(workload.len());
    while let Some((ts_ms, command)) = workload.next() {
        let line = encode_command(workload.symbols(), ts_ms, &command).into_bytes();
        let mut events = Vec::new();
        replay.line(steps.len() as u64 + 1, &line, &mut events);
        steps.push((line, events));
    }
    (steps, setup.resting + setup.warm_mix)
}

fn feeds_mix(c: &mut Criterion) {
    let setup = setup();
    let (steps, measured_from) = stream(&setup);
    // As the node runs them (configuration channels kept only while followed: none here),
    // and with every configuration channel kept (offline `gridbook feeds`, the tests).
    let warm_feeds = |all_configurations| {
        let config = FeedsConfig { priced: true, all_configurations, ..FeedsConfig::default() };
        let mut warm = Feeds::new(Taxonomy::default_taxonomy(), config);
        let mut messages = Vec::new();
        for (seq, (line, events)) in steps[..measured_from].iter().enumerate() {
            warm.apply(seq as u64 + 1, line, events, &mut messages).expect("the feed follows");
            messages.clear();
        }
        warm
    };
    let warm = warm_feeds(false);
    let warm_all = warm_feeds(true);
    // Every sample applies the same chunk (the first measured one) to a fresh copy of the
    // warm state, made outside the timing: the feed and the market do exactly the same work.
    let chunk = &steps[measured_from..measured_from + CHUNK];
    let mut group = c.benchmark_group("feeds_mix");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .throughput(Throughput::Elements(CHUNK as u64));
    for (name, warm) in [("feeds", &warm), ("feeds_all_configurations", &warm_all)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || warm.clone(),
                |mut feeds| {
                    let mut out = Vec::with_capacity(4 * CHUNK);
                    for (at, (line, events)) in chunk.iter().enumerate() {
                        feeds.apply(at as u64, line, events, &mut out).expect("the feed follows");
                    }
                    black_box(out.len());
                    feeds
                },
                BatchSize::PerIteration,
            )
        });
    }
    let mut market = replay(&setup);
    let mut events = Vec::new();
    for (seq, (line, _)) in steps[..measured_from].iter().enumerate() {
        market.line(seq as u64 + 1, line, &mut events);
        events.clear();
    }
    let mut saved = Vec::new();
    market.write_snapshot(&mut saved);
    let restore = || {
        let model = model_by_name("ewma", &PricingConfig::default()).expect("a model");
        let taxonomy = Taxonomy::default_taxonomy();
        let options = PricedOptions::default();
        LineReplay::restore_snapshot(&saved, setup.engine_config(), taxonomy, Some(model), options)
            .expect("the replay's own snapshot")
    };
    group.bench_function("replay", |b| {
        b.iter_batched(
            restore,
            |mut market| {
                let mut events = Vec::with_capacity(1 << 20);
                for (at, (line, _)) in chunk.iter().enumerate() {
                    market.line(at as u64, line, &mut events);
                }
                black_box(events.len());
                market
            },
            BatchSize::PerIteration,
        )
    });
    let mut rendered_feed = warm.clone();
    let mut all = Vec::new();
    for (at, (line, events)) in chunk.iter().enumerate() {
        rendered_feed.apply(at as u64, line, events, &mut all).expect("the feed follows");
    }
    group.bench_function("render", |b| {
        b.iter(|| {
            let bytes: usize =
                all.iter().map(|m| json::message_json(&rendered_feed, m).to_string().len()).sum();
            black_box(bytes)
        })
    });
    group.finish();
    eprintln!("feed messages per command on this mix: {:.2}", all.len() as f64 / CHUNK as f64);
}

criterion_group!(benches, feeds_mix);
criterion_main!(benches);
