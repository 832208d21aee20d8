//! Which market a replay runs: the pricing model (or none: the plain engine), the class
//! taxonomy and the model's parameters (TOML text, or files), how often the model sees the book
//! and how far a reference moves before the engine re-prices — the options of `gridbook replay`
//! and a node's `market.json`, built into a `LineReplay` the way the CLI builds one.

use std::path::PathBuf;

use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
    PUBLISH_STEP_BPS_DEFAULT,
};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::refused;

/// Book summaries go to the model this often by default, ms of engine time.
pub(crate) const BOOK_INTERVAL_MS_DEFAULT: u64 = 60_000;

/// A market's description.
#[derive(Debug, Clone)]
pub(crate) struct MarketSpec {
    /// The model's name; `None` for the plain engine.
    pub(crate) pricing: Option<String>,
    /// The taxonomy's TOML and where it came from.
    classes: Option<(String, String)>,
    /// The model parameters' TOML and where it came from.
    pricing_config: Option<(String, String)>,
    book_interval_ms: u64,
    publish_step_bps: u64,
}

/// A TOML option: `str` is TOML text, an `os.PathLike` (`pathlib.Path`) a file to read.
fn toml_source(
    value: Option<&Bound<'_, PyAny>>,
    option: &str,
) -> PyResult<Option<(String, String)>> {
    let Some(value) = value.filter(|value| !value.is_none()) else { return Ok(None) };
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some((text.to_str()?.to_owned(), format!("{option} (TOML text)"))));
    }
    let path: PathBuf = value
        .extract()
        .map_err(|_| refused(format!("{option}: give TOML text (str) or a file (pathlib.Path)")))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|error| refused(format!("{option}: cannot read {}: {error}", path.display())))?;
    Ok(Some((text, path.display().to_string())))
}

/// A model's name, checked; `None` or `"none"` is the plain engine.
fn checked_model(pricing: Option<&str>) -> PyResult<Option<String>> {
    let Some(name) = pricing.filter(|name| *name != "none") else { return Ok(None) };
    if !gridbook_pricing::MODEL_NAMES.contains(&name) {
        let known = gridbook_pricing::MODEL_NAMES.join(", ");
        return Err(refused(format!("pricing: unknown model {name:?} (known: {known}, or None)")));
    }
    Ok(Some(name.to_owned()))
}

impl MarketSpec {
    /// The market of the Python options; `"none"` or `None` is the plain engine.
    pub(crate) fn new(
        pricing: Option<&str>,
        classes: Option<&Bound<'_, PyAny>>,
        pricing_config: Option<&Bound<'_, PyAny>>,
        book_interval_ms: u64,
        publish_step_bps: Option<u64>,
    ) -> PyResult<MarketSpec> {
        let pricing = checked_model(pricing)?;
        if book_interval_ms == 0 {
            return Err(refused("book_interval_ms: must be at least 1"));
        }
        Ok(MarketSpec {
            pricing,
            classes: toml_source(classes, "classes")?,
            pricing_config: toml_source(pricing_config, "pricing_config")?,
            book_interval_ms,
            publish_step_bps: publish_step_bps.unwrap_or(PUBLISH_STEP_BPS_DEFAULT),
        })
    }

    /// This market under another model.
    pub(crate) fn with_model(&self, model: &str) -> PyResult<MarketSpec> {
        Ok(MarketSpec { pricing: checked_model(Some(model))?, ..self.clone() })
    }

    /// Whether a model prices the market.
    pub(crate) fn priced(&self) -> bool {
        self.pricing.is_some()
    }

    /// The taxonomy: the given one, or the default.
    pub(crate) fn taxonomy(&self) -> PyResult<Taxonomy> {
        match &self.classes {
            Some((text, origin)) => Taxonomy::from_toml_str(text)
                .map_err(|error| refused(format!("in {origin}: {error}"))),
            None => Ok(Taxonomy::default_taxonomy()),
        }
    }

    /// A fresh replay of this market, keeping price rows and deals as asked.
    pub(crate) fn replay(&self, record_rows: bool, record_deals: bool) -> PyResult<LineReplay> {
        let options = PricedOptions {
            book_interval_ms: self.book_interval_ms,
            publish_step_bps: self.publish_step_bps,
            record_rows,
            record_deals,
        };
        let (taxonomy, model) = match &self.pricing {
            None => (Taxonomy::default_taxonomy(), None),
            Some(name) => {
                let config = match &self.pricing_config {
                    Some((text, origin)) => PricingConfig::from_toml_str(text)
                        .map_err(|error| refused(format!("in {origin}: {error}")))?,
                    None => PricingConfig::default(),
                };
                let model = model_by_name(name, &config).map_err(refused)?;
                (self.taxonomy()?, Some(model))
            }
        };
        let engine = PricedEngine::new(EngineConfig::default(), taxonomy, model, options);
        Ok(LineReplay::new(engine))
    }
}
