//! The [`PricingModel`] trait every reference-price model implements, and [`model_by_name`],
//! the factory that builds one from a [`PricingConfig`].
//!
//! A model is a deterministic state machine: its only inputs are deals, the passing of time
//! (the engine's clock, in ms) and book summaries, always through these methods; it reads no
//! clock, does no I/O and keeps one reference price per class. Prices here are in the class's
//! unit ([`crate::Unit`]): callers turn a slot-hour deal into unit price and units with
//! [`crate::Taxonomy::normalise_nano`] and [`crate::Taxonomy::units`].
//!
//! Time is expected not to go backwards; a time earlier than one already seen is treated as
//! that later time, so a model's state never depends on a clock running back.

use thiserror::Error;

use crate::book::{BookNeeds, BookSummary};
use crate::clearing::Clearing;
use crate::config::PricingConfig;
use crate::ewma::Ewma;
use crate::model_state::ModelStateError;
use crate::taxonomy::ClassId;
use crate::utilization::Utilization;
use crate::vwap::Vwap;

/// A reference-price model. Implementations never panic, every price they return is positive
/// and within their configured floor and cap, and none is returned before the market has
/// given the class one.
pub trait PricingModel: Send {
    /// The model's name, as [`model_by_name`] takes it.
    fn name(&self) -> &'static str;

    /// A deal in `class` at `unit_price_nano` per class unit, for `units` units, at `now_ms`.
    fn on_deal(&mut self, class: ClassId, unit_price_nano: u64, units: u64, now_ms: u64);

    /// Time advanced to `now_ms`; `book` summarises the resting book per class at that moment,
    /// as far as [`PricingModel::book_needs`] asked.
    fn on_time(&mut self, now_ms: u64, book: &BookSummary);

    /// How much of the book `on_time` reads (default: the whole curves).
    fn book_needs(&self) -> BookNeeds {
        BookNeeds::Curves
    }

    /// The current reference price of `class`, nano-units per class unit; `None` until the
    /// market has given the class a price — its first deal, or for a model that reads the
    /// book its first book mid — never a configured placeholder. It may change only through
    /// `on_deal` of that class or `on_time` (the driver asks only then).
    fn reference_nano(&self, class: ClassId) -> Option<u64>;

    /// Appends the model's state, with its name and configuration, to `out` (for a snapshot;
    /// canonical bytes: the same history gives the same bytes).
    fn save_state(&self, out: &mut Vec<u8>);

    /// Replaces the model's state with the one `bytes` hold ([`PricingModel::save_state`]).
    /// State saved by another model or under another configuration is refused, as are bytes
    /// that do not decode or hold state the model could never reach; on an error the model is
    /// unchanged.
    fn restore_state(&mut self, bytes: &[u8]) -> Result<(), ModelStateError>;
}

/// The names [`model_by_name`] knows, in the order docs/pricing.md presents them.
pub const MODEL_NAMES: [&str; 4] = ["vwap", "ewma", "utilization", "clearing"];

/// [`model_by_name`] was given a name it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown pricing model `{0}` (known: vwap, ewma, utilization, clearing)")]
pub struct UnknownModel(pub String);

/// The model called `name`, configured by its table of `config`.
pub fn model_by_name(
    name: &str,
    config: &PricingConfig,
) -> Result<Box<dyn PricingModel>, UnknownModel> {
    Ok(match name {
        "vwap" => Box::new(Vwap::new(config.vwap)),
        "ewma" => Box::new(Ewma::new(config.ewma)),
        "utilization" => Box::new(Utilization::new(config.utilization)),
        "clearing" => Box::new(Clearing::new(config.clearing)),
        other => return Err(UnknownModel(other.to_string())),
    })
}

/// Per-class state in a vector indexed by [`ClassId`], grown on first use.
pub(crate) fn slot_of<T: Default>(states: &mut Vec<T>, class: ClassId) -> &mut T {
    if states.len() <= class.index() {
        states.resize_with(class.index() + 1, T::default);
    }
    &mut states[class.index()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_builds_its_model() {
        let config = PricingConfig::default();
        for name in MODEL_NAMES {
            assert_eq!(model_by_name(name, &config).map(|m| m.name()), Ok(name));
        }
        assert_eq!(model_by_name("twap", &config).err(), Some(UnknownModel("twap".into())));
    }
}
