//! `GET /v1/ws`: pipelined order entry and event subscriptions over one WebSocket
//! (docs/api.md, "WebSocket").
//!
//! - [`protocol`] — the frames, in and out.
//! - [`connection`] — one connection's tasks: reader, answerer, writer.
//! - [`subscription`] — one subscription: catch-up from the log, then the live broadcast.
//! - [`link`] — what a connection's tasks share, and the bounds on what they queue.
//!
//! A WebSocket opened with a session token (`?token=` or `Authorization: Bearer`) sends that
//! owner's commands without signatures (gateway::sessions); one opened without sends signed
//! commands exactly as `POST /v1/commands` takes them.

pub mod connection;
pub mod feed_subscription;
pub mod link;
pub mod protocol;
pub mod subscription;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::commands::take_ip_token;
use super::error::ApiError;
use super::listener::Peer;
use super::sessions::{now_ms, Grant};
use super::AppState;

/// The query of `GET /v1/ws`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsQuery {
    /// A session token from `POST /v1/sessions`.
    token: Option<String>,
}

/// `GET /v1/ws`: checks the session (if any), then upgrades.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    query: Result<Query<WsQuery>, QueryRejection>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let session = match accept(&state, &peer, query, &headers) {
        Ok(session) => session,
        Err(error) => {
            state.metrics.refused(&error.code);
            return error.into_response();
        }
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            let detail = format!("{} (connect with a WebSocket client)", rejection.body_text());
            return ApiError::new(rejection.status(), "not_a_websocket", detail, None)
                .into_response();
        }
    };
    let frame_bytes_max = state.config.limits.body_bytes_max;
    upgrade.max_message_size(frame_bytes_max).max_frame_size(frame_bytes_max).on_upgrade(
        move |socket| async move {
            peer.mark_upgraded();
            connection::run(socket, state, session, peer).await;
        },
    )
}

/// The rate limit, and the session of the token if one is given.
fn accept(
    state: &AppState,
    peer: &Peer,
    query: Result<Query<WsQuery>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Option<Arc<Grant>>, ApiError> {
    take_ip_token(state, peer)?;
    let Ok(Query(query)) = query else {
        let detail = "the query is `token` (from POST /v1/sessions) or nothing";
        return Err(ApiError::bad_request("bad_query", detail, None));
    };
    let bearer = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer "));
            let token = token.ok_or_else(|| {
                let detail = "Authorization is `Bearer TOKEN` with a session token";
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_authorization", detail, None)
            })?;
            Some(token.trim().to_owned())
        }
    };
    match query.token.or(bearer) {
        Some(token) => state.sessions.get(&token, now_ms()).map(Some),
        None => Ok(None),
    }
}
