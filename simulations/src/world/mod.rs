//! The world of a run: the machines (from the hardware mix or a trace's nodes) and where jobs
//! come from (a seeded arrival process over the job mix, or a trace's pods).
//!
//! Machines of one slot hardware form a *group* and jobs of one requirement a *shape*; the
//! efficiency bound ([`crate::metrics::bound`]) works on groups and shapes. [`trace`] builds
//! the world of a trace replay.

mod trace;

use std::collections::HashMap;

use gridbook_matcher::{Hardware, Requirements};

use crate::market::Market;
use crate::rng::{self, PROVIDERS};
use crate::scenario::{HardwareEntry, JobEntry, Scenario};
use crate::source::{Generator, JobSource};
use crate::trace_load::TraceLoad;
use crate::SimError;

/// One machine: identical slots, a cost per slot-hour.
#[derive(Debug, Clone)]
pub struct MachineSpec {
    /// One slot's hardware.
    pub hw: Hardware,
    /// Slots.
    pub slots: u32,
    /// Cost per slot-hour, nano-units.
    pub cost_nano: u64,
    /// Index of its group (slot hardware) in [`World::groups`].
    pub group: u32,
}

/// Machines, groups, shapes and the job source of a run.
pub struct World {
    /// Every machine, in provider order.
    pub machines: Vec<MachineSpec>,
    /// Distinct slot hardware.
    pub groups: Vec<Hardware>,
    /// Distinct job requirements.
    pub shapes: Vec<Requirements>,
    /// Where jobs come from.
    pub jobs: JobSource,
    /// Trace pods left out: never ended, no duration, or no machine could run them.
    pub skipped_pods: u64,
    /// What the trace's own pods occupied, per class (trace replays only).
    pub trace_load: Option<TraceLoad>,
}

fn slot_hardware(market: &mut Market, hw: &HardwareEntry) -> Hardware {
    let gpu = hw.gpu.as_deref().map(|model| market.intern(model));
    Hardware {
        cpu: hw.cpu,
        mem_gib: hw.mem_gib,
        gpu,
        gpus: hw.gpus.unwrap_or(u32::from(gpu.is_some())),
        gpu_mem_gib: hw.gpu_mem_gib,
        tee: hw.tee.as_deref().map(|tee| market.intern(tee)),
        region: market.intern(&hw.region),
    }
}

fn requirements(market: &mut Market, job: &JobEntry) -> Requirements {
    let gpu = job.gpu.iter().map(|model| market.intern(model)).collect();
    let regions = job.regions.iter().map(|region| market.intern(region)).collect();
    let tee = job.tee.as_deref().map(|tee| market.intern(tee));
    Requirements::new(job.cpu, job.mem_gib, gpu, job.gpus, job.gpu_mem_gib, tee, regions)
}

/// Builds the world of `scenario` with `seed`, naming hardware through `market`.
pub fn build(scenario: &Scenario, seed: u64, market: &mut Market) -> Result<World, SimError> {
    if let Some(trace) = &scenario.trace {
        return trace::build(scenario, trace, seed, market);
    }
    let mix = &scenario.providers.hardware;
    let groups: Vec<Hardware> = mix.iter().map(|hw| slot_hardware(market, hw)).collect();
    let weights: Vec<u64> = mix.iter().map(|hw| hw.weight).collect();
    let machines = (0..scenario.providers.count)
        .map(|k| {
            let mut rng = rng::stream(seed, PROVIDERS + k);
            let at = rng::weighted(&mut rng, &weights);
            let entry = &mix[at];
            MachineSpec {
                hw: groups[at],
                slots: entry.slots,
                cost_nano: entry.cost.sample(&mut rng),
                group: at as u32,
            }
        })
        .collect();
    let shapes = scenario.requesters.jobs.iter().map(|job| requirements(market, job)).collect();
    let jobs = JobSource::Generated(Box::new(Generator::new(scenario, seed)));
    Ok(World { machines, groups, shapes, jobs, skipped_pods: 0, trace_load: None })
}

/// Index of `item` in `items`, adding it when new (`index` only looks up, never iterates).
pub(crate) fn intern_item<T: Clone + Eq + std::hash::Hash>(
    items: &mut Vec<T>,
    index: &mut HashMap<T, u32>,
    item: &T,
) -> u32 {
    if let Some(&at) = index.get(item) {
        return at;
    }
    let at = items.len() as u32;
    items.push(item.clone());
    index.insert(item.clone(), at);
    at
}
