//! Properties every model keeps, on arbitrary inputs: prices are positive and within the
//! configured floor and cap, no class has a reference before the market gives it one,
//! `utilization` never moves more than 1/d per interval, and the same inputs always give the
//! same outputs.

use gridbook_pricing::config::{Bounds, UtilizationConfig};
use gridbook_pricing::utilization::Utilization;
use gridbook_pricing::{
    model_by_name, BookSummary, ClassBook, ClassId, PricingConfig, PricingModel, MODEL_NAMES,
};
use proptest::prelude::*;

const CLASSES: u32 = 3;

/// A curve as `(price_nano, units)` entries, unsorted.
type Curve = Vec<(u64, u64)>;

#[derive(Debug, Clone)]
enum Input {
    Deal { class: u32, price_nano: u64, units: u64, after_ms: u64 },
    Time { after_ms: u64, books: Vec<(Curve, Curve)> },
}

fn price() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..=1_000, 1u64..=10_000_000_000_000, Just(u64::MAX), Just(1)]
}

fn curve() -> impl Strategy<Value = Curve> {
    prop::collection::vec((price(), 0u64..=1_000_000), 0..6)
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (0..CLASSES, price(), prop_oneof![0u64..=2_000_000, Just(u64::MAX)], 0u64..=600_000)
            .prop_map(|(class, price_nano, units, after_ms)| Input::Deal {
                class,
                price_nano,
                units,
                after_ms
            }),
        (0u64..=300_000, prop::collection::vec((curve(), curve()), CLASSES as usize))
            .prop_map(|(after_ms, books)| Input::Time { after_ms, books }),
    ]
}

fn bounds() -> impl Strategy<Value = Bounds> {
    (1u64..=1_000_000, 0u64..=1_000_000_000_000)
        .prop_map(|(floor, span)| Bounds { floor_nano: floor, cap_nano: floor + span })
}

fn config_with(bounds: Bounds) -> PricingConfig {
    let mut config = PricingConfig::default();
    let Bounds { floor_nano, cap_nano } = bounds;
    config.vwap.window_ms = 900_000;
    (config.vwap.floor_nano, config.vwap.cap_nano) = (floor_nano, cap_nano);
    (config.ewma.floor_nano, config.ewma.cap_nano) = (floor_nano, cap_nano);
    (config.utilization.floor_nano, config.utilization.cap_nano) = (floor_nano, cap_nano);
    (config.clearing.floor_nano, config.clearing.cap_nano) = (floor_nano, cap_nano);
    config
}

/// Feeds `inputs` to `model`, returning every class's reference after each input.
fn run(model: &mut dyn PricingModel, inputs: &[Input]) -> Vec<Option<u64>> {
    let mut now_ms = 1_767_225_600_000u64;
    let mut outputs = Vec::new();
    for input in inputs {
        match input {
            Input::Deal { class, price_nano, units, after_ms } => {
                now_ms += after_ms;
                model.on_deal(ClassId(*class), *price_nano, *units, now_ms);
            }
            Input::Time { after_ms, books } => {
                now_ms += after_ms;
                let classes = books
                    .iter()
                    .map(|(supply, demand)| ClassBook::from_orders(supply.clone(), demand.clone()))
                    .collect();
                model.on_time(now_ms, &BookSummary::from_classes(classes));
            }
        }
        outputs.extend((0..CLASSES).map(|class| model.reference_nano(ClassId(class))));
    }
    outputs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn prices_are_positive_bounded_and_deterministic(
        inputs in prop::collection::vec(input(), 1..40),
        bounds in bounds(),
    ) {
        let config = config_with(bounds);
        prop_assert!(config.check().is_ok());
        for name in MODEL_NAMES {
            let mut first = model_by_name(name, &config).unwrap();
            let mut second = model_by_name(name, &config).unwrap();
            let outputs = run(first.as_mut(), &inputs);
            prop_assert_eq!(&outputs, &run(second.as_mut(), &inputs), "{} is not deterministic", name);
            for price in outputs.into_iter().flatten() {
                prop_assert!(price > 0, "{} gave 0", name);
                prop_assert!((bounds.floor_nano..=bounds.cap_nano).contains(&price),
                    "{} gave {} outside {:?}", name, price, bounds);
            }
        }
    }

    /// No output shows a reference the market did not set: a class has one exactly once it
    /// has had a deal with volume, or — for the models that read the book (all but ewma) — a
    /// book summary with both a best bid and a best ask.
    #[test]
    fn no_class_has_a_reference_before_the_market_gives_it_one(
        inputs in prop::collection::vec(input(), 1..40),
    ) {
        let config = config_with(Bounds { floor_nano: 1, cap_nano: u64::MAX });
        for name in MODEL_NAMES {
            let mut model = model_by_name(name, &config).unwrap();
            let outputs = run(model.as_mut(), &inputs);
            let mut given = [false; CLASSES as usize];
            for (at, input) in inputs.iter().enumerate() {
                match input {
                    Input::Deal { class, units, .. } => given[*class as usize] |= *units > 0,
                    Input::Time { books, .. } if name != "ewma" => {
                        for (class, (supply, demand)) in books.iter().enumerate() {
                            given[class] |= !supply.is_empty() && !demand.is_empty();
                        }
                    }
                    Input::Time { .. } => {}
                }
                for class in 0..CLASSES as usize {
                    let has = outputs[at * CLASSES as usize + class].is_some();
                    prop_assert_eq!(has, given[class], "{}, input {}, class {}", name, at, class);
                }
            }
        }
    }

    #[test]
    fn utilization_moves_at_most_one_over_d_per_step(
        price_nano in 1u64..=u64::MAX / 2,
        supply in curve(),
        demand in curve(),
        target_bps in 1u64..=10_000,
        d in 1u64..=64,
    ) {
        let config = UtilizationConfig {
            target_bps,
            max_change_denominator: d,
            cap_nano: u64::MAX,
            ..UtilizationConfig::default()
        };
        let model = Utilization::new(config);
        let next = model.step(price_nano, &ClassBook::from_orders(supply, demand));
        prop_assert!(next > 0);
        prop_assert!(next.abs_diff(price_nano) <= price_nano / d, "{} → {}", price_nano, next);
    }

    #[test]
    fn utilization_moves_at_most_one_over_d_per_interval(
        books in prop::collection::vec((curve(), curve()), 1..30),
    ) {
        let config = UtilizationConfig::default();
        let mut model = Utilization::new(config);
        let mut now_ms = 0;
        let mut last: Option<u64> = None;
        for (supply, demand) in books {
            let summary = BookSummary::from_classes(vec![ClassBook::from_orders(supply, demand)]);
            model.on_time(now_ms, &summary);
            let price = model.reference_nano(ClassId(0));
            if let (Some(before), Some(after)) = (last, price) {
                prop_assert!(after.abs_diff(before) <= before / config.max_change_denominator);
            }
            last = price;
            now_ms += config.interval_ms;
        }
    }
}

/// The clearing rule by brute force over every price (the inputs keep prices ≤ 50 and the
/// previous reference ≤ 70, so no price above 100 can do better).
fn clearing_by_brute_force(supply: &[(u64, u64)], demand: &[(u64, u64)], previous: u64) -> u64 {
    let key = |p: u64| {
        let s: u64 = supply.iter().filter(|&&(price, _)| price <= p).map(|&(_, u)| u).sum();
        let d: u64 = demand.iter().filter(|&&(limit, _)| limit >= p).map(|&(_, u)| u).sum();
        (std::cmp::Reverse(s.min(d)), s.abs_diff(d), p.abs_diff(previous), p)
    };
    (1..=100).min_by_key(|&p| key(p)).unwrap_or(previous)
}

/// Sliding-window VWAP by brute force: every deal kept, the window applied at the end.
fn vwap_by_brute_force(deals: &[(u64, u64, u64)], now_ms: u64, window_ms: u64) -> Option<u64> {
    let live = deals.iter().filter(|&&(t, _, _)| now_ms - t < window_ms);
    let (value, units) = live.fold((0u128, 0u128), |(v, n), &(_, p, u)| {
        (v + u128::from(p) * u128::from(u), n + u128::from(u))
    });
    (units > 0).then(|| u64::try_from((2 * value + units) / (2 * units)).unwrap_or(u64::MAX))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn clearing_agrees_with_brute_force(
        supply in prop::collection::vec((1u64..=50, 0u64..=5), 0..6),
        demand in prop::collection::vec((1u64..=50, 0u64..=5), 0..6),
        previous in 1u64..=70,
    ) {
        let book = ClassBook::from_orders(supply.clone(), demand.clone());
        let got = gridbook_pricing::clearing::clearing_price(&book, previous);
        prop_assert_eq!(got, clearing_by_brute_force(&supply, &demand, previous));
    }

    #[test]
    fn vwap_agrees_with_brute_force(
        deals in prop::collection::vec((0u64..=900_000, 1u64..=u64::MAX, 0u64..=1_000), 1..30),
    ) {
        let config = PricingConfig::default().vwap;
        let mut model = gridbook_pricing::vwap::Vwap::new(config);
        let (mut now_ms, mut seen, mut last) = (0u64, Vec::new(), None);
        for (after_ms, price, units) in deals {
            now_ms += after_ms;
            model.on_deal(ClassId(0), price, units, now_ms);
            seen.push((now_ms, price, units));
            // An empty window keeps the last reference; before any volume there is none.
            last = vwap_by_brute_force(&seen, now_ms, config.window_ms).or(last);
            let want = last.map(|price| config.bounds().clamp(price));
            prop_assert_eq!(model.reference_nano(ClassId(0)), want);
        }
    }
}
