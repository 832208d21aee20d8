//! Criterion cost of re-pricing: one `reference` command that moves 100 000 resting pegged bids
//! to new price levels, none of which then crosses (see BENCHMARKS.md, "Re-pricing").
//!
//! The book: 100 000 bids pegged to one class at 100 offsets (a cent apart, so 100 levels per
//! signature) over 16 requirement signatures, and 1 000 fixed asks priced far above every bid,
//! so that each re-priced bid runs the planner as an aggressor and stops at the price check, as
//! a non-crossing order does. Each iteration moves the reference between 1.00 and 1.10, which
//! re-prices every bid.
//!
//! Run: `cargo bench -p gridbook-benches --bench repricing`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridbook_matcher::{
    Ask, Bid, Command, Engine, EngineConfig, Event, Hardware, Owner, Peg, Price, Requirements, Sym,
    Tif,
};

const NANO: u64 = 1_000_000_000;
const PEGGED: usize = 100_000;
const ASKS: usize = 1_000;
const CLASS: Sym = Sym(0);
const REGION: Sym = Sym(1);
const DAY_MS: u64 = 86_400_000;

fn pegged_bid(at: usize) -> Command {
    Command::Bid(Bid {
        id: format!("b{at}"),
        owner: Owner([1 + (at % 7) as u8; 20]),
        limit: Price::Pegged(Peg {
            class: CLASS,
            // −0.50 … +0.49 around the reference, a cent apart.
            offset_nano: (at % 100) as i64 * (NANO as i64 / 100) - NANO as i64 / 2,
            limit_nano: 50 * NANO,
            units: 1,
        }),
        qty: 1,
        tif: Tif::Gtc,
        req: Requirements::new((at % 16) as u32, 0, Vec::new(), 0, 0, None, Vec::new()),
        duration_ms: 3_600_000,
        not_before_ms: 0,
        deadline_ms: 30 * DAY_MS,
        expires_ms: None,
    })
}

fn dear_ask(at: usize) -> Command {
    Command::Ask(Ask {
        id: format!("a{at}"),
        owner: Owner([0xa0; 20]),
        price: Price::Fixed(100 * NANO + at as u64),
        qty: 1,
        tif: Tif::Gtc,
        hw: Hardware {
            cpu: 16 + (at % 4) as u32,
            mem_gib: 64,
            gpu: None,
            gpus: 0,
            gpu_mem_gib: 0,
            tee: None,
            region: REGION,
        },
        from_ms: 0,
        until_ms: 30 * DAY_MS,
        expires_ms: None,
    })
}

fn reference(price_nano: u64) -> Command {
    Command::Reference { class: CLASS, price_nano }
}

/// A book of `PEGGED` pegged bids priced at reference 1.00, and `ASKS` asks above them all.
fn book() -> Engine {
    let config = EngineConfig {
        reserve_resting: PEGGED + ASKS + 1024,
        reserve_orders: PEGGED + ASKS + 1024,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config);
    let mut events = Vec::new();
    engine.apply_into(&reference(NANO), 1, &mut events);
    for at in 0..ASKS {
        engine.apply_into(&dear_ask(at), 1, &mut events);
    }
    for at in 0..PEGGED {
        engine.apply_into(&pegged_bid(at), 1, &mut events);
    }
    assert_eq!(engine.resting(), PEGGED + ASKS, "every order rests");
    engine
}

fn reference_move_reprices_100k(c: &mut Criterion) {
    let mut engine = book();
    let mut events: Vec<Event> = Vec::with_capacity(16);
    let mut up = true;
    let mut group = c.benchmark_group("repricing");
    group.throughput(Throughput::Elements(PEGGED as u64));
    group.bench_function("reference_move_100k_pegged", |b| {
        b.iter(|| {
            let price_nano = if up { NANO + NANO / 10 } else { NANO };
            up = !up;
            events.clear();
            engine.apply_into(&reference(price_nano), 2, &mut events);
            black_box(&events);
        })
    });
    group.finish();
    let repriced = events.iter().find_map(|event| match event {
        Event::Reference { repriced, .. } => Some(*repriced),
        _ => None,
    });
    assert_eq!(repriced, Some(PEGGED as u64), "every pegged bid moved, none traded");
    assert_eq!(engine.deals(), 0);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = reference_move_reprices_100k
}
criterion_main!(benches);
