//! Pegged orders in the generator: which class each configuration and signature pegs to, and
//! the offsets and limits that make a pegged order behave like the fixed-price order it
//! replaces once the class's reference has settled.
//!
//! The matcher knows no taxonomy, so the caller supplies a [`PegClassifier`]; the generator asks
//! it once per configuration and signature when it is built and keeps the answers in a table, so
//! generating stays deterministic and the generator stays `Clone`.
//!
//! Offsets are relative to the reference the pricing layer will give the order: the class's
//! unit reference × the order's units per slot. The generator assumes that unit reference
//! settles at the configuration's reference price ÷ its units per slot, and chooses the offset
//! so that, there, the pegged order sits where its fixed-price twin would (above or below the
//! reference, or crossing it). Until then — models start at their configured initial price —
//! the ask floor and bid ceiling keep the order within reach of the configuration's reference.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::market::Market;
use super::{scale_bps, BPS};
use crate::command::Peg;
use crate::hardware::{Hardware, Requirements, Sym};
use crate::symbols::Symbols;

/// The pricing layer's view of a machine or a job, as the generator needs it for pegs.
pub trait PegClassifier {
    /// The class of machine `hw` and how many of the class's units one slot of it holds;
    /// `None` if it has no class (its asks are never pegged).
    fn ask_class(&self, hw: &Hardware, symbols: &Symbols) -> Option<(String, u32)>;

    /// The class a bid with `req` pegs to, given the machine `target` it was sized for, and how
    /// many of the class's units one slot of the bid counts for; `None`: never pegged.
    fn bid_class(
        &self,
        target: &Hardware,
        req: &Requirements,
        symbols: &Symbols,
    ) -> Option<(String, u32)>;
}

/// A class to peg to, resolved for one configuration or signature.
#[derive(Debug, Clone, Copy)]
pub(super) struct PegTarget {
    /// The class name, interned in the market's symbols.
    pub(super) class: Sym,
    /// The reference the order is expected to get per slot-hour once the class's reference
    /// settles: the configuration's unit reference × the order's units per slot, nano-units.
    pub(super) settled_nano: u64,
}

/// Per configuration and per signature (indices as in [`Market`]), the class to peg to.
#[derive(Debug, Clone, Default)]
pub(super) struct PegTable {
    pub(super) configs: Vec<Option<PegTarget>>,
    pub(super) signatures: Vec<Option<PegTarget>>,
}

impl PegTable {
    /// Asks `classifier` about every configuration and signature of `market`, interning the
    /// class names into its symbols.
    pub(super) fn build(market: &mut Market, classifier: &dyn PegClassifier) -> PegTable {
        let mut configs = Vec::with_capacity(market.configs.len());
        // (class symbol, units per slot) of each configuration, for its signatures' unit price.
        let mut config_units = Vec::with_capacity(market.configs.len());
        for config in &market.configs {
            let answer = classifier.ask_class(&config.hw, &market.symbols);
            config_units.push(answer.as_ref().map_or(1, |&(_, units)| units.max(1)));
            let target = answer.map(|(name, units)| {
                let class = market.symbols.intern(&name);
                let settled_nano = settled(config.reference_nano, units, units);
                PegTarget { class, settled_nano }
            });
            configs.push(target);
        }
        let mut signatures = Vec::with_capacity(market.signatures.len());
        for sig in &market.signatures {
            let target = &market.configs[sig.target];
            let answer = classifier.bid_class(&target.hw, &sig.req, &market.symbols);
            let resolved = answer.map(|(name, units)| {
                let class = market.symbols.intern(&name);
                let settled_nano = settled(target.reference_nano, config_units[sig.target], units);
                PegTarget { class, settled_nano }
            });
            signatures.push(resolved);
        }
        PegTable { configs, signatures }
    }
}

/// `reference_nano ÷ config_units` (the unit reference, rounded to nearest as the pricing
/// layer rounds) × `order_units`.
fn settled(reference_nano: u64, config_units: u32, order_units: u32) -> u64 {
    let per = u64::from(config_units.max(1));
    let unit_nano = reference_nano / per + u64::from(reference_nano % per * 2 >= per);
    unit_nano.saturating_mul(u64::from(order_units.max(1)))
}

/// A pegged ask that, at the settled reference, is priced at `price_nano` (what its fixed twin
/// would ask), with a floor of 70–90 % of the configuration's reference.
pub(super) fn ask_peg(
    rng: &mut ChaCha8Rng,
    target: PegTarget,
    price_nano: u64,
    reference_nano: u64,
) -> Peg {
    let floor_nano = scale_bps(reference_nano, 7_000 + rng.random_range(0..2_000u64));
    Peg {
        class: target.class,
        offset_nano: signed_gap(price_nano, target.settled_nano),
        limit_nano: floor_nano.max(1),
        units: 1,
    }
}

/// A pegged bid that, at the settled reference, bids `limit_nano` (its fixed twin's limit),
/// with a ceiling of 110–140 % of its target configuration's reference.
pub(super) fn bid_peg(
    rng: &mut ChaCha8Rng,
    target: PegTarget,
    limit_nano: u64,
    reference_nano: u64,
) -> Peg {
    let ceiling_nano = scale_bps(reference_nano, BPS + 1_000 + rng.random_range(0..3_000u64));
    Peg {
        class: target.class,
        offset_nano: signed_gap(limit_nano, target.settled_nano),
        limit_nano: ceiling_nano.max(1),
        units: 1,
    }
}

/// `to − from` as a signed offset. Both are order prices (≤ 10^18), so the gap fits an `i64`
/// and is within the offset bound.
fn signed_gap(to: u64, from: u64) -> i64 {
    let gap = i128::from(to) - i128::from(from);
    gap.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settled_reference_is_the_rounded_unit_price_times_the_order_units() {
        assert_eq!(settled(10, 4, 4), 12); // 2.5 → 3 per unit
        assert_eq!(settled(10, 4, 1), 3);
        assert_eq!(settled(7, 1, 1), 7);
        assert_eq!(settled(7, 0, 0), 7);
    }

    #[test]
    fn offsets_are_signed_gaps() {
        assert_eq!(signed_gap(5, 7), -2);
        assert_eq!(signed_gap(7, 5), 2);
    }
}
