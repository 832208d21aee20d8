//! The node's market: the priced engine (`PricedReplay`, the very driver `gridbook replay
//! --pricing` uses), fed journal lines. Because the node applies the journal's bytes with the
//! replay's own code, `gridbook journal export` + `gridbook replay` gives the node's events
//! byte for byte.

use gridbook_matcher::EngineConfig;
use gridbook_pricing::{model_by_name, PricedReplay, PricingConfig, Taxonomy};

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
    priced: PricedReplay,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("engine_now_ms", &self.priced.replay().engine().now_ms())
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
        let mut priced =
            PricedReplay::new(EngineConfig::default(), taxonomy, model, config.book_interval_ms);
        priced.set_publish_step_bps(config.publish_step_bps);
        Ok(Market { priced })
    }

    /// Applies journal record `seq` (its line) and appends its events (JSON lines) to `out`.
    /// Rejected lines report `seq` as their line: in an exported journal, line N is seq N.
    pub fn apply(&mut self, seq: u64, line: &str, out: &mut Vec<u8>) {
        self.priced.line(seq, line.as_bytes(), out);
    }

    /// The priced engine, for queries.
    pub fn priced(&self) -> &PricedReplay {
        &self.priced
    }
}
