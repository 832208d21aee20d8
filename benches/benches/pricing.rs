//! Criterion cost of pricing (see BENCHMARKS.md, "Pricing"):
//!
//! - `model_on_deal/<model>`: one model fed the deals of a real run, in order — the deals a
//!   `PricedEngine` (vwap) saw on the benchmark workload with 30 % pegged orders (classes of the
//!   default taxonomy, prices near their references, time increasing). Throughput is per deal,
//!   so criterion's figure is the amortised cost of one `on_deal`.
//! - `model_on_time/<model>`: one `on_time` with the `BookSummary` of that workload's 100 000
//!   resting orders, the time advanced by one book interval each call; `book_summary/rebuild`
//!   is what building that summary from the engine costs.
//! - `replay_mix/<engine|model>`: the same mix commands, decoded before timing, applied in
//!   chunks of 10 000 to one warm `PricedEngine` — without a model, or with that model
//!   (prepare, apply, feed deals, advance time, publish references) — 110 000 commands in
//!   all (one chunk per sample, one to warm up); both through `PricedEngine::apply`, which
//!   renders nothing, so the difference is pricing alone. `replay_mix_json/<engine|vwap>` is
//!   the same through the line codec (`LineReplay::apply`), with events rendered as JSON.
//!
//! Run: `cargo bench -p gridbook-benches --bench pricing`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use gridbook_benches::Setup;
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::Workload;
use gridbook_matcher::Command;
use gridbook_pricing::{
    model_by_name, BookSummary, DealRow, LineReplay, PricedEngine, PricedOptions, PricingConfig,
    PricingModel, Taxonomy, MODEL_NAMES,
};

/// Book summaries every minute of engine time, as `gridbook replay --model` does by default.
const BOOK_INTERVAL_MS: u64 = 60_000;
/// The model that prices the run whose deals the `on_deal` benchmark replays.
const DEAL_SOURCE_MODEL: &str = "vwap";

/// The benchmark workload with 30 % pegged orders.
/// 100 000 resting, 100 000 warm mix commands, then 120 000 to measure (12 chunks; a
/// `replay_mix` benchmark uses 11).
fn setup() -> Setup {
    Setup { pegged_percent: 30, measured: 120_000, ..Setup::default() }
}

/// The workload as stream lines: warm-up and warm mix, then the measured mix.
struct Lines {
    warm: Vec<Vec<u8>>,
    measured: Vec<Vec<u8>>,
}

fn lines(setup: &Setup) -> Lines {
    let mut workload = if setup.pegged_percent > 0 {
        Workload::with_classes(setup.workload(), &Taxonomy::default_taxonomy())
    } else {
        Workload::new(setup.workload())
    };
    let mut all = Vec::with_capacity(workload.len());
    while let Some((ts_ms, command)) = workload.next() {
        all.push(encode_command(workload.symbols(), ts_ms, &command).into_bytes());
    }
    let measured = all.split_off(setup.resting + setup.warm_mix);
    Lines { warm: all, measured }
}

fn model(name: &str) -> Box<dyn PricingModel> {
    match model_by_name(name, &PricingConfig::default()) {
        Ok(model) => model,
        Err(error) => panic!("{error}"),
    }
}

/// A line replay priced by the model `name` (none: the plain engine), keeping deals if asked.
fn line_replay(setup: &Setup, name: Option<&str>, record_deals: bool) -> LineReplay {
    let taxonomy = Taxonomy::default_taxonomy();
    let options =
        PricedOptions { book_interval_ms: BOOK_INTERVAL_MS, record_deals, ..Default::default() };
    let priced = PricedEngine::new(setup.engine_config(), taxonomy, name.map(model), options);
    LineReplay::new(priced)
}

/// Commands with their times, ms.
type Timed = Vec<(u64, Command)>;

/// Decodes every line with `decode` before anything is applied, so every name of the stream
/// (class names included) is interned in stream order and later interning changes nothing.
fn decode_all(
    lines: &Lines,
    mut decode: impl FnMut(&[u8]) -> Option<(u64, Command)>,
) -> (Timed, Timed) {
    let mut decode_many = |lines: &[Vec<u8>]| -> Vec<(u64, Command)> {
        lines.iter().filter_map(|line| decode(line)).collect()
    };
    let warm = decode_many(&lines.warm);
    let measured = decode_many(&lines.measured);
    (warm, measured)
}

/// A warm line replay (priced by `name`, or plain) and the measured commands, decoded with its
/// own symbols.
fn warm(setup: &Setup, lines: &Lines, name: Option<&str>) -> (LineReplay, Vec<(u64, Command)>) {
    let mut replay = line_replay(setup, name, false);
    let (warm, measured) = decode_all(lines, |line| replay.decode(line).ok());
    for (ts_ms, command) in &warm {
        replay.priced_mut().apply(command, *ts_ms);
    }
    (replay, measured)
}

/// The deals, in class units, that a priced run of the whole workload sees.
fn deals(setup: &Setup, lines: &Lines) -> Vec<DealRow> {
    let mut replay = line_replay(setup, Some(DEAL_SOURCE_MODEL), true);
    for (at, line) in lines.warm.iter().chain(&lines.measured).enumerate() {
        replay.line_unrendered(at as u64 + 1, line);
    }
    replay.priced_mut().take_deals()
}

fn on_deal(c: &mut Criterion, deals: &[DealRow]) {
    let mut group = c.benchmark_group("model_on_deal");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(deals.len() as u64));
    for name in MODEL_NAMES {
        group.bench_function(name, |b| {
            b.iter_batched(
                || model(name),
                |mut model| {
                    for &(class, unit_price_nano, units, ts_ms) in deals {
                        model.on_deal(class, unit_price_nano, units, ts_ms);
                    }
                    model
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn on_time(c: &mut Criterion, setup: &Setup, lines: &Lines) {
    // Any model gives the same book shape; clearing builds it fastest (it publishes once per
    // book interval, so it re-prices pegged orders least often).
    let (replay, _) = warm(setup, lines, Some("clearing"));
    let priced = replay.priced();
    let engine = priced.engine();
    let (taxonomy, symbols) = (priced.taxonomy(), priced.symbols());
    let summary = BookSummary::from_engine(engine, taxonomy, symbols);
    let start_ms = engine.now_ms();
    let mut group = c.benchmark_group("model_on_time");
    for name in MODEL_NAMES {
        let mut model = model(name);
        let mut now_ms = start_ms;
        group.bench_function(name, |b| {
            b.iter(|| {
                now_ms += BOOK_INTERVAL_MS;
                model.on_time(now_ms, black_box(&summary));
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("book_summary");
    let mut rebuilt = summary.clone();
    group.bench_function("rebuild_100k_resting", |b| {
        b.iter(|| rebuilt.rebuild(engine, taxonomy, symbols))
    });
    group.finish();
}

/// Commands per timed iteration of `replay_mix`: one iteration applies the next chunk of the
/// measured stream to one warm replay (rebuilding a priced replay per iteration would cost
/// tens of seconds each, see BENCHMARKS.md).
const CHUNK: usize = 10_000;

/// A warm replay of any kind and the commands it has not applied yet.
struct Driver<R> {
    replay: R,
    pending: std::vec::IntoIter<(u64, Command)>,
    line_no: u64,
}

impl<R> Driver<R> {
    /// Applies the next `iters` chunks with `apply` and returns the time they took. Should the
    /// stream run out, the time is scaled up from the commands that were applied (and said
    /// so), so a figure is never silently computed from fewer commands than it claims.
    fn time_chunks(
        &mut self,
        iters: u64,
        mut apply: impl FnMut(&mut R, u64, u64, Command, &mut Vec<u8>),
    ) -> Duration {
        let wanted = iters as usize * CHUNK;
        let mut out = Vec::with_capacity(1 << 16);
        let started = Instant::now();
        let mut applied = 0;
        for (ts_ms, command) in self.pending.by_ref().take(wanted) {
            out.clear();
            self.line_no += 1;
            apply(&mut self.replay, self.line_no, ts_ms, command, &mut out);
            applied += 1;
        }
        let elapsed = started.elapsed();
        if applied == wanted {
            return elapsed;
        }
        eprintln!("replay_mix: stream ran out after {applied} of {wanted} commands; scaled");
        elapsed.mul_f64(wanted as f64 / applied.max(1) as f64)
    }
}

fn replay_mix(c: &mut Criterion, setup: &Setup, lines: &Lines, write_events: bool) {
    let group_name = match (write_events, setup.pegged_percent) {
        (true, _) => "replay_mix_json",
        (false, 0) => "replay_mix_unpegged",
        (false, _) => "replay_mix",
    };
    let mut group = c.benchmark_group(group_name);
    // One chunk per sample and one to warm up: 11 chunks of the measured stream in all.
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_millis(10));
    group.throughput(Throughput::Elements(CHUNK as u64));
    // With events rendered, one model suffices to show the share of pricing in a full replay.
    let models: &[&str] = if write_events { &[DEAL_SOURCE_MODEL] } else { &MODEL_NAMES };
    let names = std::iter::once(None).chain(models.iter().map(|&name| Some(name)));
    for name in names {
        let (replay, measured) = warm(setup, lines, name);
        let mut driver = Driver { replay, pending: measured.into_iter(), line_no: 0 };
        group.bench_function(name.unwrap_or("engine"), |b| {
            b.iter_custom(|iters| {
                driver.time_chunks(iters, |replay, line_no, ts_ms, command, out| {
                    if write_events {
                        replay.apply(line_no, ts_ms, &command, out);
                    } else {
                        replay.priced_mut().apply(&command, ts_ms);
                    }
                })
            })
        });
    }
    group.finish();
}

fn pricing(c: &mut Criterion) {
    let setup = setup();
    let lines = lines(&setup);
    let deals = deals(&setup, &lines);
    eprintln!("{} deals in the run", deals.len());
    on_deal(c, &deals);
    on_time(c, &setup, &lines);
    replay_mix(c, &setup, &lines, false);
    replay_mix(c, &setup, &lines, true);
    // The same market without pegged orders: what the models and book summaries cost by
    // themselves, apart from re-pricing pegged orders.
    let unpegged = Setup { pegged_percent: 0, ..setup };
    replay_mix(c, &unpegged, &self::lines(&unpegged), false);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = pricing
}
criterion_main!(benches);
