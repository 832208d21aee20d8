//! [`Progress`]: how a run reports simulated time passing. The crate only calls it; the binary
//! decides whether to draw a bar (only on a terminal), so library runs stay silent.

/// Hears of progress: `at_ms` of `end_ms` simulated.
pub trait Progress {
    /// Simulated time reached `at_ms` of `end_ms`.
    fn advance(&mut self, at_ms: u64, end_ms: u64);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn advance(&mut self, _at_ms: u64, _end_ms: u64) {}
}
