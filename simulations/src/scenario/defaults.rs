//! The defaults of optional scenario keys (docs/simulations.md lists them), kept apart so that
//! the scenario's types read as its format.

use super::{Arrival, PricingSection, ProviderStrategy, Providers, RequesterStrategy, Requesters};
use gridbook_pricing::PricingConfig;

pub(super) fn default_interval_min() -> u64 {
    60
}

pub(super) fn default_memory_budget_mib() -> u64 {
    4096
}

pub(super) fn default_model() -> String {
    "ewma".to_string()
}

pub(super) fn default_book_interval_s() -> u64 {
    60
}

pub(super) fn default_publish_step_bps() -> u64 {
    10
}

impl Default for PricingSection {
    fn default() -> PricingSection {
        PricingSection {
            model: default_model(),
            book_interval_s: default_book_interval_s(),
            publish_step_bps: default_publish_step_bps(),
            params: PricingConfig::default(),
        }
    }
}

impl Default for Providers {
    fn default() -> Providers {
        Providers {
            count: 0,
            strategy: ProviderStrategy::default(),
            markup_pct: default_markup_pct(),
            adapt_step_pct: default_adapt_step_pct(),
            repost_min: default_repost_min(),
            ask_horizon_h: default_ask_horizon_h(),
            hardware: Vec::new(),
        }
    }
}

impl Default for Requesters {
    fn default() -> Requesters {
        Requesters {
            arrival: Arrival::default(),
            rate_per_h: 0.0,
            daily_profile: Vec::new(),
            spike_factor: None,
            spike_from_h: 0,
            spike_until_h: 0,
            strategy: RequesterStrategy::default(),
            shade_pct: default_shade_pct(),
            jobs: Vec::new(),
        }
    }
}

pub(super) fn default_markup_pct() -> u64 {
    20
}

pub(super) fn default_adapt_step_pct() -> u64 {
    5
}

pub(super) fn default_repost_min() -> u64 {
    30
}

pub(super) fn default_ask_horizon_h() -> u64 {
    48
}

pub(super) fn default_weight() -> u64 {
    1
}

pub(super) fn default_region() -> String {
    "eu-west".to_string()
}

pub(super) fn default_arrival() -> Arrival {
    Arrival::Poisson
}

pub(super) fn default_shade_pct() -> u64 {
    10
}
