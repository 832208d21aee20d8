//! `DATA_DIR/market.json`: the market a journal was written under (pricing model, its
//! parameters, the taxonomy). A journal replays to the same events only under the same market,
//! so a node refuses to start on a data directory made under another one, and
//! `gridbook journal export` prints the `gridbook replay` options that reproduce it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::MarketConfig;
use crate::pipeline::market::MarketError;

/// What `market.json` holds: the options, and the text of the files they name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    /// The pricing model.
    pub pricing: String,
    /// Book interval, ms.
    pub book_interval_ms: u64,
    /// Publication step, basis points.
    pub publish_step_bps: u64,
    /// The taxonomy's TOML text, if not the default.
    pub classes_toml: Option<String>,
    /// The pricing parameters' TOML text, if not the defaults.
    pub pricing_toml: Option<String>,
}

const FILE: &str = "market.json";

/// A part of a market's description, as [`MarketFile::first_difference`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketField {
    /// The pricing model.
    Pricing,
    /// The book interval.
    BookInterval,
    /// The publication step.
    PublishStep,
    /// The taxonomy.
    Classes,
    /// The pricing parameters.
    PricingConfig,
}

impl MarketField {
    /// Its key in `node.toml`.
    pub fn config_key(self) -> &'static str {
        match self {
            MarketField::Pricing => "market.pricing",
            MarketField::BookInterval => "market.book_interval_ms",
            MarketField::PublishStep => "market.publish_step_bps",
            MarketField::Classes => "market.classes",
            MarketField::PricingConfig => "market.pricing_config",
        }
    }
}

impl MarketFile {
    /// The market `config` describes, its files read.
    pub fn of(config: &MarketConfig) -> Result<MarketFile, MarketError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|source| MarketError::Read { path: path.to_owned(), source })
        };
        Ok(MarketFile {
            pricing: config.pricing.clone(),
            book_interval_ms: config.book_interval_ms,
            publish_step_bps: config.publish_step_bps,
            classes_toml: config.classes.as_deref().map(read).transpose()?,
            pricing_toml: config.pricing_config.as_deref().map(read).transpose()?,
        })
    }

    /// Reads `DIR/market.json`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<MarketFile>, String> {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|error| format!("{}: {error}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(format!("{}: {error}", path.display())),
        }
    }

    /// Checks that `dir` was made under this market, or records it there (atomically) if the
    /// directory is new.
    pub fn check_or_write(&self, dir: &Path) -> Result<(), String> {
        if let Some(recorded) = MarketFile::read(dir)? {
            if let Some(key) = self.first_difference(&recorded).map(MarketField::config_key) {
                return Err(format!(
                    "{} was created under another market ({key} differs): a journal replays to the same events only under the market it was written with; use another data directory or the same market options",
                    dir.display()
                ));
            }
            return Ok(());
        }
        std::fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).expect("plain data serialises");
        let temp = dir.join(format!("{FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            std::fs::write(&temp, json.as_bytes())?;
            std::fs::File::open(&temp)?.sync_all()?;
            std::fs::rename(&temp, dir.join(FILE))?;
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|error| format!("{}: {error}", dir.join(FILE).display()))
    }

    /// The first field in which `other` describes another market than `self`, if any.
    pub fn first_difference(&self, other: &MarketFile) -> Option<MarketField> {
        [
            (MarketField::Pricing, self.pricing != other.pricing),
            (MarketField::BookInterval, self.book_interval_ms != other.book_interval_ms),
            (MarketField::PublishStep, self.publish_step_bps != other.publish_step_bps),
            (MarketField::Classes, self.classes_toml != other.classes_toml),
            (MarketField::PricingConfig, self.pricing_toml != other.pricing_toml),
        ]
        .into_iter()
        .find_map(|(field, differs)| differs.then_some(field))
    }

    /// The `gridbook replay` options that reproduce the node's events (files named as they
    /// would be written beside the export).
    pub fn replay_options(&self) -> String {
        let mut options = format!(
            "--pricing {} --book-interval-ms {} --publish-step-bps {}",
            self.pricing, self.book_interval_ms, self.publish_step_bps
        );
        if self.classes_toml.is_some() {
            options.push_str(" --classes CLASSES.toml");
        }
        if self.pricing_toml.is_some() {
            options.push_str(" --pricing-config PRICING.toml");
        }
        options
    }
}
