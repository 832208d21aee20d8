//! `gridbook serve` over its WebSocket `/v1/ws`: pipelined order entry answered by tag and
//! sequenced in frame order; subscriptions to every event or to one owner's, resumable after an
//! event seq with neither a gap nor a duplicate; and through all of it, `gridbook journal
//! export` + `gridbook replay` reproduce the node's events byte for byte.

#[path = "node_support/live.rs"]
mod live;
mod node_support;

use std::collections::HashMap;

use gridbook_node::client::ws::{self, Frame, Receiver};
use gridbook_node::gateway::ws::protocol::Stream;
use live::{ask, bid, cancel, key, within, LiveNode};
use serde_json::{json, Value};

/// A node that checks no signatures (loopback only): these tests are about the protocol.
const NO_AUTH: &str = "auth = \"none\"\n";

/// Reads frames until every tag in `tags` has its answer; other frames are kept in order.
async fn answers(receiver: &mut Receiver, tags: &[Value]) -> (HashMap<String, Frame>, Vec<Frame>) {
    let mut answered = HashMap::new();
    let mut others = Vec::new();
    while answered.len() < tags.len() {
        let frame = within("an answer", 30, receiver.next()).await.expect("a frame").expect("open");
        match &frame {
            Frame::Outcome { tag, .. } | Frame::Error { tag, .. } if tags.contains(tag) => {
                answered.insert(tag.to_string(), frame);
            }
            _ => others.push(frame),
        }
    }
    (answered, others)
}

fn outcome(frame: &Frame) -> &Value {
    match frame {
        Frame::Outcome { outcome, .. } => outcome,
        other => panic!("an outcome, not {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_answered_by_tag_and_sequenced_in_frame_order() {
    let node = LiveNode::start("ws-order-entry", NO_AUTH);
    let (provider, requester) = (key(1).address(), key(2).address());
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    let mut tags = Vec::new();
    for n in 0..10u64 {
        let tag = json!(format!("ask-{n}"));
        sender.command(tag.clone(), &ask(&format!("a{n}"), provider, "1.50", 1)).await.unwrap();
        tags.push(tag);
    }
    // An array is answered as one array; a bad command is refused with its tag, alone.
    let batch = [bid("b1", requester, "2.00", 3, "ioc"), cancel("a9", provider)];
    sender.batch(100, &batch).await.unwrap();
    tags.push(json!(100));
    let mut bad = ask("bad", provider, "1.50", 1);
    bad["pric"] = json!("1");
    sender.command("bad", &bad).await.unwrap();
    tags.push(json!("bad"));

    let (answered, _) = answers(&mut receiver, &tags).await;
    let seqs: Vec<u64> = tags[..10]
        .iter()
        .map(|tag| outcome(&answered[&tag.to_string()])["seq"].as_u64().expect("a seq"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "frames are sequenced in order: {seqs:?}");
    let batch = outcome(&answered["100"]).as_array().expect("an array for an array");
    assert_eq!(batch.len(), 2);
    assert!(batch[0]["seq"].as_u64() > seqs.last().copied(), "after the asks");
    let deals = batch[0]["events"].as_array().unwrap().iter().filter(|e| e["type"] == "deal");
    assert_eq!(deals.count(), 3, "the bid takes three asks: {batch:?}");
    assert_eq!(batch[1]["events"][0]["type"], "cancelled");
    let Frame::Error { error, .. } = &answered["\"bad\""] else { panic!("refused") };
    assert_eq!(error["error"], "unknown_field", "{error}");

    let journaled: Vec<String> =
        node.journaled_commands().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(journaled.len(), 12, "ten asks, the bid and the cancel: {journaled:?}");
    assert!(!journaled.contains(&"bad".to_owned()), "a refused command is not journaled");
    node.assert_replay_reproduces_the_events().await;
}

/// The event seqs and objects of every `events` frame of `stream` until event `last`.
async fn events_until(receiver: &mut Receiver, stream: &Stream, last: u64) -> Vec<Value> {
    let mut events: Vec<Value> = Vec::new();
    while events.last().and_then(|e| e["seq"].as_u64()).is_none_or(|seq| seq < last) {
        match within("events", 30, receiver.next()).await.expect("a frame").expect("open") {
            Frame::Events { stream: of, events: more } if &of == stream => events.extend(more),
            Frame::Closed { code, reason } => panic!("closed {code}: {reason}"),
            _ => {}
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_resumes_after_an_event_seq_without_gap_or_duplicate() {
    let node = LiveNode::start("ws-resume", NO_AUTH);
    let owner = key(1).address();
    for n in 0..20 {
        let (status, _, _) =
            node.post("/v1/commands", &ask(&format!("a{n}"), owner, "1.5", 1)).await;
        assert_eq!(status, 200);
    }
    let resume_after = node.events().await[9].clone();
    let resume_after: u64 =
        serde_json::from_str::<Value>(&resume_after).unwrap()["seq"].as_u64().unwrap();
    // Commands keep arriving while the subscription catches up and joins the live stream.
    let writer = {
        let url = node.url.clone();
        tokio::spawn(async move {
            let client = live::http();
            for n in 0..40 {
                let batch: Vec<Value> =
                    (0..5).map(|i| ask(&format!("live-{n}-{i}"), owner, "1.5", 1)).collect();
                let response = client.post(format!("{url}/v1/commands")).json(&batch).send();
                assert_eq!(response.await.expect("answered").status(), 200);
            }
        })
    };
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    sender.subscribe(&Stream::All, Some(resume_after)).await.unwrap();
    // And a second connection joins live, mid-stream, without `after`.
    let (mut live_sender, mut live_receiver) = ws::connect(&node.url, None).await.unwrap();
    live_sender.subscribe(&Stream::All, None).await.unwrap();
    within("the writer", 60, writer).await.expect("the writer finishes");
    // One more event, certainly after the live subscription started.
    assert_eq!(node.post("/v1/commands", &ask("final", owner, "1.5", 1)).await.0, 200);
    let published: Vec<Value> =
        node.events().await.iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    let last = published.last().unwrap()["seq"].as_u64().unwrap();

    let received = events_until(&mut receiver, &Stream::All, last).await;
    let expected: Vec<&Value> =
        published.iter().filter(|e| e["seq"].as_u64().unwrap() > resume_after).collect();
    assert_eq!(received.iter().collect::<Vec<_>>(), expected, "every event after, once, in order");

    let live = events_until(&mut live_receiver, &Stream::All, last).await;
    let first = live[0]["seq"].as_u64().unwrap();
    let seqs: Vec<u64> = live.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (first..=last).collect::<Vec<_>>(), "no gap, no duplicate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_subscription_carries_exactly_the_events_that_name_the_owner() {
    let node = LiveNode::start("ws-owner", NO_AUTH);
    let (mine, requester, other) = (key(1).address(), key(2).address(), key(3).address());
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.unwrap();
    let stream = Stream::Owner(format!("{mine:#x}"));
    sender.subscribe(&stream, None).await.unwrap();
    let Frame::Subscribed { stream: acked, .. } = receiver.next().await.unwrap().unwrap() else {
        panic!("acknowledged first")
    };
    assert_eq!(acked, stream);
    for command in [
        ask("mine-1", mine, "1.0", 2),
        ask("other-1", other, "0.9", 1),
        bid("b1", requester, "2.0", 2, "ioc"), // takes other-1, then one slot of mine-1
        cancel("mine-1", mine),
        ask("other-2", other, "1.0", 1),
        cancel("other-2", other),
    ] {
        assert_eq!(node.post("/v1/commands", &command).await.0, 200, "{command}");
    }
    let published: Vec<Value> =
        node.events().await.iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    let names_mine = |event: &Value| {
        let mine = format!("{mine:#x}");
        let party = ["requester", "provider"]
            .iter()
            .any(|k| event[k].as_str().is_some_and(|o| o.eq_ignore_ascii_case(&mine)));
        party || event["id"] == "mine-1"
    };
    let expected: Vec<Value> = published.iter().filter(|e| names_mine(e)).cloned().collect();
    let kinds: Vec<&str> = expected.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["accepted", "deal", "cancelled"], "the test has teeth: {expected:?}");
    let last = expected.last().unwrap()["seq"].as_u64().unwrap();
    assert_eq!(events_until(&mut receiver, &stream, last).await, expected);

    // Resuming from the start replays the same selection out of the log.
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.unwrap();
    sender.subscribe(&stream, Some(0)).await.unwrap();
    assert_eq!(events_until(&mut receiver, &stream, last).await, expected);
    sender.unsubscribe(&stream).await.unwrap();
    let unsubscribed = loop {
        match within("unsubscribed", 10, receiver.next()).await.unwrap().unwrap() {
            Frame::Unsubscribed { stream, .. } => break stream,
            Frame::Subscribed { .. } | Frame::Events { .. } => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(unsubscribed, stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_that_cannot_be_read_are_answered_with_an_error_and_the_connection_stays() {
    let node = LiveNode::start("ws-bad-frames", NO_AUTH);
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.unwrap();
    sender.subscribe(&Stream::All, Some(999_999)).await.unwrap();
    let subscribed = within("ack", 10, receiver.next()).await.unwrap().unwrap();
    assert!(matches!(subscribed, Frame::Subscribed { after: 999_999, .. }), "{subscribed:?}");
    sender.subscribe(&Stream::All, None).await.unwrap();
    let Frame::Error { error, .. } = within("refusal", 10, receiver.next()).await.unwrap().unwrap()
    else {
        panic!("a second subscription to the same stream is refused")
    };
    assert_eq!(error["error"], "already_subscribed");
    sender.batch("empty", &[]).await.unwrap();
    let Frame::Error { tag, error } =
        within("refusal", 10, receiver.next()).await.unwrap().unwrap()
    else {
        panic!("an empty batch is refused")
    };
    assert_eq!((tag, error["error"].clone()), (json!("empty"), json!("bad_batch")));
    sender.command(1, &ask("fine", key(1).address(), "1.5", 1)).await.unwrap();
    let (answered, _) = answers(&mut receiver, &[json!(1)]).await;
    assert_eq!(outcome(&answered["1"])["events"][0]["type"], "accepted");
}

/// SIGTERM with a subscriber connected: the node exits 0, and every open WebSocket is sent a
/// close frame (1001 going away, with the reason) first, rather than dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_node_cleanly_with_websockets_open() {
    let mut node = LiveNode::start("ws-sigterm", NO_AUTH);
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    sender.subscribe(&Stream::All, None).await.expect("subscribes");
    sender.command(1, &ask("a", key(1).address(), "1.5", 1)).await.expect("sent");
    let (answered, _) = answers(&mut receiver, &[json!(1)]).await;
    assert_eq!(outcome(&answered["1"])["events"][0]["type"], "accepted");
    assert!(tokio::task::block_in_place(|| node.terminate()), "exit 0");
    // Before it exited, the node told the subscriber it was going away (close 1001, why).
    let closed = within("the end of the connection", 10, async {
        while let Ok(Some(frame)) = receiver.next().await {
            if let Frame::Closed { code, reason } = frame {
                return Some((code, reason));
            }
        }
        None
    });
    let (code, reason) = closed.await.expect("a close frame before the connection ended");
    assert_eq!(code, 1001, "going away: {reason}");
    assert!(reason.contains("stopping"), "{reason}");
}
