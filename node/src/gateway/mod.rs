//! The gateway: HTTP/1.1 and WebSocket (axum on tokio) in front of the pipeline. Requests are
//! parsed, checked and their signatures verified on tokio's worker threads; the matching thread
//! sees only journaled lines and read-only queries.

pub mod book;
pub mod commands;
pub mod dashboard;
pub mod error;
pub mod feeds;
pub mod limits;
pub mod listener;
pub mod open_orders;
pub mod questions;
pub mod reads;
pub mod sessions;
pub mod stop;
pub mod unsigned;
pub mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use crossbeam_channel::Sender;
use parking_lot::RwLock;

use crate::auth::Domain;
use crate::config::NodeConfig;
use crate::metrics::NodeMetrics;
use crate::pipeline::matching::Query;
use crate::pipeline::publisher::{Published, PublishedEvent};
use crate::pipeline::Item;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The configuration the node runs with.
    pub config: Arc<NodeConfig>,
    /// The EIP-712 domain signatures are checked under.
    pub domain: Domain,
    /// To the sequencer.
    pub inbound: Sender<Item>,
    /// To the matching thread.
    pub queries: Sender<Query>,
    /// Commands admitted and not yet answered.
    pub in_flight: Arc<AtomicUsize>,
    /// The publisher's state.
    pub published: Arc<RwLock<Published>>,
    /// The live event stream.
    pub live: tokio::sync::broadcast::Sender<Arc<Vec<PublishedEvent>>>,
    /// The market-data feeds.
    pub feeds: crate::pipeline::feeds::NodeFeeds,
    /// Requests per client address.
    pub ip_limits: limits::Buckets<IpAddr>,
    /// Commands per owner.
    pub owner_limits: limits::Buckets<String>,
    /// Asks and bids on their way, for the open-orders limit.
    pub orders_in_flight: Arc<open_orders::OrdersInFlight>,
    /// Open sessions.
    pub sessions: sessions::Sessions,
    /// Counters for `/metrics`.
    pub metrics: Arc<NodeMetrics>,
    /// The node's stop, and its open WebSockets.
    pub stop: Arc<stop::Stop>,
}

/// Every route of the API (docs/api.md; the OpenAPI document at `/v1/openapi.json`), and the
/// dashboard's page and files.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.limits.body_bytes_max;
    Router::new()
        .route("/v1/commands", post(commands::post_commands))
        .route("/v1/sessions", post(sessions::post_sessions))
        .route("/v1/ws", get(ws::upgrade))
        .route("/v1/events", get(reads::events))
        .route("/v1/orders/{id}", get(reads::order))
        .route("/v1/references", get(reads::references))
        .route("/v1/book", get(book::book))
        .route("/v1/depth", get(feeds::depth))
        .route("/v1/trades", get(feeds::trades))
        .route("/v1/candles", get(feeds::candles))
        .route("/v1/tickers", get(feeds::tickers_route))
        .route("/v1/price", get(questions::price))
        .route("/v1/quote", post(questions::quote))
        .route("/v1/explain/{id}", get(questions::explain))
        .route("/v1/health", get(reads::health))
        .route("/v1/eip712", get(reads::eip712))
        .route("/v1/openapi.json", get(reads::openapi))
        .route("/metrics", get(reads::metrics))
        .route("/", get(dashboard::index))
        .route("/static/{*path}", get(dashboard::file))
        .fallback(reads::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The address a test or the demo reaches the node at.
pub fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
