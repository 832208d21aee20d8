//! The engine's limits and preallocation: a stated bound on everything that grows.
//!
//! Each bound is named by a [`Bound`] in the `capacity` rejection it causes.

use crate::event::Bound;

/// Limits and buffer reservations of an [`crate::Engine`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Most resting orders at once; a new order beyond it is rejected (`capacity`).
    pub resting_max: usize,
    /// Most orders accepted over the engine's life (ids are remembered forever).
    pub orders_max: usize,
    /// Most bytes of ids accepted over the engine's life.
    pub id_bytes_max: usize,
    /// Most machine configurations with resting asks at once. A configuration whose asks have
    /// all left is kept (with its compatibility entries) only until room is needed for another.
    pub configs_max: usize,
    /// Most requirement signatures with resting bids at once; empty ones are reclaimed as
    /// configurations are.
    pub signatures_max: usize,
    /// Most distinct classes (reference prices and peg targets); a reference or pegged order
    /// naming a new class beyond it is rejected (`capacity`).
    pub classes_max: usize,
    /// Most distinct names (GPU models, TEE kinds, regions, classes) that input lines may bring
    /// into a line driver's name table ([`crate::stream::Replay`]'s, the pricing crate's
    /// `PricedEngine`'s). Only accepted commands leave names there.
    pub names_max: usize,
    /// Resting orders to reserve room for at start, so the book grows without reallocating.
    pub reserve_resting: usize,
    /// Accepted orders to reserve id room for at start.
    pub reserve_orders: usize,
    /// Price levels to reserve in each ladder when its group is first seen, so that a ladder
    /// holding at most this many levels never reallocates (zero keeps growth on demand).
    pub reserve_levels: usize,
    /// In debug builds, check every book invariant after every command (slow; for tests).
    pub debug_check_invariants: bool,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            resting_max: 8 << 20,
            orders_max: u32::MAX as usize - 1,
            id_bytes_max: u32::MAX as usize,
            configs_max: 1024,
            signatures_max: 8192,
            classes_max: 4096,
            names_max: 65_536,
            reserve_resting: 1024,
            reserve_orders: 4096,
            reserve_levels: 0,
            debug_check_invariants: false,
        }
    }
}

impl EngineConfig {
    /// The value of `bound` in this configuration.
    pub fn bound(&self, bound: Bound) -> usize {
        match bound {
            Bound::RestingMax => self.resting_max,
            Bound::OrdersMax => self.orders_max,
            Bound::IdBytesMax => self.id_bytes_max,
            Bound::ConfigsMax => self.configs_max,
            Bound::SignaturesMax => self.signatures_max,
            Bound::ClassesMax => self.classes_max,
            Bound::NamesMax => self.names_max,
        }
    }
}
