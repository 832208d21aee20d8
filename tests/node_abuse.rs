//! `gridbook serve` under abuse: an oversized body, rate limits per address and per owner, too
//! many open orders, too many connections, idle and slow clients, a subscriber that never
//! reads and a flood from one owner. Each is refused or disconnected with a reason before it
//! costs the node anything lasting: nothing refused is journaled, other clients keep being
//! served, and the node's memory stays bounded.

#[path = "node_support/live.rs"]
mod live;
mod node_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gridbook_node::client::ws::{self, Frame};
use gridbook_node::gateway::ws::protocol::Stream;
use live::{ask, bid, cancel, key, within, LiveNode};
use serde_json::{json, Value};

const NO_AUTH: &str = "auth = \"none\"\n";

fn journaled_ids(node: &LiveNode) -> Vec<String> {
    node.journaled_commands().iter().map(|c| c["id"].as_str().expect("an id").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_or_frame_is_refused_and_the_node_keeps_serving() {
    let node =
        LiveNode::start("abuse-body", &format!("{NO_AUTH}[limits]\nbody_bytes_max = 4096\n"));
    let owner = key(1).address();
    let mut huge = ask("huge", owner, "1.5", 1);
    huge["id"] = json!("x".repeat(8_000));
    let (status, _, body) = node.post("/v1/commands", &huge).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("body_too_large")), "{body}");

    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    sender.command(1, &huge).await.expect("sent");
    let closed = within("the close", 10, receiver.next()).await.expect("a close frame");
    let Some(Frame::Closed { code, reason }) = closed else { panic!("closed, not {closed:?}") };
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("limits.body_bytes_max"), "{reason}");

    let (status, _, body) = node.post("/v1/commands", &ask("fine", owner, "1.5", 1)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(journaled_ids(&node), ["fine"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after_per_address_and_per_owner() {
    let per_ip = "[limits]\nip_requests_per_s = 1\nip_burst = 3\n";
    let node = LiveNode::start("abuse-ip-rate", &format!("{NO_AUTH}{per_ip}"));
    let owner = key(1).address();
    for n in 0..3 {
        let (status, _, body) =
            node.post("/v1/commands", &ask(&format!("a{n}"), owner, "1", 1)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, retry, body) = node.post("/v1/commands", &ask("a3", owner, "1", 1)).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(retry.and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s >= 1), "Retry-After");
    assert_eq!(journaled_ids(&node), ["a0", "a1", "a2"]);
    drop(node);

    let per_owner = "[limits]\nowner_commands_per_s = 1\nowner_burst = 5\n";
    let node = LiveNode::start("abuse-owner-rate", &format!("{NO_AUTH}{per_owner}"));
    let (flooder, other) = (key(1).address(), key(2).address());
    let five: Vec<Value> = (0..5).map(|n| ask(&format!("f{n}"), flooder, "1", 1)).collect();
    assert_eq!(node.post("/v1/commands", &json!(five)).await.0, 200);
    let (status, retry, body) = node.post("/v1/commands", &ask("f5", flooder, "1", 1)).await;
    assert_eq!((status, body["field"].as_str()), (429, Some("owner")), "{body}");
    assert!(retry.is_some(), "Retry-After");
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    sender.command("ws", &ask("f6", flooder, "1", 1)).await.expect("sent");
    let Some(Frame::Error { error, .. }) = within("refusal", 10, receiver.next()).await.unwrap()
    else {
        panic!("refused over the WebSocket too")
    };
    assert_eq!(error["error"], "rate_limited");
    assert!(error["retry_after"].as_u64().is_some_and(|s| s >= 1), "{error}");
    assert_eq!(node.post("/v1/commands", &ask("o0", other, "1", 1)).await.0, 200, "others pass");
    assert_eq!(journaled_ids(&node), ["f0", "f1", "f2", "f3", "f4", "o0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_orders_per_owner_are_refused_before_sequencing_counting_those_in_flight() {
    let config = format!("{NO_AUTH}[limits]\nopen_orders_per_owner = 3\n");
    let node = LiveNode::start("abuse-open-orders", &config);
    let (owner, requester) = (key(1).address(), key(2).address());
    // Pipelined faster than they are applied: only the in-flight count can stop the fourth.
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    for n in 0..10 {
        sender.command(n, &ask(&format!("a{n}"), owner, "1", 1)).await.expect("sent");
    }
    let (mut accepted, mut refused) = (0, 0);
    while accepted + refused < 10 {
        match within("answers", 30, receiver.next()).await.unwrap().expect("open") {
            Frame::Outcome { .. } => accepted += 1,
            Frame::Error { error, .. } => {
                assert_eq!(error["error"], "too_many_open_orders", "{error}");
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((accepted, refused), (3, 7));
    let (status, _, body) = node.post("/v1/commands", &ask("a10", owner, "1", 1)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("too_many_open_orders")), "{body}");
    live::assert_documented("post", "/v1/commands", 409);
    // A cancel is always let through, and frees a place; a batch needing two is refused whole.
    assert_eq!(node.post("/v1/commands", &cancel("a0", owner)).await.0, 200);
    let two = json!([ask("a11", owner, "1", 1), ask("a12", owner, "1", 1)]);
    assert_eq!(node.post("/v1/commands", &two).await.0, 409);
    // Orders filled by a counterparty leave the book too.
    let take = bid("b", requester, "2", 2, "ioc");
    assert_eq!(node.post("/v1/commands", &take).await.0, 200);
    let two = json!([ask("a13", owner, "1", 1), ask("a14", owner, "1", 1)]);
    assert_eq!(node.post("/v1/commands", &two).await.0, 200);
    assert_eq!(journaled_ids(&node), ["a0", "a1", "a2", "a0", "b", "a13", "a14"]);
}

/// `GET /v1/health` on a raw connection; the status line and the body.
fn raw_get(stream: &mut TcpStream) -> std::io::Result<String> {
    stream.write_all(b"GET /v1/health HTTP/1.1\r\nhost: node\r\n\r\n")?;
    let mut response = vec![0u8; 4096];
    let read = stream.read(&mut response)?;
    Ok(String::from_utf8_lossy(&response[..read]).into_owned())
}

fn connect(node: &LiveNode) -> TcpStream {
    let stream = TcpStream::connect(node.addr()).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("test setup");
    stream
}

/// Reads until the node closes the connection; how long that took, or `None` after `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = [0u8; 65_536];
    while started.elapsed() < limit {
        match stream.read(&mut sink) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

#[test]
fn connections_beyond_the_limit_are_refused_at_accept() {
    let node = LiveNode::start("abuse-connections", "[limits]\nconnections_max = 3\n");
    let mut open: Vec<TcpStream> = (0..3).map(|_| connect(&node)).collect();
    for stream in &mut open {
        assert!(raw_get(stream).expect("served").starts_with("HTTP/1.1 200"), "kept alive");
    }
    let mut fourth = connect(&node);
    let refused = raw_get(&mut fourth).unwrap_or_default();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("too_many_connections"), "{refused}");
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = raw_get(&mut connect(&node)).unwrap_or_default();
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "a place freed is taken again: {answer}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_are_disconnected_while_others_are_served() {
    let limits = "[limits]\nidle_timeout_ms = 1000\nslow_client_timeout_ms = 1000\n";
    let node = LiveNode::start("abuse-slow", &format!("{NO_AUTH}{limits}"));
    let owner = key(1).address();
    // Events for the slow reader to not read.
    for n in 0..20 {
        let batch: Vec<Value> =
            (0..100).map(|i| ask(&format!("a{n}-{i}"), owner, "1", 1)).collect();
        assert_eq!(node.post("/v1/commands", &json!(batch)).await.0, 200);
    }
    let addr = node.addr();
    let (idle, trickle, unread) = tokio::task::spawn_blocking(move || {
        let connect = || {
            let stream = TcpStream::connect(&addr).expect("connects");
            stream.set_read_timeout(Some(Duration::from_millis(200))).expect("test setup");
            stream
        };
        let idle = closed_within(&mut connect(), Duration::from_secs(10));
        // A request trickled a byte every 200 ms: never idle, but never complete either.
        let trickle = {
            let mut stream = connect();
            let started = Instant::now();
            let _ = stream.write_all(b"POST /v1/commands HTTP/1.1\r\nhost: node\r\n");
            let mut closed = None;
            while closed.is_none() && started.elapsed() < Duration::from_secs(10) {
                if stream.write_all(b"x").is_err() {
                    closed = Some(started.elapsed());
                }
                closed = closed.or_else(|| {
                    closed_within(&mut stream, Duration::from_millis(200))
                        .map(|_| started.elapsed())
                });
            }
            closed
        };
        // Pipelined requests whose answers are never read (kept open until the node gives up).
        let mut unread = connect();
        for _ in 0..2_000 {
            if unread.write_all(b"GET /v1/events HTTP/1.1\r\nhost: node\r\n\r\n").is_err() {
                break;
            }
        }
        (idle, trickle, unread)
    })
    .await
    .expect("the raw clients ran");
    let idle = idle.expect("an idle connection is closed");
    assert!(idle >= Duration::from_millis(900), "not before the idle timeout: {idle:?}");
    let trickle = trickle.expect("a trickled request is cut off");
    assert!(trickle < Duration::from_secs(5), "{trickle:?}");
    assert_eq!(node.post("/v1/commands", &ask("served", owner, "1", 1)).await.0, 200);
    assert!(node.metric("gridbook_connections_idle_closed_total").await >= 1);
    // The trickled request and the unread answers.
    let slow = "gridbook_connections_slow_closed_total";
    node.wait_for_metric(slow, 2, Duration::from_secs(20)).await;
    drop(unread);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_is_disconnected_with_its_reason_in_bounded_memory() {
    let limits = "[limits]\nsubscriber_lag_max = 200\nslow_client_timeout_ms = 5000\n\
        events_kept = 5000\norders_kept = 5000\noutcomes_kept = 5000\n\
        owner_commands_per_s = 1000000\nowner_burst = 1000000\n";
    let node = LiveNode::start("abuse-never-reads", &format!("{NO_AUTH}{limits}"));
    let (provider, requester) = (key(1).address(), key(2).address());
    let trade = |round: usize| -> Value {
        let pairs = (0..250).flat_map(|i| {
            let id = format!("{round}-{i}");
            [
                ask(&format!("a{id}"), provider, "1", 1),
                bid(&format!("b{id}"), requester, "1", 1, "ioc"),
            ]
        });
        Value::Array(pairs.collect())
    };
    for round in 0..4 {
        assert_eq!(node.post("/v1/commands", &trade(round)).await.0, 200, "warm-up");
    }
    let rss_before = node.rss_kib();

    // Tiny socket buffers: the node's sends block after a few kilobytes.
    let socket = tokio::net::TcpSocket::new_v4().expect("test setup");
    socket.set_recv_buffer_size(4096).expect("test setup");
    let stream = socket.connect(node.addr().parse().expect("an address")).await.expect("connects");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (socket, _) =
        tokio_tungstenite::client_async(ws::url(&node.url, None), stream).await.expect("upgrades");
    let (mut sleeper, mut sleeper_frames) = ws::from_socket(socket);
    sleeper.subscribe(&Stream::All, None).await.expect("subscribes");

    let started = Instant::now();
    for round in 4..44 {
        let asked = Instant::now();
        assert_eq!(node.post("/v1/commands", &trade(round)).await.0, 200);
        assert!(asked.elapsed() < Duration::from_secs(10), "others are served promptly");
        if node.metric("gridbook_subscribers_dropped_total").await >= 1 {
            break;
        }
    }
    node.wait_for_metric("gridbook_subscribers_dropped_total", 1, Duration::from_secs(30)).await;
    let rss_after = node.rss_kib();
    // The subscriber reads at last: what was queued, then the close frame and its reason.
    let reason = loop {
        match within("the close frame", 20, sleeper_frames.next()).await {
            Ok(Some(Frame::Closed { code, reason })) => break (code, reason),
            Ok(Some(_)) => {}
            other => panic!("a close frame with a reason, not {other:?}"),
        }
    };
    assert_eq!(reason.0, 1008, "{reason:?}");
    assert!(reason.1.contains("fell behind"), "{reason:?}");
    assert_eq!(node.metric("gridbook_subscribers").await, 0);
    let grown_mib = rss_after.saturating_sub(rss_before) / 1024;
    eprintln!("never-reading subscriber: VmRSS {rss_before} KiB before, {rss_after} KiB after");
    assert!(
        grown_mib < 64,
        "{grown_mib} MiB more after {:?} of traffic to a subscriber that never reads",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_owner_is_refused_while_others_are_served_in_bounded_memory() {
    let limits = "[limits]\nowner_commands_per_s = 500\nowner_burst = 500\n\
        open_orders_per_owner = 1000\nevents_kept = 5000\norders_kept = 5000\noutcomes_kept = 5000\n";
    let node = LiveNode::start("abuse-flood", &format!("{NO_AUTH}{limits}"));
    let (flooder, victim) = (key(1).address(), key(2).address());
    assert_eq!(node.post("/v1/commands", &ask("warm", victim, "9", 1)).await.0, 200);
    let rss_before = node.rss_kib();

    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    let frames = 200;
    let reader = tokio::spawn(async move {
        let (mut answered, mut refused) = (0, 0);
        while answered + refused < frames {
            match within("flood answers", 60, receiver.next()).await.expect("a frame") {
                Some(Frame::Outcome { .. }) => answered += 1,
                Some(Frame::Error { error, .. }) => {
                    let code = error["error"].as_str().unwrap_or_default().to_owned();
                    assert!(
                        ["rate_limited", "too_many_open_orders"].contains(&code.as_str()),
                        "{error}"
                    );
                    refused += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        (answered, refused)
    });
    let flood = tokio::spawn(async move {
        for frame in 0..frames {
            let batch: Vec<Value> =
                (0..100).map(|i| ask(&format!("f{frame}-{i}"), flooder, "5", 1)).collect();
            sender.batch(frame, &batch).await.expect("sent");
        }
        sender
    });
    let mut slowest = Duration::ZERO;
    for n in 0..20 {
        let asked = Instant::now();
        let (status, _, body) =
            node.post("/v1/commands", &ask(&format!("v{n}"), victim, "9", 1)).await;
        assert_eq!(status, 200, "{body}");
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _sender = flood.await.expect("the flood was sent");
    let (answered, refused) = reader.await.expect("the flood was answered");
    assert!(
        refused > answered,
        "most of the flood is refused: {answered} answered, {refused} refused"
    );
    assert!(slowest < Duration::from_secs(5), "others wait {slowest:?} at most");
    let flooded = journaled_ids(&node).iter().filter(|id| id.starts_with('f')).count();
    assert!(flooded <= 1_000, "no more than the open-orders limit rests: {flooded}");
    let rss_after = node.rss_kib();
    eprintln!(
        "flood: VmRSS {rss_before} KiB before, {rss_after} KiB after; {answered} frames answered, {refused} refused, slowest other {slowest:?}"
    );
    let grown_mib = rss_after.saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 64, "{grown_mib} MiB more after a flood of 20,000 commands");
}
