//! gridbook's pricing: hardware classes and deterministic reference-price models.
//!
//! - [`taxonomy`]: operator-defined hardware classes and the most-specific-class rule.
//! - [`book`]: [`BookSummary`], the resting supply and demand of each class.
//! - [`model`]: the [`PricingModel`] trait and the factory [`model_by_name`]; one file per model
//!   ([`vwap`], [`ewma`], [`utilization`], [`clearing`]).
//! - [`model_state`]: saving and restoring a model's state, checked against its name and
//!   configuration (for snapshots).
//! - [`config`]: [`PricingConfig`], every model's parameters, from TOML.
//! - [`fixed`]: the integer fixed-point arithmetic the models share.
//! - [`priced`]: [`PricedEngine`], the engine with an optional model applied inside each step
//!   — the one step API (`apply(&Command, now_ms) -> &[Event]`) every driver uses; `tape`:
//!   its price rows and the publication rule; `prepare`: completing a pegged order's class.
//! - [`line_replay`]: [`LineReplay`], the JSON Lines codec around it (decode, step, write
//!   events, tallies, forget a rejected line's names).
//! - [`advice`]: price advice that would trade — the best bid a machine can serve, the
//!   cheapest ask a bid can take — from the engine's planner.
//! - [`answers`]: the answers of `price`, `quote` and `explain` as serialisable structs, one
//!   code path for the CLI and the live node.
//! - [`toml_locate`]: the key and line of a TOML error, for every TOML file gridbook reads.
//! - [`lockstep`]: [`Lockstep`], the check that a rejected line changes nothing, for the
//!   property tests and the fuzz targets.
//! - `peg_classes`: the [`Taxonomy`] as the order generator's
//!   [`gridbook_matcher::workload::PegClassifier`], for generated pegged orders.
//!
//! Principles: every model is a pure state machine fed only by events and the engine's clock
//! (time is an input, in ms); prices are `u64` nano-units (9 decimals) and are computed with
//! integers only, never floating point; no output depends on hash-map order. docs/pricing.md
//! gives each formula, its rounding and a worked example.

pub mod advice;
pub mod answers;
pub mod backtest;
pub mod book;
pub mod clearing;
pub mod config;
pub mod ewma;
pub mod fixed;
pub mod line_replay;
pub mod lockstep;
pub mod model;
pub mod model_state;
mod peg_classes;
mod prepare;
pub mod priced;
pub mod tape;
pub mod taxonomy;
pub mod toml_locate;
pub mod utilization;
pub mod vwap;

pub use book::{BookNeeds, BookSummary, ClassBook};
pub use config::{Bounds, ConfigError, PricingConfig};
pub use line_replay::{LineReplay, LineReplayCopy};
pub use lockstep::{Divergence, Lockstep};
pub use model::{model_by_name, PricingModel, UnknownModel, MODEL_NAMES};
pub use model_state::ModelStateError;
pub use prepare::prepare_command;
pub use priced::{PricedCopy, PricedEngine, PricedOptions, PricedSnapshotError};
pub use tape::{DealRow, PriceRow, PUBLISH_STEP_BPS_DEFAULT};
pub use taxonomy::{Class, ClassId, Predicate, Taxonomy, TaxonomyError, TeeRule, Unit};
