//! The wire form of a command line: serde structs that mirror docs/order-stream.md exactly.
//!
//! Both directions use these types, so what [`super::encode_command`] writes is by construction
//! what [`super::Decoder`] reads. Unknown fields are refused everywhere; optional fields are
//! only `expires` and the pair `price`/`limit` or `peg` (exactly one of the two, which the
//! decoder checks); `tee` must be present even when null.

use serde::{Deserialize, Deserializer, Serialize};

/// A field that must be present but may be `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireHardware {
    pub(crate) cpu: u32,
    pub(crate) mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) gpu: Option<String>,
    pub(crate) gpus: u32,
    pub(crate) gpu_mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) tee: Option<String>,
    pub(crate) region: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireRequirements {
    pub(crate) cpu: u32,
    pub(crate) mem: u32,
    pub(crate) gpu: Vec<String>,
    pub(crate) gpus: u32,
    pub(crate) gpu_mem: u32,
    #[serde(deserialize_with = "nullable")]
    pub(crate) tee: Option<String>,
    pub(crate) regions: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WireTif {
    Gtc,
    Ioc,
    Fok,
    Post,
}

/// A peg: `{"class":"gpu.a100-80gb","offset":"-0.05","limit":"2.00"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WirePeg {
    pub(crate) class: String,
    pub(crate) offset: String,
    pub(crate) limit: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireAsk {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: String,
    pub(crate) id: String,
    pub(crate) owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peg: Option<WirePeg>,
    pub(crate) qty: u64,
    pub(crate) tif: WireTif,
    pub(crate) hw: WireHardware,
    pub(crate) from: u64,
    pub(crate) until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<u64>,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<String>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireBid {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: String,
    pub(crate) id: String,
    pub(crate) owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) peg: Option<WirePeg>,
    pub(crate) qty: u64,
    pub(crate) tif: WireTif,
    pub(crate) req: WireRequirements,
    pub(crate) duration: u64,
    pub(crate) not_before: u64,
    pub(crate) deadline: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<u64>,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<String>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireCancel {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: String,
    pub(crate) id: String,
    pub(crate) owner: String,
    /// The owner's EIP-712 signature, as a node journals it (docs/api.md); carried, never
    /// checked here: the node verifies it before the command is journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sig: Option<String>,
    /// The owner's signed session, which a node journals in place of `sig` for a command
    /// sent on a session (docs/api.md); carried, never checked here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<WireSession>,
}

/// A session's signed request, `Session{owner, expires, nonce}` with the command's `owner`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireSession {
    pub(crate) expires: u64,
    pub(crate) nonce: String,
    pub(crate) sig: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireTick {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireReference {
    pub(crate) ts: u64,
    /// Checked before this struct is read (see [`WireOp`]); kept so the field is not unknown.
    pub(crate) op: String,
    pub(crate) class: String,
    pub(crate) price: String,
}

/// The first pass over a line: only its `op`, every other value skipped unparsed. Deserializing
/// the right struct directly afterwards is several times faster than serde's internally tagged
/// enums, which buffer every field into an intermediate tree first.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOp<'a> {
    #[serde(borrow)]
    pub(crate) op: std::borrow::Cow<'a, str>,
}

/// What can still be read from a line that failed to decode, to name it in the rejection.
#[derive(Debug, Deserialize)]
pub(crate) struct WireIdOnly {
    #[serde(default)]
    pub(crate) id: Option<serde_json::Value>,
}
