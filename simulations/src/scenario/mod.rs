//! The scenario file: what a simulation run is made of, read from TOML.
//!
//! [`Scenario::from_toml_str`] parses (unknown keys are refused) and then checks every value
//! that parsing alone cannot ([`check`]); every error names the key and its line. Money is
//! written as decimal strings (`"1.25"`, per slot-hour) and held as `u64` nano-units; times are
//! whole minutes or hours as the key's name says. docs/simulations.md documents every key.

pub(crate) mod check;
mod defaults;
pub(crate) mod dist;
pub(crate) mod locate;
pub mod memory;
mod utc;

pub use dist::{Dist, DistKind, MoneyRange, SlotsRange};
pub use locate::{utf8_text, ScenarioError};
pub use memory::MemoryEstimate;
pub use utc::StartUtc;

use defaults::*;
use gridbook_pricing::PricingConfig;
use serde::Deserialize;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports; the file's stem when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The seed; required here or on the command line (there is no clock-derived default).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Simulated length, hours. Orders and jobs stop arriving at this time. Required except
    /// with `[replay]`.
    #[serde(default)]
    pub duration_h: u64,
    /// Length of one time-series interval, minutes (default 60).
    #[serde(default = "default_interval_min")]
    pub interval_min: u64,
    /// Marketplace fee, basis points of each payment (default 0).
    #[serde(default)]
    pub fee_bps: u64,
    /// The UTC time of simulated time 0, for the `_utc` columns (default 2026-01-01T00:00:00Z).
    #[serde(default)]
    pub start_utc: StartUtc,
    /// Memory a run may take, MiB (default 4096): a scenario estimated to need more is refused
    /// before it starts ([`memory`]).
    #[serde(default = "default_memory_budget_mib")]
    pub memory_budget_mib: u64,
    /// The pricing model running inside the engine.
    #[serde(default)]
    pub pricing: PricingSection,
    /// Providers: machines and their asking strategy (not used with `[replay]`).
    #[serde(default)]
    pub providers: Providers,
    /// Requesters: jobs and their bidding strategy (not used with `[replay]`).
    #[serde(default)]
    pub requesters: Requesters,
    /// Replay a recorded order stream under the pricing model instead of simulating agents.
    #[serde(default)]
    pub replay: Option<crate::stream_replay::ReplaySection>,
    /// Machines and jobs from an Alibaba GPU trace instead of the synthetic mixes.
    #[serde(default)]
    pub trace: Option<crate::trace::TraceSection>,
    /// A parameter grid and replications.
    #[serde(default)]
    pub sweep: Option<crate::sweep::SweepSection>,
}

/// `[pricing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingSection {
    /// `vwap`, `ewma`, `utilization` or `clearing` (default `ewma`).
    #[serde(default = "default_model")]
    pub model: String,
    /// How often the model sees a book summary, seconds (default 60).
    #[serde(default = "default_book_interval_s")]
    pub book_interval_s: u64,
    /// Smallest reference move published to the engine, basis points (default 10).
    #[serde(default = "default_publish_step_bps")]
    pub publish_step_bps: u64,
    /// The models' parameters, as in a pricing configuration file (`[pricing.params.ewma]`).
    #[serde(default)]
    pub params: PricingConfig,
}

/// How providers price their asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderStrategy {
    /// Cost × (1 + `markup_pct`).
    #[default]
    Markup,
    /// The class reference, never below cost (before any reference: as `markup`).
    Pegged,
    /// Starts as `markup`; up by `adapt_step_pct` after a fill, down after an unfilled posting,
    /// never below cost.
    Adaptive,
}

/// `[providers]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Providers {
    /// Machines drawn from `hardware` (ignored with a trace).
    #[serde(default)]
    pub count: u64,
    /// The asking strategy (default markup).
    #[serde(default)]
    pub strategy: ProviderStrategy,
    /// Markup over cost, percent (default 20).
    #[serde(default = "default_markup_pct")]
    pub markup_pct: u64,
    /// Adaptive price step, percent (default 5).
    #[serde(default = "default_adapt_step_pct")]
    pub adapt_step_pct: u64,
    /// How long an ask rests before it is posted again, minutes (default 30).
    #[serde(default = "default_repost_min")]
    pub repost_min: u64,
    /// How far ahead an ask offers its slots, hours (default 48).
    #[serde(default = "default_ask_horizon_h")]
    pub ask_horizon_h: u64,
    /// The hardware mix (each entry a machine type with a weight).
    #[serde(default)]
    pub hardware: Vec<HardwareEntry>,
}

/// `[[providers.hardware]]`: one machine type. The hardware fields describe one slot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareEntry {
    /// Relative weight in the mix (default 1).
    #[serde(default = "default_weight")]
    pub weight: u64,
    /// GPU model; absent for a CPU-only slot.
    #[serde(default)]
    pub gpu: Option<String>,
    /// GPUs per slot (default 1 with `gpu`, else 0).
    #[serde(default)]
    pub gpus: Option<u32>,
    /// GPU memory per GPU, GiB.
    #[serde(default)]
    pub gpu_mem_gib: u32,
    /// Cores per slot.
    pub cpu: u32,
    /// Memory per slot, GiB.
    pub mem_gib: u32,
    /// TEE kind, if any.
    #[serde(default)]
    pub tee: Option<String>,
    /// Region.
    #[serde(default = "default_region")]
    pub region: String,
    /// Slots per machine.
    pub slots: u32,
    /// Cost per slot-hour, drawn once per machine.
    pub cost: MoneyRange,
}

/// How requesters set their limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequesterStrategy {
    /// Limit = private value.
    #[default]
    Truthful,
    /// Limit = value × (1 − `shade_pct`).
    Shaded,
    /// The class reference, never above value (before any reference: truthful).
    Pegged,
}

/// How jobs arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// A Poisson process at `rate_per_h`.
    #[default]
    Poisson,
    /// A Poisson process whose rate is `rate_per_h` × the hour's entry of `daily_profile`.
    Daily,
}

/// `[requesters]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requesters {
    /// The arrival process (default poisson).
    #[serde(default = "default_arrival")]
    pub arrival: Arrival,
    /// Jobs per hour (ignored with a trace).
    #[serde(default)]
    pub rate_per_h: f64,
    /// 24 hourly multipliers of `rate_per_h` (with `arrival = "daily"`).
    #[serde(default)]
    pub daily_profile: Vec<f64>,
    /// Extra demand: from `spike_from_h` to `spike_until_h`, the rate is multiplied by this.
    #[serde(default)]
    pub spike_factor: Option<f64>,
    /// Start of the demand spike, hours.
    #[serde(default)]
    pub spike_from_h: u64,
    /// End of the demand spike, hours.
    #[serde(default)]
    pub spike_until_h: u64,
    /// The bidding strategy (default truthful).
    #[serde(default)]
    pub strategy: RequesterStrategy,
    /// Shading, percent of value (default 10).
    #[serde(default = "default_shade_pct")]
    pub shade_pct: u64,
    /// The requirements mix.
    #[serde(default)]
    pub jobs: Vec<JobEntry>,
}

/// `[[requesters.jobs]]`: one kind of job. Requirement fields are per slot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobEntry {
    /// Relative weight in the mix (default 1).
    #[serde(default = "default_weight")]
    pub weight: u64,
    /// Acceptable GPU models (empty: no GPU needed).
    #[serde(default)]
    pub gpu: Vec<String>,
    /// GPUs per slot.
    #[serde(default)]
    pub gpus: u32,
    /// GPU memory per GPU, GiB.
    #[serde(default)]
    pub gpu_mem_gib: u32,
    /// Cores per slot.
    #[serde(default)]
    pub cpu: u32,
    /// Memory per slot, GiB.
    #[serde(default)]
    pub mem_gib: u32,
    /// Required TEE kind.
    #[serde(default)]
    pub tee: Option<String>,
    /// Acceptable regions (empty: any).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Slots per job (default 1).
    #[serde(default)]
    pub slots: SlotsRange,
    /// Duration, minutes.
    pub duration_min: Dist,
    /// Deadline slack, percent of the duration: deadline = arrival + duration × (1 + slack).
    pub deadline_slack_pct: Dist,
    /// Private value per slot-hour.
    pub value: MoneyRange,
}

impl Scenario {
    /// Parses and checks `source`; `origin` names it in errors (a path).
    pub fn from_toml_str(source: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario =
            toml::from_str(source).map_err(|error| locate::syntax_error(source, origin, &error))?;
        scenario.resolve_paths(origin);
        check::check(&scenario, source, origin)?;
        Ok(scenario)
    }

    /// Makes the trace's and the order stream's relative paths relative to the folder of the
    /// scenario file `origin`, so that a scenario runs the same from any directory.
    pub(crate) fn resolve_paths(&mut self, origin: &str) {
        let folder = std::path::Path::new(origin).parent().unwrap_or(std::path::Path::new(""));
        let resolve = |path: &mut String| {
            if std::path::Path::new(path.as_str()).is_relative() {
                *path = folder.join(path.as_str()).to_string_lossy().into_owned();
            }
        };
        if let Some(trace) = &mut self.trace {
            resolve(&mut trace.nodes);
            resolve(&mut trace.pods);
        }
        if let Some(replay) = &mut self.replay {
            resolve(&mut replay.stream);
        }
    }
}
