//! The CLI's questions, live: `GET /v1/price` (what a machine is worth), `POST /v1/quote`
//! (what a bid would get now) and `GET /v1/explain/{id}` (why an order has not traded). The
//! answers are `gridbook_pricing::answers`' structs — those `gridbook price`, `quote` and
//! `explain` print — made by the matching thread from the live engine.
//!
//! Each question is parsed and checked here, on a worker thread, with the decoder's own rules
//! on a throw-away name table; the matching thread then decodes it once more under the
//! market's names ([`Market::probe`]), which forgets every name the question brought: a GPU
//! or region the market has never seen matches nothing, and asking changes nothing.
//!
//! [`Market::probe`]: crate::pipeline::market::Market::probe

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::stream::{DecodeError, Decoder};
use gridbook_matcher::{Command, RejectReason};
use gridbook_pricing::answers::explain::{candidates, CandidateAnswer};
use gridbook_pricing::answers::{price, quote};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::commands::{check_statelessly, field_of};
use super::error::ApiError;
use super::reads::{ask_market, ask_market_mut};
use super::AppState;
use crate::pipeline::market::RECENT_DEALS_KEPT_MS;
use crate::pipeline::publisher::OrderStatus;

/// The provider a price is asked for when the query names none: nobody's bids are left out.
const NOBODY: &str = "0x0000000000000000000000000000000000000000";

/// Most candidates `GET /v1/explain/{id}` lists.
pub const NEAREST_MAX: usize = 100;

fn respond<T: Serialize>(answer: Result<T, ApiError>) -> Response {
    match answer {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// A probe the decoder refused, as a 400 about its field (`default_field` when the message
/// names none). The decoder checks the probe twice: on a throw-away name table at the gateway,
/// and under the market's names on the matching thread.
fn refused(error: &DecodeError, default_field: &str) -> ApiError {
    let field = match error.reason {
        RejectReason::BadOwner => Some("owner".to_owned()),
        _ => field_of(&error.detail).or_else(|| Some(default_field.to_owned())),
    };
    ApiError::bad_request(error.reason.code(), error.detail.clone(), field)
}

/// `?hw=JSON&from=MS&until=MS&owner=ADDRESS&window_ms=MS` of `GET /v1/price`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceQuery {
    hw: String,
    from: Option<u64>,
    until: Option<u64>,
    owner: Option<String>,
    window_ms: Option<u64>,
}

/// `GET /v1/price`.
pub async fn price(
    State(state): State<Arc<AppState>>,
    query: Result<Query<PriceQuery>, QueryRejection>,
) -> Response {
    respond(price_answer(&state, query).await)
}

async fn price_answer(
    state: &AppState,
    query: Result<Query<PriceQuery>, QueryRejection>,
) -> Result<price::PriceAnswer, ApiError> {
    let Ok(Query(query)) = query else {
        let detail = "query is `hw` (an ask's hw object as JSON), and optionally `from`, `until` (ms), `owner`, `window_ms`";
        return Err(ApiError::bad_request("bad_query", detail, None));
    };
    let hw: Value = serde_json::from_str(&query.hw).map_err(|error| {
        ApiError::bad_request("bad_hardware", format!("hw: {error}"), Some("hw".into()))
    })?;
    let window_ms = query.window_ms.unwrap_or(RECENT_DEALS_KEPT_MS);
    if window_ms == 0 || window_ms > RECENT_DEALS_KEPT_MS {
        let detail = format!("window_ms is 1 to {RECENT_DEALS_KEPT_MS}");
        return Err(ApiError::bad_request("bad_query", detail, Some("window_ms".into())));
    }
    let owner = query.owner.unwrap_or_else(|| NOBODY.to_owned());
    let until = query.until.unwrap_or(TIME_MS_MAX);
    let from = query.from;
    let window = move |now_ms: u64| {
        let from = from.unwrap_or(now_ms);
        match until > from {
            true => Ok((from, until)),
            false => Err(ApiError::bad_request(
                "bad_query",
                format!("until {until} must be after from {from}"),
                Some("until".into()),
            )),
        }
    };
    let line = price::probe_line(&hw, &owner, window(0)?, 0);
    Decoder::new().decode(line.as_bytes()).map_err(|error| refused(&error, "hw"))?;
    ask_market_mut(state, move |market| {
        let now_ms = market.priced().engine().now_ms();
        let line = price::probe_line(&hw, &owner, window(now_ms)?, now_ms);
        let answered = market.probe(line.as_bytes(), |priced, deals, command| {
            let Command::Ask(machine) = command else { unreachable!("a price probe is an ask") };
            price::price(priced, &machine, deals, window_ms).map_err(|no_class| {
                ApiError::bad_request("no_class", no_class.to_string(), Some("hw".into()))
            })
        });
        answered.map_err(|error| refused(&error, "hw"))?
    })
    .await?
}

/// `POST /v1/quote`: the body is one bid as `POST /v1/commands` takes it (without `ts`; a
/// `sig` is allowed and not checked: a quote changes nothing).
pub async fn quote(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(quote_answer(&state, body).await)
}

async fn quote_answer(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<quote::QuoteAnswer, ApiError> {
    let body = body.map_err(|r| ApiError::body(r, state.config.limits.body_bytes_max))?;
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request("malformed_json", error.to_string(), None))?;
    let Value::Object(fields) = &parsed else {
        return Err(ApiError::bad_request("bad_op", "the body is one bid object", None));
    };
    if fields.get("op").and_then(Value::as_str) != Some("bid") {
        let detail = "a quote is for a bid: \"op\":\"bid\"";
        return Err(ApiError::bad_request("bad_op", detail, Some("op".into())));
    }
    if fields.contains_key("ts") {
        let detail = "a quote is made at the node's time: leave out ts";
        return Err(ApiError::bad_request("bad_field", detail, Some("ts".into())));
    }
    let canonical = parsed.to_string();
    check_statelessly(&canonical)?;
    ask_market_mut(state, move |market| {
        let now_ms = market.priced().engine().now_ms();
        let line = format!("{{\"ts\":{now_ms},{}", &canonical[1..]);
        let answered = market.probe(line.as_bytes(), |priced, _, command| {
            let Command::Bid(bid) = command else { unreachable!("a quote's op was checked") };
            quote::quote(priced, &bid)
        });
        answered.map_err(|error| refused(&error, "req"))
    })
    .await?
}

/// `?nearest=N` of `GET /v1/explain/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainQuery {
    nearest: Option<usize>,
}

/// The answer of `GET /v1/explain/{id}`.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The order's status, as `GET /v1/orders/{id}` gives it.
    pub order: OrderStatus,
    /// Why it is in that state, in words.
    pub why: String,
    /// For a resting order: the resting orders of the other side nearest to trading with it
    /// now, and every rule that keeps each apart; empty otherwise.
    pub nearest: Vec<CandidateAnswer>,
    /// Engine time `nearest` was found at, ms (a resting order only).
    pub ts: Option<u64>,
}

/// `GET /v1/explain/{id}?nearest=N`.
pub async fn explain(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    query: Result<Query<ExplainQuery>, QueryRejection>,
) -> Response {
    respond(explanation(&state, id, query).await)
}

async fn explanation(
    state: &AppState,
    id: String,
    query: Result<Query<ExplainQuery>, QueryRejection>,
) -> Result<Explanation, ApiError> {
    let nearest = match query {
        Ok(Query(ExplainQuery { nearest: None })) => 5,
        Ok(Query(ExplainQuery { nearest: Some(n) })) if (1..=NEAREST_MAX).contains(&n) => n,
        _ => {
            let detail = format!("query is `nearest`, 1 to {NEAREST_MAX}");
            return Err(ApiError::bad_request("bad_query", detail, Some("nearest".into())));
        }
    };
    let order = state.published.read().order(&id).cloned().ok_or_else(|| {
        let kept = state.config.limits.orders_kept;
        let detail = format!("no ask or bid `{id}` among the {kept} most recent orders");
        ApiError::new(StatusCode::NOT_FOUND, "unknown_order", detail, None)
    })?;
    if order.state != "resting" {
        let why = why_not_resting(&order);
        return Ok(Explanation { order, why, nearest: Vec::new(), ts: None });
    }
    let (found, ts_ms) = ask_market(state, move |market| {
        let engine = market.priced().engine();
        let found = engine.explain_resting(&id, nearest).map(|c| candidates(engine, &c));
        (found, engine.now_ms())
    })
    .await?;
    let other = if order.side == "ask" { "bid" } else { "ask" };
    let (why, nearest) = match found {
        Some(nearest) => (
            format!("it rests: no resting {other} can trade with it now; `nearest` lists the {other}s nearest to it and every rule that keeps each apart"),
            nearest,
        ),
        // The engine runs ahead of the publisher: the order has just traded or left.
        None => ("it has just left the book; ask again for its new state".to_owned(), Vec::new()),
    };
    Ok(Explanation { order, why, nearest, ts: Some(ts_ms) })
}

/// Why an order that no longer rests (or never did) is where it is.
fn why_not_resting(order: &OrderStatus) -> String {
    let reason = order.reason.as_deref().unwrap_or("no reason given");
    match order.state {
        "filled" => "it traded its whole quantity; `order.fills` lists its deals".to_owned(),
        "cancelled" => format!(
            "it was cancelled ({reason}) after trading {} of {} slots",
            order.qty - order.remaining,
            order.qty
        ),
        "expired" => format!("it expired with {} of {} slots untraded", order.remaining, order.qty),
        "rejected" => format!("the engine rejected it ({reason}): it never rested"),
        other => format!("it is {other}"),
    }
}
