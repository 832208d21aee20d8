//! The open loop over WebSocket sessions (`gridbook load --auth session`): each lane is one
//! trader on its own session and connection, sending its own commands in tagged batch frames
//! without waiting for answers (the node pipelines a connection's frames), and reading the
//! answers as they come.
//!
//! Due times are global, as in [`super::open_loop`]: lane `k`'s request `j` is due at
//! `(j × lanes + k) × interval` after the start, so the lanes take turns at the offered rate, and
//! each command's latency runs from its request's due time to its answer. Sending and reading
//! are separate tasks: a reader that waited for a send to finish could deadlock against a node
//! whose own writer waits for this side to read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::mpsc;
pub use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::http::{Answer, Outcome, Refusal};
use super::open_loop::{Schedule, Tally};
use super::ws;

/// One trader's part of a load: its session token and its frames in sending order.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The session's bearer token.
    pub token: String,
    /// Each frame's text (`{"tag":j,"command":[…]}`, `j` its index here) and command count.
    pub frames: Arc<Vec<(Utf8Bytes, usize)>>,
}

/// When a lane's frames are due.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: Instant,
    interval: Duration,
    lanes: usize,
    lane: usize,
}

impl Clock {
    fn due(&self, frame: usize) -> Instant {
        self.start + self.interval.mul_f64((frame * self.lanes + self.lane) as f64)
    }
}

/// Sends every lane's frames to the node at `base` on `schedule` (its `connections` is the
/// number of lanes); returns when every frame is answered or at the deadline.
pub async fn run(base: &str, lanes: Vec<Lane>, schedule: Schedule) -> Tally {
    let start = Instant::now();
    let count = lanes.len().max(1);
    let longest = lanes.iter().map(|lane| lane.frames.len()).max().unwrap_or(0);
    let last_due = start + schedule.interval.mul_f64((longest * count) as f64);
    let deadline = last_due + schedule.drain;
    let mut senders = Vec::with_capacity(count);
    let mut tasks = Vec::with_capacity(count);
    for (index, lane) in lanes.into_iter().enumerate() {
        let (sender, receiver) = mpsc::unbounded_channel();
        senders.push((sender, lane.frames.len()));
        let clock = Clock { start, interval: schedule.interval, lanes: count, lane: index };
        let base = base.to_owned();
        tasks
            .push(tokio::spawn(async move { drive(&base, lane, receiver, clock, deadline).await }));
    }
    let pacer = std::thread::spawn(move || {
        for global in 0..longest * count {
            let (lane, frame) = (global % count, global / count);
            let Some((sender, frames)) = senders.get(lane) else { continue };
            if frame >= *frames {
                continue;
            }
            let due = start + schedule.interval.mul_f64(global as f64);
            let wait = due.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            // A lane that hit its deadline has stopped listening; the rest is counted there.
            let _ = sender.send(frame);
        }
    });
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.expect("a load lane does not panic"));
    }
    pacer.join().expect("the pacer does not panic");
    tally
}

/// One lane: connects on its session, sends what the pacer releases, reads the answers.
async fn drive(
    base: &str,
    lane: Lane,
    mut due_now: mpsc::UnboundedReceiver<usize>,
    clock: Clock,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let (mut sender, mut receiver) = match ws::connect(base, Some(&lane.token)).await {
        Ok(halves) => halves,
        Err(_) => {
            for (frame, (_, commands)) in lane.frames.iter().enumerate() {
                tally.failed(
                    "connect",
                    deadline.saturating_duration_since(clock.due(frame)),
                    *commands,
                );
            }
            return tally;
        }
    };
    let deadline_tokio = tokio::time::Instant::from_std(deadline);
    let frames = lane.frames.clone();
    let sending = tokio::spawn(async move {
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline_tokio, due_now.recv()).await {
            if sender.text(frames[frame].0.clone()).await.is_err() {
                break;
            }
        }
    });
    let mut answered = vec![false; lane.frames.len()];
    let mut left = lane.frames.len();
    while left > 0 {
        let Ok(next) = tokio::time::timeout_at(deadline_tokio, receiver.next_text()).await else {
            break;
        };
        let Ok(Some(text)) = next else { break };
        let Some((tag, answer)) = answer_of(text.as_str()) else { continue };
        let Some(frame) = usize::try_from(tag).ok() else { continue };
        let Some(slot) = answered.get_mut(frame).filter(|done| !**done) else { continue };
        *slot = true;
        left -= 1;
        let now = Instant::now();
        let commands = lane.frames[frame].1;
        let latency = now.saturating_duration_since(clock.due(frame));
        tally.answered(answer, latency, commands, now - clock.start);
    }
    sending.abort();
    for (frame, done) in answered.iter().enumerate() {
        if !done {
            let waited = deadline.saturating_duration_since(clock.due(frame));
            tally.unanswered(waited, lane.frames[frame].1);
        }
    }
    tally
}

/// A batch frame's outcomes.
#[derive(Deserialize)]
struct OutcomeFrame {
    tag: u64,
    outcome: Vec<Outcome>,
}

/// A frame refused whole (nothing journaled).
#[derive(Deserialize)]
struct RefusedFrame {
    tag: u64,
    error: Refusal,
}

/// The tag and answer of a frame, read only as far as counting needs (the generator must cost
/// the node's machine little: no tree of values, the common frame parsed once); `None` for
/// frames that answer no command.
fn answer_of(text: &str) -> Option<(u64, Answer)> {
    if let Ok(frame) = serde_json::from_str::<OutcomeFrame>(text) {
        return Some((frame.tag, Answer::Acknowledged(frame.outcome)));
    }
    let frame = serde_json::from_str::<RefusedFrame>(text).ok()?;
    Some((frame.tag, Answer::Refused(frame.error)))
}

/// The text of frame `tag` carrying `commands` (each a serialised command object).
pub fn batch_frame(tag: usize, commands: &[String]) -> Utf8Bytes {
    Utf8Bytes::from(format!("{{\"tag\":{tag},\"command\":[{}]}}", commands.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_frame_is_a_tagged_array_of_the_command_objects() {
        let frame = batch_frame(7, &["{\"a\":1}".to_owned(), "{\"b\":2}".to_owned()]);
        let value: serde_json::Value = serde_json::from_str(frame.as_str()).expect("valid JSON");
        assert_eq!(value, serde_json::json!({"tag": 7, "command": [{"a": 1}, {"b": 2}]}));
    }

    #[test]
    fn answers_are_read_as_outcomes_or_refusals_and_other_frames_are_skipped() {
        let outcome =
            r#"{"tag":3,"outcome":[{"seq":9,"ts":5,"events":[{"type":"accepted","seq":1}]}]}"#;
        let Some((3, Answer::Acknowledged(outcomes))) = answer_of(outcome) else {
            panic!("an outcome frame")
        };
        assert_eq!((outcomes[0].seq, outcomes[0].events[0].kind.as_str()), (9, "accepted"));
        let refused = r#"{"tag":4,"error":{"error":"rate_limited","detail":"x","field":null}}"#;
        let Some((4, Answer::Refused(refusal))) = answer_of(refused) else { panic!("a refusal") };
        assert_eq!(refusal.error, "rate_limited");
        assert!(answer_of(r#"{"subscribed":"all","after":0}"#).is_none());
    }

    #[test]
    fn lanes_take_turns_at_the_offered_rate() {
        let start = Instant::now();
        let clock = |lane| Clock { start, interval: Duration::from_millis(10), lanes: 3, lane };
        assert_eq!(clock(0).due(0) - start, Duration::ZERO);
        assert_eq!(clock(2).due(0) - start, Duration::from_millis(20));
        assert_eq!(clock(1).due(2) - start, Duration::from_millis(70));
    }
}
