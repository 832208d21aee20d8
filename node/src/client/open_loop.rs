//! An open-loop load: request `i` is due `i × interval` after the start whatever the node does,
//! and each command's latency runs from its request's *due* time to its acknowledgement. A node
//! that stalls therefore shows up as latency of everything due during the stall, instead of as
//! fewer requests sent (no coordinated omission, as in wrk2).
//!
//! A pacer thread releases requests at their due times (a thread's sleep overshoots by tens of
//! microseconds; tokio's timer has a 1 ms tick, which every measured latency would carry), to
//! `connections` workers in turn; each worker sends its requests one after another on its own
//! connection. A worker still busy when its next request is due sends it late, and the lateness
//! is measured. The run is bounded: at `deadline` (the last due time plus a drain time) whatever
//! is unanswered or unsent is counted as such, at the latency it had reached by then.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hdrhistogram::Histogram;
use tokio::sync::mpsc;

use super::http::{Answer, NodeClient};

/// One request of the load: a ready body holding `commands` commands.
#[derive(Debug, Clone)]
pub struct Request {
    /// The body of `POST /v1/commands`.
    pub body: Bytes,
    /// How many commands it holds.
    pub commands: usize,
}

/// When requests are due and how long to wait for the last answers.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Time between two requests' due times.
    pub interval: Duration,
    /// Requests in flight at most (one connection each).
    pub connections: usize,
    /// How long after the last due time answers are still awaited.
    pub drain: Duration,
}

/// Highest latency the histogram tells apart, µs (one hour).
const LATENCY_US_MAX: u64 = 3_600_000_000;

/// What a load run saw.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Per command, µs from its request's due time to its answer (or to the deadline, for those
    /// unanswered then).
    pub latency_us: Histogram<u64>,
    /// Commands acknowledged (durable and applied).
    pub acknowledged: u64,
    /// Events of acknowledged commands by kind (`rejected (unknown_order)` with its reason).
    pub events: BTreeMap<String, u64>,
    /// Commands refused, by the API's error code or the transport failure.
    pub refused: BTreeMap<String, u64>,
    /// Commands without an answer at the deadline (sent or not).
    pub unanswered: u64,
    /// From the start to the last answer.
    pub last_answer: Duration,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            latency_us: Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
                .expect("1 µs to an hour at 3 digits are valid bounds"),
            acknowledged: 0,
            events: BTreeMap::new(),
            refused: BTreeMap::new(),
            unanswered: 0,
            last_answer: Duration::ZERO,
        }
    }
}

impl Tally {
    fn latency(&mut self, latency: Duration, commands: usize) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(LATENCY_US_MAX);
        self.latency_us.saturating_record_n(micros.clamp(1, LATENCY_US_MAX), commands as u64);
    }

    pub(super) fn answered(
        &mut self,
        answer: Answer,
        latency: Duration,
        commands: usize,
        at: Duration,
    ) {
        self.last_answer = self.last_answer.max(at);
        self.latency(latency, commands);
        match answer {
            Answer::Acknowledged(outcomes) => {
                self.acknowledged += outcomes.len() as u64;
                for event in outcomes.iter().flat_map(|outcome| &outcome.events) {
                    let kind = match &event.reason {
                        Some(reason) => format!("{} ({reason})", event.kind),
                        None => event.kind.clone(),
                    };
                    *self.events.entry(kind).or_default() += 1;
                }
            }
            Answer::Refused(refusal) => {
                *self.refused.entry(refusal.error).or_default() += commands as u64;
            }
        }
    }

    pub(super) fn failed(&mut self, code: &str, latency: Duration, commands: usize) {
        self.latency(latency, commands);
        *self.refused.entry(code.to_owned()).or_default() += commands as u64;
    }

    pub(super) fn unanswered(&mut self, latency: Duration, commands: usize) {
        self.latency(latency, commands);
        self.unanswered += commands as u64;
    }

    /// Adds another worker's tally.
    pub fn merge(&mut self, other: Tally) {
        self.latency_us.add(&other.latency_us).expect("tallies share their bounds");
        self.acknowledged += other.acknowledged;
        for (kind, count) in other.events {
            *self.events.entry(kind).or_default() += count;
        }
        for (code, count) in other.refused {
            *self.refused.entry(code).or_default() += count;
        }
        self.unanswered += other.unanswered;
        self.last_answer = self.last_answer.max(other.last_answer);
    }
}

/// Sends `requests` to `client`'s node on `schedule`; returns when every request is answered or
/// at the deadline.
pub async fn run(client: &NodeClient, requests: Arc<Vec<Request>>, schedule: Schedule) -> Tally {
    let connections = schedule.connections.max(1);
    let start = Instant::now();
    let due = move |index: usize| start + schedule.interval.mul_f64(index as f64);
    let deadline = due(requests.len()) + schedule.drain;
    let mut senders = Vec::with_capacity(connections);
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (sender, receiver) = mpsc::unbounded_channel();
        senders.push(sender);
        let (client, requests) = (client.clone(), requests.clone());
        workers.push(tokio::spawn(async move {
            worker(&client, &requests, receiver, start, due, deadline).await
        }));
    }
    let count = requests.len();
    let pacer = std::thread::spawn(move || {
        for index in 0..count {
            let wait = due(index).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            // A worker that hit the deadline has stopped listening; the rest is counted there.
            let _ = senders[index % connections].send(index);
        }
    });
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await.expect("a load worker does not panic"));
    }
    pacer.join().expect("the pacer does not panic");
    tally
}

async fn worker(
    client: &NodeClient,
    requests: &[Request],
    mut due_now: mpsc::UnboundedReceiver<usize>,
    start: Instant,
    due: impl Fn(usize) -> Instant,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let deadline_tokio = tokio::time::Instant::from_std(deadline);
    loop {
        let next = tokio::time::timeout_at(deadline_tokio, due_now.recv()).await;
        let Ok(Some(index)) = next else { break };
        let request = &requests[index];
        let sent = tokio::time::timeout_at(
            deadline_tokio,
            client.post_commands(request.body.clone(), request.commands),
        )
        .await;
        let now = Instant::now();
        let latency = now.saturating_duration_since(due(index));
        match sent {
            Ok(Ok(answer)) => tally.answered(answer, latency, request.commands, now - start),
            Ok(Err(error)) => tally.failed(error.code(), latency, request.commands),
            Err(_) => {
                tally.unanswered(latency, request.commands);
                break;
            }
        }
    }
    // Whatever was due to this worker and not sent by the deadline.
    due_now.close();
    while let Ok(index) = due_now.try_recv() {
        tally.unanswered(deadline.saturating_duration_since(due(index)), requests[index].commands);
    }
    tally
}
