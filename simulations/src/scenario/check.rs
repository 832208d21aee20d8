//! The checks parsing cannot make: ranges, a non-empty market, jobs that some machine can run,
//! a known pricing model, readable trace files. Each failure names its key and line.

use super::locate::{key_line, ScenarioError};
use super::{Arrival, HardwareEntry, JobEntry, Scenario};
use gridbook_matcher::limits::{LIST_LEN_MAX, NAME_LEN_MAX, RESOURCE_MAX};
use gridbook_pricing::MODEL_NAMES;

/// Where a failed check points: table, entry of an array of tables, key.
pub(crate) struct At<'a> {
    pub(crate) table: &'a str,
    pub(crate) entry: Option<usize>,
    pub(crate) key: &'a str,
}

impl At<'_> {
    /// The error for this place in `source`.
    pub(crate) fn error(&self, source: &str, origin: &str, message: String) -> ScenarioError {
        let mut key = String::new();
        if !self.table.is_empty() {
            key.push_str(self.table);
            if let Some(entry) = self.entry {
                key.push_str(&format!("[{entry}]"));
            }
            key.push('.');
        }
        key.push_str(self.key);
        let line = key_line(source, self.table, self.entry, self.key);
        ScenarioError::Invalid { origin: origin.to_string(), key, line, message }
    }
}

fn at<'a>(table: &'a str, key: &'a str) -> At<'a> {
    At { table, entry: None, key }
}

fn entry<'a>(table: &'a str, index: usize, key: &'a str) -> At<'a> {
    At { table, entry: Some(index), key }
}

/// Runs every check of `scenario`, parsed from `source`.
pub(crate) fn check(scenario: &Scenario, source: &str, origin: &str) -> Result<(), ScenarioError> {
    run(scenario).map_err(|(place, message)| place.error(source, origin, message))?;
    if let Some(trace) = &scenario.trace {
        trace.check().map_err(|(key, message)| at("trace", key).error(source, origin, message))?;
    }
    if let Some(replay) = &scenario.replay {
        replay
            .check()
            .map_err(|(key, message)| at("replay", key).error(source, origin, message))?;
        if scenario.sweep.is_some() || scenario.trace.is_some() {
            let message = "a [replay] runs alone: no [sweep] or [trace] with it".to_string();
            return Err(at("replay", "stream").error(source, origin, message));
        }
    }
    if let Some(sweep) = &scenario.sweep {
        sweep.check().map_err(|(key, message)| at("sweep", key).error(source, origin, message))?;
    }
    if scenario.replay.is_none() {
        let estimate = super::memory::estimate(scenario);
        if let Some((dotted, message)) = estimate.refusal(scenario.memory_budget_mib) {
            let (table, key) = dotted.rsplit_once('.').unwrap_or(("", dotted));
            return Err(at(table, key).error(source, origin, message));
        }
    }
    Ok(())
}

type Failure = (At<'static>, String);

fn require(ok: bool, place: At<'static>, message: &str) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err((place, message.to_string()))
    }
}

fn run(s: &Scenario) -> Result<(), Failure> {
    let replay = s.replay.is_some();
    let hours_ok = (s.duration_h > 0 || replay) && s.duration_h <= 24 * 3660;
    require(hours_ok, at("", "duration_h"), "must be 1..=87840 hours")?;
    require(s.interval_min > 0, at("", "interval_min"), "must be > 0")?;
    require(s.memory_budget_mib > 0, at("", "memory_budget_mib"), "must be > 0")?;
    require(s.fee_bps <= 10_000, at("", "fee_bps"), "must be at most 10000 (100 %)")?;
    let model = s.pricing.model.as_str();
    require(
        MODEL_NAMES.contains(&model),
        at("pricing", "model"),
        "must be vwap, ewma, utilization or clearing",
    )?;
    require(s.pricing.book_interval_s > 0, at("pricing", "book_interval_s"), "must be > 0")?;
    if let Err((_, key, message)) = s.pricing.params.check() {
        return Err((at("pricing", key), message));
    }
    let p = &s.providers;
    require(p.repost_min > 0, at("providers", "repost_min"), "must be > 0")?;
    require(p.ask_horizon_h > 0, at("providers", "ask_horizon_h"), "must be > 0")?;
    require(p.adapt_step_pct < 100, at("providers", "adapt_step_pct"), "must be below 100")?;
    require(p.markup_pct <= 10_000, at("providers", "markup_pct"), "must be at most 10000")?;
    for (index, hw) in p.hardware.iter().enumerate() {
        check_hardware(index, hw)?;
    }
    let r = &s.requesters;
    require(r.shade_pct < 100, at("requesters", "shade_pct"), "must be below 100")?;
    if let Some(factor) = r.spike_factor {
        require(
            factor.is_finite() && factor >= 0.0,
            at("requesters", "spike_factor"),
            "must be a number >= 0",
        )?;
        require(
            r.spike_from_h < r.spike_until_h,
            at("requesters", "spike_until_h"),
            "must be after spike_from_h",
        )?;
    }
    for (index, job) in r.jobs.iter().enumerate() {
        check_job(index, job)?;
        let fits = p.hardware.iter().any(|hw| fits(job, hw));
        require(
            fits || s.trace.is_some(),
            entry("requesters.jobs", index, "gpu"),
            "no machine of providers.hardware can run this job",
        )?;
    }
    if s.trace.is_some() || replay {
        return Ok(());
    }
    require(p.count > 0, at("providers", "count"), "must be > 0 (without a [trace])")?;
    require(
        !p.hardware.is_empty(),
        at("providers", "hardware"),
        "needs at least one [[providers.hardware]]",
    )?;
    require(
        p.hardware.iter().any(|hw| hw.weight > 0),
        at("providers", "hardware"),
        "the weights sum to 0",
    )?;
    require(
        r.rate_per_h.is_finite() && r.rate_per_h > 0.0,
        at("requesters", "rate_per_h"),
        "must be a rate > 0 jobs per hour",
    )?;
    require(
        !r.jobs.is_empty(),
        at("requesters", "jobs"),
        "needs at least one [[requesters.jobs]]",
    )?;
    require(
        r.jobs.iter().any(|job| job.weight > 0),
        at("requesters", "jobs"),
        "the weights sum to 0",
    )?;
    if r.arrival == Arrival::Daily {
        let profile = &r.daily_profile;
        let valid = profile.len() == 24 && profile.iter().all(|m| m.is_finite() && *m >= 0.0);
        require(
            valid,
            at("requesters", "daily_profile"),
            "needs 24 hourly multipliers, each >= 0",
        )?;
        require(
            profile.iter().any(|m| *m > 0.0),
            at("requesters", "daily_profile"),
            "is 0 every hour",
        )?;
    }
    Ok(())
}

/// The engine's bounds on one number of hardware or requirements (`limits.rs`).
fn resource_ok(value: u32) -> bool {
    value <= RESOURCE_MAX
}

/// The engine's bounds on a name (GPU model, TEE kind, region).
fn name_ok(name: &str) -> bool {
    (1..=NAME_LEN_MAX).contains(&name.len())
}

fn check_job(index: usize, job: &JobEntry) -> Result<(), Failure> {
    const T: &str = "requesters.jobs";
    let numbers = [
        ("cpu", job.cpu),
        ("mem_gib", job.mem_gib),
        ("gpus", job.gpus),
        ("gpu_mem_gib", job.gpu_mem_gib),
    ];
    for (key, value) in numbers {
        require(resource_ok(value), entry(T, index, key), "must be at most 1048576")?;
    }
    for (key, list) in [("gpu", &job.gpu), ("regions", &job.regions)] {
        require(list.len() <= LIST_LEN_MAX, entry(T, index, key), "lists at most 32 names")?;
        require(list.iter().all(|n| name_ok(n)), entry(T, index, key), "names are 1 to 64 bytes")?;
    }
    require(
        job.tee.as_deref().is_none_or(name_ok),
        entry(T, index, "tee"),
        "names are 1 to 64 bytes",
    )
}

fn check_hardware(index: usize, hw: &HardwareEntry) -> Result<(), Failure> {
    const T: &str = "providers.hardware";
    let numbers = [
        ("cpu", hw.cpu),
        ("mem_gib", hw.mem_gib),
        ("gpus", hw.gpus.unwrap_or(0)),
        ("gpu_mem_gib", hw.gpu_mem_gib),
    ];
    for (key, value) in numbers {
        require(resource_ok(value), entry(T, index, key), "must be at most 1048576")?;
    }
    for (key, name) in [
        ("gpu", hw.gpu.as_deref()),
        ("tee", hw.tee.as_deref()),
        ("region", Some(hw.region.as_str())),
    ] {
        require(name.is_none_or(name_ok), entry(T, index, key), "names are 1 to 64 bytes")?;
    }
    require(hw.slots > 0 && hw.slots <= 4096, entry(T, index, "slots"), "must be 1..=4096")?;
    require(hw.cost.min_nano > 0, entry(T, index, "cost"), "must be > 0")?;
    if hw.gpu.is_some() {
        require(hw.gpus != Some(0), entry(T, index, "gpus"), "must be > 0 with a gpu model")?;
    } else {
        require(hw.gpus.unwrap_or(0) == 0, entry(T, index, "gpus"), "needs a `gpu` model")?;
    }
    Ok(())
}

/// Whether a slot of `hw` meets `job`'s requirements (the matcher's rule 1, on names).
pub(crate) fn fits(job: &JobEntry, hw: &HardwareEntry) -> bool {
    let gpus = hw.gpus.unwrap_or(u32::from(hw.gpu.is_some()));
    let gpu_ok = job.gpu.is_empty()
        || (hw.gpu.as_ref().is_some_and(|model| job.gpu.contains(model))
            && gpus >= job.gpus.max(1)
            && hw.gpu_mem_gib >= job.gpu_mem_gib);
    let tee_ok = job.tee.is_none() || job.tee == hw.tee;
    let region_ok = job.regions.is_empty() || job.regions.contains(&hw.region);
    hw.cpu >= job.cpu && hw.mem_gib >= job.mem_gib && gpu_ok && tee_ok && region_ok
}
