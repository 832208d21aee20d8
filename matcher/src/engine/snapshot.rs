//! Engine snapshots: the book's whole state as canonical bytes, and back.
//!
//! ```text
//!   "GBENGINE" | version (u32 LE) | postcard( bounds, clock, deals, names, ids, slab, groups,
//!                                             expiry heap, pegs (classes, switches, floats) )
//! ```
//!
//! Only sources of truth are written: hash tables (the id table, the group, class and floating
//! indexes), the hasher and the reusable scratch buffers are rebuilt on restore. Every field
//! written is a function of the commands applied (the engine is deterministic and no hash-map
//! order reaches its state), and a vector is written in its own order, so **two engines that
//! applied the same commands give the same bytes**, and a restored engine writes the bytes it
//! was read from. A caller compares states by hashing these bytes (the matcher has no hash
//! function of its own to offer).
//!
//! The name table travels with the book: an engine's [`crate::Sym`]s mean nothing without the
//! names they stand for.
//!
//! Restoring never trusts the bytes: every index is checked to be in range before anything
//! follows it, free lists and idle lists are walked with a bound, hash tables are rebuilt with
//! duplicates refused, and the result must pass [`Engine::check_invariants`]. Corrupt,
//! truncated or hostile bytes give a [`SnapshotError`], never a panic; allocations are bounded
//! by the input's length (serde preallocates cautiously, and a length prefix beyond the input
//! fails as the end of the input).

use serde::{Deserialize, Serialize};

use super::expiry::ExpiryQueue;
use super::groups::Groups;
use super::ids::{IdRegistry, IdsCopy};
use super::pegs::Pegs;
use super::slab::Slab;
use super::{Engine, EngineConfig};
use crate::event::Bound;
use crate::hardware::Sym;
use crate::symbols::Symbols;

/// The first bytes of every engine snapshot.
const MAGIC: &[u8; 8] = b"GBENGINE";

/// The format version this build writes and reads; bumped whenever what is written changes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Why snapshot bytes could not become an engine.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start as an engine snapshot does.
    #[error("not an engine snapshot (no GBENGINE header)")]
    NotASnapshot,
    /// Another format version.
    #[error("engine snapshot format version {found}; this build reads version {SNAPSHOT_VERSION}")]
    Version {
        /// The version in the bytes.
        found: u32,
    },
    /// The bytes end early or do not decode.
    #[error("engine snapshot does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// Bytes follow the snapshot's end.
    #[error("{0} bytes follow the engine snapshot's end")]
    Trailing(usize),
    /// The snapshot was taken under other capacities than the restoring engine's.
    #[error("engine snapshot taken with {bound:?} = {snapshot}, this engine is configured with {configured}")]
    Config {
        /// The capacity that differs.
        bound: Bound,
        /// Its value in the snapshot.
        snapshot: u64,
        /// Its value in the restoring configuration.
        configured: u64,
    },
    /// The bytes decode but do not describe a consistent book.
    #[error("engine snapshot damaged: {0}")]
    Damaged(String),
}

/// The capacities a snapshot records (the reservations are not state, and not written).
const BOUNDS: [Bound; 7] = [
    Bound::RestingMax,
    Bound::OrdersMax,
    Bound::IdBytesMax,
    Bound::ConfigsMax,
    Bound::SignaturesMax,
    Bound::ClassesMax,
    Bound::NamesMax,
];

fn bounds_of(config: &EngineConfig) -> [u64; 7] {
    BOUNDS.map(|bound| config.bound(bound) as u64)
}

/// What a snapshot holds, borrowed for writing from a live engine (`I`: its [`IdRegistry`])
/// or from an [`EngineCopy`] (its [`IdsCopy`], which serialises the same).
#[derive(Serialize)]
struct StateRef<'a, I> {
    bounds: [u64; 7],
    now_ms: u64,
    deals: u64,
    names: &'a [Box<str>],
    ids: &'a I,
    slab: &'a Slab,
    groups: &'a Groups,
    expiry: &'a ExpiryQueue,
    pegs: &'a Pegs,
}

/// What a snapshot holds, owned, as read (field for field [`StateRef`]).
#[derive(Deserialize)]
struct State {
    bounds: [u64; 7],
    now_ms: u64,
    deals: u64,
    names: Vec<Box<str>>,
    ids: IdRegistry,
    slab: Slab,
    groups: Groups,
    expiry: ExpiryQueue,
    pegs: Pegs,
}

impl Engine {
    /// Appends this engine's snapshot, with `symbols` (the name table its commands were
    /// decoded with), to `out`. The bytes are canonical: see the module docs.
    pub fn write_snapshot(&self, symbols: &Symbols, out: &mut Vec<u8>) {
        write_state(
            &StateRef {
                bounds: bounds_of(&self.config),
                now_ms: self.now_ms,
                deals: self.deals,
                names: symbols.names(),
                ids: &self.ids,
                slab: &self.slab,
                groups: &self.groups,
                expiry: &self.expiry,
                pegs: &self.pegs,
            },
            out,
        );
    }

    /// Makes `copy` hold this engine's state and `symbols`, reusing the copy's allocations:
    /// what the node's matching thread does for a snapshot, leaving the serialising
    /// ([`EngineCopy::write_snapshot`]) to another thread. Nothing is copied that a snapshot
    /// does not hold (no hash table), and once the copy has grown to the book's size, taking
    /// it again is a memory copy with no fresh pages to fault in.
    pub fn copy_for_snapshot(&self, symbols: &Symbols, copy: &mut EngineCopy) {
        copy.bounds = bounds_of(&self.config);
        (copy.now_ms, copy.deals) = (self.now_ms, self.deals);
        copy.names.clear();
        copy.names.extend_from_slice(symbols.names());
        self.ids.copy_into(&mut copy.ids);
        copy.slab.copy_from(&self.slab);
        copy.groups.clone_from(&self.groups);
        copy.expiry.copy_from(&self.expiry);
        copy.pegs.clone_from(&self.pegs);
    }

    /// The engine and name table `bytes` (from [`Engine::write_snapshot`]) describe. `config`
    /// must carry the capacities the snapshot was taken with; its reservations and debug
    /// switch apply to the restored engine.
    pub fn restore_snapshot(
        bytes: &[u8],
        config: EngineConfig,
    ) -> Result<(Engine, Symbols), SnapshotError> {
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or(SnapshotError::NotASnapshot)?;
        let (version, body) = body.split_first_chunk::<4>().ok_or(SnapshotError::NotASnapshot)?;
        let found = u32::from_le_bytes(*version);
        if found != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version { found });
        }
        let (state, rest) = postcard::take_from_bytes::<State>(body)?;
        if !rest.is_empty() {
            return Err(SnapshotError::Trailing(rest.len()));
        }
        check_bounds(&state, &config)?;
        let symbols = Symbols::from_names(state.names, config.names_max)
            .ok_or_else(|| SnapshotError::Damaged("a name is in the table twice".into()))?;
        let engine =
            rebuild(state.ids, state.slab, state.groups, state.pegs, state.expiry, &config)
                .map_err(SnapshotError::Damaged)?;
        let engine = Engine { now_ms: state.now_ms, deals: state.deals, ..engine };
        engine.check_names(symbols.len()).map_err(SnapshotError::Damaged)?;
        engine.check_invariants().map_err(SnapshotError::Damaged)?;
        Ok((engine, symbols))
    }

    /// Every name the book refers to (classes, machine and requirement names) is in a table of
    /// `names` names.
    fn check_names(&self, names: usize) -> Result<(), String> {
        let known = |sym: &Sym| (sym.0 as usize) < names;
        let classes = self.pegs.classes.iter().all(|class| known(&class.sym));
        let configs = self.groups.configs.list.iter().all(|group| {
            let hw = &group.key;
            known(&hw.region) && hw.gpu.iter().chain(hw.tee.iter()).all(known)
        });
        let signatures = self.groups.signatures.list.iter().all(|group| {
            let req = &group.key;
            req.gpu.iter().chain(req.regions.iter()).chain(req.tee.iter()).all(known)
        });
        match classes && configs && signatures {
            true => Ok(()),
            false => Err("the book names a symbol the name table does not hold".into()),
        }
    }
}

/// An engine's state copied for a snapshot ([`Engine::copy_for_snapshot`]); kept and reused
/// from one snapshot to the next.
#[derive(Debug, Default)]
pub struct EngineCopy {
    bounds: [u64; 7],
    now_ms: u64,
    deals: u64,
    names: Vec<Box<str>>,
    ids: IdsCopy,
    slab: Slab,
    groups: Groups,
    expiry: ExpiryQueue,
    pegs: Pegs,
}

impl EngineCopy {
    /// Appends the snapshot of the copied engine to `out`: byte for byte what
    /// [`Engine::write_snapshot`] wrote when the copy was taken.
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        let state = StateRef {
            bounds: self.bounds,
            now_ms: self.now_ms,
            deals: self.deals,
            names: &self.names,
            ids: &self.ids,
            slab: &self.slab,
            groups: &self.groups,
            expiry: &self.expiry,
            pegs: &self.pegs,
        };
        write_state(&state, out);
    }
}

fn write_state<I: Serialize>(state: &StateRef<'_, I>, out: &mut Vec<u8>) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    let written = postcard::to_extend(state, std::mem::take(out));
    *out = written.expect("postcard writes every type of the engine's state into a Vec");
}

/// The snapshot's capacities are `config`'s, and its tables fit them.
fn check_bounds(state: &State, config: &EngineConfig) -> Result<(), SnapshotError> {
    let configured = bounds_of(config);
    for (at, bound) in BOUNDS.into_iter().enumerate() {
        if state.bounds[at] != configured[at] {
            let (snapshot, configured) = (state.bounds[at], configured[at]);
            return Err(SnapshotError::Config { bound, snapshot, configured });
        }
    }
    let fits = state.slab.live() <= config.resting_max
        && state.ids.len() <= config.orders_max
        && state.ids.arena_len() <= config.id_bytes_max
        && state.groups.configs.list.len() <= config.configs_max
        && state.groups.signatures.list.len() <= config.signatures_max
        && state.pegs.classes.len() <= config.classes_max;
    match fits {
        true => Ok(()),
        false => Err(SnapshotError::Damaged("a table is beyond its configured capacity".into())),
    }
}

/// The engine of the parts read, each checked for ranges and its hash tables rebuilt; its
/// clock and deal count are the caller's to set.
fn rebuild(
    mut ids: IdRegistry,
    slab: Slab,
    mut groups: Groups,
    mut pegs: Pegs,
    expiry: ExpiryQueue,
    config: &EngineConfig,
) -> Result<Engine, String> {
    let slots = slab.slots();
    let sides = [groups.configs.list.len(), groups.signatures.list.len()];
    slab.check_restored(sides, pegs.entries_len(), ids.len())?;
    ids.restore_table(slots)?;
    groups.restore(pegs.floats.list.len(), slots, config.reserve_levels)?;
    pegs.restore_index(slots, sides)?;
    expiry.check_restored(&slab)?;
    let empty =
        Engine::new(EngineConfig { reserve_resting: 0, reserve_orders: 0, ..config.clone() });
    Ok(Engine { ids, slab, groups, expiry, pegs, config: config.clone(), ..empty })
}
