//! The upper bound that allocative efficiency divides by.
//!
//! The offline optimum — every job placed on machines over time, respecting windows and
//! deadlines — is a scheduling problem too hard to solve exactly at scale. We bound it from
//! above instead, by the *dual* of a relaxation that drops time: each job `j` may take any
//! amount, up to its slot-time `D_j = qty × duration`, of any compatible capacity; each bin `b`
//! of machines (same slot hardware, cost in a band) has slot-time `C_b = slots × (run length
//! + longest job)` and, inside the bound, the band's lowest cost `c_b`. Every real allocation
//! is feasible for this relaxation, so its optimum is ≥ the real optimum, and by weak duality
//! every `p ≥ 0` gives
//!
//! `UB(p) = Σ_b p_b C_b + Σ_j D_j · max(0, max_{b fits j} (v_j − c_b − p_b))  ≥  optimum`.
//!
//! We search `p` by projected subgradient steps and keep the smallest `UB(p)` seen; with
//! `p = 0` it is the bound that ignores capacity. The bound holds for any `p`, so the search
//! only affects how tight it is, never whether it holds. docs/simulations.md says more.

use gridbook_matcher::{Hardware, Requirements};

use super::demand::Demand;
use crate::world::MachineSpec;

/// Cost bands per slot hardware.
const BANDS: usize = 8;
/// Subgradient steps.
const STEPS: usize = 60;
/// Relative margin added for floating-point rounding in the sums.
const ROUNDING_MARGIN: f64 = 1e-9;

struct Bin {
    cost: f64,
    capacity_slot_ms: f64,
}

/// Bins of machines: per group, up to [`BANDS`] bands of equal count by cost.
fn bins(machines: &[MachineSpec], groups: usize, horizon_ms: f64) -> (Vec<Bin>, Vec<Vec<usize>>) {
    let mut bins = Vec::new();
    let mut by_group = vec![Vec::new(); groups];
    for (group, group_bins) in by_group.iter_mut().enumerate() {
        let mut members: Vec<&MachineSpec> =
            machines.iter().filter(|m| m.group as usize == group).collect();
        members.sort_by_key(|m| m.cost_nano);
        let band = members.len().div_ceil(BANDS).max(1);
        for chunk in members.chunks(band) {
            let slots: u64 = chunk.iter().map(|m| u64::from(m.slots)).sum();
            group_bins.push(bins.len());
            bins.push(Bin {
                cost: chunk[0].cost_nano as f64,
                capacity_slot_ms: slots as f64 * horizon_ms,
            });
        }
    }
    (bins, by_group)
}

/// The bound, in nano-units (surplus of slot-hours), for the jobs of `demand` on `machines`.
pub fn upper_bound(
    machines: &[MachineSpec],
    groups: &[Hardware],
    shapes: &[Requirements],
    demand: &Demand,
    end_ms: u64,
) -> f64 {
    let longest_ms = demand.longest_ms();
    let horizon_ms = end_ms.saturating_add(longest_ms) as f64;
    let (bins, by_group) = bins(machines, groups.len(), horizon_ms);
    let fits: Vec<Vec<usize>> = shapes
        .iter()
        .map(|req| {
            let groups = groups.iter().enumerate().filter(|(_, hw)| req.satisfied_by(hw));
            groups.flat_map(|(g, _)| by_group[g].iter().copied()).collect()
        })
        .collect();
    // Within a shape every job picks the same bin (the one with the least cost + price), so
    // per shape only the jobs' values matter: sorted by value, with prefix sums of slot-time
    // and of value × slot-time, each step costs a binary search per shape, not a pass per job.
    let by_shape = shape_prefix_sums(shapes.len(), demand);
    let mut prices = vec![0.0f64; bins.len()];
    let mut usage = vec![0.0f64; bins.len()];
    let mean_value = demand.mean_value_nano();
    let mut best = f64::INFINITY;
    for step in 0..STEPS {
        usage.iter_mut().for_each(|u| *u = 0.0);
        let mut bound: f64 = bins.iter().zip(&prices).map(|(b, p)| p * b.capacity_slot_ms).sum();
        for (shape, sums) in by_shape.iter().enumerate() {
            let cheapest = fits[shape]
                .iter()
                .map(|&b| (bins[b].cost + prices[b], b))
                .min_by(|x, y| x.0.total_cmp(&y.0));
            let Some((threshold, b)) = cheapest else { continue };
            let above = sums.values.partition_point(|&v| v > threshold);
            bound += sums.value_demand[above] - threshold * sums.demand[above];
            usage[b] += sums.demand[above];
        }
        best = best.min(bound);
        let rate = mean_value * 0.5 / (step as f64 + 1.0);
        for ((price, bin), used) in prices.iter_mut().zip(&bins).zip(&usage) {
            let excess = (used - bin.capacity_slot_ms) / bin.capacity_slot_ms.max(1.0);
            *price = (*price + rate * excess).max(0.0);
        }
    }
    if best.is_finite() {
        // Sums in f64 round; a relative margin far above their error keeps this a bound.
        best * (1.0 + ROUNDING_MARGIN) / 3_600_000.0
    } else {
        0.0
    }
}

/// A shape's jobs by value, highest first, with prefix sums: `demand[k]` and `value_demand[k]`
/// are Σ slot-time and Σ value × slot-time of the first `k` jobs.
#[derive(Default)]
struct PrefixSums {
    values: Vec<f64>,
    demand: Vec<f64>,
    value_demand: Vec<f64>,
}

fn shape_prefix_sums(shapes: usize, demand: &Demand) -> Vec<PrefixSums> {
    (0..shapes)
        .map(|shape| {
            let mut sums =
                PrefixSums { demand: vec![0.0], value_demand: vec![0.0], ..PrefixSums::default() };
            for (value, slot_ms) in demand.by_value(shape) {
                let (total, weighted) =
                    (sums.demand[sums.values.len()], sums.value_demand[sums.values.len()]);
                sums.values.push(value);
                sums.demand.push(total + slot_ms);
                sums.value_demand.push(weighted + value * slot_ms);
            }
            sums
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::JobSpec;
    use gridbook_matcher::Sym;

    fn machine(slots: u32, cost_nano: u64) -> MachineSpec {
        let hw = Hardware {
            cpu: 8,
            mem_gib: 32,
            gpu: None,
            gpus: 0,
            gpu_mem_gib: 0,
            tee: None,
            region: Sym(0),
        };
        MachineSpec { hw, slots, cost_nano, group: 0 }
    }

    fn demand(jobs: &[JobSpec]) -> Demand {
        let mut demand = Demand::default();
        jobs.iter().for_each(|job| demand.add(job));
        demand
    }

    fn job(value_nano: u64, duration_ms: u64) -> JobSpec {
        JobSpec {
            arrival_ms: 0,
            qty: 1,
            duration_ms,
            deadline_ms: duration_ms,
            value_nano,
            shape: 0,
        }
    }

    #[test]
    fn with_capacity_for_one_job_the_bound_finds_the_best_job_only() {
        // One slot for a run of 1 h + the longest job (1 h): 2 slot-hours of capacity. Four
        // one-hour jobs with values 5, 4, 2, 2 at cost 1: the best allocation takes the two
        // best, surplus (5 − 1) + (4 − 1) = 7 tokens; ignoring capacity it would be 10.
        let machines = [machine(1, 1_000_000_000)];
        let groups = [machines[0].hw];
        let shapes = [Requirements::new(4, 16, vec![], 0, 0, None, vec![])];
        let h = 3_600_000;
        let jobs = [
            job(5_000_000_000, h),
            job(4_000_000_000, h),
            job(2_000_000_000, h),
            job(2_000_000_000, h),
        ];
        let bound = upper_bound(&machines, &groups, &shapes, &demand(&jobs), h) / 1e9;
        assert!((7.0..7.35).contains(&bound), "bound {bound}: at least the optimum 7, near it");
    }

    #[test]
    fn a_job_no_machine_fits_adds_nothing() {
        let machines = [machine(4, 1_000_000_000)];
        let groups = [machines[0].hw];
        let shapes = [Requirements::new(64, 16, vec![], 0, 0, None, vec![])];
        let jobs = demand(&[job(9_000_000_000, 60_000)]);
        let bound = upper_bound(&machines, &groups, &shapes, &jobs, 60_000);
        assert_eq!(bound, 0.0);
    }
}
