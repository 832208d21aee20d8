//! Who sent a journaled command, checked from the journal line alone: an auditor's view of
//! the promise that a node's journal proves who sent what (docs/api.md, "Sessions").
//!
//! A client's line carries either `sig` — the owner's signature over the command — or
//! `session` — the owner's signed `Session{owner, expires, nonce}` the command was sent on,
//! which must still have been running at the line's `ts`.

use alloy_primitives::Address;
use serde_json::{Map, Value};

use super::types::Session;
use super::{check_signer, parse_signature, AuthError, Domain};

/// Why a journal line does not prove its sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The signature or the session does not check out.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The line carries neither `sig` nor `session`.
    #[error("neither `sig` nor `session`")]
    Missing,
    /// The line was stamped after its session ended.
    #[error("ts {ts} is not before the session's expiry {expires}")]
    AfterExpiry {
        /// The line's `ts`.
        ts: u64,
        /// The session's `expires`.
        expires: u64,
    },
}

impl Domain {
    /// The owner who sent journal line `line` (a parsed ask, bid or cancel, `ts` included).
    pub fn verify_line(&self, line: &Map<String, Value>) -> Result<Address, ProofError> {
        let Some(Value::Object(session)) = line.get("session") else {
            if line.get("sig").is_none_or(Value::is_null) {
                return Err(ProofError::Missing);
            }
            let mut command = line.clone();
            command.remove("ts");
            return Ok(self.verify_command(&command)?);
        };
        let field = |detail: &str| AuthError::Field {
            field: "session".to_owned(),
            detail: detail.to_owned(),
        };
        let owner: Address = line
            .get("owner")
            .and_then(Value::as_str)
            .and_then(|o| o.parse().ok())
            .ok_or_else(|| field("the line has no owner"))?;
        let expires = session.get("expires").and_then(Value::as_u64);
        let nonce = session.get("nonce").and_then(Value::as_str);
        let sig = session.get("sig").and_then(Value::as_str);
        let (Some(expires), Some(nonce), Some(sig)) = (expires, nonce, sig) else {
            return Err(field("a session proof is {expires, nonce, sig}").into());
        };
        let signed = Session { owner, expires, nonce: nonce.to_owned() };
        check_signer(&parse_signature(sig)?, &self.session_signing_hash(&signed), owner)?;
        let ts = line.get("ts").and_then(Value::as_u64).unwrap_or(u64::MAX);
        if ts >= expires {
            return Err(ProofError::AfterExpiry { ts, expires });
        }
        Ok(owner)
    }
}
