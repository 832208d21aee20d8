//! Sweeps: a `[sweep]` grid of scenario keys × replications (stub; filled in below).

use serde::Deserialize;

/// `[sweep]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// Runs per cell.
    #[serde(default = "default_replications")]
    pub replications: u64,
}

fn default_replications() -> u64 {
    1
}

impl SweepSection {
    /// `(key, message)` of the first problem.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.replications == 0 {
            return Err(("replications", "must be > 0".into()));
        }
        Ok(())
    }
}
