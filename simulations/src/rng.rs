//! Random streams: every agent draws from its own ChaCha8 stream, derived from the run's seed
//! and the agent's number, so adding a job or a machine never changes what the others draw,
//! and nothing depends on the order in which agents happen to act.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Stream family of machines (provider `k` draws from `PROVIDERS + k`).
pub const PROVIDERS: u64 = 1 << 40;
/// Stream family of jobs (job `j` draws from `JOBS + j`).
pub const JOBS: u64 = 2 << 40;
/// The arrival process.
pub const ARRIVALS: u64 = 3 << 40;

/// The stream `stream` of `seed`.
pub fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Index drawn with probability proportional to `weights` (some weight must be > 0).
pub fn weighted<R: rand::Rng>(rng: &mut R, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    assert!(total > 0, "the scenario check refuses weights that sum to 0");
    let mut pick = rng.random_range(0..total);
    for (at, &weight) in weights.iter().enumerate() {
        if pick < weight {
            return at;
        }
        pick -= weight;
    }
    unreachable!("a pick below the weights' total falls in some weight")
}
