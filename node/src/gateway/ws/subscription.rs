//! One subscription of a WebSocket: catch up from the publisher's event log, then follow the
//! live broadcast, with neither a gap nor a duplicate between the two.
//!
//! The publisher records a group's events in its log, then broadcasts them. So a subscription
//! that starts listening to the broadcast *before* it last reads the log misses nothing: any
//! event not yet in the log when it read will come on the broadcast. Events that come both
//! ways are told apart by their seq (the `cursor`: every event up to it has been handled).
//! Resuming from far behind, the log is read page by page at the client's pace first, and the
//! broadcast is only joined once the log is nearly exhausted, so a long catch-up does not
//! overflow the broadcast's buffer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use parking_lot::RwLock;
use tokio::sync::broadcast::{self, error::RecvError};

use super::link::{CloseKind, Closing, EventsOut, Link};
use super::protocol::{subscription_error_frame, Stream};
use crate::gateway::error::ApiError;
use crate::pipeline::publisher::{Published, PublishedEvent};

/// Events read from the log at once while catching up.
const CATCH_UP_PAGE: usize = 256;

/// The live broadcast.
pub type Live = broadcast::Sender<Arc<Vec<PublishedEvent>>>;

/// Where a subscription starts.
#[derive(Debug)]
pub enum Start {
    /// Live only: already listening, every event up to `cursor` skipped.
    Now {
        /// The broadcast, joined before `cursor` was read.
        live: broadcast::Receiver<Arc<Vec<PublishedEvent>>>,
        /// The newest event in the log when it was joined.
        cursor: u64,
    },
    /// Every event after this seq: from the log, then live.
    After(u64),
}

/// Joins the broadcast now; the events after the returned start are the live ones.
pub fn start_now(live: &Live, published: &RwLock<Published>) -> Start {
    let receiver = live.subscribe();
    let cursor = published.read().last_event_seq();
    Start::Now { live: receiver, cursor }
}

/// Counts an open subscription in `/metrics` while it lives.
struct Gauge<'a>(&'a AtomicU64);

impl<'a> Gauge<'a> {
    fn new(gauge: &'a AtomicU64) -> Gauge<'a> {
        gauge.fetch_add(1, Ordering::Relaxed);
        Gauge(gauge)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a subscription reads from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The publisher's state (its event log).
    pub published: Arc<RwLock<Published>>,
    /// The live broadcast.
    pub live: Live,
    /// The node's metrics (the open subscriptions gauge).
    pub metrics: Arc<crate::metrics::NodeMetrics>,
}

/// Runs one subscription until it is aborted (unsubscribe, connection closed) or ends.
pub async fn run(link: Arc<Link>, sources: Sources, stream: Arc<Stream>, start: Start) {
    let _gauge = Gauge::new(&sources.metrics.subscribers);
    let (mut live, mut cursor) = match start {
        Start::Now { live, cursor } => (live, cursor),
        Start::After(after) => {
            let mut cursor = after;
            if !catch_up(&link, &sources.published, &stream, &mut cursor).await {
                return;
            }
            let live = sources.live.subscribe();
            // Whatever was logged between the last page and joining the broadcast.
            if !catch_up(&link, &sources.published, &stream, &mut cursor).await {
                return;
            }
            (live, cursor)
        }
    };
    loop {
        let batch = match live.recv().await {
            Ok(batch) => batch,
            Err(RecvError::Lagged(missed)) => {
                let reason = format!(
                    "subscriber fell behind the live stream by {missed} batches; resume with after"
                );
                link.close(Closing::new(CloseKind::Lagged, 1008, reason));
                return;
            }
            Err(RecvError::Closed) => return,
        };
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else { continue };
        if last.seq <= cursor {
            continue;
        }
        if first.seq > cursor + 1 {
            // The argument in the module docs says this cannot happen; if it does, say so.
            debug_assert!(false, "gap in the event stream: {} after {cursor}", first.seq);
            let reason = format!("internal error: gap in the event stream after {cursor}");
            link.close(Closing::new(CloseKind::Internal, 1011, reason));
            return;
        }
        let live_count = batch.iter().filter(|e| e.seq > cursor && stream.matches(e)).count();
        let after_seq = cursor;
        cursor = last.seq;
        if live_count == 0 {
            continue;
        }
        let events =
            EventsOut { stream: stream.clone(), events: batch, after_seq, live_count, room: None };
        if !link.send_live(events).await {
            return;
        }
    }
}

/// Sends the logged events after `cursor` page by page; `false` if the subscription must end
/// (the events are forgotten, or the connection is gone).
async fn catch_up(
    link: &Link,
    published: &RwLock<Published>,
    stream: &Arc<Stream>,
    cursor: &mut u64,
) -> bool {
    loop {
        let page = published.read().events_after(*cursor, CATCH_UP_PAGE);
        let page = match page {
            Ok(page) => page,
            Err(oldest) => {
                let detail = format!(
                    "events before seq {oldest} are no longer kept in memory; replay the journal (gridbook journal export) to catch up"
                );
                let error = ApiError::new(
                    StatusCode::GONE,
                    "events_forgotten",
                    detail,
                    Some("after".into()),
                );
                let _ = link.send_text(subscription_error_frame(stream, &error)).await;
                return false;
            }
        };
        let Some(last) = page.last().map(|e| e.seq) else { return true };
        let full = page.len() == CATCH_UP_PAGE;
        let matching: Vec<PublishedEvent> =
            page.into_iter().filter(|e| stream.matches(e)).collect();
        let after_seq = *cursor;
        *cursor = last;
        if !matching.is_empty() {
            let Some(room) = link.catch_up_room(matching.len()).await else { return false };
            let events = EventsOut {
                stream: stream.clone(),
                events: Arc::new(matching),
                after_seq,
                live_count: 0,
                room: Some(room),
            };
            if !link.send_catch_up(events).await {
                return false;
            }
        }
        if !full {
            return true;
        }
    }
}
