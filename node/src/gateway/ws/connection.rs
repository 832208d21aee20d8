//! One WebSocket connection: a reader (this task), a writer, an answerer and one task per
//! subscription, joined by the connection's [`Link`].
//!
//! ```text
//!  socket ─► reader ─ commands ─► prepare_as, enqueue (in frame order) ─► answerer ─┐
//!              │                                   (≤ ws_frames_in_flight_max)        ├─► writer ─► socket
//!              └─ subscribe ─► subscription task (log, then live broadcast) ───────────┘
//! ```
//!
//! The reader submits a connection's commands in the order of its frames and never waits for
//! their outcomes; the answerer awaits them in that order and hands the answers to the writer.
//! The writer alone touches the socket's sending half: it pings, times every send out after
//! `slow_client_timeout_ms`, and sends the close frame with the first reason given.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::feed_subscription;
use super::link::{CloseKind, Closing, Link, Out};
use super::protocol::{self, FeedSub, Request, Stream};
use super::subscription::{self, Sources, Start};
use crate::gateway::commands::{
    check_batch_len, enqueue, prepare_as, prepare_each, prepare_raw, split_raw, take_ip_token,
    Enqueued,
};
use crate::gateway::error::ApiError;
use crate::gateway::feeds::{class_of, readable};
use crate::gateway::listener::Peer;
use crate::gateway::sessions::Grant;
use crate::gateway::AppState;
use crate::pipeline::feeds::Topic;

/// A frame's answer, in the answerer's queue.
enum Pending {
    /// Answered already (refused before sequencing).
    Ready(String),
    /// Sequenced; the outcomes are on their way.
    Waiting { tag: Value, enqueued: Enqueued, batch: bool },
}

/// Serves one upgraded connection until it closes.
pub async fn run(socket: WebSocket, state: Arc<AppState>, session: Option<Arc<Grant>>, peer: Peer) {
    let stop = state.stop.clone();
    let _open = stop.socket_opened();
    let limits = &state.config.limits;
    let timeouts = (
        Duration::from_millis(limits.idle_timeout_ms),
        Duration::from_millis(limits.slow_client_timeout_ms),
    );
    let (link, out_rx, closing_rx) = Link::new(limits.subscriber_lag_max);
    let (sink, stream) = socket.split();
    let writer = tokio::spawn(write(sink, out_rx, closing_rx, link.clone(), timeouts));
    let (pending_tx, pending_rx) = mpsc::channel(limits.ws_frames_in_flight_max);
    let answerer = tokio::spawn(answer(pending_rx, link.clone()));
    let mut reader = Reader {
        state: state.clone(),
        session,
        peer,
        link: link.clone(),
        pending: pending_tx,
        subscriptions: HashMap::new(),
    };
    reader.read(stream, timeouts.0).await;
    // Every way out of the reader gives a reason but one: the writer is gone already.
    link.close(Closing::new(CloseKind::Client, 1000, "closed"));
    let closing = link.closing().borrow().clone();
    let dropped =
        matches!(closing, Some(Closing { kind: CloseKind::Lagged | CloseKind::Slow, .. }));
    if dropped && link.subscribed.load(Ordering::Acquire) {
        state.published.write().subscribers_dropped += 1;
    }
    for (_, subscription) in reader.subscriptions.drain() {
        subscription.abort();
    }
    answerer.abort();
    // The writer sends the close frame, waiting at most the slow-client time for the client.
    let mut writer = writer;
    if tokio::time::timeout(timeouts.1 + Duration::from_secs(1), &mut writer).await.is_err() {
        writer.abort();
    }
}

struct Reader {
    state: Arc<AppState>,
    session: Option<Arc<Grant>>,
    peer: Peer,
    link: Arc<Link>,
    pending: mpsc::Sender<Pending>,
    subscriptions: HashMap<Stream, JoinHandle<()>>,
}

impl Reader {
    async fn read(&mut self, mut stream: SplitStream<WebSocket>, idle: Duration) {
        let mut closing = self.link.closing();
        let stop = self.state.stop.clone();
        loop {
            let message = tokio::select! {
                _ = closing.changed() => return,
                cause = stop.stopped() => {
                    let reason = format!("going away: {}", cause.describe());
                    self.link.close(Closing::new(CloseKind::Stopping, 1001, reason));
                    return;
                }
                next = tokio::time::timeout(idle, stream.next()) => next,
            };
            let text = match message {
                Err(_) => {
                    let reason =
                        format!("idle: nothing from the client for {} ms", idle.as_millis());
                    self.link.close(Closing::new(CloseKind::Idle, 1001, reason));
                    return;
                }
                Ok(Some(Err(error))) if too_big(&error) => {
                    let reason = format!(
                        "a frame over limits.body_bytes_max ({} bytes)",
                        self.state.config.limits.body_bytes_max
                    );
                    self.link.close(Closing::new(CloseKind::TooBig, 1009, reason));
                    return;
                }
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => {
                    self.link.close(Closing::new(CloseKind::Client, 1000, "closed by the client"));
                    return;
                }
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(Message::Binary(_)))) => {
                    let error = ApiError::bad_request("bad_frame", "frames are JSON text", None);
                    self.answer_now(protocol::error_frame(&Value::Null, &error)).await;
                    continue;
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            };
            let frame = protocol::parse(text.as_str());
            let handled = tokio::select! {
                _ = closing.changed() => return,
                handled = self.handle(frame) => handled,
            };
            if !handled {
                return;
            }
        }
    }

    /// Handles one frame; `false` once the connection is gone.
    async fn handle(&mut self, frame: Result<Request<'_>, protocol::BadFrame>) -> bool {
        match frame {
            Err(bad) => {
                self.state.metrics.refused(&bad.error.code);
                self.answer_now(protocol::error_frame(&bad.tag, &bad.error)).await
            }
            Ok(Request::Commands { tag, commands }) => {
                let pending = match self.submit(&commands) {
                    Ok((enqueued, batch)) => Pending::Waiting { tag, enqueued, batch },
                    Err(error) => {
                        self.state.metrics.refused(&error.code);
                        Pending::Ready(protocol::error_frame(&tag, &error))
                    }
                };
                self.pending.send(pending).await.is_ok()
            }
            Ok(Request::Subscribe { tag, stream, after }) => {
                self.subscribe(tag, stream, after).await
            }
            Ok(Request::Unsubscribe { tag, stream }) => {
                if let Some(subscription) = self.subscriptions.remove(&stream) {
                    subscription.abort();
                    self.link.send_text(protocol::unsubscribed_frame(&tag, &stream)).await
                } else {
                    let error =
                        ApiError::bad_request("not_subscribed", "no such subscription", None);
                    self.link.send_text(protocol::error_frame(&tag, &error)).await
                }
            }
        }
    }

    /// Answers through the answerer, after the answers to earlier frames.
    async fn answer_now(&self, text: String) -> bool {
        self.pending.send(Pending::Ready(text)).await.is_ok()
    }

    /// Checks and sequences one frame's commands, as `POST /v1/commands` does.
    fn submit(&self, commands: &RawValue) -> Result<(Enqueued, bool), ApiError> {
        take_ip_token(&self.state, &self.peer)?;
        let session = self.session.as_deref();
        let (prepared, batch) = match split_raw(commands.get()) {
            Some((commands, batch)) => {
                check_batch_len(&self.state, commands.len())?;
                prepare_each(commands, batch, |c| prepare_raw(&self.state, c, session))?
            }
            None => {
                let commands: Value = serde_json::from_str(commands.get())
                    .expect("a frame's commands were read as JSON");
                let (commands, batch) = match commands {
                    Value::Array(commands) => (commands, true),
                    single => (vec![single], false),
                };
                check_batch_len(&self.state, commands.len())?;
                prepare_each(commands, batch, |c| prepare_as(&self.state, c, session))?
            }
        };
        Ok((enqueue(&self.state, prepared)?, batch))
    }

    /// Why `stream` cannot be one more subscription of this connection, if it cannot.
    fn no_room_for(&self, stream: &Stream) -> Option<ApiError> {
        let max = self.state.config.limits.ws_subscriptions_max;
        if self.subscriptions.contains_key(stream) {
            let detail = "already subscribed to this stream";
            Some(ApiError::bad_request("already_subscribed", detail, None))
        } else if self.subscriptions.len() >= max {
            let detail =
                format!("at most {max} subscriptions per connection (limits.ws_subscriptions_max)");
            Some(ApiError::bad_request("too_many_subscriptions", detail, None))
        } else {
            None
        }
    }

    async fn subscribe(&mut self, tag: Value, stream: Stream, after: Option<u64>) -> bool {
        self.subscriptions.retain(|_, task| !task.is_finished());
        if let Stream::Feed(feed) = stream {
            return self.subscribe_feed(tag, feed, after).await;
        }
        let refusal = if let Some(error) = self.no_room_for(&stream) {
            Some(error)
        } else if let Some(Err(oldest)) =
            after.map(|after| self.state.published.read().events_after(after, 0))
        {
            let detail = format!(
                "events before seq {oldest} are no longer kept in memory; replay the journal (gridbook journal export) to catch up"
            );
            Some(ApiError::new(
                axum::http::StatusCode::GONE,
                "events_forgotten",
                detail,
                Some("after".into()),
            ))
        } else {
            None
        };
        if let Some(error) = refusal {
            return self.link.send_text(protocol::error_frame(&tag, &error)).await;
        }
        let start = match after {
            Some(after) => Start::After(after),
            None => subscription::start_now(&self.state.live, &self.state.published),
        };
        let from = match &start {
            Start::After(after) => *after,
            Start::Now { cursor, .. } => *cursor,
        };
        // The acknowledgement is queued before the subscription's first events.
        if !self.link.send_text(protocol::subscribed_frame(&tag, &stream, from)).await {
            return false;
        }
        self.link.subscribed.store(true, Ordering::Release);
        let sources = Sources {
            published: self.state.published.clone(),
            live: self.state.live.clone(),
            metrics: self.state.metrics.clone(),
        };
        let stream = Arc::new(stream);
        let task =
            tokio::spawn(subscription::run(self.link.clone(), sources, stream.clone(), start));
        self.subscriptions.insert((*stream).clone(), task);
        true
    }
}

impl Reader {
    /// Starts a market-data subscription (docs/api.md, "Market data").
    async fn subscribe_feed(&mut self, tag: Value, feed: FeedSub, after: Option<u64>) -> bool {
        let stream = Stream::Feed(feed.clone());
        let refusal = if let Some(error) = self.no_room_for(&stream) {
            Some(error)
        } else if after.is_some() && !matches!(feed.topic, Topic::Depth(_) | Topic::Trades(_)) {
            let detail = "`after` resumes `depth` (a seq) or `trades` (a deal)";
            Some(ApiError::bad_request("bad_field", detail, Some("after".into())))
        } else {
            let feeds = self.state.feeds.state.read();
            let class = feed.class.as_deref();
            readable(&feeds).and_then(|f| class.map(|c| class_of(f, c, "class")).transpose()).err()
        };
        if let Some(error) = refusal {
            return self.link.send_text(protocol::error_frame(&tag, &error)).await;
        }
        let ack = format!("{{\"tag\":{},{}}}", Value::to_string(&tag), stream.fields("subscribed"));
        if !self.link.send_text(ack).await {
            return false;
        }
        let task = tokio::spawn(feed_subscription::run(
            self.link.clone(),
            self.state.feeds.clone(),
            Arc::new(feed),
            after,
        ));
        self.subscriptions.insert(stream, task);
        true
    }
}

/// Whether a read failed on a frame over the size limit.
fn too_big(error: &axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    let inner = std::error::Error::source(error).and_then(|e| e.downcast_ref::<Error>());
    matches!(inner, Some(Error::Capacity(_)))
}

/// Awaits each frame's outcomes in frame order and queues the answers.
async fn answer(mut pending: mpsc::Receiver<Pending>, link: Arc<Link>) {
    while let Some(next) = pending.recv().await {
        let text = match next {
            Pending::Ready(text) => text,
            Pending::Waiting { tag, enqueued, batch } => match enqueued.outcomes().await {
                Ok(outcomes) => protocol::outcome_frame(&tag, &outcomes, batch),
                Err(error) => protocol::error_frame(&tag, &error),
            },
        };
        if !link.send_text(text).await {
            return;
        }
    }
}

/// Sends queued frames and pings until the connection closes, then the close frame.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut out: mpsc::Receiver<Out>,
    mut closing: watch::Receiver<Option<Closing>>,
    link: Arc<Link>,
    (idle, slow): (Duration, Duration),
) {
    let mut ping = tokio::time::interval(idle / 2);
    ping.reset();
    loop {
        let messages = tokio::select! {
            biased;
            _ = closing.changed() => break,
            _ = ping.tick() => vec![(Message::Ping(Default::default()), 0)],
            next = out.recv() => match next {
                None => break,
                Some(Out::Text(text)) => vec![(Message::Text(text.into()), 0)],
                Some(Out::Events(events)) => {
                    let texts = events.render();
                    let count = texts.len();
                    // The lag counts the whole frame until its last part is sent.
                    texts
                        .into_iter()
                        .enumerate()
                        .map(|(i, t)| (Message::Text(t.into()), if i + 1 == count { events.live_count } else { 0 }))
                        .collect()
                }
            },
        };
        for (message, live_count) in messages {
            let sent = tokio::select! {
                _ = closing.changed() => None,
                sent = tokio::time::timeout(slow, sink.send(message)) => Some(sent),
            };
            match sent {
                None => break,
                Some(Ok(Ok(()))) => link.sent_live(live_count),
                Some(Ok(Err(_))) => {
                    link.close(Closing::new(CloseKind::Client, 1000, "the socket failed"));
                }
                Some(Err(_)) => {
                    let reason = format!(
                        "slow client: a send took over {} ms (limits.slow_client_timeout_ms)",
                        slow.as_millis()
                    );
                    link.close(Closing::new(CloseKind::Slow, 1008, reason));
                }
            }
            if closing.borrow().is_some() {
                break;
            }
        }
    }
    let Some(reason) = closing.borrow().clone() else { return };
    if reason.kind == CloseKind::Client {
        return;
    }
    let frame = CloseFrame { code: reason.code, reason: reason.reason.into() };
    let _ = tokio::time::timeout(slow, sink.send(Message::Close(Some(frame)))).await;
}
