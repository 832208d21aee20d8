//! `utilization`: EIP-1559 applied to compute. Every `interval_ms` each class's price moves
//! towards the price at which a target share of its supply is wanted:
//!
//! ```text
//! u  = D / S       D: units of resting compatible bids with limit ≥ p, S: units offered
//! p ← p · (1 + (min(u, 2u*) − u*) / (u* · d))
//! ```
//!
//! with target `u* = target_bps / 10000` (default 0.8) and `d = max_change_denominator`
//! (default 8). Capping `u` at `2u*` makes the largest rise `+1/d`, and `u = 0` gives `−1/d`,
//! so the price moves at most `p/d` per interval (12.5 % by default). With no supply: no change
//! when there is no demand either, otherwise the full rise.
//!
//! Integer form: `r = (10000·D − T·S) / (T·S)`, clamped to `[−1, 1]`, is computed in Q32
//! (truncated toward zero), then `Δ = p·|r| / (d·2^32)` truncated, so `|Δ| ≤ p/d` exactly; the
//! new price is clamped to `floor_nano..=cap_nano`.
//!
//! Start: a class has no reference until the market gives it one — its first deal, or the mid
//! of the first book summary that has both a best bid and a best ask, whichever comes first —
//! and its clock starts then (no step). Each later summary applies one step per whole interval
//! elapsed since, against that summary's book (recomputing `u` at each step's price). After a gap of more than 1024
//! intervals only 1024 steps are applied — by then the price sits at a bound or has stopped
//! moving — and steps stop early once the price stops changing.

use crate::book::{BookSummary, ClassBook};
use crate::config::{UtilizationConfig, BPS};
use crate::fixed::saturate_u64;
use crate::model::{slot_of, PricingModel};
use crate::model_state::{self, ModelStateError};
use crate::taxonomy::ClassId;

/// Most steps one book summary applies after a long gap.
const CATCH_UP_STEPS_MAX: u64 = 1024;

#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct ClassState {
    /// Price and the time of the last step, once the market has given the class a price.
    price: Option<(u64, u64)>,
}

/// The EIP-1559-style utilisation model.
#[derive(Debug, Clone)]
pub struct Utilization {
    config: UtilizationConfig,
    now_ms: u64,
    classes: Vec<ClassState>,
}

impl Utilization {
    /// A model with no history.
    pub fn new(config: UtilizationConfig) -> Utilization {
        Utilization { config, now_ms: 0, classes: Vec::new() }
    }

    /// One interval's step from `price_nano` against `book` (module docs).
    pub fn step(&self, price_nano: u64, book: &ClassBook) -> u64 {
        let supply = u128::from(book.supply_units());
        let demand = u128::from(book.demand_at_or_above(price_nano));
        let target = u128::from(self.config.target_bps.clamp(1, BPS));
        // r = (u − u*) / u* = (10000·D − T·S) / (T·S), clamped to [−1, 1], as sign and Q32
        // magnitude. Both products are ≤ 2^14·2^64 = 2^78, so the Q32 shift stays below 2^111.
        let (rising, r_q32) = if supply == 0 {
            if demand == 0 {
                return self.config.bounds().clamp(price_nano);
            }
            (true, 1u128 << 32) // demand and no supply: u is infinite, capped at 2u*
        } else {
            let scale = target * supply;
            let wanted = u128::from(BPS) * demand;
            (wanted >= scale, (wanted.abs_diff(scale).min(scale) << 32) / scale)
        };
        let d = u128::from(self.config.max_change_denominator.max(1));
        // Truncated, so |Δ| ≤ p/d exactly (r_q32 ≤ 2^32).
        let delta = saturate_u64(u128::from(price_nano) * r_q32 / (d << 32));
        let moved = if rising {
            price_nano.saturating_add(delta)
        } else {
            price_nano.saturating_sub(delta)
        };
        self.config.bounds().clamp(moved)
    }
}

impl PricingModel for Utilization {
    fn name(&self) -> &'static str {
        "utilization"
    }

    fn on_deal(&mut self, class: ClassId, unit_price_nano: u64, units: u64, now_ms: u64) {
        // After the first, deals matter only through the book they leave behind.
        self.now_ms = self.now_ms.max(now_ms);
        let state = slot_of(&mut self.classes, class);
        if state.price.is_none() && units > 0 {
            state.price = Some((self.config.bounds().clamp(unit_price_nano), self.now_ms));
        }
    }

    fn on_time(&mut self, now_ms: u64, book: &BookSummary) {
        self.now_ms = self.now_ms.max(now_ms);
        let interval_ms = self.config.interval_ms.max(1);
        for (at, class_book) in book.classes().iter().enumerate() {
            let class = ClassId(at as u32);
            let Some((mut price, last_ms)) = slot_of(&mut self.classes, class).price else {
                let start =
                    class_book.mid_nano().map(|mid| (self.config.bounds().clamp(mid), self.now_ms));
                slot_of(&mut self.classes, class).price = start;
                continue;
            };
            let steps = (self.now_ms - last_ms) / interval_ms;
            for _ in 0..steps.min(CATCH_UP_STEPS_MAX) {
                let next = self.step(price, class_book);
                if next == price {
                    break; // same book, same price: every further step is the same
                }
                price = next;
            }
            let last_ms = last_ms + steps * interval_ms;
            slot_of(&mut self.classes, class).price = Some((price, last_ms));
        }
    }

    fn reference_nano(&self, class: ClassId) -> Option<u64> {
        let (price, _) = self.classes.get(class.index())?.price?;
        Some(self.config.bounds().clamp(price))
    }

    fn save_state(&self, out: &mut Vec<u8>) {
        model_state::save(self.name(), &self.config, &(self.now_ms, &self.classes), out);
    }

    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), ModelStateError> {
        // Steps are counted from each class's last step up to the clock: never ahead of it.
        let check = |(now_ms, classes): &(u64, Vec<ClassState>)| match classes
            .iter()
            .all(|c| c.price.is_none_or(|(_, last_ms)| last_ms <= *now_ms))
        {
            true => Ok(()),
            false => Err("a class stepped after the clock".into()),
        };
        let (now_ms, classes) = model_state::restore(self.name(), &self.config, bytes, check)?;
        (self.now_ms, self.classes) = (now_ms, classes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ClassId = ClassId(0);

    fn summary(supply: Vec<(u64, u64)>, demand: Vec<(u64, u64)>) -> BookSummary {
        BookSummary::from_classes(vec![ClassBook::from_orders(supply, demand)])
    }

    /// The worked example of docs/pricing.md.
    #[test]
    fn worked_example() {
        let mut model = Utilization::new(UtilizationConfig::default());
        // 100 units offered at 0.9; 90 wanted at or above 1.1 token, 10 more at 0.5: the
        // first summary starts the class at the mid, 1.0.
        let book = summary(vec![(900_000_000, 100)], vec![(1_100_000_000, 90), (500_000_000, 10)]);
        model.on_time(0, &book);
        assert_eq!(model.reference_nano(A), Some(1_000_000_000));
        model.on_time(59_999, &book); // less than an interval: no step
        assert_eq!(model.reference_nano(A), Some(1_000_000_000));
        // u = 0.9: p · (1 + 0.1 / 6.4) = p · 1.015625.
        model.on_time(60_000, &book);
        assert_eq!(model.reference_nano(A), Some(1_015_625_000));
        // Two intervals later, two more steps, each Δ = p/64 truncated: 1.031494140, then 1.047611235.
        model.on_time(180_000, &book);
        assert_eq!(model.reference_nano(A), Some(1_047_611_235));
        // Nobody wants it any more: −1/8 per interval.
        let empty = summary(vec![(900_000_000, 100)], vec![]);
        model.on_time(240_000, &empty);
        assert_eq!(model.reference_nano(A), Some(916_659_831));
    }

    /// No reference until the market gives one: a book with one side gives none; the first
    /// deal does, and starts the clock.
    #[test]
    fn a_class_starts_at_its_first_deal_or_mid_not_at_a_placeholder() {
        let mut model = Utilization::new(UtilizationConfig::default());
        model.on_time(0, &summary(vec![(900_000_000, 100)], vec![]));
        assert_eq!(model.reference_nano(A), None);
        model.on_deal(A, 2_000_000_000, 1, 30_000);
        assert_eq!(model.reference_nano(A), Some(2_000_000_000));
        // No demand: one interval after the deal, −1/8.
        model.on_time(90_000, &summary(vec![(900_000_000, 100)], vec![]));
        assert_eq!(model.reference_nano(A), Some(1_750_000_000));
    }

    #[test]
    fn demand_far_above_target_rises_by_one_eighth_at_most() {
        let model = Utilization::new(UtilizationConfig::default());
        let book = ClassBook::from_orders(vec![(1, 1)], vec![(u64::MAX, 1_000_000)]);
        assert_eq!(model.step(800, &book), 900);
        let no_supply = ClassBook::from_orders(vec![], vec![(u64::MAX, 1)]);
        assert_eq!(model.step(800, &no_supply), 900);
        assert_eq!(model.step(800, &ClassBook::default()), 800);
    }
}
