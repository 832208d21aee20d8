//! Snapshots of a [`PricedEngine`]: the engine with its name table (the matcher's canonical
//! engine snapshot), the model's state (`PricingModel::save_state`, tagged with its name and
//! configuration) and the driver's own state — when the next book summary is due, each
//! accepted ask's class, each class's publication tape, the bid slots counted — as one byte
//! string that is a pure function of the commands applied, so a caller can hash it into a state
//! hash an offline replay of the same commands reproduces.
//!
//! ```text
//!   engine snapshot length (u64 LE) | engine snapshot | postcard(model state?, driver state)
//! ```
//!
//! Caches (the class cache, the book summary) and what is kept for the caller (price rows,
//! deals) are not state: they start empty. The taxonomy and options are the restoring
//! caller's (a node refuses a snapshot of another market before it gets here); the model's
//! name and configuration are checked by the model. Restoring checks what a step relies on: one
//! tape per class, every resting ask's class recorded and known, every class symbol in the name
//! table.
//!
//! [`PricedCopy`] is what a node's matching thread takes: a copy reused from snapshot to
//! snapshot, serialised later on another thread.

use gridbook_matcher::{Engine, EngineConfig, EngineCopy, Side, SnapshotError};

use super::{PricedEngine, PricedOptions, PricingState, NO_CLASS};
use crate::book::BookSummary;
use crate::model::PricingModel;
use crate::model_state::ModelStateError;
use crate::prepare::ClassCache;
use crate::taxonomy::Taxonomy;

/// Why snapshot bytes could not become a priced engine.
#[derive(Debug, thiserror::Error)]
pub enum PricedSnapshotError {
    /// The bytes end early or do not decode.
    #[error("priced snapshot does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// The engine's part is refused.
    #[error(transparent)]
    Engine(#[from] SnapshotError),
    /// The model's part is refused.
    #[error(transparent)]
    Model(#[from] ModelStateError),
    /// A snapshot with a model restored without one, or the other way round.
    #[error("the snapshot {0} a pricing model and the restoring engine {1}")]
    Priced(&'static str, &'static str),
    /// The driver's part does not fit the engine or the taxonomy.
    #[error("priced snapshot damaged: {0}")]
    Damaged(String),
}

/// A priced engine's state copied for a snapshot ([`PricedEngine::copy_for_snapshot`]); kept
/// and reused from one snapshot to the next.
#[derive(Debug, Default)]
pub struct PricedCopy {
    engine: EngineCopy,
    model: Option<Vec<u8>>,
    state: PricingState,
}

impl PricedCopy {
    /// Appends the snapshot of the copied engine to `out`: byte for byte what
    /// [`PricedEngine::write_snapshot`] wrote when the copy was taken.
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        write_parts(|out| self.engine.write_snapshot(out), self.model.as_deref(), &self.state, out);
    }
}

fn write_parts(
    engine: impl FnOnce(&mut Vec<u8>),
    model: Option<&[u8]>,
    state: &PricingState,
    out: &mut Vec<u8>,
) {
    let length_at = out.len();
    out.extend_from_slice(&0u64.to_le_bytes());
    engine(out);
    let engine_len = (out.len() - length_at - 8) as u64;
    out[length_at..length_at + 8].copy_from_slice(&engine_len.to_le_bytes());
    let written = postcard::to_extend(&(model, state), std::mem::take(out));
    *out = written.expect("postcard writes the model's bytes and the driver's numbers");
}

impl PricedEngine {
    /// Appends this engine's snapshot to `out` (module docs).
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        let model = self.model.as_deref().map(|model| {
            let mut bytes = Vec::new();
            model.save_state(&mut bytes);
            bytes
        });
        let engine = |out: &mut Vec<u8>| self.engine.write_snapshot(&self.symbols, out);
        write_parts(engine, model.as_deref(), &self.state, out);
    }

    /// Makes `copy` hold this engine's state, reusing its allocations: the node's matching
    /// thread's part of a snapshot (the model's state, a few bytes per class, is serialised
    /// here; the book is only copied).
    pub fn copy_for_snapshot(&self, copy: &mut PricedCopy) {
        self.engine.copy_for_snapshot(&self.symbols, &mut copy.engine);
        copy.model = self.model.as_deref().map(|model| {
            let mut bytes = copy.model.take().unwrap_or_default();
            bytes.clear();
            model.save_state(&mut bytes);
            bytes
        });
        let (state, from) = (&mut copy.state, &self.state);
        state.next_book_ms = from.next_book_ms;
        state.order_class.clone_from(&from.order_class);
        state.tapes.clone_from(&from.tapes);
        state.bid_slots_accepted = from.bid_slots_accepted;
    }

    /// The priced engine `bytes` ([`PricedEngine::write_snapshot`]) describe, under
    /// `taxonomy` and `options`, with `model` (fresh, of the snapshot's name and configuration:
    /// it takes the saved state) or none; `config` must carry the snapshot's capacities.
    pub fn restore_snapshot(
        bytes: &[u8],
        config: EngineConfig,
        taxonomy: Taxonomy,
        mut model: Option<Box<dyn PricingModel>>,
        options: PricedOptions,
    ) -> Result<PricedEngine, PricedSnapshotError> {
        let (length, rest) = bytes.split_first_chunk::<8>().ok_or(SnapshotError::NotASnapshot)?;
        let length = usize::try_from(u64::from_le_bytes(*length)).unwrap_or(usize::MAX);
        if length > rest.len() {
            return Err(SnapshotError::NotASnapshot.into());
        }
        let (engine, rest) = rest.split_at(length);
        let (engine, symbols) = Engine::restore_snapshot(engine, config)?;
        let ((saved_model, state), rest) =
            postcard::take_from_bytes::<(Option<Vec<u8>>, PricingState)>(rest)?;
        if !rest.is_empty() {
            return Err(PricedSnapshotError::Damaged(format!("{} bytes follow", rest.len())));
        }
        match (saved_model, model.as_deref_mut()) {
            (Some(saved), Some(model)) => model.restore_state(&saved)?,
            (None, None) => {}
            (Some(_), None) => return Err(PricedSnapshotError::Priced("has", "has none")),
            (None, Some(_)) => return Err(PricedSnapshotError::Priced("has no", "has one")),
        }
        check_state(&state, &engine, &taxonomy, symbols.len(), model.is_some())
            .map_err(PricedSnapshotError::Damaged)?;
        let mut priced = PricedEngine::new(EngineConfig::default(), taxonomy, model, options);
        (priced.engine, priced.symbols, priced.state) = (engine, symbols, state);
        (priced.summary, priced.classes) = (BookSummary::default(), ClassCache::default());
        Ok(priced)
    }
}

/// The driver's state fits `engine` (with a name table of `names` names) and `taxonomy`; under
/// a model (`priced`), every resting ask's class is recorded (the plain engine records none).
fn check_state(
    state: &PricingState,
    engine: &Engine,
    taxonomy: &Taxonomy,
    names: usize,
    priced: bool,
) -> Result<(), String> {
    if state.tapes.len() != taxonomy.len() {
        return Err(format!("{} class tapes for {} classes", state.tapes.len(), taxonomy.len()));
    }
    if state.tapes.iter().any(|tape| tape.sym.is_some_and(|sym| sym.0 as usize >= names)) {
        return Err("a class tape names a symbol the name table does not hold".into());
    }
    let known = |class: u32| class == NO_CLASS || (class as usize) < taxonomy.len();
    if !state.order_class.iter().all(|&(class, _)| known(class)) {
        return Err("an ask is recorded under a class the taxonomy does not have".into());
    }
    if !priced {
        return Ok(());
    }
    // A deal's ask is the incoming one (recorded as it is accepted) or a resting one.
    let resting_asks = engine.snapshot().into_iter().filter(|view| view.side == Side::Ask);
    match resting_asks.map(|view| view.order.0 as usize).all(|at| at < state.order_class.len()) {
        true => Ok(()),
        false => Err("a resting ask's class is not recorded".into()),
    }
}
