//! Saving and restoring a model's state ([`crate::PricingModel::save_state`],
//! [`crate::PricingModel::restore_state`]): the state travels with the model's name and
//! configuration, so state saved under one model or one configuration is refused by another.
//!
//! The bytes are postcard, canonical as the engine's snapshot is (engine/snapshot.rs in the
//! matcher): the same history gives the same bytes, and restored state saves to the bytes it
//! was read from. Restoring never panics on damaged bytes; each model checks what its
//! arithmetic relies on (sums that match their terms, times that do not run backwards, weights
//! within their cap) before taking the state.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why saved model state could not be restored.
#[derive(Debug, Error)]
pub enum ModelStateError {
    /// The state was saved by another model.
    #[error("saved state is of pricing model `{saved}`, this model is `{model}`")]
    Model {
        /// The model that saved it.
        saved: String,
        /// The model restoring it.
        model: &'static str,
    },
    /// The state was saved under another configuration of the same model.
    #[error("saved state of pricing model `{model}` was taken under another configuration")]
    Config {
        /// The model.
        model: &'static str,
    },
    /// The bytes end early or do not decode.
    #[error("saved model state does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// Bytes follow the state's end.
    #[error("{0} bytes follow the saved model state")]
    Trailing(usize),
    /// The bytes decode to state the model could never reach.
    #[error("saved state of pricing model `{model}` is damaged: {detail}")]
    Damaged {
        /// The model.
        model: &'static str,
        /// What is wrong.
        detail: String,
    },
}

#[derive(Serialize)]
struct SavedRef<'a, C, S> {
    model: &'a str,
    config: &'a C,
    state: &'a S,
}

#[derive(Deserialize)]
struct Saved<C, S> {
    config: C,
    state: S,
}

/// Appends `model`'s `state`, saved under `config`, to `out`.
pub(crate) fn save<C: Serialize, S: Serialize>(
    model: &str,
    config: &C,
    state: &S,
    out: &mut Vec<u8>,
) {
    let saved = SavedRef { model, config, state };
    let written = postcard::to_extend(&saved, std::mem::take(out));
    *out = written.expect("postcard writes a model's integers and vectors into a Vec");
}

/// The state `bytes` hold, if `model` saved it under `config`; `check` says whether the
/// model could have reached it.
pub(crate) fn restore<C, S>(
    model: &'static str,
    config: &C,
    bytes: &[u8],
    check: impl FnOnce(&S) -> Result<(), String>,
) -> Result<S, ModelStateError>
where
    C: DeserializeOwned + PartialEq,
    S: DeserializeOwned,
{
    // The name first: another model's configuration and state have other types.
    let (saved_model, rest) = postcard::take_from_bytes::<String>(bytes)?;
    if saved_model != model {
        return Err(ModelStateError::Model { saved: saved_model, model });
    }
    let (saved, rest) = postcard::take_from_bytes::<Saved<C, S>>(rest)?;
    if !rest.is_empty() {
        return Err(ModelStateError::Trailing(rest.len()));
    }
    if saved.config != *config {
        return Err(ModelStateError::Config { model });
    }
    check(&saved.state).map_err(|detail| ModelStateError::Damaged { model, detail })?;
    Ok(saved.state)
}
