//! Rule: a client that applies the depth updates of every channel (from an empty book at seq
//! 0, as a channel starts) holds exactly the book the matcher's own view gives, after every
//! command of random streams — pegged orders and re-pricing included, with and without a
//! pricing model — and every update's `prev_seq` is the client's last seq and its checksum
//! verifies against the client's own copy.
//!
//! And: feeds saved and restored half way (a node's snapshot) publish exactly what the
//! original publishes for the rest of the stream.
//!
//! The reference is naive: after each command it aggregates the engine's resting orders
//! (`Engine::snapshot`: price now, priced or not, remaining) into every channel from scratch.
//! `GRIDBOOK_FEEDS_CASES` sets the number of random streams (default 12).

use std::collections::{BTreeMap, BTreeSet};

use gridbook_feeds::{json, FeedMessage, Feeds, FeedsConfig};
use gridbook_matcher::stream::{decode_line, encode_command};
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, EngineConfig, Hardware, OrderRef, Requirements, Side, Symbols};
use gridbook_pricing::book::bid_units_per_slot;
use gridbook_pricing::fixed::div_round;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
};
use proptest::prelude::*;
use serde_json::Value;

/// A channel's levels as a client holds them: side → price text → qty.
type Levels = BTreeMap<(String, String), u64>;

/// A channel named as the feed names it: `class:NAME` or `hw:{…}`.
fn channel_name(message: &serde_json::Map<String, Value>) -> String {
    match (message.get("class"), message.get("hw")) {
        (Some(class), _) => format!("class:{}", class.as_str().expect("a class name")),
        (_, Some(hw)) => format!("hw:{hw}"),
        _ => panic!("a depth message names its channel: {message:?}"),
    }
}

#[derive(Default)]
struct Client {
    channels: BTreeMap<String, (u64, Levels)>,
}

impl Client {
    fn apply(&mut self, update: &Value) {
        let update = update.as_object().expect("an object");
        let (seq, levels) = self.channels.entry(channel_name(update)).or_default();
        assert_eq!(update["prev_seq"].as_u64(), Some(*seq), "no gap: {update:?}");
        *seq = update["seq"].as_u64().expect("a seq");
        for change in update["changes"].as_array().expect("changes") {
            let side = change[0].as_str().expect("a side").to_owned();
            let price = change[1].as_str().expect("a price").to_owned();
            match change[2].as_u64().expect("a qty") {
                0 => assert!(levels.remove(&(side, price)).is_some(), "removes a level it has"),
                qty => _ = levels.insert((side, price), qty),
            }
        }
        assert_eq!(update["checksum"].as_u64(), Some(u64::from(client_checksum(levels))));
    }
}

/// The checksum from the client's own text: best ten asks (lowest first), best ten bids.
fn client_checksum(levels: &Levels) -> u32 {
    let price = |text: &str| gridbook_matcher::money::parse_price_nano(text).expect("a price");
    let mut asks: Vec<_> = levels.iter().filter(|((s, _), _)| s == "ask").collect();
    let mut bids: Vec<_> = levels.iter().filter(|((s, _), _)| s == "bid").collect();
    asks.sort_by_key(|((_, p), _)| price(p));
    bids.sort_by_key(|((_, p), _)| std::cmp::Reverse(price(p)));
    let mut text = String::new();
    for ((_, p), q) in asks.into_iter().take(10).chain(bids.into_iter().take(10)) {
        text.push_str(&format!("{p}:{q};"));
    }
    crc32fast::hash(text.as_bytes())
}

/// What the test itself knows of each accepted order.
enum Terms {
    Ask(Hardware),
    Bid(Requirements),
}

/// The naive reference: every channel's levels from the engine's resting orders.
fn reference_book(
    replay: &LineReplay,
    taxonomy: &Taxonomy,
    symbols: &Symbols,
    terms: &BTreeMap<OrderRef, Terms>,
    known: &[Hardware],
) -> BTreeMap<String, Levels> {
    let hw_name = |hw: &Hardware| format!("hw:{}", json::hw_json(hw, symbols));
    let mut book: BTreeMap<String, BTreeMap<(String, u64), u64>> = BTreeMap::new();
    let mut add = |channel: String, side: &str, price: u64, qty: u64| {
        *book.entry(channel).or_default().entry((side.to_owned(), price)).or_default() += qty;
    };
    let unit_price = |price: u64, per_slot: u64| {
        u64::try_from(div_round(u128::from(price), u128::from(per_slot)).expect("per_slot ≥ 1"))
            .expect("fits")
    };
    for view in replay.priced().engine().snapshot().iter().filter(|view| view.priced) {
        match (&terms[&view.order], view.side) {
            (Terms::Ask(hw), Side::Ask) => {
                add(hw_name(hw), "ask", view.price_nano, view.remaining);
                if let Some(class) = taxonomy.classify(hw, symbols) {
                    let per_slot = taxonomy.class(class).unit.units_per_slot(hw);
                    let name = format!("class:{}", taxonomy.class(class).name);
                    add(
                        name,
                        "ask",
                        unit_price(view.price_nano, per_slot),
                        view.remaining * per_slot,
                    );
                }
            }
            (Terms::Bid(req), Side::Bid) => {
                let mut classes = BTreeSet::new();
                for hw in known.iter().filter(|hw| req.satisfied_by(hw)) {
                    add(hw_name(hw), "bid", view.price_nano, view.remaining);
                    classes.extend(taxonomy.classify(hw, symbols));
                }
                for class in classes {
                    let per_slot = bid_units_per_slot(taxonomy.class(class).unit, req);
                    let name = format!("class:{}", taxonomy.class(class).name);
                    add(
                        name,
                        "bid",
                        unit_price(view.price_nano, per_slot),
                        view.remaining * per_slot,
                    );
                }
            }
            _ => panic!("the engine's side is the order's"),
        }
    }
    book.into_iter()
        .map(|(channel, levels)| {
            let text = levels
                .into_iter()
                .map(|((side, price), qty)| {
                    ((side, gridbook_matcher::money::format_nano(price)), qty)
                })
                .collect();
            (channel, text)
        })
        .collect()
}

/// The stream: the generator's commands, with `reference` lines for the classes every
/// `every` commands when there is no model (the model publishes its own otherwise).
fn stream(seed: u64, configs: usize, pegged: u8, with_model: bool) -> Vec<String> {
    let config = WorkloadConfig {
        seed,
        configs,
        resting: 60,
        orders: 600,
        pegged_percent: pegged,
        ..WorkloadConfig::default()
    };
    let taxonomy = Taxonomy::default_taxonomy();
    let mut workload = Workload::with_classes(config, &taxonomy);
    let mut lines = Vec::new();
    let mut n = 0u64;
    while let Some((ts_ms, command)) = workload.next() {
        lines.push(encode_command(workload.symbols(), ts_ms, &command));
        n += 1;
        if !with_model && n.is_multiple_of(23) {
            let class = &taxonomy.classes()[(n / 23) as usize % taxonomy.len()].name;
            let price = 500_000_000 + (seed.wrapping_mul(n) % 3_000_000_000);
            let price = gridbook_matcher::money::format_nano(price);
            lines.push(format!(
                r#"{{"ts":{ts_ms},"op":"reference","class":"{class}","price":"{price}"}}"#
            ));
        }
    }
    lines
}

fn check_stream(seed: u64, configs: usize, pegged: u8, with_model: bool) {
    let taxonomy = Taxonomy::default_taxonomy();
    let model = with_model
        .then(|| model_by_name("ewma", &PricingConfig::default()).expect("ewma is a model"));
    let options = PricedOptions { book_interval_ms: 1, publish_step_bps: 0, ..Default::default() };
    let priced = PricedEngine::new(EngineConfig::default(), taxonomy.clone(), model, options);
    let mut replay = LineReplay::new(priced);
    let config = FeedsConfig { priced: with_model, ..FeedsConfig::default() };
    let mut feeds = Feeds::new(taxonomy.clone(), config);
    let mut client = Client::default();
    let mut symbols = Symbols::new();
    let mut terms = BTreeMap::new();
    let mut known: Vec<Hardware> = Vec::new();
    let (mut accepted, mut repriced, mut messages) = (0u32, 0u64, Vec::new());
    let lines = stream(seed, configs, pegged, with_model);
    // Half way, the feeds are saved and restored; the copy must go on exactly as the original.
    let mut restored: Option<Feeds> = None;
    // Feeds that track configuration channels on demand, switched on and off as the stream
    // goes: a tracked channel holds exactly the levels of the feeds that track them all.
    let on_demand_config = FeedsConfig { all_configurations: false, ..feeds.config().clone() };
    let mut on_demand = Feeds::new(taxonomy.clone(), on_demand_config);
    for (at, line) in lines.iter().enumerate() {
        if at == lines.len() / 2 {
            let mut state = Vec::new();
            feeds.write_state(&mut state);
            let copy = Feeds::restore(taxonomy.clone(), feeds.config().clone(), &state);
            restored = Some(copy.expect("the feeds' own state restores"));
        }
        let mut events = Vec::new();
        replay.line(at as u64 + 1, line.as_bytes(), &mut events);
        if events.windows(17).any(|w| w == b"\"type\":\"accepted\"") {
            let (_, command) = decode_line(&mut symbols, line.as_bytes()).expect("accepted");
            let order = OrderRef(accepted);
            accepted += 1;
            match command {
                Command::Ask(ask) => {
                    if !known.contains(&ask.hw) {
                        known.push(ask.hw);
                    }
                    terms.insert(order, Terms::Ask(ask.hw));
                }
                Command::Bid(bid) => _ = terms.insert(order, Terms::Bid(bid.req)),
                _ => panic!("only orders are accepted"),
            }
        }
        repriced += events.windows(18).filter(|w| w == b"\"type\":\"reference\"").count() as u64;
        messages.clear();
        feeds.apply(at as u64 + 1, line.as_bytes(), &events, &mut messages).expect("follows");
        if at % 37 == 0 {
            let known = on_demand.book().configs().len() as u32;
            if known > 0 {
                let config = gridbook_feeds::ConfigId((at as u32 / 37) % known);
                let on = !on_demand.book().is_tracked(config);
                on_demand.track(config, on);
            }
        }
        let mut ignored = Vec::new();
        on_demand.apply(at as u64 + 1, line.as_bytes(), &events, &mut ignored).expect("follows");
        for at in 0..on_demand.book().configs().len() as u32 {
            let config = gridbook_feeds::ConfigId(at);
            if on_demand.book().is_tracked(config) {
                let key = gridbook_feeds::DepthKey::Config(config);
                let (mine, all) = (on_demand.book(), feeds.book());
                let (mine, all) = (mine.depth(mine.channel(key)), all.depth(all.channel(key)));
                let (ma, aa): (Vec<_>, Vec<_>) = (mine.asks().collect(), all.asks().collect());
                let (mb, ab): (Vec<_>, Vec<_>) = (mine.bids().collect(), all.bids().collect());
                assert_eq!((ma, mb), (aa, ab), "tracked {at}");
            }
        }
        if let Some(copy) = restored.as_mut() {
            let mut again = Vec::new();
            copy.apply(at as u64 + 1, line.as_bytes(), &events, &mut again).expect("follows");
            assert_eq!(again, messages, "a restored copy publishes what the original does");
        }
        for message in messages.iter().filter(|m| matches!(m, FeedMessage::Depth { .. })) {
            client.apply(&json::message_json(&feeds, message));
        }
        let expected = reference_book(&replay, &taxonomy, &symbols, &terms, &known);
        let held: BTreeMap<String, Levels> = client
            .channels
            .iter()
            .filter(|(_, (_, levels))| !levels.is_empty())
            .map(|(name, (_, levels))| (name.clone(), levels.clone()))
            .collect();
        assert_eq!(held, expected, "after line {} ({line})", at + 1);
    }
    assert!(repriced > 0 || pegged == 0, "the stream re-prices");
}

fn cases() -> u32 {
    std::env::var("GRIDBOOK_FEEDS_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn depth_updates_rebuild_the_engines_book(
        seed in 0u64..1_000_000,
        configs in 1usize..12,
        pegged in prop_oneof![Just(0u8), 20u8..80],
        with_model in any::<bool>(),
    ) {
        check_stream(seed, configs, pegged, with_model);
    }
}

#[test]
fn a_priced_market_with_pegs_rebuilds_exactly() {
    check_stream(7, 6, 50, true);
}

#[test]
fn a_stream_with_its_own_references_rebuilds_exactly() {
    check_stream(11, 4, 60, false);
}
