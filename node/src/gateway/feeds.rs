//! Market data over HTTP (docs/api.md, "Market data"): `GET /v1/depth`, `/v1/trades`,
//! `/v1/candles` and `/v1/tickers`, read from the feeds' state (never from the matching
//! thread), and the snapshots a WebSocket feed subscription starts with.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridbook_feeds::{json as feed_json, ChannelId, DepthKey, Feeds, Interval};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::AppState;
use crate::pipeline::feeds::{depth_name, FeedState};

/// Most levels per side in one REST answer.
pub const LEVELS_MAX: usize = 10_000;
/// Most trades in one answer (and in a subscription's first message: [`TRADES_SNAPSHOT`]).
pub const TRADES_MAX: usize = 1_000;
/// Trades a `trades` subscription starts with.
pub const TRADES_SNAPSHOT: usize = 100;
/// Candles a `candles` subscription starts with.
pub const CANDLES_SNAPSHOT: usize = 300;

fn bad(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("bad_query", detail, Some(field.into()))
}

/// The feeds, unless they stopped (`503 feeds_stopped`, saying why).
pub fn readable(state: &FeedState) -> Result<&Feeds, ApiError> {
    match &state.failed {
        Some(why) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "feeds_stopped",
            format!("the market-data feeds {why}"),
            None,
        )),
        None => Ok(&state.feeds),
    }
}

/// The class named `name`, or an error naming `field`.
pub fn class_of(
    feeds: &Feeds,
    name: &str,
    field: &str,
) -> Result<gridbook_pricing::ClassId, ApiError> {
    feeds.taxonomy().find(name).ok_or_else(|| {
        let known: Vec<&str> = feeds.taxonomy().classes().iter().map(|c| c.name.as_str()).collect();
        ApiError::bad_request(
            "unknown_class",
            format!("no class named `{name}`; the classes are {}", known.join(", ")),
            Some(field.into()),
        )
    })
}

/// A machine as a depth channel is named: the seven fields of an ask's `hw`, each checked,
/// written in the feeds' own form (so any key order names the same channel).
pub fn hw_name(hw: &Value) -> Result<Arc<str>, ApiError> {
    let bad_hw = |detail: &str| {
        ApiError::bad_request("bad_field", format!("hw: {detail}"), Some("hw".into()))
    };
    let Some(fields) = hw.as_object() else { return Err(bad_hw("a JSON object")) };
    let number = |key: &str| {
        fields
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| bad_hw(&format!("`{key}` is a count")))
    };
    let name = |key: &str, nullable: bool| match fields.get(key) {
        Some(Value::String(text)) => Ok(Value::from(text.as_str())),
        Some(Value::Null) if nullable => Ok(Value::Null),
        _ => Err(bad_hw(&format!("`{key}` is a name{}", if nullable { " or null" } else { "" }))),
    };
    const KEYS: [&str; 7] = ["cpu", "mem", "gpu", "gpus", "gpu_mem", "tee", "region"];
    if let Some(key) = fields.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(bad_hw(&format!("unknown field `{key}`")));
    }
    let normal = json!({
        "cpu": number("cpu")?,
        "mem": number("mem")?,
        "gpu": name("gpu", true)?,
        "gpus": number("gpus")?,
        "gpu_mem": number("gpu_mem")?,
        "tee": name("tee", true)?,
        "region": name("region", false)?,
    });
    Ok(format!("hw:{normal}").into())
}

/// The channel named `name`, if the feeds know it (a machine not yet offered is not known).
pub fn channel_named(feeds: &Feeds, name: &str) -> Option<ChannelId> {
    if let Some(class) = name.strip_prefix("class:") {
        let class = feeds.taxonomy().find(class)?;
        return Some(feeds.book().channel(DepthKey::Class(class)));
    }
    (0..feeds.book().configs().len() as u32)
        .map(|at| DepthKey::Config(gridbook_feeds::ConfigId(at)))
        .find(|&key| &*depth_name(feeds, key) == name)
        .map(|key| feeds.book().channel(key))
}

/// A depth snapshot of the channel `name` (empty at seq 0 if the feeds do not know it yet),
/// with at most `levels` per side.
pub fn depth_snapshot(feeds: &Feeds, name: &str, levels: usize) -> Map<String, Value> {
    if let Some(channel) = channel_named(feeds, name) {
        return feed_json::depth_snapshot(feeds, channel, levels);
    }
    let mut out = Map::new();
    match name.strip_prefix("hw:").map(serde_json::from_str::<Value>) {
        Some(Ok(hw)) => _ = out.insert("hw".into(), hw),
        _ => _ = out.insert("class".into(), name.trim_start_matches("class:").into()),
    }
    out.insert("seq".into(), 0.into());
    out.insert("ts".into(), feeds.now_ms().into());
    out.insert("asks".into(), json!([]));
    out.insert("bids".into(), json!([]));
    out.insert(
        "checksum".into(),
        gridbook_feeds::checksum(std::iter::empty(), std::iter::empty()).into(),
    );
    out
}

/// Trades after deal `after`, of `class` if given (`Some(None)`: of machines in no class is
/// not asked for; `None`: every trade), oldest first, at most `limit` (the newest of them).
pub fn trades_after(
    feeds: &Feeds,
    class: Option<gridbook_pricing::ClassId>,
    after: u64,
    limit: usize,
) -> Vec<Value> {
    let trades = feeds.tape().trades();
    let matching: Vec<&gridbook_feeds::Trade> = trades
        .iter()
        .filter(|t| t.deal > after && class.is_none_or(|c| t.class.map(|(k, _)| k) == Some(c)))
        .collect();
    let skip = matching.len().saturating_sub(limit);
    matching[skip..].iter().map(|trade| feed_json::trade_json(feeds, trade)).collect()
}

/// Every class's ticker that something happened to, in class order.
pub fn tickers(feeds: &Feeds) -> Vec<Value> {
    feeds.tickers().map(|ticker| feed_json::ticker_json(feeds, ticker)).collect()
}

/// Each class's newest reference point.
pub fn references(feeds: &Feeds) -> Vec<Value> {
    (0..feeds.taxonomy().len() as u32)
        .filter_map(|at| feeds.references(gridbook_pricing::ClassId(at)).back())
        .map(feed_json::reference_json)
        .collect()
}

/// `?class=NAME` or `?hw=JSON`, `?levels=N`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthQuery {
    class: Option<String>,
    hw: Option<String>,
    levels: Option<usize>,
}

/// `GET /v1/depth`.
pub async fn depth(
    State(state): State<Arc<AppState>>,
    query: Result<Query<DepthQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad("class", "query is `class` or `hw`, and `levels`").into_response();
    };
    let levels = match query.levels {
        None => LEVELS_MAX,
        Some(n) if (1..=LEVELS_MAX).contains(&n) => n,
        Some(_) => return bad("levels", format!("levels is 1 to {LEVELS_MAX}")).into_response(),
    };
    let feed_state = state.feeds.state.read();
    let feeds = match readable(&feed_state) {
        Ok(feeds) => feeds,
        Err(error) => return error.into_response(),
    };
    let name = match (query.class, query.hw) {
        (Some(class), None) => match class_of(feeds, &class, "class") {
            Ok(_) => format!("class:{class}").into(),
            Err(error) => return error.into_response(),
        },
        (None, Some(hw)) => match serde_json::from_str::<Value>(&hw).map_err(|e| e.to_string()) {
            Ok(hw) => match hw_name(&hw) {
                Ok(name) => name,
                Err(error) => return error.into_response(),
            },
            Err(error) => {
                return bad("hw", format!("hw is a JSON object: {error}")).into_response()
            }
        },
        (None, None) => return Json(channels(feeds)).into_response(),
        (Some(_), Some(_)) => return bad("hw", "either `class` or `hw`, not both").into_response(),
    };
    Json(Value::Object(depth_snapshot(feeds, &name, levels))).into_response()
}

/// The channels that have depth now.
fn channels(feeds: &Feeds) -> Value {
    let book = feeds.book();
    let classes: Vec<&str> = (0..feeds.taxonomy().len() as u32)
        .map(gridbook_pricing::ClassId)
        .filter(|&class| !book.depth(book.channel(DepthKey::Class(class))).is_empty())
        .map(|class| feeds.taxonomy().class(class).name.as_str())
        .collect();
    let reached = book.configs_with_depth();
    let configurations: Vec<Value> = book
        .configs()
        .iter()
        .zip(reached)
        .filter(|(_, reached)| *reached)
        .map(|(config, _)| feed_json::hw_json(&config.hw, feeds.symbols()))
        .collect();
    json!({"ts": feeds.now_ms(), "classes": classes, "configurations": configurations})
}

/// `?class=&after=&limit=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradesQuery {
    class: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
}

/// `GET /v1/trades`.
pub async fn trades(
    State(state): State<Arc<AppState>>,
    query: Result<Query<TradesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad("class", "query is `class`, `after` (a deal) and `limit`").into_response();
    };
    let limit = match query.limit {
        None => 100,
        Some(n) if (1..=TRADES_MAX).contains(&n) => n,
        Some(_) => return bad("limit", format!("limit is 1 to {TRADES_MAX}")).into_response(),
    };
    let feed_state = state.feeds.state.read();
    let answer = readable(&feed_state).and_then(|feeds| {
        let class =
            query.class.as_deref().map(|name| class_of(feeds, name, "class")).transpose()?;
        Ok(json!({"trades": trades_after(feeds, class, query.after.unwrap_or(0), limit)}))
    });
    match answer {
        Ok(value) => Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `?class=&interval=&from=&to=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandlesQuery {
    class: Option<String>,
    interval: Option<String>,
    from: Option<u64>,
    to: Option<u64>,
}

/// `GET /v1/candles`: the class's candles that start in `[from, to]`, oldest first, and the
/// reference points set in the same span (the series a chart overlays).
pub async fn candles(
    State(state): State<Arc<AppState>>,
    query: Result<Query<CandlesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad("class", "query is `class`, `interval`, `from` and `to`").into_response();
    };
    let Some(interval) = query.interval.as_deref().and_then(Interval::from_name) else {
        return bad("interval", "interval is 1m, 5m, 1h or 1d").into_response();
    };
    let (from_ms, to_ms) = (query.from.unwrap_or(0), query.to.unwrap_or(u64::MAX));
    let feed_state = state.feeds.state.read();
    let answer = readable(&feed_state).and_then(|feeds| {
        let name = query.class.as_deref().ok_or_else(|| bad("class", "class is required"))?;
        let class = class_of(feeds, name, "class")?;
        Ok(candles_json(feeds, class, interval, from_ms, to_ms, usize::MAX))
    });
    match answer {
        Ok(value) => Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `{"class","interval","candles":[…],"references":[…]}` for candles starting in
/// `[from_ms, to_ms]`, the newest `most`.
pub fn candles_json(
    feeds: &Feeds,
    class: gridbook_pricing::ClassId,
    interval: Interval,
    from_ms: u64,
    to_ms: u64,
    most: usize,
) -> Value {
    let series = feeds.candles(class).series(interval);
    let inside: Vec<_> =
        series.iter().filter(|c| (from_ms..=to_ms).contains(&c.start_ms)).collect();
    let skip = inside.len().saturating_sub(most);
    let first_ms = inside.get(skip).map_or(from_ms, |c| c.start_ms.max(from_ms));
    let references: Vec<Value> = feeds
        .references(class)
        .iter()
        .filter(|point| (first_ms..=to_ms).contains(&point.ts_ms))
        .map(feed_json::reference_json)
        .collect();
    json!({
        "class": feeds.taxonomy().class(class).name,
        "interval": interval.name(),
        "candles": inside[skip..].iter().map(|c| feed_json::candle_json(c)).collect::<Vec<_>>(),
        "references": references,
    })
}

/// `GET /v1/tickers`.
pub async fn tickers_route(State(state): State<Arc<AppState>>) -> Response {
    let feed_state = state.feeds.state.read();
    match readable(&feed_state) {
        Ok(feeds) => Json(json!({"ts": feeds.now_ms(), "tickers": tickers(feeds)})).into_response(),
        Err(error) => error.into_response(),
    }
}
