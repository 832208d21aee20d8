//! `POST /v1/commands`: one command object, or an array of them, each checked statelessly and
//! its signature verified here — on the gateway's workers — before anything is sequenced. A
//! request with any bad command is refused whole (4xx, the element named as `[i].field`) and
//! journals nothing; a good one is answered once every command is durable and applied.
//!
//! The WebSocket (`gateway::ws`) checks and submits its commands with the same [`prepare_as`]
//! and [`enqueue`], so both doors apply the same rules.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridbook_matcher::stream::Decoder;
use serde_json::value::RawValue;
use serde_json::Value;

use super::error::ApiError;
use super::limits::Refusal;
use super::listener::Peer;
use super::open_orders::Reservation;
use super::sessions::{now_ms, Grant};
use super::stop::StopCause;
use super::AppState;
use crate::auth::AuthError;
use crate::config::AuthMode;
use crate::pipeline::publisher::body_hash;
use crate::pipeline::{Admission, Item, Outcome, Submission};

/// A command checked and ready to submit (without its reply channel yet).
#[derive(Debug)]
pub struct Prepared {
    body: String,
    key: (String, String),
    owner: String,
}

impl Prepared {
    /// A command whose journal `body` (without `ts`) passed every stateless check, with its
    /// `(op, id)` and its owner in lower case.
    pub(super) fn new(body: String, key: (String, String), owner: String) -> Prepared {
        Prepared { body, key, owner }
    }
}

/// Checks one command given as the client's bytes of one JSON object (valid JSON already):
/// the one-parse path when it applies (`gateway::unsigned`), else [`prepare_as`].
pub fn prepare_raw(
    state: &AppState,
    raw: &RawValue,
    session: Option<&Grant>,
) -> Result<Prepared, ApiError> {
    if let Some(prepared) = super::unsigned::prepare(state, raw.get(), session) {
        return prepared;
    }
    let command: Value = serde_json::from_str(raw.get())
        .map_err(|error| ApiError::bad_request("malformed_json", error.to_string(), None))?;
    prepare_as(state, command, session)
}

/// A request body or frame's commands, each kept as the client's bytes: one object, or an
/// array of them. `None` when it is not that (the general parse then says exactly why).
pub fn split_raw(json: &str) -> Option<(Vec<&RawValue>, bool)> {
    if json.trim_start().starts_with('[') {
        let commands: Vec<&RawValue> = serde_json::from_str(json).ok()?;
        let objects = commands.iter().all(|c| c.get().starts_with('{'));
        objects.then_some((commands, true))
    } else {
        let command: &RawValue = serde_json::from_str(json).ok()?;
        command.get().starts_with('{').then_some((vec![command], false))
    }
}

/// Checks one command object as a client sent it; see the module docs.
pub fn prepare(state: &AppState, command: Value) -> Result<Prepared, ApiError> {
    prepare_as(state, command, None)
}

/// Checks one command object sent on a connection with `session` (or none). A session's
/// command must name the session's owner; without a `sig` of its own it is journaled with the
/// session's signed request instead (gateway::sessions).
pub fn prepare_as(
    state: &AppState,
    command: Value,
    session: Option<&Grant>,
) -> Result<Prepared, ApiError> {
    let Value::Object(mut object) = command else {
        return Err(ApiError::bad_request("malformed_json", "a command is a JSON object", None));
    };
    if object.contains_key("ts") {
        let detail = "the node stamps each command's time; send it without `ts`";
        return Err(ApiError::bad_request("bad_field", detail, Some("ts".to_owned())));
    }
    let op = match object.get("op") {
        Some(Value::String(op)) if ["ask", "bid", "cancel"].contains(&op.as_str()) => op.clone(),
        Some(Value::String(op)) => {
            let detail = format!("`{op}` cannot be sent to a node (ask, bid or cancel)");
            return Err(ApiError::bad_request("bad_op", detail, Some("op".to_owned())));
        }
        _ => {
            return Err(ApiError::bad_request(
                "missing_field",
                "`op` is required",
                Some("op".to_owned()),
            ))
        }
    };
    if object.contains_key("session") {
        let detail = "`session` is the node's to add (open a session with POST /v1/sessions)";
        return Err(ApiError::bad_request("bad_field", detail, Some("session".to_owned())));
    }
    let signed = object.get("sig").is_some_and(|sig| !sig.is_null());
    if let Some(session) = session {
        check_session_owner(&object, session)?;
        if !signed {
            session.check_live(now_ms())?;
            object.insert("session".to_owned(), session.proof.clone());
        }
    }
    if state.config.auth == AuthMode::Sig && (session.is_none() || signed) {
        state.domain.verify_command(&object).map_err(auth_error)?;
    }
    let body = serde_json::to_string(&object).expect("a JSON map serialises");
    check_statelessly(&body)?;
    let id = match object.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => String::new(),
    };
    let owner = match object.get("owner") {
        Some(Value::String(owner)) => owner.to_ascii_lowercase(),
        _ => String::new(),
    };
    Ok(Prepared { body, key: (op, id), owner })
}

/// A session carries its owner's commands only.
fn check_session_owner(
    object: &serde_json::Map<String, Value>,
    session: &Grant,
) -> Result<(), ApiError> {
    let owner = object.get("owner").and_then(Value::as_str).and_then(|o| o.parse().ok());
    if owner == Some(session.owner) {
        return Ok(());
    }
    let detail = format!(
        "this connection's session is for {}; a command must name it as its owner",
        session.owner.to_checksum(None)
    );
    Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_owner", detail, Some("owner".to_owned())))
}

/// A refused signature as the API answers it.
pub fn auth_error(error: AuthError) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        error.code(),
        error.to_string(),
        Some(error.field().to_owned()),
    )
}

/// Takes one request's token from the client address's bucket.
pub fn take_ip_token(state: &AppState, peer: &Peer) -> Result<(), ApiError> {
    state.ip_limits.take(&peer.addr.ip(), 1).map_err(|refusal| {
        rate_refusal(refusal, "too many requests from this address".into(), None, "limits.ip_burst")
    })
}

/// A refused token-bucket take as the API answers it: `429` with `Retry-After` when waiting
/// helps, `413 over_burst` naming `limit_key` when the request costs more than the whole burst.
fn rate_refusal(
    refusal: Refusal,
    detail: String,
    field: Option<String>,
    limit_key: &str,
) -> ApiError {
    match refusal {
        Refusal::Wait { seconds } => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail, field)
                .retry_after(seconds)
        }
        Refusal::OverBurst { burst } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "over_burst",
            format!("{detail}: this request costs more than {limit_key} ({burst}), so no wait would let it through; send it in smaller parts"),
            field,
        ),
    }
}

/// Everything the decoder checks without the engine's state (fields, types, exact decimals,
/// owners, names), on a throw-away decoder so the node's name table never sees a bad command.
pub(crate) fn check_statelessly(body: &str) -> Result<(), ApiError> {
    let line = format!("{{\"ts\":0,{}", &body[1..]);
    match Decoder::new().decode(line.as_bytes()) {
        Ok(_) => Ok(()),
        Err(error) => {
            let field = field_of(&error.detail);
            Err(ApiError::bad_request(error.reason.code(), error.detail, field))
        }
    }
}

/// The field a decoder message is about: `price: …` names it first; serde's messages name it
/// in backticks (``unknown field `prise` ``, ``missing field `qty` ``).
pub(crate) fn field_of(detail: &str) -> Option<String> {
    for prefix in ["unknown field `", "missing field `"] {
        if let Some(rest) = detail.strip_prefix(prefix) {
            return rest.split_once('`').map(|(field, _)| field.to_owned());
        }
    }
    let (field, _) = detail.split_once(':')?;
    (!field.is_empty()
        && field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
    .then(|| field.to_owned())
}

/// `POST /v1/commands`.
pub async fn post_commands(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match handle(&state, &peer, body).await {
        Ok(response) => response,
        Err(error) => {
            state.metrics.refused(&error.code);
            error.into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    peer: &Peer,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    take_ip_token(state, peer)?;
    let body = body.map_err(|r| ApiError::body(r, state.config.limits.body_bytes_max))?;
    let (prepared, batch) = match std::str::from_utf8(&body).ok().and_then(split_raw) {
        Some((commands, batch)) => {
            check_batch_len(state, commands.len())?;
            prepare_each(commands, batch, |command| prepare_raw(state, command, None))?
        }
        None => {
            let parsed: Value = serde_json::from_slice(&body).map_err(|error| {
                ApiError::bad_request("malformed_json", error.to_string(), None)
            })?;
            let (commands, batch) = match parsed {
                Value::Array(commands) => (commands, true),
                single => (vec![single], false),
            };
            check_batch_len(state, commands.len())?;
            prepare_each(commands, batch, |command| prepare(state, command))?
        }
    };
    let outcomes = submit(state, prepared).await?;
    let json = if batch {
        let parts: Vec<String> = outcomes.iter().map(|o| o.to_json()).collect();
        format!("[{}]", parts.join(","))
    } else {
        outcomes[0].to_json()
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Refuses an empty batch or one over `limits.batch_max`.
pub fn check_batch_len(state: &AppState, len: usize) -> Result<(), ApiError> {
    let batch_max = state.config.limits.batch_max;
    if len == 0 || len > batch_max {
        let detail = format!("a batch holds 1 to {batch_max} commands, got {len}");
        return Err(ApiError::bad_request("bad_batch", detail, None));
    }
    Ok(())
}

/// Prepares every command of a request in order; the first refused refuses the request, named
/// by its place in a batch.
pub fn prepare_each<C>(
    commands: Vec<C>,
    batch: bool,
    mut prepare_one: impl FnMut(C) -> Result<Prepared, ApiError>,
) -> Result<(Vec<Prepared>, bool), ApiError> {
    let mut prepared = Vec::with_capacity(commands.len());
    for (index, command) in commands.into_iter().enumerate() {
        let checked = prepare_one(command);
        prepared.push(if batch { checked.map_err(|e| e.in_batch(index)) } else { checked }?);
    }
    Ok((prepared, batch))
}

/// Submits checked commands in order and waits for their outcomes.
pub async fn submit(
    state: &AppState,
    prepared: Vec<Prepared>,
) -> Result<Vec<Arc<Outcome>>, ApiError> {
    enqueue(state, prepared)?.outcomes().await
}

/// Commands handed to the sequencer, in order, whose outcomes are still to come.
#[derive(Debug)]
pub struct Enqueued {
    answers: Vec<tokio::sync::oneshot::Receiver<Arc<Outcome>>>,
    /// Held until the outcomes are in: the orders count as in flight until then.
    _reservation: Reservation,
}

impl Enqueued {
    /// Waits for every outcome, in the order the commands were given.
    pub async fn outcomes(self) -> Result<Vec<Arc<Outcome>>, ApiError> {
        let mut outcomes = Vec::with_capacity(self.answers.len());
        for answer in self.answers {
            outcomes.push(answer.await.map_err(|_| stopping())?);
        }
        Ok(outcomes)
    }
}

/// Hands checked commands to the sequencer in order, without waiting for them: after the
/// per-owner rate limit, the open-orders limit and the pipeline's admission bound, or refused
/// whole with nothing sequenced.
pub fn enqueue(state: &AppState, prepared: Vec<Prepared>) -> Result<Enqueued, ApiError> {
    if let Some(cause) = state.stop.cause() {
        return Err(stopping_because(&cause));
    }
    let costs = owner_costs(&prepared);
    for &OwnerCost { owner, commands, .. } in &costs {
        state.owner_limits.take(&owner.to_owned(), commands).map_err(|refusal| {
            let detail = format!("too many commands from owner {owner}");
            rate_refusal(refusal, detail, Some("owner".to_owned()), "limits.owner_burst")
        })?;
    }
    let orders = costs
        .iter()
        .filter(|cost| cost.orders > 0)
        .map(|cost| (cost.owner.to_owned(), cost.orders))
        .collect();
    let reservation = state.orders_in_flight.reserve(
        &state.published,
        state.config.limits.open_orders_per_owner,
        orders,
    )?;
    let count = prepared.len();
    let admissions =
        Admission::take(&state.in_flight, count, state.config.limits.inbound_queue_max)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "the node's inbound queue is full",
                    None,
                )
                .retry_after(1)
            })?;
    let mut answers = Vec::with_capacity(count);
    for (Prepared { body, key, .. }, admitted) in prepared.into_iter().zip(admissions) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let body_hash = body_hash(&body);
        let item = Item::Client(Submission { body, key, body_hash, reply, admitted });
        // Admission above keeps the queue below its capacity; a closed queue means stopping.
        state.inbound.try_send(item).map_err(|_| stopping())?;
        answers.push(answer);
    }
    Ok(Enqueued { answers, _reservation: reservation })
}

/// What one owner's commands in a batch cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OwnerCost<'a> {
    owner: &'a str,
    /// Commands, for the per-owner rate limit.
    commands: u32,
    /// Asks and bids (not cancels), for the open-orders limit.
    orders: usize,
}

/// Each owner of a batch with its costs, in one sort: a batch of a thousand commands from as
/// many owners must not cost a million comparisons.
fn owner_costs(prepared: &[Prepared]) -> Vec<OwnerCost<'_>> {
    let mut owners: Vec<(&str, bool)> =
        prepared.iter().map(|p| (p.owner.as_str(), p.key.0 != "cancel")).collect();
    owners.sort_unstable_by_key(|(owner, _)| *owner);
    let mut costs: Vec<OwnerCost<'_>> = Vec::new();
    for (owner, is_order) in owners {
        match costs.last_mut() {
            Some(last) if last.owner == owner => {
                last.commands += 1;
                last.orders += usize::from(is_order);
            }
            _ => costs.push(OwnerCost { owner, commands: 1, orders: usize::from(is_order) }),
        }
    }
    costs
}

/// Refused because the node is stopping (before anything of it was sequenced).
fn stopping_because(cause: &StopCause) -> ApiError {
    let detail = format!("{}; nothing of this request was journaled", cause.describe());
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", detail, None).retry_after(1)
}

fn stopping() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "stopping",
        "the node is stopping; the outcome is unknown — resend the same body, retries are idempotent",
        None,
    )
    .retry_after(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent_by(owner: &str, op: &str) -> Prepared {
        Prepared { body: String::new(), key: (op.into(), String::new()), owner: owner.into() }
    }

    #[test]
    fn each_owner_is_charged_its_commands_and_its_orders_in_the_batch() {
        let batch = [
            sent_by("0xb", "ask"),
            sent_by("0xa", "bid"),
            sent_by("0xb", "cancel"),
            sent_by("0xc", "cancel"),
            sent_by("0xb", "bid"),
        ];
        let cost = |owner, commands, orders| OwnerCost { owner, commands, orders };
        assert_eq!(owner_costs(&batch), [cost("0xa", 1, 1), cost("0xb", 3, 2), cost("0xc", 1, 0)]);
        assert!(owner_costs(&[]).is_empty());
    }
}
