//! `GET /v1/book`: the market's depth, answered by the matching thread from the live engine —
//! per pricing class (prices per class unit, resting supply and demand in units) and per machine
//! configuration and requirement signature (prices per slot-hour, aggregated price levels).
//!
//! `?levels=N` (1 to 100, default 10) bounds the levels per group, so an answer's size is
//! bounded by the number of live groups, itself bounded by the engine's configuration.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridbook_feeds::json::hw_json;
use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Engine, Requirements, Symbols};
use gridbook_pricing::{BookSummary, ClassId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::reads::ask_market;
use super::AppState;

/// `?levels=N`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookQuery {
    levels: Option<usize>,
}

/// Most price levels per group in one answer.
pub const LEVELS_MAX: usize = 100;

/// `GET /v1/book`.
pub async fn book(
    State(state): State<Arc<AppState>>,
    query: Result<Query<BookQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let levels = match query {
        Ok(Query(BookQuery { levels: None })) => 10,
        Ok(Query(BookQuery { levels: Some(n) })) if (1..=LEVELS_MAX).contains(&n) => n,
        _ => {
            let detail = format!("query is `levels`, 1 to {LEVELS_MAX}");
            return ApiError::bad_request("bad_query", detail, Some("levels".into()))
                .into_response();
        }
    };
    let answer = ask_market(&state, move |market| {
        let priced = market.priced();
        let engine = priced.engine();
        let symbols = priced.symbols();
        let taxonomy = priced.taxonomy();
        let summary = BookSummary::from_engine(engine, taxonomy, symbols);
        let classes: Vec<Value> = taxonomy
            .classes()
            .iter()
            .enumerate()
            .filter_map(|(at, class)| {
                let book = summary.class(ClassId(at as u32))?;
                (book.supply_units() + book.demand_units() > 0).then(|| {
                    json!({
                        "class": class.name,
                        "unit": class.unit.as_str(),
                        "best_bid": book.best_bid_nano().map(format_nano),
                        "best_ask": book.best_ask_nano().map(format_nano),
                        "supply_units": book.supply_units(),
                        "demand_units": book.demand_units(),
                    })
                })
            })
            .collect();
        json!({
            "ts": engine.now_ms(),
            "classes": classes,
            "configurations": configurations(engine, symbols, levels),
            "signatures": signatures(engine, symbols, levels),
        })
    })
    .await;
    match answer {
        Ok(value) => Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

fn configurations(engine: &Engine, symbols: &Symbols, levels: usize) -> Vec<Value> {
    (0..engine.config_count() as u32)
        .filter_map(|config| {
            let asks = aggregate(engine.config_asks(config), levels);
            let hw = engine.config_hardware(config)?;
            (!asks.is_empty()).then(|| json!({"hw": hw_json(hw, symbols), "asks": asks}))
        })
        .collect()
}

fn signatures(engine: &Engine, symbols: &Symbols, levels: usize) -> Vec<Value> {
    (0..engine.signature_count() as u32)
        .filter_map(|signature| {
            let bids = aggregate(engine.signature_bids(signature), levels);
            let req = engine.signature_requirements(signature)?;
            (!bids.is_empty())
                .then(|| json!({"req": requirements_json(req, symbols), "bids": bids}))
        })
        .collect()
}

/// `(price, remaining)` in priority order → `[{"price","qty","orders"}]`, best first.
fn aggregate(orders: impl Iterator<Item = (u64, u64)>, levels: usize) -> Vec<Value> {
    let mut out: Vec<(u64, u64, u64)> = Vec::new();
    for (price_nano, qty) in orders {
        if let Some(level) = out.last_mut().filter(|level| level.0 == price_nano) {
            level.1 += qty;
            level.2 += 1;
        } else if out.len() == levels {
            break;
        } else {
            out.push((price_nano, qty, 1));
        }
    }
    out.into_iter()
        .map(|(price, qty, orders)| json!({"price": format_nano(price), "qty": qty, "orders": orders}))
        .collect()
}

fn requirements_json(req: &Requirements, symbols: &Symbols) -> Value {
    json!({
        "cpu": req.cpu,
        "mem": req.mem_gib,
        "gpu": req.gpu.iter().map(|s| symbols.name(*s)).collect::<Vec<_>>(),
        "gpus": req.gpus,
        "gpu_mem": req.gpu_mem_gib,
        "tee": req.tee.map(|s| symbols.name(s)),
        "regions": req.regions.iter().map(|s| symbols.name(*s)).collect::<Vec<_>>(),
    })
}
