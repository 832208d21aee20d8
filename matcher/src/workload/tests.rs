//! The generator's promises: determinism, the mix, the fit count, a stationary book.

use super::*;
use crate::command::{Ask, Bid, Peg};
use crate::hardware::{Hardware, Requirements, Sym};

fn small(seed: u64) -> WorkloadConfig {
    WorkloadConfig { seed, resting: 1000, orders: 5000, ..WorkloadConfig::default() }
}

#[test]
fn same_seed_gives_same_commands() {
    let a: Vec<_> = Workload::new(small(7)).collect();
    let b: Vec<_> = Workload::new(small(7)).collect();
    assert_eq!(a.len(), 6000);
    assert_eq!(a, b);
}

#[test]
fn different_seeds_give_different_commands() {
    let a: Vec<_> = Workload::new(small(1)).collect();
    let b: Vec<_> = Workload::new(small(2)).collect();
    assert_ne!(a, b);
}

#[test]
fn a_longer_run_extends_a_shorter_one() {
    let short: Vec<_> = Workload::new(small(3)).collect();
    let long: Vec<_> = Workload::new(WorkloadConfig { orders: 8000, ..small(3) }).collect();
    assert_eq!(&long[..short.len()], &short[..]);
}

#[test]
fn a_bid_fits_about_ten_of_64_configurations() {
    for seed in 0..8 {
        let market = Workload::new(WorkloadConfig { seed, ..WorkloadConfig::default() }).market;
        assert_eq!(market.configs.len(), 64);
        let fits: usize = market
            .signatures
            .iter()
            .map(|s| market.configs.iter().filter(|c| s.req.satisfied_by(&c.hw)).count())
            .sum();
        let mean_x10 = fits * 10 / market.signatures.len();
        assert!((60..=160).contains(&mean_x10), "seed {seed}: mean fit count {mean_x10}/10");
    }
}

#[test]
fn every_signature_is_satisfied_by_its_own_configuration() {
    let market = Workload::new(WorkloadConfig::default()).market;
    for sig in &market.signatures {
        assert!(sig.req.satisfied_by(&market.configs[sig.target].hw));
    }
}

#[test]
fn every_command_is_accepted_by_a_fresh_engine() {
    let mut engine = Engine::default();
    let mut events = Vec::new();
    for (ts_ms, command) in Workload::new(WorkloadConfig { orders: 20_000, ..small(5) }) {
        events.clear();
        engine.apply_into(&command, ts_ms, &mut events);
        let rejected = events.iter().find(|e| matches!(e, Event::Rejected { .. }));
        assert!(rejected.is_none(), "{command:?} at {ts_ms}: {rejected:?}");
    }
}

#[test]
fn warmup_rests_every_order_and_crosses_nothing() {
    let mut workload = Workload::new(small(11));
    let mut engine = Engine::default();
    for _ in 0..workload.warmup_len() {
        let Some((ts_ms, command)) = workload.next() else { break };
        let events = engine.apply(&command, ts_ms);
        assert_eq!(events.len(), 1, "{command:?}: {events:?}");
    }
    assert_eq!(engine.resting(), 1000);
}

#[test]
fn the_mix_is_half_new_orders_30_percent_cancels_and_20_percent_crossing() {
    let config =
        WorkloadConfig { seed: 4, resting: 5000, orders: 50_000, ..WorkloadConfig::default() };
    let mut workload = Workload::new(config);
    let mut engine = Engine::default();
    let (mut cancels, mut trading, mut expiring, mut gtc, mut mix) = (0, 0, 0, 0, 0);
    for (at, (ts_ms, command)) in workload.by_ref().enumerate() {
        let events = engine.apply(&command, ts_ms);
        if at < 5000 {
            continue;
        }
        mix += 1;
        cancels += usize::from(matches!(command, Command::Cancel(_)));
        trading += usize::from(events.iter().any(|e| matches!(e, Event::Deal(_))));
        let (tif, expires) = match &command {
            Command::Ask(ask) => (Some(ask.tif), ask.expires_ms.is_some()),
            Command::Bid(bid) => (Some(bid.tif), bid.expires_ms.is_some()),
            _ => (None, false),
        };
        expiring += usize::from(expires);
        gtc += usize::from(tif == Some(Tif::Gtc));
    }
    let percent = |n: usize| n * 100 / mix;
    assert!((25..=35).contains(&percent(cancels)), "cancels {}%", percent(cancels));
    assert!((12..=25).contains(&percent(trading)), "trading {}%", percent(trading));
    assert!((2..=6).contains(&percent(expiring)), "expiring {}%", percent(expiring));
    assert!(gtc * 100 / (mix - cancels) >= 70, "gtc {gtc} of {}", mix - cancels);
}

#[test]
fn the_book_stays_within_30_percent_of_its_warmup_size() {
    let resting = 2000;
    let config = WorkloadConfig { seed: 9, resting, orders: 40_000, ..WorkloadConfig::default() };
    let mut workload = Workload::new(config);
    let warmup = workload.warmup_len();
    let mut engine = Engine::default();
    for (at, (ts_ms, command)) in workload.by_ref().enumerate() {
        engine.apply(&command, ts_ms);
        if at >= warmup {
            let live = engine.resting();
            assert!(live * 10 >= resting * 7 && live * 10 <= resting * 13, "{live} after {at}");
        }
    }
}

/// A stand-in for the pricing layer's taxonomy: one class per GPU model priced per GPU, and one
/// for CPU machines priced per core.
struct ByModel;

impl PegClassifier for ByModel {
    fn ask_class(&self, hw: &Hardware, symbols: &Symbols) -> Option<(String, u32)> {
        Some(match hw.gpu {
            Some(model) => (format!("gpu.{}", symbols.name(model)), hw.gpus.max(1)),
            None => ("cpu".to_string(), hw.cpu.max(1)),
        })
    }

    fn bid_class(
        &self,
        target: &Hardware,
        req: &Requirements,
        symbols: &Symbols,
    ) -> Option<(String, u32)> {
        let (class, _) = self.ask_class(target, symbols)?;
        let units = if target.gpu.is_some() { req.gpus } else { req.cpu };
        Some((class, units.max(1)))
    }
}

fn pegged(seed: u64, percent: u8) -> Workload {
    let config = WorkloadConfig { pegged_percent: percent, orders: 20_000, ..small(seed) };
    Workload::with_classes(config, &ByModel)
}

fn is_pegged(command: &Command) -> bool {
    match command {
        Command::Ask(ask) => matches!(ask.price, Price::Pegged(_)),
        Command::Bid(bid) => matches!(bid.limit, Price::Pegged(_)),
        _ => false,
    }
}

#[test]
fn without_pegs_classes_change_nothing() {
    let plain: Vec<_> = Workload::new(WorkloadConfig { orders: 20_000, ..small(5) }).collect();
    let classified: Vec<_> = pegged(5, 0).collect();
    assert_eq!(plain, classified);
}

#[test]
fn pegged_orders_are_the_asked_share_and_every_command_is_accepted() {
    let mut engine = Engine::default();
    let mut events = Vec::new();
    let (mut orders, mut pegs) = (0, 0);
    let workload = pegged(5, 30);
    for (ts_ms, command) in workload {
        orders += usize::from(matches!(command, Command::Ask(_) | Command::Bid(_)));
        pegs += usize::from(is_pegged(&command));
        if let Command::Ask(Ask { price: Price::Pegged(peg), .. })
        | Command::Bid(Bid { limit: Price::Pegged(peg), .. }) = &command
        {
            assert_eq!(peg.units, 1, "units are set by the pricing layer, not the stream");
        }
        events.clear();
        engine.apply_into(&command, ts_ms, &mut events);
        let rejected = events.iter().find(|e| matches!(e, Event::Rejected { .. }));
        assert!(rejected.is_none(), "{command:?} at {ts_ms}: {rejected:?}");
    }
    let percent = pegs * 100 / orders;
    assert!((26..=34).contains(&percent), "{pegs} pegged of {orders} orders");
}

#[test]
fn pegged_streams_are_deterministic() {
    let a: Vec<_> = pegged(8, 50).collect();
    let b: Vec<_> = pegged(8, 50).collect();
    assert_eq!(a, b);
}

#[test]
fn at_the_settled_reference_a_pegged_order_prices_like_its_fixed_twin() {
    // A 4-GPU ask at reference 10 (2.5 per GPU, which the pricing layer rounds to 3): its twin
    // asks 11, so the offset is 11 − 12 and the floor does not bind at the settled reference.
    let target = pegs::PegTarget { class: Sym(0), settled_nano: 12 };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let peg = pegs::ask_peg(&mut rng, target, 11, 10);
    assert_eq!(peg.offset_nano, -1);
    let peg = Peg { units: 4, ..peg };
    assert_eq!(peg.effective_nano(3, false), Some(11));
}
