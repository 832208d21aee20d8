//! Token buckets per client IP and per owner: a sustained rate and a burst above it. A refused
//! request is answered 429 with `Retry-After`, before anything is sequenced — unless it costs
//! more than the whole burst, which no wait would ever earn: that is refused as too large.
//!
//! The table of buckets is itself bounded: past `keys_max` keys, full buckets (clients that
//! have been quiet long enough to earn their whole burst back) are forgotten first, and if
//! every bucket is in use the newcomer is refused rather than letting the table grow.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

use parking_lot::Mutex;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Rate limits for one kind of key.
#[derive(Debug)]
pub struct Buckets<K> {
    per_s: f64,
    burst: f64,
    keys_max: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    /// `per_s` tokens per second, at most `burst` saved up, at most `keys_max` keys tracked.
    pub fn new(per_s: u32, burst: u32, keys_max: usize) -> Buckets<K> {
        Buckets {
            per_s: f64::from(per_s.max(1)),
            burst: f64::from(burst.max(per_s).max(1)),
            keys_max,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` tokens for `key` now, or says why not.
    pub fn take(&self, key: &K, cost: u32) -> Result<(), Refusal> {
        if f64::from(cost) > self.burst {
            return Err(Refusal::OverBurst { burst: self.burst as u32 });
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        if !buckets.contains_key(key) && buckets.len() >= self.keys_max {
            let (per_s, burst) = (self.per_s, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled).as_secs_f64() * per_s < burst
            });
            if buckets.len() >= self.keys_max {
                return Err(Refusal::Wait { seconds: 1 });
            }
        }
        let bucket =
            buckets.entry(key.clone()).or_insert(Bucket { tokens: self.burst, refilled: now });
        let earned = now.duration_since(bucket.refilled).as_secs_f64() * self.per_s;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.refilled = now;
        let cost = f64::from(cost);
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            return Ok(());
        }
        Err(Refusal::Wait { seconds: ((cost - bucket.tokens) / self.per_s).ceil().max(1.0) as u64 })
    }
}

/// Why [`Buckets::take`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not enough tokens now: enough will have been earned after this wait.
    Wait {
        /// Seconds to wait (`Retry-After`).
        seconds: u64,
    },
    /// The cost is above the burst, so no wait is enough: the request must be smaller.
    OverBurst {
        /// The burst, the most one request may cost.
        burst: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_served_then_refused_with_a_wait() {
        let buckets = Buckets::new(10, 20, 100);
        for _ in 0..20 {
            buckets.take(&"a", 1).unwrap();
        }
        assert_eq!(buckets.take(&"a", 1), Err(Refusal::Wait { seconds: 1 }));
        buckets.take(&"b", 20).expect("another key has its own bucket");
        buckets.take(&"c", 15).unwrap();
        assert_eq!(buckets.take(&"c", 20), Err(Refusal::Wait { seconds: 2 }), "15 short at 10/s");
    }

    /// A cost above the burst can never be paid: waiting is no answer, so it is refused as
    /// such instead of with a `Retry-After` that would be wrong forever.
    #[test]
    fn a_cost_above_the_burst_is_refused_as_too_large_not_told_to_wait() {
        let buckets = Buckets::new(10, 20, 100);
        assert_eq!(buckets.take(&"c", 21), Err(Refusal::OverBurst { burst: 20 }));
        buckets.take(&"c", 20).expect("the whole burst is one request's most");
    }

    #[test]
    fn the_table_of_keys_is_bounded() {
        let buckets = Buckets::new(1, 1, 2);
        buckets.take(&1, 1).unwrap();
        buckets.take(&2, 1).unwrap();
        assert_eq!(
            buckets.take(&3, 1),
            Err(Refusal::Wait { seconds: 1 }),
            "both tracked keys are still spending"
        );
    }
}
