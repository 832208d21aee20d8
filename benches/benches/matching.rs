//! Criterion throughput of `Engine::apply_into` on the steady-state mix with 100 000 resting
//! orders (64 machine configurations; see BENCHMARKS.md).
//!
//! Each iteration applies the same 100 000 mix commands to a fresh warm engine. The engine is
//! rebuilt in the untimed set-up by replaying the warm-up, not cloned: a clone's vectors have no
//! spare capacity, so timing it would include the reallocation of the book's storage.
//!
//! Run: `cargo bench -p gridbook-benches --bench matching`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use gridbook_benches::{apply_all, Setup};

fn mix_at_100k_resting(c: &mut Criterion) {
    let setup =
        Setup { resting: 100_000, warm_mix: 100_000, measured: 100_000, ..Setup::default() };
    let commands = setup.generate();
    let mut group = c.benchmark_group("apply_into");
    group.throughput(Throughput::Elements(commands.measured.len() as u64));
    group.bench_function("mix_100k_resting", |b| {
        b.iter_batched(
            || setup.warm_engine(&commands.warm),
            |mut engine| {
                black_box(apply_all(&mut engine, &commands.measured));
                engine
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
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
    targets = mix_at_100k_resting
}
criterion_main!(benches);
