//! What the tasks of one WebSocket connection share: the bounded queue of frames to send, the
//! count of live events in it (the subscriber lag), and the one reason the connection closes.
//!
//! Every producer of frames is bounded: answers by the frames in flight
//! (`limits.ws_frames_in_flight_max`), catch-up by [`CATCH_UP_EVENTS_QUEUED_MAX`], live events by
//! `limits.subscriber_lag_max` — a subscription whose events would pass it closes the
//! connection instead of waiting, so the publisher's broadcast never waits on a client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};

use super::protocol::{events_frame, Stream};
use crate::pipeline::publisher::PublishedEvent;

/// Frames queued to the writer at most (answers, acknowledgements, events).
pub const OUT_FRAMES_MAX: usize = 256;
/// Catch-up events queued at most per connection: a subscription resuming from far behind
/// reads the log at the client's pace, this many events ahead of it.
pub const CATCH_UP_EVENTS_QUEUED_MAX: usize = 1_024;
/// Events per `events` frame at most: a large batch goes out as several frames.
pub const EVENTS_PER_FRAME_MAX: usize = 512;

/// Why a connection closes, as its close frame says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The WebSocket close code.
    pub code: u16,
    /// The close frame's reason (at most 123 bytes).
    pub reason: String,
    /// What happened.
    pub kind: CloseKind,
}

/// What closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// The client closed it, or its socket failed.
    Client,
    /// A subscriber fell behind the live stream.
    Lagged,
    /// The client did not take the node's bytes in time.
    Slow,
    /// Nothing came from the client in time.
    Idle,
    /// The client sent a frame over the size limit.
    TooBig,
    /// A broken invariant (a bug).
    Internal,
    /// The node is stopping.
    Stopping,
}

impl Closing {
    /// A close with `code` and `reason`, cut to the 123 bytes a close frame can carry.
    pub fn new(kind: CloseKind, code: u16, reason: impl Into<String>) -> Closing {
        let mut reason = reason.into();
        if reason.len() > 123 {
            let mut cut = 123;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        Closing { code, reason, kind }
    }
}

/// A frame for the writer.
#[derive(Debug)]
pub enum Out {
    /// A ready text frame (an answer, an acknowledgement, an error).
    Text(String),
    /// Events of one subscription, rendered by the writer.
    Events(EventsOut),
}

/// Events for one subscription: those of `events` above `after_seq` that its stream matches.
/// The batch is shared with every other subscriber of the same broadcast.
#[derive(Debug)]
pub struct EventsOut {
    /// Which subscription.
    pub stream: Arc<Stream>,
    /// The events (a live batch, or a page of the log).
    pub events: Arc<Vec<PublishedEvent>>,
    /// Events up to this seq were sent already.
    pub after_seq: u64,
    /// Live events this frame counts for in the lag (0 for catch-up).
    pub live_count: usize,
    /// A catch-up frame's room, given back once it is sent.
    pub room: Option<OwnedSemaphorePermit>,
}

impl EventsOut {
    /// The frames' texts, at most [`EVENTS_PER_FRAME_MAX`] events each.
    pub fn render(&self) -> Vec<String> {
        let matching: Vec<&PublishedEvent> = self
            .events
            .iter()
            .filter(|e| e.seq > self.after_seq && self.stream.matches(e))
            .collect();
        matching
            .chunks(EVENTS_PER_FRAME_MAX)
            .map(|chunk| {
                let mut text = String::new();
                events_frame(&self.stream, chunk.iter().copied(), &mut text);
                text
            })
            .collect()
    }
}

/// The shared state of one connection.
#[derive(Debug)]
pub struct Link {
    out: mpsc::Sender<Out>,
    live_events_queued: AtomicUsize,
    catch_up_room: Arc<Semaphore>,
    closing: watch::Sender<Option<Closing>>,
    lag_max: usize,
    /// Whether the connection ever subscribed (a drop for lag or slowness is then counted as
    /// a subscriber dropped).
    pub subscribed: AtomicBool,
}

impl Link {
    /// A link with its writer's queue and close signal.
    pub fn new(
        lag_max: usize,
    ) -> (Arc<Link>, mpsc::Receiver<Out>, watch::Receiver<Option<Closing>>) {
        let (out, out_rx) = mpsc::channel(OUT_FRAMES_MAX);
        let (closing, closing_rx) = watch::channel(None);
        let link = Link {
            out,
            live_events_queued: AtomicUsize::new(0),
            catch_up_room: Arc::new(Semaphore::new(CATCH_UP_EVENTS_QUEUED_MAX)),
            closing,
            lag_max,
            subscribed: AtomicBool::new(false),
        };
        (Arc::new(link), out_rx, closing_rx)
    }

    /// Closes the connection for `closing`, unless it is closing already (the first reason
    /// stands).
    pub fn close(&self, closing: Closing) {
        self.closing.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(closing);
            true
        });
    }

    /// A receiver of the close signal.
    pub fn closing(&self) -> watch::Receiver<Option<Closing>> {
        self.closing.subscribe()
    }

    /// Queues a text frame, waiting for room; `false` once the connection is gone.
    pub async fn send_text(&self, text: String) -> bool {
        self.out.send(Out::Text(text)).await.is_ok()
    }

    /// Queues live events, or closes the connection if that would put more than
    /// `subscriber_lag_max` live events in its queue. `false` once the connection is gone.
    pub async fn send_live(&self, events: EventsOut) -> bool {
        let queued = self.live_events_queued.fetch_add(events.live_count, Ordering::AcqRel)
            + events.live_count;
        if queued > self.lag_max {
            self.close(Closing::new(
                CloseKind::Lagged,
                1008,
                format!(
                    "subscriber fell behind: {queued} events queued (limits.subscriber_lag_max {}); resume with after",
                    self.lag_max
                ),
            ));
            return false;
        }
        self.out.send(Out::Events(events)).await.is_ok()
    }

    /// Room for `count` catch-up events (capped at the whole room), waiting for the client.
    pub async fn catch_up_room(&self, count: usize) -> Option<OwnedSemaphorePermit> {
        let count = count.clamp(1, CATCH_UP_EVENTS_QUEUED_MAX) as u32;
        self.catch_up_room.clone().acquire_many_owned(count).await.ok()
    }

    /// Queues catch-up events holding `room`; `false` once the connection is gone.
    pub async fn send_catch_up(&self, events: EventsOut) -> bool {
        self.out.send(Out::Events(events)).await.is_ok()
    }

    /// The writer sent a frame holding `live_count` live events.
    pub fn sent_live(&self, live_count: usize) {
        self.live_events_queued.fetch_sub(live_count, Ordering::AcqRel);
    }
}
