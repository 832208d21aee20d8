//! The price tape of a [`crate::PricedEngine`]: per-class running figures, the price rows they
//! become at each book interval, and the rule for when a moved reference is published.
//!
//! Plain data (vectors indexed by class), so a snapshot of the priced engine can copy it as is.

use crate::taxonomy::ClassId;
use gridbook_matcher::Sym;

/// Default publication step: a reference reaches the engine (and re-prices its pegged orders)
/// once it has moved by 0.1 % since it was last published. Models such as vwap move their
/// reference a little with every deal; re-pricing every pegged order of a class after every
/// deal would cost more than the matching itself, for moves far smaller than any price a
/// person would act on.
pub const PUBLISH_STEP_BPS_DEFAULT: u64 = 10;

/// One row of the reference price series: a class at the end of a book interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    /// Engine time of the row, ms.
    pub ts_ms: u64,
    /// The class.
    pub class: ClassId,
    /// The model's reference, nano-units per class unit.
    pub reference_nano: Option<u64>,
    /// Best resting bid and ask, per class unit.
    pub best_bid_nano: Option<u64>,
    /// Best resting ask, per class unit.
    pub best_ask_nano: Option<u64>,
    /// Price of the class's last deal so far, per class unit.
    pub last_deal_nano: Option<u64>,
    /// Units traded in the class since the previous row.
    pub volume_units: u64,
}

/// A deal as the model saw it: (class, unit price in nano-units, class units, engine time ms).
pub type DealRow = (ClassId, u64, u64, u64);

/// Per-class running figures for the price series.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ClassTape {
    /// The model may have moved this class's reference since publication last looked: set by
    /// a deal of the class and by every `on_time`, the only calls that change a reference.
    pub(crate) stale: bool,
    pub(crate) published_nano: Option<u64>,
    pub(crate) last_deal_nano: Option<u64>,
    pub(crate) volume_units: u64,
    /// The class's name in the engine's name table, interned at its first publication.
    pub(crate) sym: Option<Sym>,
}

impl ClassTape {
    /// One tape per class, stale from the start so the first step asks every class (none has
    /// a reference yet).
    pub(crate) fn for_classes(classes: usize) -> Vec<ClassTape> {
        vec![ClassTape { stale: true, ..ClassTape::default() }; classes]
    }
}

/// Whether `now_nano` differs from the `published` reference by at least `step_bps` basis
/// points of it (any change when `step_bps` is 0; always when nothing was published).
pub(crate) fn moved_enough(published: Option<u64>, now_nano: u64, step_bps: u64) -> bool {
    match published {
        None => true,
        Some(published) if published == now_nano => false,
        Some(published) => {
            let moved = u128::from(published.abs_diff(now_nano)) * 10_000;
            moved >= u128::from(step_bps) * u128::from(published)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::moved_enough;

    #[test]
    fn a_reference_is_published_once_it_moves_by_the_step() {
        assert!(moved_enough(None, 5, 10));
        assert!(!moved_enough(Some(1_000_000), 1_000_000, 0));
        assert!(moved_enough(Some(1_000_000), 1_000_001, 0));
        assert!(!moved_enough(Some(1_000_000), 1_000_999, 10));
        assert!(moved_enough(Some(1_000_000), 1_001_000, 10));
        assert!(moved_enough(Some(1_000_000), 999_000, 10));
        assert!(!moved_enough(Some(1_000_000), 999_001, 10));
    }
}
