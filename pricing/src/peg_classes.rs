//! The taxonomy as the order generator asks for classes
//! ([`gridbook_matcher::workload::PegClassifier`]), so generated pegged orders peg to the same
//! classes and are counted in the same units as [`crate::PricedEngine`] will price them.

use gridbook_matcher::workload::PegClassifier;
use gridbook_matcher::{Hardware, Requirements, Symbols};

use crate::book::bid_units_per_slot;
use crate::taxonomy::Taxonomy;

impl PegClassifier for Taxonomy {
    /// An ask pegs to its machine's class, with the units one slot of the machine holds.
    fn ask_class(&self, hw: &Hardware, symbols: &Symbols) -> Option<(String, u32)> {
        let class = self.class(self.classify(hw, symbols)?);
        let units = u32::try_from(class.unit.units_per_slot(hw)).unwrap_or(u32::MAX);
        Some((class.name.clone(), units))
    }

    /// A bid pegs to the class of the machine it was sized for, counted in the units its
    /// requirements ask for (as the pricing layer prices a pegged bid).
    fn bid_class(
        &self,
        target: &Hardware,
        req: &Requirements,
        symbols: &Symbols,
    ) -> Option<(String, u32)> {
        let class = self.class(self.classify(target, symbols)?);
        let units = u32::try_from(bid_units_per_slot(class.unit, req)).unwrap_or(u32::MAX);
        Some((class.name.clone(), units))
    }
}
