//! Sessions: `POST /v1/sessions` with an owner's signed `Session{owner, expires, nonce}` returns
//! a token; a WebSocket opened with it sends that owner's commands without a signature each.
//!
//! What the journal records (docs/api.md, "Sessions"): a session's command is journaled with the
//! session's own signed request in place of `sig` —
//! `"session":{"expires":…,"nonce":"…","sig":"0x…"}` — so every journal line still proves on
//! its own who sent it: the signature recovers to the command's `owner` over
//! `Session{owner, expires, nonce}`, and the line's `ts` lies before `expires`. Tokens are
//! bearer secrets kept only in memory: a restart forgets them (clients open a new session).
//!
//! A signed session request is good for one session: its `(owner, nonce)` is spent when the
//! session opens and stays spent until it expires — also across restarts, since recovery reads
//! the spent pairs back from the journal's session proofs. So a session request copied out of
//! an exported journal opens nothing. The table of sessions is bounded (`limits.sessions_max`):
//! expired entries are dropped first, and if every entry is still live a newcomer is refused.

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::Address;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::listener::Peer;
use super::AppState;

/// A session's commands are refused from this long before its `expires`, so that the `ts` the
/// sequencer stamps on them, a moment after the check, still lies before `expires`.
pub const EXPIRY_MARGIN_MS: u64 = 1_000;
/// Longest `nonce`, bytes (it is journaled with every command of the session).
pub const NONCE_BYTES_MAX: usize = 64;

/// An open session.
#[derive(Debug)]
pub struct Grant {
    /// Whose commands the session carries.
    pub owner: Address,
    /// When it ends, ms since the Unix epoch.
    pub expires_ms: u64,
    /// `{"expires","nonce","sig"}`: what a command of this session is journaled with.
    pub proof: Value,
    /// `proof` written out once, for the path that writes journal bodies as text
    /// (`gateway::unsigned`).
    pub proof_json: String,
}

impl Grant {
    /// `Err` once the session is too close to its end to accept another command.
    pub fn check_live(&self, now_ms: u64) -> Result<(), ApiError> {
        if now_ms + EXPIRY_MARGIN_MS >= self.expires_ms {
            return Err(expired(self.expires_ms));
        }
        Ok(())
    }
}

fn expired(expires_ms: u64) -> ApiError {
    let detail =
        format!("the session expired at {expires_ms} (ms since the epoch); open a new one");
    ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", detail, None)
}

#[derive(Debug, Default)]
struct Table {
    by_token: HashMap<String, Arc<Grant>>,
    /// Every `(owner, nonce)` spent and not yet expired, with its `expires`.
    spent: HashMap<(Address, String), u64>,
}

/// The node's sessions; see the module docs.
#[derive(Debug)]
pub struct Sessions {
    sessions_max: usize,
    lifetime_max_ms: u64,
    table: Mutex<Table>,
}

impl Sessions {
    /// At most `sessions_max` sessions, none longer than `lifetime_max_ms`.
    pub fn new(sessions_max: usize, lifetime_max_ms: u64) -> Sessions {
        Sessions { sessions_max, lifetime_max_ms, table: Mutex::default() }
    }

    /// The session of `token`, if it is known and live at `now_ms`.
    pub fn get(&self, token: &str, now_ms: u64) -> Result<Arc<Grant>, ApiError> {
        let grant = self.table.lock().by_token.get(token).cloned().ok_or_else(|| {
            let detail = "no such session (sessions do not survive a restart); open one with POST /v1/sessions";
            ApiError::new(StatusCode::UNAUTHORIZED, "unknown_session", detail, None)
        })?;
        grant.check_live(now_ms)?;
        Ok(grant)
    }

    /// Opens a session whose signed request has been verified; returns its token.
    pub fn open(
        &self,
        owner: Address,
        expires_ms: u64,
        nonce: &str,
        sig: &str,
        now_ms: u64,
    ) -> Result<(String, Arc<Grant>), ApiError> {
        if expires_ms <= now_ms + EXPIRY_MARGIN_MS {
            return Err(expired(expires_ms));
        }
        if expires_ms > now_ms.saturating_add(self.lifetime_max_ms) {
            let detail = format!(
                "a session lasts at most {} ms (limits.session_lifetime_max_ms)",
                self.lifetime_max_ms
            );
            return Err(ApiError::bad_request("bad_field", detail, Some("expires".into())));
        }
        let mut table = self.table.lock();
        let key = (owner, nonce.to_owned());
        if table.spent.contains_key(&key) {
            let detail = "this signed session request was used already; sign one with a new nonce";
            return Err(ApiError::new(StatusCode::CONFLICT, "session_reused", detail, None));
        }
        if table.spent.len() >= self.sessions_max {
            table.forget_expired(now_ms);
        }
        if table.spent.len() >= self.sessions_max {
            let soonest = table.spent.values().min().copied().unwrap_or(now_ms);
            let detail =
                format!("the node holds {} live sessions (limits.sessions_max)", self.sessions_max);
            let wait_s = soonest.saturating_sub(now_ms).div_ceil(1_000);
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sessions_full",
                detail,
                None,
            )
            .retry_after(wait_s));
        }
        let token = new_token()?;
        let proof = json!({"expires": expires_ms, "nonce": nonce, "sig": sig});
        let proof_json = proof.to_string();
        let grant = Arc::new(Grant { owner, expires_ms, proof, proof_json });
        table.spent.insert(key, expires_ms);
        table.by_token.insert(token.clone(), grant.clone());
        Ok((token, grant))
    }

    /// Marks the session proof of a journal line as spent (recovery; see the module docs).
    pub fn recover_line(&self, line: &str, now_ms: u64) {
        // Most lines carry no session: skip them without parsing.
        if !line.contains("\"session\":{") {
            return;
        }
        let Ok(Value::Object(command)) = serde_json::from_str::<Value>(line) else { return };
        let owner = command.get("owner").and_then(Value::as_str).and_then(|o| o.parse().ok());
        let proof = command.get("session");
        let expires = proof.and_then(|p| p.get("expires")).and_then(Value::as_u64);
        let nonce = proof.and_then(|p| p.get("nonce")).and_then(Value::as_str);
        let (Some(owner), Some(expires), Some(nonce)) = (owner, expires, nonce) else { return };
        let mut table = self.table.lock();
        if expires > now_ms && table.spent.len() < self.sessions_max {
            table.spent.insert((owner, nonce.to_owned()), expires);
        }
    }
}

impl Table {
    fn forget_expired(&mut self, now_ms: u64) {
        self.spent.retain(|_, expires| *expires > now_ms);
        self.by_token.retain(|_, grant| grant.expires_ms > now_ms);
    }
}

/// 128 random bits, hex: unguessable, and nothing else (it names no owner).
fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| {
        let detail = format!("the operating system's random source failed: {error}");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_randomness", detail, None)
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Milliseconds since the Unix epoch, by the wall clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis().min(u128::from(u64::MAX)) as u64)
}

/// `POST /v1/sessions`.
pub async fn post_sessions(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match open_session(&state, &peer, body) {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => {
            state.metrics.refused(&error.code);
            error.into_response()
        }
    }
}

fn open_session(
    state: &AppState,
    peer: &Peer,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    super::commands::take_ip_token(state, peer)?;
    let body = body.map_err(|r| ApiError::body(r, state.config.limits.body_bytes_max))?;
    let request: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return Err(ApiError::bad_request("malformed_json", "a JSON object", None)),
        Err(error) => return Err(ApiError::bad_request("malformed_json", error.to_string(), None)),
    };
    for key in request.keys() {
        if !["owner", "expires", "nonce", "sig"].contains(&key.as_str()) {
            let detail = format!("unknown field `{key}` (owner, expires, nonce, sig)");
            return Err(ApiError::bad_request("unknown_field", detail, Some(key.clone())));
        }
    }
    for key in ["owner", "expires", "nonce"] {
        if request.get(key).is_none_or(Value::is_null) {
            let detail = format!("`{key}` is required");
            return Err(ApiError::bad_request("missing_field", detail, Some(key.into())));
        }
    }
    let session = state.domain.verify_session(&request).map_err(super::commands::auth_error)?;
    if session.nonce.is_empty() || session.nonce.len() > NONCE_BYTES_MAX {
        let detail = format!("a nonce is 1 to {NONCE_BYTES_MAX} bytes");
        return Err(ApiError::bad_request("bad_field", detail, Some("nonce".into())));
    }
    let sig = request.get("sig").and_then(Value::as_str).expect("verify_session read `sig`");
    let (token, grant) =
        state.sessions.open(session.owner, session.expires, &session.nonce, sig, now_ms())?;
    Ok(json!({
        "token": token,
        "owner": grant.owner.to_checksum(None),
        "expires": grant.expires_ms,
    }))
}
