//! The pricing options shared by `replay`, `backtest`, `quote`, `price` and `snapshot`: which
//! model, its configuration, the class taxonomy and how often the model sees the book.
//!
//! Every replay is built from a [`MarketFile`] — the description a node records in
//! `market.json` and a snapshot file carries — so a fresh replay and one restored from a
//! snapshot are made the same way. The interval and step are `Option`s so that, starting
//! from a snapshot, an option given explicitly can be told from a default and checked against
//! the snapshot's market.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use gridbook_matcher::EngineConfig;
use gridbook_node::market_file::{MarketField, MarketFile};
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, PricingModel, Taxonomy,
};

/// The `pricing` of a [`MarketFile`] for the plain engine (no model).
pub(crate) const UNPRICED: &str = "none";

/// Book interval when `--book-interval-ms` is not given, ms.
const BOOK_INTERVAL_MS_DEFAULT: u64 = 60_000;

/// Options that choose and configure a pricing model.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct PricingArgs {
    /// Hardware classes (TOML); the default taxonomy when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) classes: Option<PathBuf>,
    /// Model parameters (TOML, see docs/pricing.md); defaults when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) pricing_config: Option<PathBuf>,
    /// Engine time between book summaries given to the model, ms [default: 60000].
    #[arg(long, value_name = "MS")]
    pub(crate) book_interval_ms: Option<u64>,
    /// A class reference reaches the engine (re-pricing its pegged orders) once it has moved by
    /// this many basis points since last published; 0 publishes every change [default: 10].
    #[arg(long, value_name = "BPS")]
    pub(crate) publish_step_bps: Option<u64>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

impl PricingArgs {
    /// The market these flags describe under `model` (none: the plain engine, which reads
    /// neither file), with the text of the files they name.
    pub(crate) fn market(&self, model: Option<&str>) -> Result<MarketFile> {
        let priced = model.is_some_and(|model| model != UNPRICED);
        let text = |path: &Option<PathBuf>| match path {
            Some(path) if priced => read(path).map(Some),
            _ => Ok(None),
        };
        Ok(MarketFile {
            pricing: model.unwrap_or(UNPRICED).to_string(),
            book_interval_ms: self.book_interval_ms.unwrap_or(BOOK_INTERVAL_MS_DEFAULT),
            publish_step_bps: self
                .publish_step_bps
                .unwrap_or(gridbook_pricing::PUBLISH_STEP_BPS_DEFAULT),
            classes_toml: text(&self.classes)?,
            pricing_toml: text(&self.pricing_config)?,
        })
    }

    /// Checks that the flags given explicitly (and `model`, if given) agree with `snapshot`,
    /// the market a snapshot was taken under; the error names the first option that differs.
    pub(crate) fn check_against(&self, model: Option<&str>, snapshot: &MarketFile) -> Result<()> {
        let priced = snapshot.pricing != UNPRICED || model.is_some_and(|m| m != UNPRICED);
        let given = |path: &Option<PathBuf>, recorded: &Option<String>| match path {
            Some(path) if priced => read(path).map(Some),
            _ => Ok(recorded.clone()),
        };
        let asked = MarketFile {
            pricing: model.unwrap_or(&snapshot.pricing).to_string(),
            book_interval_ms: self.book_interval_ms.unwrap_or(snapshot.book_interval_ms),
            publish_step_bps: self.publish_step_bps.unwrap_or(snapshot.publish_step_bps),
            classes_toml: given(&self.classes, &snapshot.classes_toml)?,
            pricing_toml: given(&self.pricing_config, &snapshot.pricing_toml)?,
        };
        let Some(field) = asked.first_difference(snapshot) else { return Ok(()) };
        let (flag, theirs, ours) = match field {
            MarketField::Pricing => ("--pricing", snapshot.pricing.clone(), asked.pricing),
            MarketField::BookInterval => (
                "--book-interval-ms",
                snapshot.book_interval_ms.to_string(),
                asked.book_interval_ms.to_string(),
            ),
            MarketField::PublishStep => (
                "--publish-step-bps",
                snapshot.publish_step_bps.to_string(),
                asked.publish_step_bps.to_string(),
            ),
            MarketField::Classes => {
                ("--classes", file_or_default(&snapshot.classes_toml), "another file".into())
            }
            MarketField::PricingConfig => {
                ("--pricing-config", file_or_default(&snapshot.pricing_toml), "another file".into())
            }
        };
        anyhow::bail!(
            "the snapshot was taken under another market: {flag} differs (the snapshot's: {theirs}; this command's: {ours}); a snapshot answers only for the market it was taken under"
        )
    }

    /// The pricing options these flags give, keeping price rows and deals as asked.
    pub(crate) fn options(&self, record_rows: bool, record_deals: bool) -> PricedOptions {
        PricedOptions {
            book_interval_ms: self.book_interval_ms.unwrap_or(BOOK_INTERVAL_MS_DEFAULT),
            publish_step_bps: self
                .publish_step_bps
                .unwrap_or(gridbook_pricing::PUBLISH_STEP_BPS_DEFAULT),
            record_rows,
            record_deals,
        }
    }

    /// The line replay a command runs: priced by `model` under these flags' taxonomy and
    /// parameters, or, without a model, the plain engine (the taxonomy is then not read).
    pub(crate) fn line_replay(
        &self,
        model: Option<&str>,
        options: PricedOptions,
    ) -> Result<LineReplay> {
        let named = |path: &Option<PathBuf>| path.as_ref().map(|p| p.display().to_string());
        let sources = Sources {
            classes: named(&self.classes).unwrap_or_default(),
            pricing_config: named(&self.pricing_config).unwrap_or_default(),
        };
        let (taxonomy, model) = parts(&self.market(model)?, &sources)?;
        Ok(LineReplay::new(PricedEngine::new(EngineConfig::default(), taxonomy, model, options)))
    }
}

fn file_or_default(text: &Option<String>) -> String {
    match text {
        Some(_) => "a file".into(),
        None => "the default".into(),
    }
}

/// Where a market's TOML texts came from, for errors: the files, or a snapshot.
pub(crate) struct Sources {
    pub(crate) classes: String,
    pub(crate) pricing_config: String,
}

/// The taxonomy and model (none for the plain engine) `market` describes.
pub(crate) fn parts(
    market: &MarketFile,
    sources: &Sources,
) -> Result<(Taxonomy, Option<Box<dyn PricingModel>>)> {
    if market.pricing == UNPRICED {
        return Ok((Taxonomy::default_taxonomy(), None));
    }
    let config = match &market.pricing_toml {
        Some(text) => PricingConfig::from_toml_str(text)
            .with_context(|| format!("in {}", sources.pricing_config))?,
        None => PricingConfig::default(),
    };
    let taxonomy = match &market.classes_toml {
        Some(text) => {
            Taxonomy::from_toml_str(text).with_context(|| format!("in {}", sources.classes))?
        }
        None => Taxonomy::default_taxonomy(),
    };
    Ok((taxonomy, Some(model_by_name(&market.pricing, &config)?)))
}
