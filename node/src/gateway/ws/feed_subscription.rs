//! One market-data subscription of a WebSocket: a snapshot (or, resuming, the missed
//! updates), then the live frames of its topic — no gap, no duplicate between the two.
//!
//! The publisher follows a group under the feeds' write lock and broadcasts its frames after
//! releasing it. A subscription joins the broadcast *before* it reads its snapshot under the
//! read lock, so a frame it missed in the snapshot comes on the broadcast, and frames of
//! commands the snapshot already holds are skipped by their command seq (`cursor`).
//!
//! It never makes the publisher wait: when it falls behind the broadcast's bounded buffer, it
//! sends `{"type":"resync"}` and a fresh snapshot, rather than queueing without bound; what it
//! queues for the connection is bounded by the connection's frame queue.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::sync::broadcast::error::RecvError;

use super::link::Link;
use super::protocol::FeedSub;
use crate::gateway::feeds::{
    candles_json, channel_named, depth_snapshot, references, tickers, trades_after,
    CANDLES_SNAPSHOT, LEVELS_MAX, TRADES_SNAPSHOT,
};
use crate::pipeline::feeds::{FeedState, NodeFeeds, Topic};

/// The frame naming `sub`'s channel with `type` and `body`'s fields.
fn frame(sub: &FeedSub, kind: &str, body: Map<String, Value>) -> String {
    let mut out = format!("{{\"channel\":{},\"type\":\"{kind}\"", sub.fields);
    for (key, value) in body {
        if key == "class" || key == "hw" || key == "interval" {
            continue;
        }
        out.push(',');
        out.push_str(&Value::from(key).to_string());
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push('}');
    out
}

/// `sub`'s snapshot frame now.
fn snapshot(state: &FeedState, sub: &FeedSub) -> String {
    let feeds = &state.feeds;
    let body = match &sub.topic {
        Topic::Depth(name) => depth_snapshot(feeds, name, LEVELS_MAX),
        Topic::Trades(_) => {
            let class = sub.class.as_deref().and_then(|name| feeds.taxonomy().find(name));
            let trades = trades_after(feeds, class, 0, TRADES_SNAPSHOT);
            Map::from_iter([("trades".to_owned(), Value::from(trades))])
        }
        Topic::Candles(class, interval) => {
            let class = feeds.taxonomy().find(class).expect("checked when subscribing");
            let value = candles_json(feeds, class, *interval, 0, u64::MAX, CANDLES_SNAPSHOT);
            let Value::Object(body) = value else { unreachable!("candles_json writes an object") };
            body
        }
        Topic::Tickers => Map::from_iter([("tickers".to_owned(), Value::from(tickers(feeds)))]),
        Topic::References => {
            Map::from_iter([("references".to_owned(), Value::from(references(feeds)))])
        }
    };
    frame(sub, "snapshot", body)
}

/// Resuming: the frames `sub` missed after `after` (a depth seq, or a deal), if the node still
/// has them all; `None` if it does not (a snapshot is sent instead).
fn missed(state: &FeedState, sub: &FeedSub, after: u64) -> Option<Vec<String>> {
    let feeds = &state.feeds;
    match &sub.topic {
        Topic::Depth(name) => {
            let now = channel_named(feeds, name).map_or(0, |c| feeds.book().depth(c).seq());
            if after > now {
                return None;
            }
            let frames: Vec<String> = state
                .log
                .iter()
                .filter(|f| f.topic == sub.topic && f.depth_seq > after)
                .map(|f| f.json.to_string())
                .collect();
            // All of them, or none: a forgotten update would be a gap.
            (frames.len() as u64 == now - after).then_some(frames)
        }
        Topic::Trades(_) => {
            let oldest = feeds.tape().trades().front().map_or(after + 1, |t| t.deal);
            if oldest > after + 1 {
                return None;
            }
            let class = sub.class.as_deref().and_then(|name| feeds.taxonomy().find(name));
            let trades = trades_after(feeds, class, after, usize::MAX);
            let frames = trades.into_iter();
            Some(
                frames
                    .map(|t| format!("{{\"channel\":\"trades\",\"type\":\"trade\",\"trade\":{t}}}"))
                    .collect(),
            )
        }
        _ => None,
    }
}

fn one(key: &str, value: Value) -> Map<String, Value> {
    Map::from_iter([(key.to_owned(), value)])
}

/// Sends what the subscription starts with; the command seq it is at, or `None` if the
/// connection is gone.
async fn start(link: &Link, feeds: &NodeFeeds, sub: &FeedSub, after: Option<u64>) -> Option<u64> {
    let (frames, cursor) = {
        let state = feeds.state.read();
        let frames = match after.map(|after| missed(&state, sub, after)) {
            Some(Some(frames)) => frames,
            Some(None) => {
                let reason = "the updates after `after` are no longer kept";
                vec![frame(sub, "resync", one("reason", reason.into())), snapshot(&state, sub)]
            }
            None => vec![snapshot(&state, sub)],
        };
        (frames, state.last_seq)
    };
    for text in frames {
        if !link.send_text(text).await {
            return None;
        }
    }
    Some(cursor)
}

/// Runs one feed subscription until it is aborted (unsubscribe, connection closed).
pub async fn run(link: Arc<Link>, feeds: NodeFeeds, sub: Arc<FeedSub>, after: Option<u64>) {
    let _following = feeds.follow_topic(&sub.topic, sub.all_trades);
    let mut live = feeds.live.subscribe();
    let Some(mut cursor) = start(&link, &feeds, &sub, after).await else { return };
    loop {
        let batch = match live.recv().await {
            Ok(batch) => batch,
            Err(RecvError::Lagged(missed)) => {
                live = feeds.live.subscribe();
                let reason = format!("fell behind the feed by {missed} groups");
                if !link.send_text(frame(&sub, "resync", one("reason", json!(reason)))).await {
                    return;
                }
                let Some(now) = start(&link, &feeds, &sub, None).await else { return };
                cursor = now;
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        for feed_frame in batch.iter() {
            if feed_frame.cmd_seq <= cursor || !sub.topic.wants(&feed_frame.topic, sub.all_trades) {
                continue;
            }
            if !link.send_text(feed_frame.json.to_string()).await {
                return;
            }
        }
        if let Some(last) = batch.last() {
            cursor = cursor.max(last.cmd_seq);
        }
    }
}
