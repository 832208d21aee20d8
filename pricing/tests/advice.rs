//! The advice `gridbook price` and `gridbook quote` give is what the matcher would do, on
//! generated pegged markets priced by a model: for every machine of the market, every owner
//! and window tried, an `ioc` ask at the best bid the advice names fills at least one slot and
//! one a nano-unit above fills nothing (so "no compatible bid" is true too); for every bid
//! tried, a bid at a quoted limit fills exactly the quoted fills, and a bid at the cheapest ask
//! the advice names fills at least one slot.

use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{
    Ask, Bid, Command, Engine, EngineConfig, Event, IdLookup, Owner, Price, Tif,
};
use gridbook_pricing::advice::{best_bid_for, cheapest_ask_for, suggest_ask, AskInputs, AskReason};
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
};

const HOUR_MS: u64 = 3_600_000;

/// A generated market with pegged orders, replayed under `ewma`, and the distinct asks and
/// bids of its stream (decoded with the replay's own names).
fn market(seed: u64) -> (LineReplay, Vec<Ask>, Vec<Bid>) {
    let taxonomy = Taxonomy::default_taxonomy();
    let model = model_by_name("ewma", &PricingConfig::default()).expect("a known model");
    let options = PricedOptions { book_interval_ms: 500, ..Default::default() };
    let priced = PricedEngine::new(EngineConfig::default(), taxonomy.clone(), Some(model), options);
    let mut priced = LineReplay::new(priced);
    let config = WorkloadConfig {
        seed,
        configs: 24,
        resting: 600,
        orders: 3000,
        pegged_percent: 20,
        ..Default::default()
    };
    let mut workload = Workload::with_classes(config, &taxonomy);
    let (mut asks, mut bids, mut out) = (Vec::<Ask>::new(), Vec::<Bid>::new(), Vec::new());
    let mut line_no = 0;
    while let Some((ts_ms, command)) = workload.next() {
        line_no += 1;
        let line = encode_command(workload.symbols(), ts_ms, &command);
        match priced.decode(line.as_bytes()) {
            Ok((_, Command::Ask(ask))) if !asks.iter().any(|a| a.hw == ask.hw) => asks.push(ask),
            Ok((_, Command::Bid(bid))) if !bids.iter().any(|b| b.req == bid.req) => bids.push(bid),
            _ => {}
        }
        out.clear();
        priced.line(line_no, line.as_bytes(), &mut out);
    }
    (priced, asks, bids)
}

/// One fill as `(resting id, qty, price, start, end)`.
type Fill = (String, u64, u64, u64, u64);

/// Slots `command` trades when applied now to a copy of `engine`, and its fills.
fn trade(engine: &Engine, command: Command) -> (u64, Vec<Fill>) {
    let mut copy = engine.clone();
    let now_ms = copy.now_ms();
    let events = copy.apply(&command, now_ms);
    assert!(
        !events.iter().any(|e| matches!(e, Event::Rejected { .. })),
        "the probe is a valid order: {command:?} → {events:?}"
    );
    let deals: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::Deal(deal) => {
                let resting = if matches!(command, Command::Ask(_)) { deal.bid } else { deal.ask };
                Some((
                    copy.order_id(resting).to_string(),
                    deal.qty,
                    deal.price_nano,
                    deal.start_ms,
                    deal.end_ms,
                ))
            }
            _ => None,
        })
        .collect();
    (deals.iter().map(|d| d.1).sum(), deals)
}

/// The probe ask of `template`'s machine for `owner`, from `from_ms` to `until_ms`.
fn probe_ask(template: &Ask, owner: Owner, window: (u64, u64), price_nano: u64) -> Ask {
    Ask {
        id: "advice-probe".into(),
        owner,
        price: Price::Fixed(price_nano),
        qty: 3,
        tif: Tif::Ioc,
        from_ms: window.0,
        until_ms: window.1,
        expires_ms: None,
        ..template.clone()
    }
}

#[test]
fn an_ioc_ask_at_the_suggested_trades_at_once_price_fills_and_one_above_does_not() {
    let (mut served, mut unserved) = (0, 0);
    for seed in [1, 2, 3] {
        let (priced, asks, bids) = market(seed);
        let engine = priced.priced().engine();
        let now_ms = engine.now_ms();
        let owners = [Owner([0; 20]), bids[0].owner, bids[bids.len() / 2].owner];
        let windows = [
            (now_ms, TIME_MS_MAX),
            (now_ms + 3 * HOUR_MS, TIME_MS_MAX),
            (now_ms, now_ms + HOUR_MS),
        ];
        for template in &asks {
            for (owner, window) in owners.iter().flat_map(|o| windows.iter().map(move |w| (*o, *w)))
            {
                let machine = probe_ask(template, owner, window, 1);
                let best = best_bid_for(engine, &machine);
                let inputs =
                    AskInputs { best_bid_nano: best.map(|b| b.price_nano), ..AskInputs::default() };
                let (suggested, reason) = suggest_ask(inputs);
                let Some(best) = best else {
                    let (filled, _) = trade(engine, Command::Ask(machine));
                    assert_eq!(filled, 0, "no compatible bid, yet an ask at 1 nano traded");
                    unserved += 1;
                    continue;
                };
                assert_eq!((suggested, reason), (Some(best.price_nano), AskReason::TradesAtOnce));
                let at = probe_ask(template, owner, window, best.price_nano);
                let (filled, _) = trade(engine, Command::Ask(at));
                assert!(
                    filled >= 1,
                    "seed {seed}: an ioc ask at {} filled nothing",
                    best.price_nano
                );
                let wide =
                    Ask { qty: 1_000_000, ..probe_ask(template, owner, window, best.price_nano) };
                assert_eq!(
                    trade(engine, Command::Ask(wide)).0,
                    best.slots,
                    "the depth at the best bid"
                );
                let above = probe_ask(template, owner, window, best.price_nano + 1);
                assert_eq!(trade(engine, Command::Ask(above)).0, 0, "a better bid was missed");
                served += 1;
            }
        }
    }
    assert!(served > 50 && unserved > 10, "both cases are exercised: {served} / {unserved}");
}

/// The probe bid of `template`'s requirements, runnable from now.
fn probe_bid(template: &Bid, now_ms: u64, limit_nano: u64, qty: u64) -> Bid {
    Bid {
        id: "advice-probe".into(),
        owner: Owner([9; 20]),
        limit: Price::Fixed(limit_nano),
        qty,
        tif: Tif::Ioc,
        not_before_ms: 0,
        deadline_ms: now_ms + template.duration_ms + 6 * HOUR_MS,
        expires_ms: None,
        ..template.clone()
    }
}

#[test]
fn a_bid_at_a_quoted_limit_fills_what_the_quote_said() {
    let (mut filled_some, mut none) = (0, 0);
    for seed in [1, 2, 3] {
        let (priced, _, bids) = market(seed);
        let engine = priced.priced().engine();
        let now_ms = engine.now_ms();
        for template in &bids {
            let Some(cheapest) = cheapest_ask_for(engine, &probe_bid(template, now_ms, 1, 1))
            else {
                let any = probe_bid(template, now_ms, gridbook_matcher::limits::PRICE_NANO_MAX, 5);
                assert_eq!(trade(engine, Command::Bid(any)).0, 0, "an ask fits after all");
                none += 1;
                continue;
            };
            for limit_nano in [cheapest, cheapest.saturating_mul(2), cheapest.saturating_mul(10)] {
                for qty in [1, 4, 50] {
                    let bid = probe_bid(template, now_ms, limit_nano, qty);
                    let quote = engine.quote(&bid);
                    let said: Vec<_> = quote
                        .fills
                        .iter()
                        .map(|f| {
                            (
                                engine.order_id(f.order).to_string(),
                                f.qty,
                                f.price_nano,
                                f.start_ms,
                                f.end_ms,
                            )
                        })
                        .collect();
                    let (filled, deals) = trade(engine, Command::Bid(bid));
                    assert_eq!(
                        (filled, deals),
                        (quote.filled, said),
                        "seed {seed}, limit {limit_nano}"
                    );
                }
            }
            assert!(trade(engine, Command::Bid(probe_bid(template, now_ms, cheapest, 1))).0 >= 1);
            if cheapest > 1 {
                let below = probe_bid(template, now_ms, cheapest - 1, 1);
                assert_eq!(trade(engine, Command::Bid(below)).0, 0, "a cheaper ask was missed");
            }
            filled_some += 1;
        }
    }
    assert!(filled_some > 20 && none > 0, "both cases are exercised: {filled_some} / {none}");
}
