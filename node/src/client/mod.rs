//! Clients of a node's API, for the load generator (`gridbook load`), the demo crowd
//! (`gridbook serve --demo`) and the tests:
//!
//! - [`keys`] — deterministic accounts: the key of simulated account `i` is
//!   `keccak256(seed ‖ i)`.
//! - [`commands`] — the market generator's commands as a client sends them: owned by those
//!   accounts, without `ts`, signed (EIP-712) as any wallet would sign them.
//! - [`http`] — `POST /v1/commands` and the read routes over HTTP/1.1.
//! - [`open_loop`] — requests released at fixed times and timed from those times.
//! - [`ws`] — the WebSocket protocol; [`open_session`] opens a session over HTTP.

pub mod commands;
pub mod http;
pub mod keys;
pub mod open_loop;
pub mod open_loop_ws;
pub mod ws;

use alloy_primitives::{Address, Signature, B256};
use serde_json::{json, Value};

use crate::auth::types::Session;
use crate::auth::Domain;

/// A client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    Ws(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    /// The HTTP request failed.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The node answered with an error.
    #[error("the node refused ({status}): {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error body (`{"error", "detail", "field"}`).
        body: String,
    },
    /// The node sent something this client cannot read.
    #[error("unexpected frame: {0}")]
    Protocol(String),
}

/// An open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The bearer token (`?token=` of `/v1/ws`).
    pub token: String,
    /// Whose commands it carries.
    pub owner: Address,
    /// When it ends, ms since the Unix epoch.
    pub expires_ms: u64,
}

/// The body of `POST /v1/sessions` for `owner`, signed with `sign` (which signs a 32-byte hash
/// with the owner's key, e.g. alloy's `SignerSync::sign_hash_sync`).
pub fn session_request(
    domain: &Domain,
    owner: Address,
    expires_ms: u64,
    nonce: &str,
    sign: impl FnOnce(&B256) -> Signature,
) -> Value {
    let session = Session { owner, expires: expires_ms, nonce: nonce.to_owned() };
    let signature = sign(&domain.session_signing_hash(&session));
    json!({
        "owner": owner.to_checksum(None),
        "expires": expires_ms,
        "nonce": nonce,
        "sig": format!("0x{}", hex(&signature.as_bytes())),
    })
}

/// [`session_request`] signed with a local key (the load generator's and the demo's accounts).
pub fn signed_session_request(
    domain: &Domain,
    signer: &alloy_signer_local::PrivateKeySigner,
    expires_ms: u64,
    nonce: &str,
) -> Value {
    use alloy_signer::SignerSync;
    session_request(domain, signer.address(), expires_ms, nonce, |hash| {
        signer.sign_hash_sync(hash).expect("a local key signs any 32-byte hash")
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /v1/sessions` on the node at `base` (`http://host:port`) with a signed request.
pub async fn open_session(base: &str, request: &Value) -> Result<SessionToken, ClientError> {
    let url = format!("{}/v1/sessions", base.trim_end_matches('/'));
    let response = reqwest::Client::new().post(url).json(request).send().await?;
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        return Err(ClientError::Refused { status: status.as_u16(), body });
    }
    let answer: Value =
        serde_json::from_str(&body).map_err(|_| ClientError::Protocol(body.clone()))?;
    let token = answer["token"].as_str().map(str::to_owned);
    let owner = answer["owner"].as_str().and_then(|o| o.parse().ok());
    let expires_ms = answer["expires"].as_u64();
    match (token, owner, expires_ms) {
        (Some(token), Some(owner), Some(expires_ms)) => {
            Ok(SessionToken { token, owner, expires_ms })
        }
        _ => Err(ClientError::Protocol(body)),
    }
}
