//! `clearing`: the uniform price at which a class's resting supply and demand curves cross.
//!
//! For a price `p`, supply `S(p)` is the units of asks priced ≤ `p` and demand `D(p)` the units
//! of bids with limit ≥ `p`. Among all prices `p ≥ 1` the model picks, in order:
//!
//! 1. the largest executable volume `min(S(p), D(p))`;
//! 2. then the smallest imbalance `|S(p) − D(p)|`;
//! 3. then the price nearest the previous reference;
//! 4. then the lower price.
//!
//! `S` and `D` only change at order prices, so the search walks the distinct prices in
//! ascending order and the open gaps between them (where `S` is that of the lower price and
//! `D` that of the upper), picking the nearest point of a gap by clamping the previous
//! reference into it. It allocates nothing. When the curves do not cross (volume 0 everywhere)
//! the rule still decides: an empty spread leaves the previous reference unchanged, and inside
//! a non-crossed book it is clamped into the spread. The result is clamped to
//! `floor_nano..=cap_nano`.
//!
//! Start: a class has no reference until the market gives it one. Its first deal sets it (the
//! only deal the model reads: later ones are already reflected in the book); otherwise the
//! first summary with both a best bid and a best ask starts it, with the mid as the previous
//! reference of rule 3 — inside the spread of a book that does not cross, that is the mid.

use std::cmp::Reverse;

use crate::book::{BookSummary, ClassBook};
use crate::config::ClearingConfig;
use crate::model::{slot_of, PricingModel};
use crate::model_state::{self, ModelStateError};
use crate::taxonomy::ClassId;

/// The uniform-price clearing model.
#[derive(Debug, Clone)]
pub struct Clearing {
    config: ClearingConfig,
    classes: Vec<Option<u64>>,
}

/// A candidate: prices `lo..=hi` all have supply `supply` and demand `demand`.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: u64,
    hi: u64,
    supply: u64,
    demand: u64,
}

/// How good a candidate is, smaller is better: (larger volume, imbalance, distance).
type Key = (Reverse<u64>, u64, u64);

/// The ranking key of a candidate range and the point it proposes.
fn rank(range: Range, previous_nano: u64) -> (Key, u64) {
    let volume = range.supply.min(range.demand);
    let imbalance = range.supply.abs_diff(range.demand);
    let point = previous_nano.clamp(range.lo, range.hi);
    ((Reverse(volume), imbalance, point.abs_diff(previous_nano)), point)
}

/// The clearing price of `book` (module docs); `previous_nano` breaks ties.
pub fn clearing_price(book: &ClassBook, previous_nano: u64) -> u64 {
    let demand_total = book.demand_units();
    let (mut i, mut j) = (0usize, book.demand.len());
    let (mut supply_cum, mut demand_below) = (0u64, 0u64);
    // The lowest price not yet covered by a candidate; `None` once u64::MAX is covered.
    let mut lower_end = Some(1u64);
    let mut best: Option<(Key, u64)> = None;
    let mut consider = |range: Range| {
        let ranked = rank(range, previous_nano);
        // Strictly better only: candidates come in ascending price, so the lower price wins ties.
        if best.is_none_or(|b| ranked.0 < b.0) {
            best = Some(ranked);
        }
    };
    loop {
        // The next distinct price of either curve, ascending (demand is stored highest first).
        let next_supply = book.supply.get(i).map(|&(p, _)| p);
        let next_demand = j.checked_sub(1).map(|at| book.demand[at].0);
        let price = match (next_supply, next_demand) {
            (Some(s), Some(d)) => s.min(d),
            (Some(p), None) | (None, Some(p)) => p,
            (None, None) => break,
        };
        let demand_here = demand_total.saturating_sub(demand_below);
        if let Some(lo) = lower_end.filter(|&lo| price > lo) {
            consider(Range { lo, hi: price - 1, supply: supply_cum, demand: demand_here });
        }
        while let Some(&(_, units)) = book.supply.get(i).filter(|&&(p, _)| p == price) {
            supply_cum = supply_cum.saturating_add(units);
            i += 1;
        }
        // A unit price can round to 0 in the book; prices are positive, so 0 is no candidate.
        if price >= 1 {
            consider(Range { lo: price, hi: price, supply: supply_cum, demand: demand_here });
        }
        while let Some(at) = j.checked_sub(1).filter(|&at| book.demand[at].0 == price) {
            demand_below = demand_below.saturating_add(book.demand[at].1);
            j = at;
        }
        lower_end = price.checked_add(1);
    }
    if let Some(lo) = lower_end {
        let demand = demand_total.saturating_sub(demand_below);
        consider(Range { lo, hi: u64::MAX, supply: supply_cum, demand });
    }
    best.map_or(previous_nano, |(_, point)| point)
}

impl Clearing {
    /// A model with no history.
    pub fn new(config: ClearingConfig) -> Clearing {
        Clearing { config, classes: Vec::new() }
    }
}

impl PricingModel for Clearing {
    fn name(&self) -> &'static str {
        "clearing"
    }

    fn on_deal(&mut self, class: ClassId, unit_price_nano: u64, units: u64, _now_ms: u64) {
        let state = slot_of(&mut self.classes, class);
        if state.is_none() && units > 0 {
            *state = Some(self.config.bounds().clamp(unit_price_nano));
        }
    }

    fn on_time(&mut self, _now_ms: u64, book: &BookSummary) {
        let bounds = self.config.bounds();
        for (at, class_book) in book.classes().iter().enumerate() {
            let state = slot_of(&mut self.classes, ClassId(at as u32));
            let Some(previous) = state.or_else(|| class_book.mid_nano()) else { continue };
            *state = Some(bounds.clamp(clearing_price(class_book, previous)));
        }
    }

    fn reference_nano(&self, class: ClassId) -> Option<u64> {
        let price = (*self.classes.get(class.index())?)?;
        Some(self.config.bounds().clamp(price))
    }

    fn save_state(&self, out: &mut Vec<u8>) {
        model_state::save(self.name(), &self.config, &self.classes, out);
    }

    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), ModelStateError> {
        // Any price per class is a state the model can continue from.
        self.classes = model_state::restore(self.name(), &self.config, bytes, |_| Ok(()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/pricing.md: volume 3 and imbalance 1 on 110..=120.
    #[test]
    fn worked_example() {
        let book = ClassBook::from_orders(
            vec![(100, 1), (110, 2), (130, 3)],
            vec![(140, 2), (120, 2), (100, 3)],
        );
        assert_eq!(clearing_price(&book, 125), 120);
        assert_eq!(clearing_price(&book, 105), 110);
        assert_eq!(clearing_price(&book, 115), 115);
    }

    #[test]
    fn an_uncrossed_book_keeps_the_reference_inside_the_spread() {
        let book = ClassBook::from_orders(vec![(200, 5)], vec![(100, 5)]);
        assert_eq!(clearing_price(&book, 150), 150);
        assert_eq!(clearing_price(&book, 500), 199);
        assert_eq!(clearing_price(&book, 50), 101);
        assert_eq!(clearing_price(&ClassBook::default(), 42), 42);
    }

    /// No reference until the market gives one: a one-sided book gives none; the first mid
    /// does, and so does a first deal.
    #[test]
    fn a_class_starts_at_its_first_mid_or_deal_not_at_a_placeholder() {
        let mut model = Clearing::new(ClearingConfig::default());
        let one_sided = ClassBook::from_orders(vec![(200, 5)], vec![]);
        model.on_time(0, &BookSummary::from_classes(vec![one_sided.clone(), one_sided]));
        assert_eq!(
            (model.reference_nano(ClassId(0)), model.reference_nano(ClassId(1))),
            (None, None)
        );
        let spread = ClassBook::from_orders(vec![(200, 5)], vec![(100, 5)]);
        model.on_deal(ClassId(1), 170, 1, 1);
        assert_eq!(model.reference_nano(ClassId(1)), Some(170));
        model.on_time(2, &BookSummary::from_classes(vec![spread.clone(), spread]));
        assert_eq!(model.reference_nano(ClassId(0)), Some(150), "the mid of 100 and 200");
        assert_eq!(model.reference_nano(ClassId(1)), Some(170), "inside the spread: kept");
    }

    #[test]
    fn volume_comes_before_imbalance() {
        // At 10: volume 1 (S 1, D 4); at 20: volume 2 (S 3, D 2).
        let book = ClassBook::from_orders(vec![(10, 1), (20, 2)], vec![(20, 2), (10, 2)]);
        assert_eq!(clearing_price(&book, 1), 20);
    }

    #[test]
    fn extreme_prices_do_not_overflow() {
        let book = ClassBook::from_orders(vec![(u64::MAX, 1), (1, 1)], vec![(u64::MAX, 2), (1, 1)]);
        assert_eq!(clearing_price(&book, 5), u64::MAX);
        // Supply alone at the top: the empty gap below it (no imbalance) beats the ask itself.
        let book = ClassBook::from_orders(vec![(u64::MAX - 1, 3)], vec![]);
        assert_eq!(clearing_price(&book, u64::MAX), u64::MAX - 2);
        let book = ClassBook::from_orders(vec![(0, 2)], vec![(0, 1)]);
        assert_eq!(clearing_price(&book, 7), 7);
    }
}
