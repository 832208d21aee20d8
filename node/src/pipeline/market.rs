//! The node's market: the priced engine (`PricedEngine`) behind the line codec `gridbook
//! replay` uses (`LineReplay`), fed journal lines. Because the node applies the journal's bytes
//! with the replay's own codec, `gridbook journal export` + `gridbook replay` gives the node's
//! events byte for byte.
//!
//! It also keeps the last hour of deals (bounded), for the recent deal prices of
//! `GET /v1/price`, and answers probes (a machine to price, a bid to quote) under the market's
//! own names without keeping any ([`Market::probe`]).

use std::collections::VecDeque;

use gridbook_matcher::stream::DecodeError;
use gridbook_matcher::{Command, EngineConfig};
use gridbook_pricing::answers::price::DealRecord;
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

/// How far back in engine time the market keeps deals for `GET /v1/price`: the largest
/// `window_ms` it answers.
pub const RECENT_DEALS_KEPT_MS: u64 = 3_600_000;

/// Most deals kept for `GET /v1/price`; past it the oldest are forgotten first (a market this
/// busy has its reference, which the advice prefers, from the same deals).
pub const RECENT_DEALS_MAX: usize = 65_536;

/// The priced engine of a node.
pub struct Market {
    replay: LineReplay,
    /// Deals of the last [`RECENT_DEALS_KEPT_MS`], oldest first, at most [`RECENT_DEALS_MAX`].
    recent_deals: VecDeque<DealRecord>,
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
            record_deals: true,
            ..PricedOptions::default()
        };
        let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        Ok(Market { replay: LineReplay::new(priced), recent_deals: VecDeque::new() })
    }

    /// Applies journal record `seq` (its line) and appends its events (JSON lines) to `out`.
    /// Rejected lines report `seq` as their line: in an exported journal, line N is seq N.
    pub fn apply(&mut self, seq: u64, line: &str, out: &mut Vec<u8>) {
        self.replay.line(seq, line.as_bytes(), out);
        self.recent_deals.extend(self.replay.priced_mut().take_deals());
        let now_ms = self.replay.priced().engine().now_ms();
        while self
            .recent_deals
            .front()
            .is_some_and(|&(_, _, _, ts_ms)| ts_ms.saturating_add(RECENT_DEALS_KEPT_MS) < now_ms)
            || self.recent_deals.len() > RECENT_DEALS_MAX
        {
            self.recent_deals.pop_front();
        }
    }

    /// The deals of the last [`RECENT_DEALS_KEPT_MS`] (at most [`RECENT_DEALS_MAX`]), oldest
    /// first.
    pub fn recent_deals(&self) -> &VecDeque<DealRecord> {
        &self.recent_deals
    }

    /// Decodes `line` (an order that is asked about, not applied) with the market's names and
    /// answers it from the priced engine and the recent deals; the names it brought are
    /// forgotten ([`LineReplay::probe`]).
    pub fn probe<T>(
        &mut self,
        line: &[u8],
        answer: impl FnOnce(&PricedEngine, &VecDeque<DealRecord>, Command) -> T,
    ) -> Result<T, DecodeError> {
        let recent_deals = &self.recent_deals;
        self.replay.probe(line, |priced, command| answer(priced, recent_deals, command))
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
