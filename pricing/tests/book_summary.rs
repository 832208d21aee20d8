//! BookSummary from an engine that replayed a generated workload, checked against a naive
//! recomputation that does not use the engine's group views: the snapshot's resting orders,
//! joined with the commands that placed them, classified one by one.

use std::collections::BTreeMap;

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Engine, Event, Hardware, Requirements, Side};
use gridbook_pricing::book::bid_units_per_slot;
use gridbook_pricing::{BookNeeds, BookSummary, ClassId, Taxonomy};

enum Placed {
    Ask(Hardware),
    Bid(Requirements),
}

/// Per class: (supply units, Σ unit price × units, demand units, Σ unit limit × units).
type Totals = BTreeMap<ClassId, (u64, u128, u64, u128)>;

fn replay(config: WorkloadConfig) {
    let taxonomy = Taxonomy::default_taxonomy();
    let workload = Workload::new(config);
    let symbols = workload.symbols().clone();
    let mut engine = Engine::default();
    let mut placed: Vec<Option<Placed>> = Vec::new();
    let mut configs: Vec<Hardware> = Vec::new();
    for (ts_ms, command) in workload {
        for event in engine.apply(&command, ts_ms) {
            let Event::Accepted { order } = event else { continue };
            let at = order.0 as usize;
            placed.resize_with(placed.len().max(at + 1), || None);
            placed[at] = match &command {
                Command::Ask(ask) => {
                    if !configs.contains(&ask.hw) {
                        configs.push(ask.hw);
                    }
                    Some(Placed::Ask(ask.hw))
                }
                Command::Bid(bid) => Some(Placed::Bid(bid.req.clone())),
                _ => None,
            };
        }
    }

    let mut naive = Totals::new();
    // A price of 0 marks a resting order with no price yet, which rests on no ladder.
    for view in engine.snapshot().into_iter().filter(|v| v.price_nano > 0) {
        match (&placed[view.order.0 as usize], view.side) {
            (Some(Placed::Ask(hw)), Side::Ask) => {
                let Some(class) = taxonomy.classify(hw, &symbols) else { continue };
                let units = taxonomy.units(class, hw, view.remaining);
                let price = taxonomy.normalise_nano(class, hw, view.price_nano);
                let entry = naive.entry(class).or_default();
                entry.0 += units;
                entry.1 += u128::from(price) * u128::from(units);
            }
            (Some(Placed::Bid(req)), Side::Bid) => {
                let mut classes: Vec<ClassId> = configs
                    .iter()
                    .filter(|hw| req.satisfied_by(hw))
                    .filter_map(|hw| taxonomy.classify(hw, &symbols))
                    .collect();
                classes.sort_unstable();
                classes.dedup();
                for class in classes {
                    let per_slot = bid_units_per_slot(taxonomy.class(class).unit, req);
                    let limit = (view.price_nano + per_slot / 2) / per_slot;
                    let units = view.remaining * per_slot;
                    let entry = naive.entry(class).or_default();
                    entry.2 += units;
                    entry.3 += u128::from(limit) * u128::from(units);
                }
            }
            _ => panic!("snapshot order {:?} was not placed as a {:?}", view.order, view.side),
        }
    }

    let summary = BookSummary::from_engine(&engine, &taxonomy, &symbols);
    assert_eq!(summary.classes().len(), taxonomy.len());
    let mut from_summary = Totals::new();
    for (at, book) in summary.classes().iter().enumerate() {
        let weighted = |curve: &[(u64, u64)]| {
            curve.iter().map(|&(p, u)| u128::from(p) * u128::from(u)).sum::<u128>()
        };
        assert!(book.supply.windows(2).all(|w| w[0].0 < w[1].0), "supply sorted, merged");
        assert!(book.demand.windows(2).all(|w| w[0].0 > w[1].0), "demand sorted, merged");
        if book.supply.is_empty() && book.demand.is_empty() {
            continue;
        }
        let totals = (
            book.supply_units(),
            weighted(&book.supply),
            book.demand_units(),
            weighted(&book.demand),
        );
        from_summary.insert(ClassId(at as u32), totals);
    }
    naive.retain(|_, totals| *totals != (0, 0, 0, 0));
    assert!(naive.len() >= 3, "the workload should rest orders in several classes");
    assert_eq!(from_summary, naive);

    // Rebuilding in place gives the same summary.
    let mut again = summary.clone();
    again.rebuild(&engine, &taxonomy, &symbols);
    assert_eq!(again, summary);

    // A best-prices summary has every class's best ask, best bid and mid; `Nothing`, no book.
    let mut best = BookSummary::default();
    best.rebuild_for(&engine, &taxonomy, &symbols, BookNeeds::BestPrices);
    let tops = |s: &BookSummary| -> Vec<_> {
        s.classes().iter().map(|b| (b.best_ask_nano(), b.best_bid_nano(), b.mid_nano())).collect()
    };
    assert_eq!(tops(&best), tops(&summary));
    best.rebuild_for(&engine, &taxonomy, &symbols, BookNeeds::Nothing);
    assert_eq!(best.classes().len(), taxonomy.len());
    assert!(best.classes().iter().all(|b| b.supply.is_empty() && b.demand.is_empty()));
}

#[test]
fn summary_totals_match_a_naive_recomputation() {
    replay(WorkloadConfig {
        seed: 7,
        configs: 24,
        resting: 600,
        orders: 2000,
        ..Default::default()
    });
}

#[test]
fn summary_totals_match_a_naive_recomputation_on_a_wide_market() {
    replay(WorkloadConfig {
        seed: 11,
        configs: 200,
        resting: 1500,
        orders: 1500,
        ..Default::default()
    });
}
