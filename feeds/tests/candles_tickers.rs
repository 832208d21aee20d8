//! Rule: the candles at every interval and each class's ticker (last price, rolling-day volume
//! and change, reference, best ask and supply) equal an independent recomputation from the
//! deal and reference events of a priced market, with the class of each deal taken from its
//! ask's own line.

use std::collections::BTreeMap;

use gridbook_feeds::{Feeds, FeedsConfig, Interval};
use gridbook_matcher::money::parse_price_nano;
use gridbook_matcher::stream::{decode_line, encode_command};
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, EngineConfig, Hardware, Side, Symbols};
use gridbook_pricing::fixed::div_round;
use gridbook_pricing::{model_by_name, ClassId, LineReplay, PricedEngine, PricedOptions};
use gridbook_pricing::{PricingConfig, Taxonomy};
use serde_json::Value;

/// `(open, high, low, close, volume, trades)` by `(class, interval, start)`.
type Naive = BTreeMap<(ClassId, Interval, u64), (u64, u64, u64, u64, u64, u64)>;

/// The generator's stream with its times stretched a thousandfold, so that it spans half an
/// hour of minutes.
fn stretched_stream(seed: u64) -> Vec<String> {
    let config = WorkloadConfig {
        seed,
        configs: 8,
        resting: 80,
        orders: 2_000,
        pegged_percent: 30,
        ..WorkloadConfig::default()
    };
    let mut workload = Workload::with_classes(config, &Taxonomy::default_taxonomy());
    let start_ms = WorkloadConfig::default().start_ms;
    let mut lines = Vec::new();
    while let Some((ts_ms, command)) = workload.next() {
        let stretched = start_ms + (ts_ms - start_ms) * 1_000;
        lines.push(encode_command(workload.symbols(), stretched, &command));
    }
    lines
}

fn unit_price(price_nano: u64, per_slot: u64) -> u64 {
    let rounded = div_round(u128::from(price_nano), u128::from(per_slot)).expect("per_slot ≥ 1");
    u64::try_from(rounded).expect("fits")
}

#[test]
fn candles_and_tickers_equal_a_recomputation_from_the_events() {
    let taxonomy = Taxonomy::default_taxonomy();
    let model = model_by_name("ewma", &PricingConfig::default()).expect("a model");
    let options =
        PricedOptions { book_interval_ms: 1_000, publish_step_bps: 0, ..Default::default() };
    let priced = PricedEngine::new(EngineConfig::default(), taxonomy.clone(), Some(model), options);
    let mut replay = LineReplay::new(priced);
    let config = FeedsConfig { priced: true, candles_kept: 100_000, ..FeedsConfig::default() };
    let mut feeds = Feeds::new(taxonomy.clone(), config);
    let (mut symbols, mut asks) = (Symbols::new(), BTreeMap::<String, Hardware>::new());
    let (mut naive, mut minutes) =
        (Naive::new(), BTreeMap::<(ClassId, u64), (u64, u64, u64)>::new());
    let mut last_price = BTreeMap::<ClassId, u64>::new();
    let mut references = BTreeMap::<String, u64>::new();
    for (at, line) in stretched_stream(3).iter().enumerate() {
        let mut events = Vec::new();
        replay.line(at as u64 + 1, line.as_bytes(), &mut events);
        feeds.apply(at as u64 + 1, line.as_bytes(), &events, &mut Vec::new()).expect("follows");
        for event in events.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let event: Value = serde_json::from_slice(event).expect("an event");
            let now_ms = event["ts"].as_u64().expect("ts");
            match event["type"].as_str() {
                Some("accepted") => {
                    if let Ok((_, Command::Ask(ask))) = decode_line(&mut symbols, line.as_bytes()) {
                        asks.insert(ask.id, ask.hw);
                    }
                }
                Some("reference") => {
                    let price = parse_price_nano(event["price"].as_str().expect("price"));
                    references.insert(
                        event["class"].as_str().expect("class").into(),
                        price.expect("a price"),
                    );
                }
                Some("deal") => {
                    let hw = &asks[event["ask"].as_str().expect("ask")];
                    let Some(class) = taxonomy.classify(hw, &symbols) else { continue };
                    let per_slot = taxonomy.class(class).unit.units_per_slot(hw);
                    let price = unit_price(
                        parse_price_nano(event["price"].as_str().expect("p")).expect("p"),
                        per_slot,
                    );
                    let units = event["qty"].as_u64().expect("qty") * per_slot;
                    for interval in Interval::ALL {
                        let start = now_ms - now_ms % interval.ms();
                        let candle = naive
                            .entry((class, interval, start))
                            .or_insert((price, price, price, price, 0, 0));
                        candle.1 = candle.1.max(price);
                        candle.2 = candle.2.min(price);
                        candle.3 = price;
                        candle.4 += units;
                        candle.5 += 1;
                    }
                    let minute = minutes
                        .entry((class, now_ms - now_ms % 60_000))
                        .or_insert((price, price, 0));
                    minute.1 = price;
                    minute.2 += units;
                    last_price.insert(class, price);
                }
                _ => {}
            }
        }
    }
    let mut published = Naive::new();
    for (at, _) in taxonomy.classes().iter().enumerate() {
        let class = ClassId(at as u32);
        for interval in Interval::ALL {
            for c in feeds.candles(class).series(interval) {
                let row = (c.open_nano, c.high_nano, c.low_nano, c.close_nano, c.volume, c.trades);
                published.insert((class, interval, c.start_ms), row);
            }
        }
    }
    let one_minute = naive.keys().filter(|(_, interval, _)| *interval == Interval::M1).count();
    assert!(one_minute > 20, "the market traded over {one_minute} minutes");
    assert_eq!(published, naive, "candles");

    // Tickers, as of the last command that changed each.
    let engine = replay.priced().engine();
    assert!(feeds.tickers().count() > 0);
    for ticker in feeds.tickers() {
        let class = ticker.class;
        assert_eq!(ticker.last_nano, last_price.get(&class).copied(), "last of {class:?}");
        let name = &taxonomy.class(class).name;
        assert_eq!(ticker.reference_nano, references.get(name).copied(), "reference of {name}");
        let since = ticker.ts_ms.saturating_sub(86_400_000);
        let day: Vec<_> =
            minutes.range((class, since + 1)..=(class, ticker.ts_ms)).map(|(_, m)| *m).collect();
        let volume: u64 = day.iter().map(|m| m.2).sum();
        let change = day.first().zip(day.last()).map(|(f, l)| i128::from(l.1) - i128::from(f.0));
        assert_eq!((ticker.volume_24h, ticker.change_24h_nano), (volume, change), "day of {name}");
    }
    // Best ask and supply of every class now, from the engine's own resting orders.
    let mut supply = BTreeMap::<ClassId, (u64, u64)>::new();
    let hw_of: BTreeMap<u32, Hardware> = {
        // Accepted asks in arrival order are the engine's order numbers among all orders.
        let mut by_order = BTreeMap::new();
        let mut number = 0u32;
        let mut names = Symbols::new();
        let mut replay_events = LineReplay::new(PricedEngine::new(
            EngineConfig::default(),
            taxonomy.clone(),
            Some(model_by_name("ewma", &PricingConfig::default()).expect("a model")),
            PricedOptions { book_interval_ms: 1_000, publish_step_bps: 0, ..Default::default() },
        ));
        for (at, line) in stretched_stream(3).iter().enumerate() {
            let mut events = Vec::new();
            replay_events.line(at as u64 + 1, line.as_bytes(), &mut events);
            if events.windows(17).any(|w| w == b"\"type\":\"accepted\"") {
                if let Ok((_, Command::Ask(ask))) = decode_line(&mut names, line.as_bytes()) {
                    by_order.insert(number, ask.hw);
                }
                number += 1;
            }
        }
        by_order
    };
    for view in engine.snapshot().iter().filter(|v| v.priced && v.side == Side::Ask) {
        let hw = &hw_of[&view.order.0];
        let Some(class) = taxonomy.classify(hw, &symbols) else { continue };
        let per_slot = taxonomy.class(class).unit.units_per_slot(hw);
        let entry = supply.entry(class).or_insert((u64::MAX, 0));
        entry.0 = entry.0.min(unit_price(view.price_nano, per_slot));
        entry.1 += view.remaining * per_slot;
    }
    for ticker in feeds.tickers() {
        let expected = supply.get(&ticker.class).copied();
        let got = (ticker.best_ask_nano, ticker.supply);
        assert_eq!(got, expected.map_or((None, 0), |(best, units)| (Some(best), units)));
    }
}
