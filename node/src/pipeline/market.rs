//! The node's market: the priced engine (`PricedEngine`) behind the line codec `gridbook
//! replay` uses (`LineReplay`), fed journal lines. Because the node applies the journal's bytes
//! with the replay's own codec, `gridbook journal export` + `gridbook replay` gives the node's
//! events byte for byte.

use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, PricingModel, Taxonomy,
};

use crate::config::MarketConfig;

/// The market cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// A file named by the configuration cannot be read.
    #[error("market: cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The taxonomy, pricing configuration or model name is not valid.
    #[error("market: {0}")]
    Invalid(String),
}

/// The priced engine of a node.
pub struct Market {
    replay: LineReplay,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("engine_now_ms", &self.replay.priced().engine().now_ms())
            .finish()
    }
}

fn read(path: &std::path::Path) -> Result<String, MarketError> {
    std::fs::read_to_string(path)
        .map_err(|source| MarketError::Read { path: path.to_owned(), source })
}

impl Market {
    /// An empty market as `config` describes it.
    pub fn new(config: &MarketConfig) -> Result<Market, MarketError> {
        let taxonomy = match &config.classes {
            Some(path) => Taxonomy::from_toml_str(&read(path)?)
                .map_err(|error| MarketError::Invalid(format!("{}: {error}", path.display())))?,
            None => Taxonomy::default_taxonomy(),
        };
        let pricing = match &config.pricing_config {
            Some(path) => PricingConfig::from_toml_str(&read(path)?)
                .map_err(|error| MarketError::Invalid(format!("{}: {error}", path.display())))?,
            None => PricingConfig::default(),
        };
        let model = model_by_name(&config.pricing, &pricing)
            .map_err(|error| MarketError::Invalid(format!("market.pricing: {error}")))?;
        let options = PricedOptions {
            book_interval_ms: config.book_interval_ms,
            publish_step_bps: config.publish_step_bps,
            ..PricedOptions::default()
        };
        let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        Ok(Market { replay: LineReplay::new(priced) })
    }

    /// Applies journal record `seq` (its line) and appends its events (JSON lines) to `out`.
    /// Rejected lines report `seq` as their line: in an exported journal, line N is seq N.
    pub fn apply(&mut self, seq: u64, line: &str, out: &mut Vec<u8>) {
        self.replay.line(seq, line.as_bytes(), out);
    }

    /// The node's pricing model (a node always prices).
    pub fn model(&self) -> &dyn PricingModel {
        self.replay.priced().model().expect("a node's market is made with a model")
    }

    /// The priced engine, for queries.
    pub fn priced(&self) -> &PricedEngine {
        self.replay.priced()
    }
}
