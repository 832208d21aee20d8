//! Groups of resting orders that share a ladder, and the cache of which groups can trade.
//!
//! Asks are grouped by machine configuration ([`Hardware`]), bids by requirement signature
//! ([`Requirements`]). Whether a configuration satisfies a signature is computed once, when the
//! second of the two is first seen, and kept on both sides: an incoming bid visits only the
//! configurations its signature fits, an incoming ask only the signatures its configuration
//! satisfies. Nothing on the matching path scans the whole book.
//!
//! Groups are never forgotten; their number is bounded by [`crate::EngineConfig`], which also
//! bounds the cache at `configs_max × signatures_max` pairs.

use hashbrown::HashMap;

use super::ladder::Ladder;
use crate::hardware::{Hardware, Requirements};

#[derive(Debug, Clone)]
pub(crate) struct ConfigGroup {
    pub(crate) hw: Hardware,
    pub(crate) ladder: Ladder,
    /// Signatures this configuration satisfies.
    pub(crate) signatures: Vec<u32>,
    /// Floating ladders of its pegged asks ([`super::floats`]), in creation order.
    pub(crate) floats: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct SignatureGroup {
    pub(crate) req: Requirements,
    pub(crate) ladder: Ladder,
    /// Configurations that satisfy this signature.
    pub(crate) configs: Vec<u32>,
    /// Floating ladders of its pegged bids ([`super::floats`]), in creation order.
    pub(crate) floats: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Groups {
    /// Price levels each new ladder is created with room for.
    reserve_levels: usize,
    config_index: HashMap<Hardware, u32>,
    signature_index: HashMap<Requirements, u32>,
    pub(crate) configs: Vec<ConfigGroup>,
    pub(crate) signatures: Vec<SignatureGroup>,
}

impl Groups {
    /// No groups yet; each ladder will be created with room for `reserve_levels` levels.
    pub(crate) fn new(reserve_levels: usize) -> Groups {
        Groups { reserve_levels, ..Groups::default() }
    }

    pub(crate) fn find_config(&self, hw: &Hardware) -> Option<u32> {
        self.config_index.get(hw).copied()
    }

    pub(crate) fn find_signature(&self, req: &Requirements) -> Option<u32> {
        self.signature_index.get(req).copied()
    }

    /// The configuration group of `hw`, created (and related to every signature) if new.
    pub(crate) fn config(&mut self, hw: &Hardware) -> u32 {
        if let Some(id) = self.find_config(hw) {
            return id;
        }
        let id = self.configs.len() as u32;
        let mut signatures = Vec::new();
        for (sig_id, sig) in self.signatures.iter_mut().enumerate() {
            if sig.req.satisfied_by(hw) {
                signatures.push(sig_id as u32);
                sig.configs.push(id);
            }
        }
        let ladder = Ladder::with_capacity(self.reserve_levels);
        self.configs.push(ConfigGroup { hw: *hw, ladder, signatures, floats: Vec::new() });
        self.config_index.insert(*hw, id);
        id
    }

    /// The signature group of `req`, created (and related to every configuration) if new.
    pub(crate) fn signature(&mut self, req: &Requirements) -> u32 {
        if let Some(id) = self.find_signature(req) {
            return id;
        }
        let id = self.signatures.len() as u32;
        let mut configs = Vec::new();
        for (config_id, config) in self.configs.iter_mut().enumerate() {
            if req.satisfied_by(&config.hw) {
                configs.push(config_id as u32);
                config.signatures.push(id);
            }
        }
        let ladder = Ladder::with_capacity(self.reserve_levels);
        self.signatures.push(SignatureGroup {
            req: req.clone(),
            ladder,
            configs,
            floats: Vec::new(),
        });
        self.signature_index.insert(req.clone(), id);
        id
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let configs: usize =
            self.configs.iter().map(|c| c.ladder.heap_bytes() + c.signatures.capacity() * 4).sum();
        let signatures: usize = self
            .signatures
            .iter()
            .map(|s| {
                s.ladder.heap_bytes()
                    + s.configs.capacity() * 4
                    + (s.req.gpu.capacity() + s.req.regions.capacity()) * 4
            })
            .sum();
        configs
            + signatures
            + self.configs.capacity() * std::mem::size_of::<ConfigGroup>()
            + self.signatures.capacity() * std::mem::size_of::<SignatureGroup>()
    }
}
