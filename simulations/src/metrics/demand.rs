//! [`Demand`]: every arrived job, summarised for the efficiency bound in a size that does not
//! grow with the run. Per requirement shape it keeps slot-time by value, with values rounded
//! *up* to 12 significant bits (at most 4,096 values per doubling, 0.025 % apart): rounding a
//! value up can only raise the bound, so the bound stays an upper bound, a hair looser.

use std::collections::BTreeMap;

use crate::source::JobSpec;

/// Significant bits a value keeps.
const VALUE_BITS: u32 = 12;

/// Jobs' demand by shape and (rounded) value.
#[derive(Debug, Clone, Default)]
pub struct Demand {
    /// Per shape: value per slot-hour (nano, rounded up) → slot-ms wanted at that value.
    by_shape: Vec<BTreeMap<u64, f64>>,
    /// The longest job, ms (the bound's capacity runs past the end by this much).
    longest_ms: u64,
    /// Jobs counted, and the sum of their exact values (the bound's step scale).
    jobs: u64,
    value_sum_nano: f64,
}

/// `value` rounded up to [`VALUE_BITS`] significant bits.
fn rounded_up(value: u64) -> u64 {
    let bits = u64::BITS - value.leading_zeros();
    let drop = bits.saturating_sub(VALUE_BITS);
    let step = 1u64 << drop;
    value.div_ceil(step).saturating_mul(step)
}

impl Demand {
    /// Counts `job`.
    pub fn add(&mut self, job: &JobSpec) {
        let shape = job.shape as usize;
        if self.by_shape.len() <= shape {
            self.by_shape.resize_with(shape + 1, BTreeMap::new);
        }
        let slot_ms = job.qty as f64 * job.duration_ms as f64;
        *self.by_shape[shape].entry(rounded_up(job.value_nano)).or_insert(0.0) += slot_ms;
        self.longest_ms = self.longest_ms.max(job.duration_ms);
        self.jobs += 1;
        self.value_sum_nano += job.value_nano as f64;
    }

    /// The mean value per slot-hour over jobs, nano-units (0 with no job).
    pub fn mean_value_nano(&self) -> f64 {
        self.value_sum_nano / self.jobs.max(1) as f64
    }

    /// The longest job, ms.
    pub fn longest_ms(&self) -> u64 {
        self.longest_ms
    }

    /// Shape `shape`'s (value, slot-ms) pairs, highest value first.
    pub fn by_value(&self, shape: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        let values = self.by_shape.get(shape).into_iter().flat_map(|m| m.iter().rev());
        values.map(|(&value, &slot_ms)| (value as f64, slot_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::rounded_up;

    #[test]
    fn values_round_up_to_twelve_significant_bits() {
        assert_eq!(rounded_up(0), 0);
        assert_eq!(rounded_up(4095), 4095);
        assert_eq!(rounded_up(8191), 8192);
        let value = 1_234_567_891;
        let up = rounded_up(value);
        assert!(up >= value && (up - value) as f64 / value as f64 <= 1.0 / 4096.0);
    }
}
