//! The pricing options shared by `replay`, `backtest`, `quote` and `price`: which model, its
//! configuration, the class taxonomy and how often the model sees the book.

use anyhow::{Context, Result};
use std::path::PathBuf;

use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
};

/// Options that choose and configure a pricing model.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PricingArgs {
    /// Hardware classes (TOML); the default taxonomy when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) classes: Option<PathBuf>,
    /// Model parameters (TOML, see docs/pricing.md); defaults when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) pricing_config: Option<PathBuf>,
    /// Engine time between book summaries given to the model, ms.
    #[arg(long, default_value_t = 60_000)]
    pub(crate) book_interval_ms: u64,
    /// A class reference reaches the engine (re-pricing its pegged orders) once it has moved by
    /// this many basis points since last published; 0 publishes every change.
    #[arg(long, default_value_t = gridbook_pricing::PUBLISH_STEP_BPS_DEFAULT)]
    pub(crate) publish_step_bps: u64,
}

impl PricingArgs {
    pub(crate) fn taxonomy(&self) -> Result<Taxonomy> {
        let Some(path) = &self.classes else { return Ok(Taxonomy::default_taxonomy()) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Taxonomy::from_toml_str(&text).with_context(|| format!("in {}", path.display()))
    }

    pub(crate) fn config(&self) -> Result<PricingConfig> {
        let Some(path) = &self.pricing_config else { return Ok(PricingConfig::default()) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        PricingConfig::from_toml_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The pricing options these flags give, keeping price rows and deals as asked.
    pub(crate) fn options(&self, record_rows: bool, record_deals: bool) -> PricedOptions {
        PricedOptions {
            book_interval_ms: self.book_interval_ms,
            publish_step_bps: self.publish_step_bps,
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
        let Some(model) = model else {
            return Ok(LineReplay::new(PricedEngine::unpriced(EngineConfig::default())));
        };
        let model = model_by_name(model, &self.config()?)?;
        let taxonomy = self.taxonomy()?;
        let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        Ok(LineReplay::new(priced))
    }
}
