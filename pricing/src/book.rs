//! [`BookSummary`]: the resting book seen per hardware class, in class units — the supply curve
//! (asks) and the demand curve (bids) that the book-driven models read.
//!
//! - An ask belongs to the class of its configuration; its price is normalised to the class
//!   unit ([`Taxonomy::normalise_nano`]) and its quantity counted in units (slots × units per
//!   slot).
//! - A bid counts as demand of **every** class that holds at least one configuration its
//!   requirements are satisfied by (among the configurations the engine holds: those with
//!   resting asks, and those whose asks have left until it reclaims them for room), once per
//!   class. Its limit is normalised by the units its requirements ask for per slot (`gpus`
//!   for gpu-hour, `cpu` for core-hour, at least 1), because a bid names a minimum, not a
//!   machine; its quantity is counted in those units.
//! - Each curve is sorted (supply cheapest first, demand highest first) with one entry per
//!   distinct price, so the summary is a pure function of the book, whatever the hash maps.

use gridbook_matcher::{Engine, Requirements, Symbols};

/// How much of the book a model reads at each book interval, so that a model which reads less
/// does not pay for a whole summary (at 100 000 resting orders a full one costs milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BookNeeds {
    /// Only which classes exist: every class book is left empty.
    Nothing,
    /// Each class's best ask and best bid (and so its mid): the curves keep only the best
    /// order of each configuration and signature, so their units are not the class's depth.
    BestPrices,
    /// The whole supply and demand curves.
    Curves,
}

use crate::fixed::{div_round, saturate_u64};
use crate::taxonomy::{ClassId, Taxonomy, Unit};

/// One class's side of the book, in the class's unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassBook {
    /// Resting asks as `(unit_price_nano, units)`, cheapest first, one entry per price.
    pub supply: Vec<(u64, u64)>,
    /// Resting compatible bids as `(unit_limit_nano, units)`, highest first, one per limit.
    pub demand: Vec<(u64, u64)>,
}

impl ClassBook {
    /// A class book from unsorted `(price_nano, units)` lists: sorted, equal prices merged.
    pub fn from_orders(mut supply: Vec<(u64, u64)>, mut demand: Vec<(u64, u64)>) -> ClassBook {
        supply.sort_unstable_by_key(|&(price, _)| price);
        demand.sort_unstable_by_key(|&(price, _)| std::cmp::Reverse(price));
        merge_levels(&mut supply);
        merge_levels(&mut demand);
        ClassBook { supply, demand }
    }

    /// The cheapest resting ask price, nano-units per unit.
    pub fn best_ask_nano(&self) -> Option<u64> {
        self.supply.first().map(|&(price, _)| price)
    }

    /// The highest resting bid limit, nano-units per unit.
    pub fn best_bid_nano(&self) -> Option<u64> {
        self.demand.first().map(|&(price, _)| price)
    }

    /// Units offered by all resting asks (saturating).
    pub fn supply_units(&self) -> u64 {
        self.supply.iter().fold(0u64, |sum, &(_, units)| sum.saturating_add(units))
    }

    /// Units demanded by all resting bids (saturating).
    pub fn demand_units(&self) -> u64 {
        self.demand.iter().fold(0u64, |sum, &(_, units)| sum.saturating_add(units))
    }

    /// Units demanded by bids whose limit is at least `price_nano` (saturating).
    pub fn demand_at_or_above(&self, price_nano: u64) -> u64 {
        self.demand
            .iter()
            .take_while(|&&(limit, _)| limit >= price_nano)
            .fold(0u64, |sum, &(_, units)| sum.saturating_add(units))
    }

    /// The mid of the best bid and best ask, rounded down, when both exist.
    pub fn mid_nano(&self) -> Option<u64> {
        let (bid, ask) = (self.best_bid_nano()?, self.best_ask_nano()?);
        Some(saturate_u64((u128::from(bid) + u128::from(ask)) / 2))
    }
}

/// Sums the units of adjacent entries with equal prices (the list is sorted).
fn merge_levels(levels: &mut Vec<(u64, u64)>) {
    levels.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = kept.1.saturating_add(later.1);
        }
        same
    });
}

/// Every class's resting supply and demand at one moment; index by [`ClassId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookSummary {
    classes: Vec<ClassBook>,
    /// Scratch: class of each engine configuration, and per-class marks of the current
    /// signature; kept to spare allocations when the summary is rebuilt.
    config_class: Vec<Option<ClassId>>,
    marked_by: Vec<u32>,
}

impl BookSummary {
    /// A summary from explicit class books (tests and tools); class `i` is `classes[i]`.
    pub fn from_classes(classes: Vec<ClassBook>) -> BookSummary {
        BookSummary { classes, ..BookSummary::default() }
    }

    /// The summary of `engine`'s resting book under `taxonomy`; `symbols` names the engine's
    /// symbols (the ones its commands were decoded with).
    pub fn from_engine(engine: &Engine, taxonomy: &Taxonomy, symbols: &Symbols) -> BookSummary {
        let mut summary = BookSummary::default();
        summary.rebuild(engine, taxonomy, symbols);
        summary
    }

    /// Recomputes the whole summary in place, reusing its buffers.
    pub fn rebuild(&mut self, engine: &Engine, taxonomy: &Taxonomy, symbols: &Symbols) {
        self.rebuild_for(engine, taxonomy, symbols, BookNeeds::Curves);
    }

    /// Recomputes in place as much of the summary as `needs` asks for (see [`BookNeeds`]).
    pub fn rebuild_for(
        &mut self,
        engine: &Engine,
        taxonomy: &Taxonomy,
        symbols: &Symbols,
        needs: BookNeeds,
    ) {
        self.classes.resize_with(taxonomy.len(), ClassBook::default);
        self.classes.truncate(taxonomy.len());
        for class in &mut self.classes {
            class.supply.clear();
            class.demand.clear();
        }
        self.config_class.clear();
        if needs == BookNeeds::Nothing {
            return;
        }
        // Groups are walked best first, so the best order of each is its first.
        let per_group = if needs == BookNeeds::BestPrices { 1 } else { usize::MAX };
        for config in 0..engine.config_count() as u32 {
            let hw = engine.config_hardware(config).expect("every index below the count exists");
            let class = taxonomy.classify(hw, symbols);
            self.config_class.push(class);
            let Some(class) = class else { continue };
            let book = &mut self.classes[class.index()];
            for (price_nano, remaining) in engine.config_asks(config).take(per_group) {
                let unit_price = taxonomy.normalise_nano(class, hw, price_nano);
                book.supply.push((unit_price, taxonomy.units(class, hw, remaining)));
            }
        }
        self.marked_by.clear();
        self.marked_by.resize(taxonomy.len(), u32::MAX);
        for signature in 0..engine.signature_count() as u32 {
            let req = engine
                .signature_requirements(signature)
                .expect("every index below the count exists");
            for config in engine.signature_configs(signature) {
                let class = self.config_class[config as usize];
                let Some(class) = class else { continue };
                // Once per class: a signature satisfied by several configurations of one class
                // is still one demand there.
                if std::mem::replace(&mut self.marked_by[class.index()], signature) == signature {
                    continue;
                }
                let per_slot = bid_units_per_slot(taxonomy.class(class).unit, req);
                let book = &mut self.classes[class.index()];
                for (limit_nano, remaining) in engine.signature_bids(signature).take(per_group) {
                    let unit_limit = div_round(u128::from(limit_nano), u128::from(per_slot))
                        .map_or(limit_nano, saturate_u64);
                    book.demand.push((unit_limit, remaining.saturating_mul(per_slot)));
                }
            }
        }
        for class in &mut self.classes {
            class.supply.sort_unstable_by_key(|&(price, _)| price);
            class.demand.sort_unstable_by_key(|&(price, _)| std::cmp::Reverse(price));
            merge_levels(&mut class.supply);
            merge_levels(&mut class.demand);
        }
    }

    /// The book of `class`; `None` for a class this summary does not have.
    pub fn class(&self, class: ClassId) -> Option<&ClassBook> {
        self.classes.get(class.index())
    }

    /// Every class's book, by [`ClassId`].
    pub fn classes(&self) -> &[ClassBook] {
        &self.classes
    }
}

/// Units one slot of a bid with `req` asks for, in `unit` (at least 1).
pub fn bid_units_per_slot(unit: Unit, req: &Requirements) -> u64 {
    let units = match unit {
        Unit::SlotHour => 1,
        Unit::GpuHour => req.gpus,
        Unit::CoreHour => req.cpu,
    };
    u64::from(units.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_books_are_sorted_and_merged() {
        let book =
            ClassBook::from_orders(vec![(5, 1), (3, 2), (5, 4)], vec![(1, 1), (2, 2), (2, 3)]);
        assert_eq!(book.supply, vec![(3, 2), (5, 5)]);
        assert_eq!(book.demand, vec![(2, 5), (1, 1)]);
        assert_eq!(
            (book.best_ask_nano(), book.best_bid_nano(), book.mid_nano()),
            (Some(3), Some(2), Some(2))
        );
        assert_eq!((book.supply_units(), book.demand_units()), (7, 6));
        assert_eq!(book.demand_at_or_above(2), 5);
        assert_eq!(book.demand_at_or_above(0), 6);
        assert_eq!(book.demand_at_or_above(3), 0);
    }
}
