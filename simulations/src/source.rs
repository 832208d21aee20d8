//! Where jobs come from: [`Generator`], a seeded arrival process (Poisson, or a daily profile
//! by thinning, with an optional demand spike) over the job mix, or a list of trace pods.

use gridbook_matcher::Requirements;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::market::Market;
use crate::rng::{self, ARRIVALS, JOBS};
use crate::scenario::dist::exponential;
use crate::scenario::{Arrival, Dist, JobEntry, Scenario};
use crate::trace::{TracePod, TraceSection};

const MS_PER_H: f64 = 3_600_000.0;

/// One job: what it needs is its shape's requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    /// Arrival, ms of simulated time.
    pub arrival_ms: u64,
    /// Slots.
    pub qty: u64,
    /// How long each slot is needed, ms.
    pub duration_ms: u64,
    /// Latest end, ms.
    pub deadline_ms: u64,
    /// Private value per slot-hour, nano-units.
    pub value_nano: u64,
    /// Index of its requirements in [`crate::world::World::shapes`].
    pub shape: u32,
}

/// The jobs of a run, in arrival order.
pub enum JobSource {
    /// Drawn as time goes.
    Generated(Box<Generator>),
    /// Read from a trace, sorted by arrival; the index of the next one.
    Listed(Vec<JobSpec>, usize),
}

impl JobSource {
    /// A listed source.
    pub fn listed(jobs: Vec<JobSpec>) -> JobSource {
        JobSource::Listed(jobs, 0)
    }

    /// The next job, if it arrives before the end of the run.
    pub fn next_job(&mut self) -> Option<JobSpec> {
        match self {
            JobSource::Generated(generator) => generator.next_job(),
            JobSource::Listed(jobs, next) => {
                let job = jobs.get(*next).copied();
                *next += 1;
                job
            }
        }
    }
}

/// Deadline: arrival + duration × (1 + slack %).
fn deadline(arrival_ms: u64, duration_ms: u64, slack: &Dist, rng: &mut ChaCha8Rng) -> u64 {
    let slack_ms = (duration_ms as f64 * slack.sample(rng) / 100.0).round() as u64;
    arrival_ms.saturating_add(duration_ms).saturating_add(slack_ms)
}

/// The seeded arrival process of a synthetic scenario.
pub struct Generator {
    seed: u64,
    arrivals: ChaCha8Rng,
    next_index: u64,
    clock_ms: f64,
    end_ms: f64,
    rate_max_per_h: f64,
    rate_per_h: f64,
    profile: Option<Vec<f64>>,
    spike: Option<(f64, f64, f64)>,
    entries: Vec<JobEntry>,
    weights: Vec<u64>,
}

impl Generator {
    /// The process of `scenario` under `seed`.
    pub fn new(scenario: &Scenario, seed: u64) -> Generator {
        let r = &scenario.requesters;
        let profile = (r.arrival == Arrival::Daily).then(|| r.daily_profile.clone());
        let profile_max = profile.as_ref().map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max));
        let spike = r.spike_factor.map(|f| (r.spike_from_h as f64, r.spike_until_h as f64, f));
        let spike_max = spike.map_or(1.0, |(_, _, f)| f.max(1.0));
        Generator {
            seed,
            arrivals: rng::stream(seed, ARRIVALS),
            next_index: 0,
            clock_ms: 0.0,
            end_ms: scenario.duration_h as f64 * MS_PER_H,
            rate_max_per_h: r.rate_per_h * profile_max * spike_max,
            rate_per_h: r.rate_per_h,
            profile,
            spike,
            entries: r.jobs.clone(),
            weights: r.jobs.iter().map(|job| job.weight).collect(),
        }
    }

    fn rate_at(&self, at_ms: f64) -> f64 {
        let hours = at_ms / MS_PER_H;
        let hour_of_day = (hours as u64 % 24) as usize;
        let profile =
            self.profile.as_ref().map_or(1.0, |p| p.get(hour_of_day).copied().unwrap_or(0.0));
        let spike = match self.spike {
            Some((from, until, factor)) if hours >= from && hours < until => factor,
            _ => 1.0,
        };
        self.rate_per_h * profile * spike
    }

    /// The next arrival (thinning: candidates at the peak rate, kept with rate(t) ÷ peak).
    fn next_job(&mut self) -> Option<JobSpec> {
        if self.rate_max_per_h <= 0.0 {
            return None;
        }
        let mean_gap_ms = MS_PER_H / self.rate_max_per_h;
        loop {
            self.clock_ms += exponential(&mut self.arrivals, mean_gap_ms);
            if self.clock_ms >= self.end_ms {
                return None;
            }
            let keep: f64 = self.arrivals.random();
            if keep * self.rate_max_per_h < self.rate_at(self.clock_ms) {
                break;
            }
        }
        let index = self.next_index;
        self.next_index += 1;
        let mut rng = rng::stream(self.seed, JOBS + index);
        let shape = rng::weighted(&mut rng, &self.weights);
        let entry = &self.entries[shape];
        let arrival_ms = self.clock_ms as u64;
        let qty = entry.slots.sample(&mut rng);
        let duration_ms = ((entry.duration_min.sample(&mut rng) * 60_000.0).round() as u64).max(1);
        let deadline_ms = deadline(arrival_ms, duration_ms, &entry.deadline_slack_pct, &mut rng);
        let value_nano = entry.value.sample(&mut rng);
        Some(JobSpec { arrival_ms, qty, duration_ms, deadline_ms, value_nano, shape: shape as u32 })
    }
}

/// A trace pod turned into slots (the mapping of docs/simulations.md).
pub(crate) struct MappedPod {
    pub(crate) arrival_ms: u64,
    pub(crate) duration_ms: u64,
    pub(crate) qty: u64,
    cpu: u32,
    mem_gib: u32,
    gpu: Vec<String>,
}

/// Maps `pod`, or `None` when it has no usable duration. Times are shifted so that trace
/// second `from_s` is simulated time 0; a pod still running then starts at 0 with the rest of
/// its run (the caller leaves out pods deleted before `from_s`).
pub(crate) fn map_pod(
    pod: &TracePod,
    trace: &TraceSection,
    models: &[String],
    from_s: u64,
) -> Option<MappedPod> {
    let start_s = pod.scheduled_s.unwrap_or(pod.creation_s).max(pod.creation_s).max(from_s);
    let duration_s = pod.deletion_s?.checked_sub(start_s).filter(|d| *d > 0)?;
    let cores = pod.cpu_milli.div_ceil(1000).max(1);
    let mem_gib = pod.memory_mib.div_ceil(1024);
    let (qty, gpu) = if pod.num_gpu > 0 {
        let spec = if pod.gpu_spec.is_empty() { models.to_vec() } else { pod.gpu_spec.clone() };
        (u64::from(pod.num_gpu), spec)
    } else {
        (cores.div_ceil(u64::from(trace.cpu_slot_cores)), Vec::new())
    };
    Some(MappedPod {
        arrival_ms: (pod.creation_s.max(from_s) - from_s).saturating_mul(1000),
        duration_ms: duration_s.saturating_mul(1000),
        qty,
        cpu: cores.div_ceil(qty).min(u64::from(u32::MAX)) as u32,
        mem_gib: mem_gib.div_ceil(qty).min(u64::from(u32::MAX)) as u32,
        gpu,
    })
}

impl MappedPod {
    /// The requirements of one of its slots.
    pub(crate) fn requirements(&self, market: &mut Market) -> Requirements {
        let gpu = self.gpu.iter().map(|model| market.intern(model)).collect();
        let gpus = u32::from(!self.gpu.is_empty());
        Requirements::new(self.cpu, self.mem_gib, gpu, gpus, 0, None, Vec::new())
    }

    /// The job, with value and deadline slack drawn from pod `index`'s stream.
    pub(crate) fn into_job(
        self,
        trace: &TraceSection,
        seed: u64,
        index: u64,
        shape: u32,
    ) -> JobSpec {
        let mut rng = rng::stream(seed, JOBS + index);
        let value = if self.gpu.is_empty() { trace.cpu_value } else { trace.gpu_value };
        let value_nano = value.sample(&mut rng);
        let deadline_ms =
            deadline(self.arrival_ms, self.duration_ms, &trace.deadline_slack_pct, &mut rng);
        JobSpec {
            arrival_ms: self.arrival_ms,
            qty: self.qty,
            duration_ms: self.duration_ms,
            deadline_ms,
            value_nano,
            shape,
        }
    }
}
