//! Differential property test: the engine against the naive reference ([`naive::Naive`]).
//!
//! Random streams of commands over a deliberately small universe (3 owners, 3 GPU models plus
//! CPU-only machines, 2 regions, TEE none/sgx, a few core and memory sizes, 4 prices, ids from a
//! pool of 96, times a few ms apart, 3 peg classes with reference moves of a few quarter tokens and
//! peg offsets of the same size) so that ties, self-trades, duplicate ids, partial fills, expiries,
//! every time-in-force, unpriced pegged orders and re-priced orders that cross interact often. After every command both sides must give the
//! same events (compared as values and as the bytes `EventWriter` renders), the same clock and
//! the same resting orders, and the engine's book must pass `check_invariants`.
//!
//! Streams per run: `GRIDBOOK_DIFF_CASES` (default 256). A coverage test checks that the
//! generator actually produces every event kind and reject reason the engine can emit, so the
//! comparison is not vacuous.

mod naive;

use std::collections::BTreeSet;

use gridbook_matcher::limits::{PRICE_NANO_MAX, QTY_MAX, RESOURCE_MAX, TIME_MS_MAX};
use gridbook_matcher::stream::Decoder;
use gridbook_matcher::stream::{encode_command, EventWriter, RejectContext};
use gridbook_matcher::{
    Ask, Bid, Cancel, Command, Engine, EngineConfig, Event, Hardware, Owner, Peg, Price,
    RejectReason, Requirements, Sym, Symbols, Tif,
};
use naive::Naive;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};

const NANO: u64 = 1_000_000_000;
const OWNERS: [Owner; 3] = [Owner([0x11; 20]), Owner([0x22; 20]), Owner([0x33; 20])];
const MODELS: [Sym; 3] = [Sym(0), Sym(1), Sym(2)];
const SGX: Sym = Sym(3);
const REGIONS: [Sym; 2] = [Sym(4), Sym(5)];
/// Names of the symbols above, for printing a failing stream as JSON lines.
const NAMES: [&str; 6] = ["A100-80GB", "H100-80GB", "L40S", "sgx", "eu-west", "us-east"];
/// Distinct symbols for over-long lists start here.
const FILLER_SYM: u32 = 6;
/// The peg classes' symbols come after the fillers.
const CLASSES: [Sym; 3] = [Sym(FILLER_SYM + 33), Sym(FILLER_SYM + 34), Sym(FILLER_SYM + 35)];
const CLASS_NAMES: [&str; 3] = ["gpu.a", "gpu.b", "gpu.c"];
/// Peg offsets and reference moves are multiples of a quarter token.
const QUARTER: i64 = (NANO / 4) as i64;
/// Marks a step whose `ts` is past `TIME_MS_MAX`.
const BAD_TS: i64 = i64::MAX;

/// One invalid value planted in an otherwise random order (selector picks the variant).
#[derive(Debug, Clone)]
enum Fault {
    Id(u8),
    Price(u8),
    Qty(u8),
    Resource(u8),
    LongList(u8),
    Time(u8),
    ZeroDuration,
}

/// A peg instead of a fixed price: class, offset in quarter tokens, limit.
#[derive(Debug, Clone)]
struct PegSpec {
    class: u8,
    quarters: i64,
    limit: u64,
    /// Units per slot: the pricing layer's multiplier of the class reference.
    units: u32,
}

#[derive(Debug, Clone)]
struct AskSpec {
    id: u8,
    owner: u8,
    price: u64,
    peg: Option<PegSpec>,
    qty: u64,
    tif: Tif,
    hw: Hardware,
    /// Times relative to the command's ts.
    from: i64,
    len: i64,
    expires: Option<i64>,
    fault: Option<Fault>,
}

#[derive(Debug, Clone)]
struct BidSpec {
    id: u8,
    owner: u8,
    limit: u64,
    peg: Option<PegSpec>,
    qty: u64,
    tif: Tif,
    req: Requirements,
    duration: u64,
    /// Times relative to the command's ts.
    not_before: i64,
    /// deadline − (max(ts, not_before) + duration): negative is unreachable.
    slack: i64,
    expires: Option<i64>,
    fault: Option<Fault>,
}

#[derive(Debug, Clone)]
enum Op {
    Ask(AskSpec),
    Bid(BidSpec),
    /// Cancel an order named earlier in the stream (`earlier`) or a pool id; by its owner or not.
    Cancel {
        pick: u8,
        earlier: bool,
        by_owner: bool,
        owner: u8,
    },
    Tick,
    /// A reference price for class `class`; `fault` plants a bad price.
    Reference {
        class: u8,
        price: u64,
        fault: Option<u8>,
    },
}

/// A command and how far its ts moves from the latest ts so far (negative: a late command).
#[derive(Debug, Clone)]
struct Step {
    dt: i64,
    op: Op,
}

fn tif() -> impl Strategy<Value = Tif> {
    prop_oneof![5 => Just(Tif::Gtc), 1 => Just(Tif::Ioc), 1 => Just(Tif::Fok), 1 => Just(Tif::Post)]
}

/// Four prices, so that ties are common; asks lean cheap and bids lean dear, so most pairs cross.
fn price(lean_dear: bool) -> impl Strategy<Value = u64> {
    let (usual, rare) = match lean_dear {
        false => (vec![NANO, 3 * NANO / 2, 2 * NANO], 3 * NANO),
        true => (vec![3 * NANO / 2, 2 * NANO, 3 * NANO], NANO),
    };
    prop_oneof![5 => prop::sample::select(usual), 1 => Just(rare)]
}

/// A peg on one of the classes, offsets within ±1.5 tokens, limits from the usual prices so
/// they sometimes bind, and 1 to 3 units per slot (mostly 1) so the multiplier is exercised.
fn peg(lean_dear: bool) -> impl Strategy<Value = Option<PegSpec>> {
    let units = prop_oneof![4 => Just(1u32), 1 => 2u32..=3];
    let spec = (0u8..3, -6i64..=6, price(lean_dear), units)
        .prop_map(|(class, quarters, limit, units)| PegSpec { class, quarters, limit, units });
    prop::option::weighted(0.35, spec)
}

/// Reference prices: a few, so repeats of the same value are common; low ones make pegged bids
/// unpriced.
fn reference() -> impl Strategy<Value = Op> {
    let price = prop::sample::select(vec![NANO / 2, NANO, 3 * NANO / 2, 2 * NANO, 5 * NANO / 2]);
    (0u8..3, price, prop::option::weighted(0.05, any::<u8>()))
        .prop_map(|(class, price, fault)| Op::Reference { class, price, fault })
}

fn fault() -> impl Strategy<Value = Option<Fault>> {
    let fault = prop_oneof![
        any::<u8>().prop_map(Fault::Id),
        any::<u8>().prop_map(Fault::Price),
        any::<u8>().prop_map(Fault::Qty),
        any::<u8>().prop_map(Fault::Resource),
        any::<u8>().prop_map(Fault::LongList),
        any::<u8>().prop_map(Fault::Time),
        Just(Fault::ZeroDuration),
    ];
    prop::option::weighted(0.08, fault)
}

fn hardware() -> impl Strategy<Value = Hardware> {
    let gpu =
        prop_oneof![1 => Just(None), 3 => prop::sample::select(MODELS.to_vec()).prop_map(Some)];
    let gpus = prop_oneof![1 => Just(0u32), 4 => 1u32..=2];
    (
        prop::sample::select(vec![4u32, 8]),
        prop::sample::select(vec![16u32, 32]),
        gpu,
        gpus,
        prop::sample::select(vec![40u32, 80]),
        prop::option::weighted(0.3, Just(SGX)),
        prop::sample::select(REGIONS.to_vec()),
    )
        .prop_map(|(cpu, mem_gib, gpu, gpus, gpu_mem_gib, tee, region)| Hardware {
            cpu,
            mem_gib,
            gpu,
            gpus,
            gpu_mem_gib,
            tee,
            region,
        })
}

fn requirements() -> impl Strategy<Value = Requirements> {
    let gpu = prop_oneof![
        1 => Just(Vec::new()),
        1 => prop::sample::subsequence(MODELS.to_vec(), 1..=3),
    ];
    let regions = prop_oneof![
        2 => Just(Vec::new()),
        1 => prop::sample::subsequence(REGIONS.to_vec(), 1..=2),
    ];
    (
        prop::sample::select(vec![0u32, 0, 4, 8]),
        prop::sample::select(vec![0u32, 0, 16, 32]),
        gpu,
        prop_oneof![3 => 0u32..=1, 1 => Just(2)],
        prop::sample::select(vec![0u32, 40, 80]),
        prop::option::weighted(0.2, Just(SGX)),
        regions,
    )
        .prop_map(|(cpu, mem, gpu, gpus, gpu_mem, tee, regions)| {
            Requirements::new(cpu, mem, gpu, gpus, gpu_mem, tee, regions)
        })
}

fn ask() -> impl Strategy<Value = AskSpec> {
    (
        (0u8..96, 0u8..3, price(false), peg(false), 1u64..=5, tif(), hardware()),
        (-5i64..10, 0i64..150, prop::option::weighted(0.4, -2i64..150), fault()),
    )
        .prop_map(|((id, owner, price, peg, qty, tif, hw), (from, len, expires, fault))| {
            AskSpec { id, owner, price, peg, qty, tif, hw, from, len, expires, fault }
        })
}

fn bid() -> impl Strategy<Value = BidSpec> {
    (
        (0u8..96, 0u8..3, price(true), peg(true), 1u64..=5, tif(), requirements()),
        (1u64..8, -5i64..10, -2i64..120, prop::option::weighted(0.4, -2i64..150), fault()),
    )
        .prop_map(
            |(
                (id, owner, limit, peg, qty, tif, req),
                (duration, not_before, slack, expires, fault),
            )| {
                BidSpec {
                    id,
                    owner,
                    limit,
                    peg,
                    qty,
                    tif,
                    req,
                    duration,
                    not_before,
                    slack,
                    expires,
                    fault,
                }
            },
        )
}

fn step() -> impl Strategy<Value = Step> {
    let dt = prop_oneof![
        40 => 0i64..=3,
        3 => -3i64..=-1,
        2 => 10i64..=30,
        1 => Just(BAD_TS),
    ];
    let cancel = (any::<u8>(), prop::bool::weighted(0.85), prop::bool::weighted(0.8), 0u8..3)
        .prop_map(|(pick, earlier, by_owner, owner)| Op::Cancel { pick, earlier, by_owner, owner });
    let op = prop_oneof![
        7 => ask().prop_map(Op::Ask),
        7 => bid().prop_map(Op::Bid),
        4 => cancel,
        2 => Just(Op::Tick),
        3 => reference(),
    ];
    (dt, op).prop_map(|(dt, op)| Step { dt, op })
}

/// The default limits, tight ones (so that every `capacity` rejection happens too), or room
/// for few configurations and signatures but many orders, so that groups empty and are
/// reclaimed for new ones again and again.
fn config() -> impl Strategy<Value = EngineConfig> {
    let base = EngineConfig { debug_check_invariants: true, ..EngineConfig::default() };
    let churn = (1usize..5, 1usize..5).prop_map({
        let base = base.clone();
        move |(configs_max, signatures_max)| EngineConfig {
            configs_max,
            signatures_max,
            ..base.clone()
        }
    });
    let tight = (3usize..10, 8usize..60, 20usize..200, 1usize..5, 1usize..5, 1usize..3).prop_map({
        let base = base.clone();
        move |(resting_max, orders_max, id_bytes_max, configs_max, signatures_max, classes_max)| {
            EngineConfig {
                resting_max,
                orders_max,
                id_bytes_max,
                configs_max,
                signatures_max,
                classes_max,
                ..base.clone()
            }
        }
    });
    prop_oneof![3 => Just(base), 1 => tight, 2 => churn]
}

/// Turns steps into timed commands: tracks the latest ts and the orders named so far.
#[derive(Default)]
struct Builder {
    latest: u64,
    named: Vec<(String, Owner)>,
}

/// `ts + offset`, floored at 0.
fn at(ts: u64, offset: i64) -> u64 {
    ts.saturating_add_signed(offset)
}

fn bad_id(selector: u8) -> String {
    let ids = ["", "with space", "tab\there", "é", "\u{7f}"];
    match selector % 6 {
        5 => "x".repeat(81),
        k => ids[k as usize].to_string(),
    }
}

/// The price of an order: fixed, or the peg of `spec`.
fn order_price(fixed: u64, spec: &Option<PegSpec>) -> Price {
    match spec {
        None => Price::Fixed(fixed),
        Some(peg) => Price::Pegged(Peg {
            class: CLASSES[peg.class as usize],
            offset_nano: peg.quarters * QUARTER,
            limit_nano: peg.limit,
            units: peg.units,
        }),
    }
}

/// A bad price for fault selector `k`: a fixed price of 0 or past the maximum (or exactly the
/// maximum, still valid); for a peg, the same on its limit, or an offset past ±10^9 tokens (or
/// exactly at it, still valid).
fn bad_price(price: Price, k: u8) -> Price {
    let bad = [0, PRICE_NANO_MAX + 1, PRICE_NANO_MAX][k as usize % 3];
    match price {
        Price::Fixed(_) => Price::Fixed(bad),
        Price::Pegged(peg) => match (k / 3) % 2 {
            0 => Price::Pegged(Peg { limit_nano: bad, ..peg }),
            _ => {
                let max = PRICE_NANO_MAX as i64;
                let offset_nano = [-max - 1, max + 1, -max][k as usize % 3];
                Price::Pegged(Peg { offset_nano, ..peg })
            }
        },
    }
}

fn long_list() -> Vec<Sym> {
    (FILLER_SYM..FILLER_SYM + 33).map(Sym).collect()
}

impl Builder {
    fn ts(&mut self, dt: i64) -> u64 {
        if dt == BAD_TS {
            TIME_MS_MAX + 1
        } else if dt < 0 {
            at(self.latest, dt)
        } else {
            self.latest += dt as u64;
            self.latest
        }
    }

    fn build(&mut self, step: &Step) -> (u64, Command) {
        let ts = self.ts(step.dt);
        let command = match &step.op {
            Op::Ask(spec) => Command::Ask(self.ask(spec, ts)),
            Op::Bid(spec) => Command::Bid(self.bid(spec, ts)),
            Op::Cancel { pick, earlier, by_owner, owner } => {
                let (id, their_owner) = match self.named.len() {
                    // Mostly one of the last few orders, which are the likeliest to rest.
                    n if *earlier && n > 0 => self.named[n - 1 - *pick as usize % n.min(6)].clone(),
                    _ => (format!("o{}", pick % 100), OWNERS[*owner as usize]),
                };
                let owner = if *by_owner { their_owner } else { OWNERS[*owner as usize] };
                Command::Cancel(Cancel { id, owner })
            }
            Op::Tick => Command::Tick,
            Op::Reference { class, price, fault } => {
                let price_nano = match fault {
                    Some(k) => [0, PRICE_NANO_MAX + 1, PRICE_NANO_MAX][*k as usize % 3],
                    None => *price,
                };
                Command::Reference { class: CLASSES[*class as usize], price_nano }
            }
        };
        (ts, command)
    }

    fn ask(&mut self, spec: &AskSpec, ts: u64) -> Ask {
        let from_ms = at(ts, spec.from);
        let mut ask = Ask {
            id: format!("o{}", spec.id),
            owner: OWNERS[spec.owner as usize],
            price: order_price(spec.price, &spec.peg),
            qty: spec.qty,
            tif: spec.tif,
            hw: spec.hw,
            from_ms,
            until_ms: at(from_ms, spec.len),
            expires_ms: spec.expires.map(|offset| at(ts, offset)),
        };
        match spec.fault {
            Some(Fault::Id(k)) => ask.id = bad_id(k),
            Some(Fault::Price(k)) => ask.price = bad_price(ask.price, k),
            Some(Fault::Qty(k)) => ask.qty = [0, QTY_MAX + 1, QTY_MAX][k as usize % 3],
            Some(Fault::Resource(k) | Fault::LongList(k)) => {
                let big = RESOURCE_MAX + 1 - u32::from(k % 4 == 3);
                match k % 4 {
                    0 => ask.hw.cpu = big,
                    1 => ask.hw.mem_gib = big,
                    2 => ask.hw.gpus = big,
                    _ => ask.hw.gpu_mem_gib = big, // RESOURCE_MAX itself: still valid
                }
            }
            Some(Fault::Time(k)) => match k % 3 {
                0 => ask.from_ms = TIME_MS_MAX + 1,
                1 => ask.until_ms = TIME_MS_MAX + 1,
                _ => ask.expires_ms = Some(TIME_MS_MAX + 1),
            },
            Some(Fault::ZeroDuration) => ask.until_ms = ask.from_ms,
            None => {}
        }
        self.named.push((ask.id.clone(), ask.owner));
        ask
    }

    fn bid(&mut self, spec: &BidSpec, ts: u64) -> Bid {
        let not_before_ms = at(ts, spec.not_before);
        let earliest_end = ts.max(not_before_ms) + spec.duration;
        let mut bid = Bid {
            id: format!("o{}", spec.id),
            owner: OWNERS[spec.owner as usize],
            limit: order_price(spec.limit, &spec.peg),
            qty: spec.qty,
            tif: spec.tif,
            req: spec.req.clone(),
            duration_ms: spec.duration,
            not_before_ms,
            deadline_ms: at(earliest_end, spec.slack),
            expires_ms: spec.expires.map(|offset| at(ts, offset)),
        };
        match spec.fault {
            Some(Fault::Id(k)) => bid.id = bad_id(k),
            Some(Fault::Price(k)) => bid.limit = bad_price(bid.limit, k),
            Some(Fault::Qty(k)) => bid.qty = [0, QTY_MAX + 1, QTY_MAX][k as usize % 3],
            Some(Fault::Resource(k)) => match k % 4 {
                0 => bid.req.cpu = RESOURCE_MAX + 1,
                1 => bid.req.mem_gib = RESOURCE_MAX + 1,
                2 => bid.req.gpus = RESOURCE_MAX + 1,
                _ => bid.req.gpu_mem_gib = RESOURCE_MAX + 1,
            },
            Some(Fault::LongList(k)) => match k % 3 {
                0 => bid.req.gpu = long_list(),
                1 => bid.req.regions = long_list(),
                // Exactly LIST_LEN_MAX entries is still valid (and matches nothing we offer).
                _ => bid.req.regions = long_list()[..32].to_vec(),
            },
            Some(Fault::Time(k)) => match k % 4 {
                0 => bid.not_before_ms = TIME_MS_MAX + 1,
                1 => bid.deadline_ms = TIME_MS_MAX + 1,
                2 => bid.duration_ms = TIME_MS_MAX + 1,
                _ => bid.expires_ms = Some(TIME_MS_MAX + 1),
            },
            Some(Fault::ZeroDuration) => bid.duration_ms = 0,
            None => {}
        }
        self.named.push((bid.id.clone(), bid.owner));
        bid
    }
}

/// The names of every symbol the generator uses, interned in the order of their numbers.
fn symbols() -> Symbols {
    let mut symbols = Symbols::new();
    for name in NAMES {
        symbols.intern(name);
    }
    for filler in FILLER_SYM..FILLER_SYM + 33 {
        symbols.intern(&format!("filler-{filler}"));
    }
    for name in CLASS_NAMES {
        symbols.intern(name);
    }
    symbols
}

/// The commands so far as an order stream, to reproduce a failure with `gridbook replay`.
fn transcript(commands: &[(u64, Command)]) -> String {
    let symbols = symbols();
    let mut text = String::new();
    for (ts, command) in commands {
        text.push_str(&encode_command(&symbols, *ts, command));
        text.push('\n');
    }
    text
}

/// Runs one stream through both engines, comparing after every command.
fn compare(config: EngineConfig, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut engine = Engine::new(config.clone());
    let mut naive = Naive::new(config);
    let (mut engine_writer, mut naive_writer) = (EventWriter::new(), EventWriter::new());
    let mut builder = Builder::default();
    let mut commands = Vec::new();
    for step in steps {
        let (ts, command) = builder.build(step);
        commands.push((ts, command.clone()));
        let fail = |what: &str, engine: &dyn std::fmt::Debug, naive: &dyn std::fmt::Debug| {
            let n = commands.len();
            let stream = transcript(&commands);
            TestCaseError::fail(format!(
                "{what} differ after command {n}\nengine: {engine:?}\nnaive:  {naive:?}\nstream:\n{stream}"
            ))
        };
        let got = engine.apply(&command, ts);
        let want = naive.apply(&command, ts);
        if got != want {
            return Err(fail("events", &got, &want));
        }
        let line = Some(commands.len() as u64);
        let context = RejectContext { id: command.id(), line, detail: None };
        let (mut engine_bytes, mut naive_bytes) = (Vec::new(), Vec::new());
        for event in &got {
            engine_writer.write(&mut engine_bytes, engine.now_ms(), event, &engine, context);
        }
        for event in &want {
            naive_writer.write(&mut naive_bytes, naive.now_ms(), event, &naive, context);
        }
        if engine_bytes != naive_bytes {
            let (e, n) =
                (String::from_utf8_lossy(&engine_bytes), String::from_utf8_lossy(&naive_bytes));
            return Err(fail("rendered events", &e, &n));
        }
        if engine.now_ms() != naive.now_ms() {
            return Err(fail("clocks", &engine.now_ms(), &naive.now_ms()));
        }
        if engine.snapshot() != naive.snapshot() {
            return Err(fail("books", &engine.snapshot(), &naive.snapshot()));
        }
        if let Err(broken) = engine.check_invariants() {
            return Err(fail("invariants", &broken, &"ok"));
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("GRIDBOOK_DIFF_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
}

fn stream() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..=80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_naive_reference(config in config(), steps in stream()) {
        compare(config, &steps)?;
    }
}

/// A command line as JSON with its requirement lists sorted by name: the decoder numbers names
/// in its own order, and requirement lists are kept sorted by number.
fn canonical(line: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(line).expect("encoded lines are JSON");
    for list in ["gpu", "regions"] {
        if let Some(serde_json::Value::Array(names)) = value.pointer_mut(&format!("/req/{list}")) {
            names.sort_by_key(|name| name.to_string());
        }
    }
    value
}

/// Commands encode and decode to themselves: every generated command the decoder accepts
/// re-encodes to the same line, and pegged and reference commands are among them.
#[test]
fn generated_commands_round_trip_through_the_wire() {
    let mut runner = TestRunner::deterministic();
    let strategy = stream();
    let (mut pegged, mut references) = (0, 0);
    for _ in 0..100 {
        let steps = strategy.new_tree(&mut runner).expect("a stream").current();
        let (symbols, mut decoder, mut builder) = (symbols(), Decoder::new(), Builder::default());
        for step in &steps {
            let (ts, command) = builder.build(step);
            let line = encode_command(&symbols, ts, &command);
            let Ok((decoded_ts, decoded)) = decoder.decode(line.as_bytes()) else { continue };
            let again = encode_command(decoder.symbols(), decoded_ts, &decoded);
            assert_eq!(canonical(&again), canonical(&line), "{line}");
            let is_pegged = |price: &Price| matches!(price, Price::Pegged(_));
            pegged += usize::from(match &decoded {
                Command::Ask(ask) => is_pegged(&ask.price),
                Command::Bid(bid) => is_pegged(&bid.limit),
                _ => false,
            });
            references += usize::from(matches!(decoded, Command::Reference { .. }));
        }
    }
    assert!(pegged > 0 && references > 0, "pegged {pegged}, references {references}");
}

/// What the generator's streams exercise, by kind.
fn outcome(event: &Event) -> String {
    match event {
        Event::Accepted { .. } => "accepted".into(),
        Event::Rejected { reason: RejectReason::Capacity(bound) } => {
            format!("rejected capacity {}", bound.key())
        }
        Event::Rejected { reason } => format!("rejected {}", reason.code()),
        Event::Deal(_) => "deal".into(),
        Event::Cancelled { reason, .. } => format!("cancelled {}", reason.code()),
        Event::Expired { .. } => "expired".into(),
        Event::Reference { repriced: 0, .. } => "reference".into(),
        Event::Reference { .. } => "reference repriced".into(),
    }
}

/// The comparison only means something if the streams reach every rule: sample streams with a
/// fixed seed and require every event kind, cancel reason and engine-level reject reason.
#[test]
fn generator_reaches_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = (config(), stream());
    let mut seen = BTreeSet::new();
    for _ in 0..300 {
        let (config, steps) = strategy.new_tree(&mut runner).expect("a stream").current();
        let mut naive = Naive::new(config.clone());
        let mut builder = Builder::default();
        let mut groups = GroupsSeen::default();
        for step in &steps {
            let (ts, command) = builder.build(step);
            let events = naive.apply(&command, ts);
            seen.extend(events.iter().map(outcome));
            if let Some(reclaimed) = groups.note(&config, &command, &events) {
                seen.insert(reclaimed.into());
            }
            let is_reference = matches!(command, Command::Reference { .. });
            if is_reference && events.iter().any(|e| matches!(e, Event::Deal(_))) {
                seen.insert("deal on re-pricing".into());
            }
            if naive.snapshot().iter().any(|view| !view.priced) {
                seen.insert("unpriced resting".into());
            }
            let unpriced_arrival = match &command {
                Command::Ask(ask) => naive.effective_price(&ask.price, false).is_none(),
                Command::Bid(bid) => naive.effective_price(&bid.limit, true).is_none(),
                _ => false,
            };
            let pegged = match &command {
                Command::Ask(ask) => matches!(ask.price, Price::Pegged(_)),
                Command::Bid(bid) => matches!(bid.limit, Price::Pegged(_)),
                _ => false,
            };
            for event in &events {
                match event {
                    Event::Cancelled { reason, .. } if unpriced_arrival => {
                        seen.insert(format!("unpriced {}", reason.code()));
                    }
                    Event::Rejected { reason } if is_reference => {
                        seen.insert(format!("reference rejected {}", reason.code()));
                    }
                    Event::Rejected { reason } if pegged => {
                        seen.insert(format!("pegged rejected {}", reason.code()));
                    }
                    _ => {}
                }
            }
        }
    }
    let mut want: Vec<String> = [
        "accepted",
        "deal",
        "expired",
        "reference",
        "reference repriced",
        "deal on re-pricing",
        "unpriced resting",
        "unpriced ioc",
        "unpriced fok",
        "reference rejected bad_price",
        "reference rejected capacity",
        "pegged rejected bad_price",
        "pegged rejected capacity",
        "configuration reclaimed",
        "signature reclaimed",
    ]
    .map(String::from)
    .to_vec();
    want.extend(["user", "ioc", "fok", "post"].map(|r| format!("cancelled {r}")));
    want.extend(
        [
            "time_backwards",
            "bad_time",
            "duplicate_id",
            "bad_id",
            "bad_price",
            "bad_qty",
            "bad_duration",
            "deadline_unreachable",
            "bad_window",
            "bad_expires",
            "unknown_id",
            "inactive_id",
            "not_owner",
            "bad_hardware",
            "capacity resting_max",
            "capacity orders_max",
            "capacity id_bytes_max",
            "capacity configs_max",
            "capacity signatures_max",
            "capacity classes_max",
        ]
        .map(|r| format!("rejected {r}")),
    );
    let missing: Vec<&String> = want.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "the generator never produced {missing:?}");
}

/// Every configuration and signature a stream's accepted orders named, to tell when a new one
/// can only have found room because an empty group was reclaimed.
#[derive(Default)]
struct GroupsSeen {
    configs: Vec<Hardware>,
    signatures: Vec<Requirements>,
}

impl GroupsSeen {
    /// Notes an accepted order's group; what was reclaimed for it, if the engine's table
    /// (every group ever seen, without reclamation) was already full.
    fn note(
        &mut self,
        config: &EngineConfig,
        command: &Command,
        events: &[Event],
    ) -> Option<&'static str> {
        if !matches!(
            events.iter().find(|e| matches!(e, Event::Accepted { .. } | Event::Rejected { .. })),
            Some(Event::Accepted { .. })
        ) {
            return None;
        }
        match command {
            Command::Ask(ask) if !self.configs.contains(&ask.hw) => {
                self.configs.push(ask.hw);
                (self.configs.len() > config.configs_max).then_some("configuration reclaimed")
            }
            Command::Bid(bid) if !self.signatures.contains(&bid.req) => {
                self.signatures.push(bid.req.clone());
                (self.signatures.len() > config.signatures_max).then_some("signature reclaimed")
            }
            _ => None,
        }
    }
}
