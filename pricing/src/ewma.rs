//! `ewma`: an exponentially weighted deal price whose weights decay with **time**, not with the
//! number of deals.
//!
//! Each class keeps a price `p` and a weight `W` (units, Q32). A deal of `units` at `price`,
//! `Δt` ms after the previous deal of the class, does:
//!
//! ```text
//! w   = 2^(−Δt / half_life_ms)          decay of the old weight (fixed::decay_q32, Q32)
//! W'  = W·w + units
//! α   = units / W'                      share of the new deal, Q32, rounded down
//! p'  = p·(1 − α) + price·α             rounded to nearest, halves up
//! ```
//!
//! So every deal's weight is its units × 2^(−age/half_life): after one half-life the old value
//! weighs half as much as it did. Folding volume into the weight (rather than `p' = w·p +
//! (1−w)·price`) keeps deals at the same millisecond from cancelling each other out (Δt = 0
//! would give the newest deal no weight at all). `units` is capped at 2^40 per deal and `W` at
//! 2^90 (Q32), far beyond any real book, so nothing overflows. The first deal sets `p`; before
//! it the class has no reference (the model does not read the book). Every output is clamped
//! to `floor_nano..=cap_nano`.

use crate::book::{BookNeeds, BookSummary};
use crate::config::EwmaConfig;
use crate::fixed::{decay_q32, saturate_u64, Q32_ONE};
use crate::model::{slot_of, PricingModel};
use crate::model_state::{self, ModelStateError};
use crate::taxonomy::ClassId;

/// Most units one deal counts for.
const UNITS_MAX: u64 = 1 << 40;
/// Most accumulated weight, Q32.
const WEIGHT_MAX_Q32: u128 = 1 << 90;

#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct ClassState {
    /// `None` until the class's first deal.
    price_nano: Option<u64>,
    weight_q32: u128,
    last_deal_ms: u64,
}

/// The time-decayed EWMA model.
#[derive(Debug, Clone)]
pub struct Ewma {
    config: EwmaConfig,
    now_ms: u64,
    classes: Vec<ClassState>,
}

impl Ewma {
    /// A model with no history.
    pub fn new(config: EwmaConfig) -> Ewma {
        Ewma { config, now_ms: 0, classes: Vec::new() }
    }
}

/// One EWMA step (module docs); returns the new price and weight.
fn blend(
    state: &ClassState,
    price_nano: u64,
    units: u64,
    now_ms: u64,
    half_life_ms: u64,
) -> (u64, u128) {
    let units_q32 = u128::from(units.min(UNITS_MAX)) << 32;
    let Some(old_nano) = state.price_nano else { return (price_nano, units_q32) };
    let decay = u128::from(decay_q32(now_ms.saturating_sub(state.last_deal_ms), half_life_ms));
    let weight_q32 = ((state.weight_q32 * decay) >> 32) + units_q32;
    // units_q32 ≤ weight_q32, so alpha ≤ 1 (Q32_ONE); weight_q32 > 0 as units > 0.
    let alpha = (units_q32 << 32) / weight_q32;
    let one = u128::from(Q32_ONE);
    let mixed = u128::from(old_nano) * (one - alpha) + u128::from(price_nano) * alpha;
    let price = saturate_u64((mixed + one / 2) >> 32);
    (price, weight_q32.min(WEIGHT_MAX_Q32))
}

impl PricingModel for Ewma {
    fn name(&self) -> &'static str {
        "ewma"
    }

    fn on_deal(&mut self, class: ClassId, unit_price_nano: u64, units: u64, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        let state = slot_of(&mut self.classes, class);
        if units == 0 {
            return; // no volume, no weight
        }
        let (price, weight) =
            blend(state, unit_price_nano, units, self.now_ms, self.config.half_life_ms);
        *state =
            ClassState { price_nano: Some(price), weight_q32: weight, last_deal_ms: self.now_ms };
    }

    /// Nothing: only deals move it.
    fn book_needs(&self) -> BookNeeds {
        BookNeeds::Nothing
    }

    fn on_time(&mut self, now_ms: u64, _book: &BookSummary) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    fn reference_nano(&self, class: ClassId) -> Option<u64> {
        let price = self.classes.get(class.index())?.price_nano?;
        Some(self.config.bounds().clamp(price))
    }

    fn save_state(&self, out: &mut Vec<u8>) {
        model_state::save(self.name(), &self.config, &(self.now_ms, &self.classes), out);
    }

    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), ModelStateError> {
        let (now_ms, classes) = model_state::restore(
            self.name(),
            &self.config,
            bytes,
            |(now_ms, classes): &(u64, Vec<ClassState>)| {
                let reachable =
                    |c: &ClassState| c.weight_q32 <= WEIGHT_MAX_Q32 && c.last_deal_ms <= *now_ms;
                match classes.iter().all(reachable) {
                    true => Ok(()),
                    false => Err("a weight beyond its cap or a deal after the clock".into()),
                }
            },
        )?;
        (self.now_ms, self.classes) = (now_ms, classes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ClassId = ClassId(0);

    /// The worked example of docs/pricing.md.
    #[test]
    fn worked_example() {
        let config = EwmaConfig { half_life_ms: 3_600_000, ..EwmaConfig::default() };
        let mut model = Ewma::new(config);
        model.on_time(0, &BookSummary::from_classes(vec![Default::default()]));
        assert_eq!(model.reference_nano(A), None, "no reference before the first deal");
        model.on_deal(A, 1_000_000_000, 1, 0);
        assert_eq!(model.reference_nano(A), Some(1_000_000_000));
        // One half-life later: old weight 1/2, new 1, α = 2/3 → 1 + 2/3 → 1.666666667.
        model.on_deal(A, 2_000_000_000, 1, 3_600_000);
        assert_eq!(model.reference_nano(A), Some(1_666_666_667));
        // Same millisecond, 2 units: W = 1.5 + 2, α = 4/7 → 1.666666667·3/7 + 2·4/7 ≈ 1.857142857.
        model.on_deal(A, 2_000_000_000, 2, 3_600_000);
        assert_eq!(model.reference_nano(A), Some(1_857_142_857));
    }

    #[test]
    fn a_very_old_value_is_forgotten() {
        let mut model = Ewma::new(EwmaConfig { half_life_ms: 1000, ..EwmaConfig::default() });
        model.on_deal(A, 1_000, 5, 0);
        model.on_deal(A, 9_000, 1, 40_000);
        assert_eq!(model.reference_nano(A), Some(9_000));
    }
}
