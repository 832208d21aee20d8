//! [`TraceLoad`]: what the trace's own pods occupied, per class over time, to show beside the
//! market's utilisation. The trace records when each pod was scheduled and deleted but not on
//! which node, so a pod's slots are spread over the classes that could run it in proportion to
//! their slots (what a load-balancing scheduler would do). Pods the trace never scheduled
//! occupied nothing. Occupancy above a class's slots is counted as full: the trace's load can
//! exceed a cluster kept at `node_share`, which is when the market must queue.

/// Per class, the trace's occupied slots as a step function of simulated time.
#[derive(Debug, Clone, Default)]
pub struct TraceLoad {
    /// Per class: (ms, occupied milli-slots from then on), times strictly increasing.
    steps: Vec<Vec<(u64, i64)>>,
}

/// A trace pod's run, as the market will see it.
#[derive(Debug, Clone, Copy)]
pub struct PodRun {
    /// Scheduled, ms of simulated time (0 for a pod already running at the start).
    pub start_ms: u64,
    /// Deleted, ms of simulated time.
    pub end_ms: u64,
    /// Slots.
    pub qty: u64,
}

impl TraceLoad {
    /// The load of `runs`, each spread over `(class, weight)` pairs whose weights sum to > 0.
    pub fn new(classes: usize, runs: &[(PodRun, Vec<(usize, u64)>)]) -> TraceLoad {
        let mut deltas: Vec<Vec<(u64, i64)>> = vec![Vec::new(); classes];
        for (run, shares) in runs {
            let total: u64 = shares.iter().map(|s| s.1).sum();
            for &(class, weight) in shares {
                let milli =
                    (u128::from(run.qty) * 1000 * u128::from(weight) / u128::from(total)) as i64;
                deltas[class].push((run.start_ms, milli));
                deltas[class].push((run.end_ms, -milli));
            }
        }
        let steps = deltas
            .into_iter()
            .map(|mut list| {
                list.sort_unstable();
                let mut steps: Vec<(u64, i64)> = Vec::new();
                let mut level = 0i64;
                for (at, delta) in list {
                    level += delta;
                    match steps.last_mut() {
                        Some(last) if last.0 == at => last.1 = level,
                        _ => steps.push((at, level)),
                    }
                }
                steps
            })
            .collect();
        TraceLoad { steps }
    }

    /// Slots of `class` the trace's pods occupied at `at_ms` (uncapped).
    pub fn busy_slots(&self, class: usize, at_ms: u64) -> f64 {
        let steps = &self.steps[class];
        let after = steps.partition_point(|s| s.0 <= at_ms);
        after.checked_sub(1).map_or(0.0, |at| steps[at].1 as f64 / 1000.0)
    }

    /// The trace's utilisation of `class` over `[0, end_ms)`: occupied slot-time, capped at its
    /// `slots`, ÷ (slots × end).
    pub fn utilisation(&self, class: usize, slots: u64, end_ms: u64) -> f64 {
        let cap = slots as f64 * 1000.0;
        let mut occupied = 0.0;
        let steps = &self.steps[class];
        for (at, step) in steps.iter().enumerate() {
            let until = steps.get(at + 1).map_or(end_ms, |next| next.0).min(end_ms);
            let span = until.saturating_sub(step.0) as f64;
            occupied += (step.1 as f64).clamp(0.0, cap) * span;
        }
        occupied / (cap * end_ms.max(1) as f64).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_spreads_over_the_classes_that_can_run_it_and_saturates_at_their_slots() {
        let run = |start_ms, end_ms, qty| PodRun { start_ms, end_ms, qty };
        // Two slots for 10 ms on classes 0 and 1 weighted 3:1; then 8 slots on class 0 alone.
        let load = TraceLoad::new(
            2,
            &[(run(0, 10, 2), vec![(0, 3), (1, 1)]), (run(10, 20, 8), vec![(0, 1)])],
        );
        assert_eq!(load.busy_slots(0, 5), 1.5);
        assert_eq!(load.busy_slots(1, 5), 0.5);
        assert_eq!(load.busy_slots(0, 15), 8.0);
        assert_eq!(load.busy_slots(0, 25), 0.0);
        // Class 0 has 4 slots: 1.5 of 4 for 10 ms, then full (8 > 4) for 10 ms, over 20 ms.
        let expected = (1.5 * 10.0 + 4.0 * 10.0) / (4.0 * 20.0);
        assert!((load.utilisation(0, 4, 20) - expected).abs() < 1e-12);
    }
}
