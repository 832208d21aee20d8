//! Who sent a command: EIP-712 signatures by the command's `owner`.
//!
//! Every ask, bid and cancel a client sends carries `"sig"`: a 65-byte signature (hex) over the
//! command's typed message ([`message`]) under the node's [`Domain`]. The domain binds the
//! signature to one deployment (chain id and settlement contract), and since ids are never
//! reused, a signed command cannot be replayed. Verification is pure CPU work and runs on the
//! gateway's worker threads, never on the matching thread.

mod message;
pub mod proof;
pub mod types;

use alloy_primitives::{Address, Signature, B256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde_json::{json, Map, Value};

pub use message::{message_of, session_of, SignedMessage};
pub use proof::ProofError;
use types::Session;

/// Why a command's signature was refused. Each maps to the API error code of [`AuthError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The command has no `sig`.
    #[error(
        "missing `sig`: every ask, bid and cancel must be signed by its owner (GET /v1/eip712)"
    )]
    MissingSignature,
    /// `sig` is not a 65-byte hex signature.
    #[error("field `sig`: {0}")]
    MalformedSignature(String),
    /// The signature is valid but by another account than the owner (or over other fields,
    /// another chain or another deployment, which recovers to an unrelated account).
    #[error("signed by {recovered}, not by the owner {owner} (or over other fields or another deployment)")]
    WrongSigner {
        /// The command's owner.
        owner: Address,
        /// The account the signature recovers to.
        recovered: Address,
    },
    /// A field cannot be part of a typed message as sent.
    #[error("field `{field}`: {detail}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        detail: String,
    },
}

impl AuthError {
    /// The API's error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingSignature => "missing_signature",
            AuthError::MalformedSignature(_) | AuthError::WrongSigner { .. } => "bad_signature",
            AuthError::Field { .. } => "bad_field",
        }
    }

    /// The field the refusal is about.
    pub fn field(&self) -> &str {
        match self {
            AuthError::MissingSignature
            | AuthError::MalformedSignature(_)
            | AuthError::WrongSigner { .. } => "sig",
            AuthError::Field { field, .. } => field,
        }
    }
}

/// The EIP-712 domain of one node: `{name: "gridbook", version: "1", chainId,
/// verifyingContract}` of its settlement deployment.
#[derive(Debug, Clone)]
pub struct Domain {
    chain_id: u64,
    verifying_contract: Address,
    domain: Eip712Domain,
}

impl Domain {
    /// The domain of the deployment `verifying_contract` on chain `chain_id`.
    pub fn new(chain_id: u64, verifying_contract: Address) -> Domain {
        let domain = alloy_sol_types::eip712_domain! {
            name: "gridbook",
            version: "1",
            chain_id: chain_id,
            verifying_contract: verifying_contract,
        };
        Domain { chain_id, verifying_contract, domain }
    }

    /// The body of `GET /v1/eip712`: the domain and every type, so any wallet or library can
    /// sign without reading gridbook's code.
    pub fn describe(&self) -> Value {
        json!({
            "domain": {
                "name": "gridbook",
                "version": "1",
                "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract.to_checksum(None),
            },
            "messages": types::messages_json(),
        })
    }

    /// The hash a client signs for `message`.
    pub fn signing_hash(&self, message: &SignedMessage) -> B256 {
        match message {
            SignedMessage::Ask(ask) => ask.eip712_signing_hash(&self.domain),
            SignedMessage::Bid(bid) => bid.eip712_signing_hash(&self.domain),
            SignedMessage::Cancel(cancel) => cancel.eip712_signing_hash(&self.domain),
        }
    }

    /// Checks that `command` (a client's command object, `sig` included) is signed by its owner;
    /// returns the owner.
    pub fn verify_command(&self, command: &Map<String, Value>) -> Result<Address, AuthError> {
        let message = message_of(command)?;
        let signature = signature_field(command)?;
        let owner = message.owner();
        check_signer(&signature, &self.signing_hash(&message), owner)?;
        Ok(owner)
    }

    /// The hash an owner signs to open `session`.
    pub fn session_signing_hash(&self, session: &Session) -> B256 {
        session.eip712_signing_hash(&self.domain)
    }

    /// Checks a session request (`{"owner","expires","nonce","sig"}`); returns the session.
    pub fn verify_session(&self, request: &Map<String, Value>) -> Result<Session, AuthError> {
        let session = session_of(request)?;
        let signature = signature_field(request)?;
        check_signer(&signature, &self.session_signing_hash(&session), session.owner)?;
        Ok(session)
    }
}

fn signature_field(object: &Map<String, Value>) -> Result<Signature, AuthError> {
    let text = match object.get("sig") {
        None | Some(Value::Null) => return Err(AuthError::MissingSignature),
        Some(Value::String(text)) => text,
        Some(_) => return Err(AuthError::MalformedSignature("must be a hex string".to_owned())),
    };
    parse_signature(text)
}

/// A 65-byte signature as `0x` + 130 hex digits (`r ‖ s ‖ v`, v 27/28 or 0/1).
fn parse_signature(text: &str) -> Result<Signature, AuthError> {
    let malformed = |detail: &str| AuthError::MalformedSignature(detail.to_owned());
    let hex = text.strip_prefix("0x").ok_or_else(|| malformed("must start with 0x"))?;
    if hex.len() != 130 {
        return Err(malformed("must be 65 bytes (0x and 130 hex digits)"));
    }
    let mut bytes = [0u8; 65];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| malformed("must be hex digits"))?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| malformed("must be hex digits"))?;
    }
    let signature =
        Signature::from_raw_array(&bytes).map_err(|error| malformed(&error.to_string()))?;
    // EIP-2: a high-s signature is the mirror of a valid one; refusing it keeps one signature
    // per command, so an idempotent retry is recognised by its bytes.
    if signature.normalize_s().is_some() {
        return Err(malformed("s is in the upper half of the curve order (EIP-2)"));
    }
    Ok(signature)
}

fn check_signer(signature: &Signature, hash: &B256, owner: Address) -> Result<(), AuthError> {
    let recovered = signature
        .recover_address_from_prehash(hash)
        .map_err(|error| AuthError::MalformedSignature(error.to_string()))?;
    if recovered != owner {
        return Err(AuthError::WrongSigner { owner, recovered });
    }
    Ok(())
}
