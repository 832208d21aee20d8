//! `vwap`: the volume-weighted average deal price of each class over a sliding time window.
//!
//! `reference = round(Σ price·units / Σ units)` over the deals of the last `window_ms`
//! (a deal at `t` counts while `now_ms − t < window_ms`), rounded to nearest, halves up. With no
//! deal in the window it falls back to the mid of the class's best bid and best ask from the
//! last book summary (rounded down), and without both of those it keeps its last reference. A
//! class has none until its first deal or first book mid. The result is clamped to
//! `floor_nano..=cap_nano`. A deal counts for at most 2^40 units.

use std::collections::VecDeque;

use crate::book::{BookNeeds, BookSummary};
use crate::config::VwapConfig;
use crate::fixed::{div_round, saturate_u64};
use crate::model::{slot_of, PricingModel};
use crate::model_state::{self, ModelStateError};
use crate::taxonomy::ClassId;

/// Most units one deal counts for (far above any real deal: qty ≤ 10^6 slots).
const UNITS_MAX: u64 = 1 << 40;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ClassState {
    /// The reference, unclamped: the window's VWAP, else the last mid, else the last
    /// reference; `None` until the first deal or mid.
    reference_nano: Option<u64>,
    /// Deals in the window, oldest first: (time_ms, unit_price_nano, units).
    deals: VecDeque<(u64, u64, u64)>,
    /// Σ price·units and Σ units of `deals`. Units are capped at 2^40 per deal, so a term is
    /// below 2^104 and the exact sum fits u128 for 2^24 deals in one window; the sums wrap
    /// rather than panic beyond that (adding and removing the same terms keeps them exact
    /// whenever the true sum fits).
    value_sum: u128,
    units_sum: u128,
    /// Mid of the last book summary.
    mid_nano: Option<u64>,
}

impl ClassState {
    fn evict(&mut self, now_ms: u64, window_ms: u64) {
        while let Some(&(time_ms, price, units)) = self.deals.front() {
            if now_ms.saturating_sub(time_ms) < window_ms {
                break;
            }
            self.deals.pop_front();
            self.value_sum = self.value_sum.wrapping_sub(u128::from(price) * u128::from(units));
            self.units_sum = self.units_sum.wrapping_sub(u128::from(units));
        }
    }

    /// Sets the reference from the window and the mid, keeping the last one without either.
    fn refresh(&mut self) {
        let vwap = div_round(self.value_sum, self.units_sum).map(saturate_u64);
        self.reference_nano = vwap.or(self.mid_nano).or(self.reference_nano);
    }
}

/// The sliding-window VWAP model.
#[derive(Debug, Clone)]
pub struct Vwap {
    config: VwapConfig,
    now_ms: u64,
    classes: Vec<ClassState>,
}

impl Vwap {
    /// A model with no history.
    pub fn new(config: VwapConfig) -> Vwap {
        Vwap { config, now_ms: 0, classes: Vec::new() }
    }
}

impl PricingModel for Vwap {
    fn name(&self) -> &'static str {
        "vwap"
    }

    fn on_deal(&mut self, class: ClassId, unit_price_nano: u64, units: u64, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        let state = slot_of(&mut self.classes, class);
        if units > 0 {
            let units = units.min(UNITS_MAX);
            state.deals.push_back((self.now_ms, unit_price_nano, units));
            let value = u128::from(unit_price_nano) * u128::from(units);
            state.value_sum = state.value_sum.wrapping_add(value);
            state.units_sum = state.units_sum.wrapping_add(u128::from(units));
        }
        state.evict(self.now_ms, self.config.window_ms);
        state.refresh();
    }

    /// The mid of best bid and ask, its fallback, is all it reads.
    fn book_needs(&self) -> BookNeeds {
        BookNeeds::BestPrices
    }

    fn on_time(&mut self, now_ms: u64, book: &BookSummary) {
        self.now_ms = self.now_ms.max(now_ms);
        for (at, class_book) in book.classes().iter().enumerate() {
            slot_of(&mut self.classes, ClassId(at as u32)).mid_nano = class_book.mid_nano();
        }
        for state in &mut self.classes {
            state.evict(self.now_ms, self.config.window_ms);
            state.refresh();
        }
    }

    fn reference_nano(&self, class: ClassId) -> Option<u64> {
        let reference = self.classes.get(class.index())?.reference_nano?;
        Some(self.config.bounds().clamp(reference))
    }

    fn save_state(&self, out: &mut Vec<u8>) {
        model_state::save(self.name(), &self.config, &(self.now_ms, &self.classes), out);
    }

    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), ModelStateError> {
        let check = |(now_ms, classes): &(u64, Vec<ClassState>)| {
            classes.iter().try_for_each(|class| class.check_restored(*now_ms))
        };
        let (now_ms, classes) = model_state::restore(self.name(), &self.config, bytes, check)?;
        (self.now_ms, self.classes) = (now_ms, classes);
        Ok(())
    }
}

impl ClassState {
    /// For restored state: the window's deals are in time order, none after `now_ms`, each
    /// within the units cap, and the sums are theirs.
    fn check_restored(&self, now_ms: u64) -> Result<(), String> {
        let (mut value_sum, mut units_sum, mut last_ms) = (0u128, 0u128, 0u64);
        for &(time_ms, price, units) in &self.deals {
            if time_ms < last_ms || time_ms > now_ms || units == 0 || units > UNITS_MAX {
                return Err(format!("a deal at {time_ms} ms out of order or of {units} units"));
            }
            value_sum = value_sum.wrapping_add(u128::from(price) * u128::from(units));
            units_sum = units_sum.wrapping_add(u128::from(units));
            last_ms = time_ms;
        }
        match (value_sum, units_sum) == (self.value_sum, self.units_sum) {
            true => Ok(()),
            false => Err("the window's sums are not its deals'".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::ClassBook;

    const A: ClassId = ClassId(0);

    /// The worked example of docs/pricing.md.
    #[test]
    fn worked_example() {
        let config = VwapConfig { window_ms: 3_600_000, ..VwapConfig::default() };
        let mut model = Vwap::new(config);
        model.on_deal(A, 2_000_000_000, 3, 0);
        model.on_deal(A, 2_500_000_001, 1, 600_000);
        // (3·2.0 + 1·2.500000001) / 4 = 2.12500000025 → 2.125000000 (0.25 rounds down).
        assert_eq!(model.reference_nano(A), Some(2_125_000_000));
        model.on_deal(A, 2_200_000_000, 2, 3_600_000); // the first deal leaves the window
                                                       // (1·2.500000001 + 2·2.2) / 3 = 2.300000000333… → 2.300000000.
        assert_eq!(model.reference_nano(A), Some(2_300_000_000));
        let book = BookSummary::from_classes(vec![ClassBook::from_orders(
            vec![(2_100_000_000, 5)],
            vec![(1_900_000_001, 5)],
        )]);
        model.on_time(7_300_000, &book); // every deal has left: mid of 1.900000001 and 2.1
        assert_eq!(model.reference_nano(A), Some(2_000_000_000));
        // An empty book says nothing new: the last reference stands.
        model.on_time(7_400_000, &BookSummary::from_classes(vec![ClassBook::default()]));
        assert_eq!(model.reference_nano(A), Some(2_000_000_000));
        assert_eq!(model.reference_nano(ClassId(1)), None);
    }

    /// No reference until the market gives one: a book with one side only gives none, the
    /// first mid or deal does.
    #[test]
    fn a_class_has_no_reference_before_its_first_deal_or_mid() {
        let mut model = Vwap::new(VwapConfig::default());
        let asks_only = ClassBook::from_orders(vec![(2_000_000_000, 5)], vec![]);
        model.on_time(0, &BookSummary::from_classes(vec![asks_only.clone(), asks_only]));
        assert_eq!((model.reference_nano(A), model.reference_nano(ClassId(1))), (None, None));
        let both_sides = ClassBook::from_orders(vec![(2_000_000_000, 5)], vec![(1_000_000_000, 5)]);
        model.on_time(60_000, &BookSummary::from_classes(vec![both_sides]));
        assert_eq!(model.reference_nano(A), Some(1_500_000_000));
        model.on_deal(ClassId(1), 1_700_000_000, 2, 60_000);
        assert_eq!(model.reference_nano(ClassId(1)), Some(1_700_000_000));
    }

    #[test]
    fn prices_are_clamped() {
        let config = VwapConfig { floor_nano: 10, cap_nano: 20, ..VwapConfig::default() };
        let mut model = Vwap::new(config);
        model.on_deal(A, 1, 1, 0);
        assert_eq!(model.reference_nano(A), Some(10));
        model.on_deal(A, 1000, 1, 0);
        assert_eq!(model.reference_nano(A), Some(20));
    }
}
