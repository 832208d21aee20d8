//! The world of a trace replay: the kept share of the trace's nodes become machines, its pods
//! in the replayed window become jobs, and what those pods occupied in the trace becomes the
//! [`TraceLoad`] the market is compared with. docs/simulations.md states the mapping.

use std::collections::HashMap;

use gridbook_matcher::Hardware;

use super::{intern_item, MachineSpec, World};
use crate::market::Market;
use crate::rng::{self, PROVIDERS};
use crate::scenario::Scenario;
use crate::source::{JobSource, JobSpec};
use crate::trace::{load_nodes, load_pods, TraceNode, TraceSection};
use crate::trace_load::{PodRun, TraceLoad};
use crate::SimError;

/// Which nodes are kept: per model (CPU-only nodes as one model), node `i` when
/// `⌊(i+1)·share⌋ > ⌊i·share⌋`, and a model's first node when none of its nodes would be.
fn kept(nodes: &[TraceNode], share: f64) -> Vec<bool> {
    let mut seen: HashMap<Option<&str>, u64> = HashMap::new();
    let mut keep: Vec<bool> = nodes
        .iter()
        .map(|node| {
            let i = seen.entry(node.model.as_deref()).or_insert(0);
            let at = *i as f64;
            *i += 1;
            ((at + 1.0) * share).floor() > (at * share).floor()
        })
        .collect();
    let mut has: HashMap<Option<&str>, bool> = HashMap::new();
    for (node, &k) in nodes.iter().zip(&keep) {
        *has.entry(node.model.as_deref()).or_insert(false) |= k;
    }
    for (at, node) in nodes.iter().enumerate() {
        if let Some(false) = has.get(&node.model.as_deref()) {
            keep[at] = true;
            has.insert(node.model.as_deref(), true);
        }
    }
    keep
}

/// A node's slot hardware, its slots and its cost range (the mapping of docs/simulations.md).
fn machine(
    node: &TraceNode,
    trace: &TraceSection,
    market: &mut Market,
    region: gridbook_matcher::Sym,
) -> (Hardware, u32, crate::scenario::MoneyRange) {
    let cores = (node.cpu_milli / 1000).min(u64::from(u32::MAX)) as u32;
    let mem_gib = (node.memory_mib / 1024).min(u64::from(u32::MAX)) as u32;
    match &node.model {
        Some(model) if node.gpus > 0 => {
            let per = node.gpus;
            let gpu = Some(market.intern(model));
            let hw = Hardware {
                cpu: cores / per,
                mem_gib: mem_gib / per,
                gpu,
                gpus: 1,
                gpu_mem_gib: 0,
                tee: None,
                region,
            };
            (hw, per, trace.gpu_cost)
        }
        _ => {
            let slots = (cores / trace.cpu_slot_cores).max(1);
            let hw = Hardware {
                cpu: cores.min(trace.cpu_slot_cores),
                mem_gib: mem_gib / slots,
                gpu: None,
                gpus: 0,
                gpu_mem_gib: 0,
                tee: None,
                region,
            };
            (hw, slots, trace.cpu_cost)
        }
    }
}

/// Builds the world of `trace`.
pub(super) fn build(
    scenario: &Scenario,
    trace: &TraceSection,
    seed: u64,
    market: &mut Market,
) -> Result<World, SimError> {
    let nodes = load_nodes(&trace.nodes)?;
    let pods = load_pods(&trace.pods)?;
    let region = market.intern(&trace.region);
    let (mut groups, mut group_index) = (Vec::new(), HashMap::new());
    let mut machines = Vec::new();
    let keep = kept(&nodes, trace.node_share);
    for (k, node) in nodes.iter().enumerate().filter(|(k, _)| keep[*k]) {
        let (hw, slots, cost) = machine(node, trace, market, region);
        let group = intern_item(&mut groups, &mut group_index, &hw);
        // The node's own stream, so keeping fewer nodes never changes a kept node's cost.
        let mut rng = rng::stream(seed, PROVIDERS + k as u64);
        machines.push(MachineSpec { hw, slots, cost_nano: cost.sample(&mut rng), group });
    }
    let mut models: Vec<String> =
        nodes.iter().zip(&keep).filter(|(_, &k)| k).filter_map(|(n, _)| n.model.clone()).collect();
    models.sort();
    models.dedup();
    let mut group_slots = vec![0u64; groups.len()];
    machines.iter().for_each(|m| group_slots[m.group as usize] += u64::from(m.slots));
    let group_class: Vec<Option<usize>> =
        groups.iter().map(|hw| market.class_of(hw).map(|c| c.index())).collect();
    let end_ms = scenario.duration_h.saturating_mul(3_600_000);
    let from_s = trace.from_h.saturating_mul(3600);
    let (mut shapes, mut shape_index) = (Vec::new(), HashMap::new());
    let (mut jobs, mut runs, mut skipped) = (Vec::new(), Vec::new(), 0u64);
    let limit = trace.max_pods.unwrap_or(u64::MAX);
    for (j, pod) in pods.iter().enumerate().take(limit.min(usize::MAX as u64) as usize) {
        if pod.deletion_s.is_some_and(|deleted| deleted <= from_s) {
            continue;
        }
        let Some(mapped) = crate::source::map_pod(pod, trace, &models, from_s) else {
            skipped += 1;
            continue;
        };
        let req = mapped.requirements(market);
        let fits: Vec<usize> =
            (0..groups.len()).filter(|&g| req.satisfied_by(&groups[g])).collect();
        if fits.is_empty() {
            skipped += 1;
            continue;
        }
        if mapped.arrival_ms >= end_ms {
            continue;
        }
        if let (Some(scheduled_s), Some(deleted_s)) = (pod.scheduled_s, pod.deletion_s) {
            let start_ms = (scheduled_s.max(from_s) - from_s).saturating_mul(1000);
            let end_ms = (deleted_s - from_s).saturating_mul(1000);
            let mut shares: Vec<(usize, u64)> = Vec::new();
            for &g in &fits {
                let Some(class) = group_class[g] else { continue };
                match shares.iter_mut().find(|s| s.0 == class) {
                    Some(share) => share.1 += group_slots[g],
                    None => shares.push((class, group_slots[g])),
                }
            }
            if !shares.is_empty() && end_ms > start_ms {
                runs.push((PodRun { start_ms, end_ms, qty: mapped.qty }, shares));
            }
        }
        let shape = intern_item(&mut shapes, &mut shape_index, &req);
        jobs.push(mapped.into_job(trace, seed, j as u64, shape));
    }
    jobs.sort_by_key(|job: &JobSpec| job.arrival_ms);
    let trace_load = Some(TraceLoad::new(market.taxonomy().len(), &runs));
    let jobs = JobSource::listed(jobs);
    Ok(World { machines, groups, shapes, jobs, skipped_pods: skipped, trace_load })
}
