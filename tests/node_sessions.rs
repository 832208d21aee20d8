//! Who may send what to `gridbook serve` (auth = sig, the default): sessions — an owner's
//! signed `Session` opens a WebSocket whose commands need no signature but must name that
//! owner, and the journal still proves every sender; expired, reused and foreign sessions are
//! refused — and interoperability: commands and sessions signed by eth-account, an Ethereum
//! library this project did not write, are accepted over HTTP and over the WebSocket, while a
//! bad signature is refused and never journaled.

#[path = "node_support/live.rs"]
mod live;
mod node_support;

use std::collections::HashMap;
use std::time::Duration;

use gridbook_node::client::ws::{self, Frame, Receiver};
use gridbook_node::client::{open_session, ClientError};
use live::eth_account::sign_with_eth_account;
use live::{
    ask, assert_documented, bid, cancel, domain, key, now_ms, session_request, signed, within,
    LiveNode,
};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Reads frames until `tag` is answered.
async fn answer(receiver: &mut Receiver, tag: &Value) -> Frame {
    loop {
        let frame = within("an answer", 30, receiver.next()).await.expect("a frame").expect("open");
        match &frame {
            Frame::Outcome { tag: of, .. } | Frame::Error { tag: of, .. } if of == tag => {
                return frame
            }
            _ => {}
        }
    }
}

fn error_code(frame: &Frame) -> String {
    match frame {
        Frame::Error { error, .. } => error["error"].as_str().unwrap_or_default().to_owned(),
        other => panic!("an error, not {other:?}"),
    }
}

fn first_event(frame: &Frame) -> String {
    match frame {
        Frame::Outcome { outcome, .. } => {
            outcome["events"][0]["type"].as_str().expect("a type").to_owned()
        }
        other => panic!("an outcome, not {other:?}"),
    }
}

fn journaled_ids(node: &LiveNode) -> Vec<String> {
    node.journaled_commands().iter().map(|c| c["id"].as_str().expect("an id").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_carries_its_owners_commands_and_the_journal_still_proves_the_sender() {
    let node = LiveNode::start("session-valid", "");
    let (owner, requester) = (key(1), key(2));
    let request = session_request(&domain(), &owner, now_ms() + 600_000, "n-1");
    let session = open_session(&node.url, &request).await.expect("the session opens");
    assert_eq!(session.owner, owner.address());

    // By query parameter and by bearer header: commands without `sig`.
    let (mut sender, mut receiver) = ws::connect(&node.url, Some(&session.token)).await.unwrap();
    sender.command(1, &ask("s-1", owner.address(), "1.5", 2)).await.unwrap();
    assert_eq!(first_event(&answer(&mut receiver, &json!(1)).await), "accepted");
    let mut request = ws::url(&node.url, None).into_client_request().unwrap();
    let bearer = format!("Bearer {}", session.token).parse().unwrap();
    request.headers_mut().insert("authorization", bearer);
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("bearer accepted");
    let (mut sender, mut receiver) = ws::from_socket(socket);
    sender
        .batch(2, &[ask("s-2", owner.address(), "1.6", 1), cancel("s-1", owner.address())])
        .await
        .unwrap();
    let Frame::Outcome { outcome, .. } = answer(&mut receiver, &json!(2)).await else {
        panic!("answered")
    };
    assert_eq!(outcome[1]["events"][0]["type"], "cancelled");
    // A signed command from another account, over HTTP, trades with the session's ask.
    let take = signed(&domain(), &requester, bid("b-1", requester.address(), "2", 1, "ioc"));
    let (status, _, body) = node.post("/v1/commands", &take).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"][1]["type"], "deal");

    let lines = node.journaled_commands();
    assert_eq!(journaled_ids(&node), ["s-1", "s-2", "s-1", "b-1"]);
    for line in &lines {
        let sender = domain().verify_line(line.as_object().unwrap());
        assert_eq!(sender.ok(), line["owner"].as_str().and_then(|o| o.parse().ok()), "{line}");
    }
    assert_eq!(lines[0]["session"]["nonce"], "n-1", "journaled with the session's signed request");
    assert!(lines[0].get("sig").is_none() && lines[3].get("session").is_none());
    node.assert_replay_reproduces_the_events().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_refuses_commands_naming_another_owner_and_journals_nothing() {
    let node = LiveNode::start("session-wrong-owner", "");
    let (owner, other) = (key(1), key(2));
    let request = session_request(&domain(), &owner, now_ms() + 600_000, "n-1");
    let session = open_session(&node.url, &request).await.unwrap();
    let (mut sender, mut receiver) = ws::connect(&node.url, Some(&session.token)).await.unwrap();
    sender.command(1, &ask("theirs", other.address(), "1.5", 1)).await.unwrap();
    assert_eq!(error_code(&answer(&mut receiver, &json!(1)).await), "wrong_owner");
    // Even with the other account's own valid signature: a session carries one owner.
    let theirs = signed(&domain(), &other, ask("theirs-signed", other.address(), "1.5", 1));
    sender.command(2, &theirs).await.unwrap();
    assert_eq!(error_code(&answer(&mut receiver, &json!(2)).await), "wrong_owner");
    // A session proof cannot be smuggled in by a client.
    let mut forged = ask("forged", owner.address(), "1.5", 1);
    forged["session"] = json!({"expires": 1, "nonce": "x", "sig": "0x00"});
    sender.command(3, &forged).await.unwrap();
    assert_eq!(error_code(&answer(&mut receiver, &json!(3)).await), "bad_field");
    // Without a session, an unsigned command is refused as on HTTP.
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.unwrap();
    sender.command(4, &ask("unsigned", owner.address(), "1.5", 1)).await.unwrap();
    assert_eq!(error_code(&answer(&mut receiver, &json!(4)).await), "missing_signature");
    assert!(journaled_ids(&node).is_empty(), "nothing refused was journaled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_reused_and_unknown_sessions_are_refused() {
    let node = LiveNode::start("session-expired", "[limits]\nsession_lifetime_max_ms = 3600000\n");
    let owner = key(1);
    let refused = |request: Value| {
        let url = node.url.clone();
        async move {
            match open_session(&url, &request).await {
                Err(ClientError::Refused { status, body }) => {
                    assert_documented("post", "/v1/sessions", status);
                    let body: Value = serde_json::from_str(&body).unwrap();
                    (status, body["error"].as_str().unwrap().to_owned())
                }
                other => panic!("refused, not {other:?}"),
            }
        }
    };
    let past = session_request(&domain(), &owner, now_ms() - 1, "past");
    assert_eq!(refused(past).await, (401, "session_expired".to_owned()));
    let too_long = session_request(&domain(), &owner, now_ms() + 7_200_000, "long");
    assert_eq!(refused(too_long).await, (400, "bad_field".to_owned()));
    let mut stolen = session_request(&domain(), &owner, now_ms() + 600_000, "stolen");
    stolen["owner"] = json!(key(2).address().to_checksum(None));
    assert_eq!(refused(stolen).await, (401, "bad_signature".to_owned()));

    // A session that ends while its connection is open: refused from then on, nothing journaled.
    let expires_ms = now_ms() + 4_000;
    let request = session_request(&domain(), &owner, expires_ms, "short");
    let session = open_session(&node.url, &request).await.expect("opens");
    assert_eq!(refused(request).await, (409, "session_reused".to_owned()), "one use each");
    let (mut sender, mut receiver) = ws::connect(&node.url, Some(&session.token)).await.unwrap();
    sender.command(1, &ask("in-time", owner.address(), "1.5", 1)).await.unwrap();
    assert_eq!(first_event(&answer(&mut receiver, &json!(1)).await), "accepted");
    tokio::time::sleep(Duration::from_millis(expires_ms.saturating_sub(now_ms()))).await;
    sender.command(2, &ask("too-late", owner.address(), "1.5", 1)).await.unwrap();
    assert_eq!(error_code(&answer(&mut receiver, &json!(2)).await), "session_expired");
    assert_eq!(journaled_ids(&node), ["in-time"]);

    for (token, code) in
        [(session.token.as_str(), "session_expired"), ("0badc0de", "unknown_session")]
    {
        let Err(error) = tokio_tungstenite::connect_async(ws::url(&node.url, Some(token))).await
        else {
            panic!("the upgrade is refused")
        };
        let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
            panic!("an HTTP refusal, not {error}")
        };
        assert_eq!(response.status(), 401);
        assert_documented("get", "/v1/ws", 401);
        let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
        assert_eq!(body["error"], code);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_session_request_stays_spent_after_a_restart() {
    let mut node = LiveNode::start("session-restart", "");
    let owner = key(1);
    let request = session_request(&domain(), &owner, now_ms() + 600_000, "once");
    let session = open_session(&node.url, &request).await.unwrap();
    let (mut sender, mut receiver) = ws::connect(&node.url, Some(&session.token)).await.unwrap();
    sender.command(1, &ask("a", owner.address(), "1.5", 1)).await.unwrap();
    assert_eq!(first_event(&answer(&mut receiver, &json!(1)).await), "accepted");
    node = node.restart();
    // The request is in the journal, where anyone with an export can read it: it opens nothing.
    let Err(ClientError::Refused { status, .. }) = open_session(&node.url, &request).await else {
        panic!("a spent session request is refused after a restart")
    };
    assert_eq!(status, 409);
    let fresh = session_request(&domain(), &owner, now_ms() + 600_000, "twice");
    open_session(&node.url, &fresh).await.expect("a new nonce opens a new session");
}

/// The account of private key 0x…01, as every Ethereum library derives it.
const ETH_OWNER: &str = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";
const ETH_KEY: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_account_signatures_are_accepted_over_http_and_websocket_and_bad_ones_never_journaled()
{
    let node = LiveNode::start("interop", "");
    let eip712: Value = live::http()
        .get(format!("{}/v1/eip712", node.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owner = ETH_OWNER.parse().unwrap();
    let commands = [
        ask("http-ask", owner, "2.80", 4),
        bid("http-bid", owner, "1.00", 1, "gtc"),
        ask("ws-ask", owner, "2.90", 1),
        cancel("http-ask", owner),
    ];
    let expires_ms = now_ms() + 600_000;
    let mut messages = commands.to_vec();
    messages.push(json!({"owner": ETH_OWNER, "expires": expires_ms, "nonce": "eth-account"}));
    let signatures = sign_with_eth_account(&eip712, ETH_KEY, &messages);
    let mut signed: Vec<Value> = messages
        .into_iter()
        .zip(signatures)
        .map(|(mut message, sig)| {
            message["sig"] = Value::String(sig);
            message
        })
        .collect();
    let session_request = signed.pop().unwrap();

    let mut tampered = signed[0].clone();
    tampered["qty"] = json!(40);
    tampered["id"] = json!("http-tampered");
    let (status, _, body) = node.post("/v1/commands", &tampered).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("bad_signature")), "{body}");
    for command in &signed[..2] {
        let (status, _, body) = node.post("/v1/commands", command).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["events"][0]["type"], "accepted");
    }

    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.unwrap();
    let mut tampered = signed[2].clone();
    tampered["price"] = json!("0.01");
    tampered["id"] = json!("ws-tampered");
    sender.command("bad", &tampered).await.unwrap();
    sender.command("ask", &signed[2]).await.unwrap();
    sender.command("cancel", &signed[3]).await.unwrap();
    let mut answered = HashMap::new();
    for tag in ["bad", "ask", "cancel"] {
        answered.insert(tag, answer(&mut receiver, &json!(tag)).await);
    }
    assert_eq!(error_code(&answered["bad"]), "bad_signature");
    assert_eq!(first_event(&answered["ask"]), "accepted");
    assert_eq!(first_event(&answered["cancel"]), "cancelled");

    // A session signed by eth-account opens; its commands need no signature.
    let session = open_session(&node.url, &session_request).await.expect("eth-account session");
    let (mut sender, mut receiver) = ws::connect(&node.url, Some(&session.token)).await.unwrap();
    sender.command(9, &ask("session-ask", owner, "3.00", 1)).await.unwrap();
    assert_eq!(first_event(&answer(&mut receiver, &json!(9)).await), "accepted");

    assert_eq!(
        journaled_ids(&node),
        ["http-ask", "http-bid", "ws-ask", "http-ask", "session-ask"],
        "the tampered commands were never journaled"
    );
    node.assert_replay_reproduces_the_events().await;
}
