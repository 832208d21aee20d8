//! The generator's promises: determinism, the mix, the fit count, a stationary book.

use super::*;

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
