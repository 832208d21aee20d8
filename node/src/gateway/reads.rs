//! The read-only routes: the event log, order status, references, health, the EIP-712 types,
//! the OpenAPI document and the metrics.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::AppState;

/// `?after=SEQ&limit=N` of `GET /v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events with a `seq` above this (0: from the oldest kept).
    #[serde(default)]
    after: u64,
    /// At most this many (default and maximum 10,000).
    limit: Option<usize>,
}

/// Most events one `GET /v1/events` returns.
pub const EVENTS_PAGE_MAX: usize = 10_000;

/// `GET /v1/events?after=SEQ&limit=N`: events in order, as JSON Lines-in-an-array.
pub async fn events(
    State(state): State<Arc<AppState>>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        let detail = "query is `after` (an event seq) and `limit` (1 to 10000)";
        return ApiError::bad_request("bad_query", detail, None).into_response();
    };
    let limit = query.limit.unwrap_or(EVENTS_PAGE_MAX);
    if limit == 0 || limit > EVENTS_PAGE_MAX {
        let detail = format!("limit is 1 to {EVENTS_PAGE_MAX}");
        return ApiError::bad_request("bad_query", detail, Some("limit".into())).into_response();
    }
    let page = state.published.read().events_after(query.after, limit);
    match page {
        Ok(events) => {
            let parts: Vec<&str> = events.iter().map(|e| &*e.json).collect();
            let last = events.last().map_or(query.after, |e| e.seq);
            let body = format!("{{\"events\":[{}],\"last\":{last}}}", parts.join(","));
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(oldest) => ApiError::new(
            StatusCode::GONE,
            "events_forgotten",
            format!("events before seq {oldest} are no longer kept in memory; replay the journal (gridbook journal export) to catch up"),
            Some("after".into()),
        )
        .into_response(),
    }
}

/// `GET /v1/orders/{id}`.
pub async fn order(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match state.published.read().order(&id) {
        Some(status) => Json(status.clone()).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_order",
            format!("no order `{id}` among the {} most recent", state.config.limits.orders_kept),
            None,
        )
        .into_response(),
    }
}

/// `GET /v1/references`: every class's reference as the model has it and as the engine last
/// got it (pegged orders follow the latter).
pub async fn references(State(state): State<Arc<AppState>>) -> Response {
    let answer = ask_market(&state, |market| {
        let priced = market.priced();
        let taxonomy = priced.taxonomy();
        let symbols = priced.symbols();
        let engine = priced.engine();
        let classes: Vec<Value> = taxonomy
            .classes()
            .iter()
            .enumerate()
            .map(|(at, class)| {
                let id = gridbook_pricing::ClassId(at as u32);
                let model = market.model().reference_nano(id);
                let published = symbols.get(&class.name).and_then(|sym| engine.reference_nano(sym));
                json!({
                    "class": class.name,
                    "unit": class.unit.as_str(),
                    "reference": published.map(gridbook_matcher::money::format_nano),
                    "model": model.map(gridbook_matcher::money::format_nano),
                })
            })
            .collect();
        json!({"ts": engine.now_ms(), "model": market.model().name(), "classes": classes})
    })
    .await;
    match answer {
        Ok(value) => Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Asks the matching thread a read-only question and waits for its answer.
pub async fn ask_market<T: Send + 'static>(
    state: &AppState,
    question: impl FnOnce(&crate::pipeline::market::Market) -> T + Send + 'static,
) -> Result<T, ApiError> {
    ask_market_mut(state, move |market| question(market)).await
}

/// [`ask_market`] for a question that probes the market ([`Market::probe`]): the only kind
/// that may take it `&mut`, to decode under the market's names and forget them.
///
/// [`Market::probe`]: crate::pipeline::market::Market::probe
pub async fn ask_market_mut<T: Send + 'static>(
    state: &AppState,
    question: impl FnOnce(&mut crate::pipeline::market::Market) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let query: crate::pipeline::matching::Query = Box::new(move |market| {
        let _ = reply.send(question(market));
    });
    state.queries.try_send(query).map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many questions waiting",
            None,
        )
        .retry_after(1)
    })?;
    answer.await.map_err(|_| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", "the node is stopping", None)
    })
}

/// `GET /v1/health`: `ok` (200), or `stopping` with the reason (503); with the newest known
/// state hash and the seq it is after.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let (seq, event_seq) = {
        let published = state.published.read();
        (published.last_seq, published.last_event_seq())
    };
    let state_hash = state.metrics.snapshots.state_hash().map(
        |(seq, hash)| json!({"seq": seq, "hash": alloy_primitives::hex::encode_prefixed(hash)}),
    );
    match state.stop.cause() {
        None => Json(json!({"status": "ok", "seq": seq, "event_seq": event_seq,
            "state_hash": state_hash}))
        .into_response(),
        Some(cause) => {
            let body = json!({"status": "stopping", "reason": cause.describe(), "seq": seq,
                "event_seq": event_seq, "state_hash": state_hash});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// `GET /v1/eip712`: the domain and the types to sign commands with.
pub async fn eip712(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.domain.describe())
}

/// The OpenAPI 3.1 document of every route.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// `GET /v1/openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// `GET /metrics`, Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let resting = ask_market(&state, |market| market.priced().engine().resting()).await.ok();
    let text = state.metrics.render(&state, resting);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route; see /v1/openapi.json", None)
}
