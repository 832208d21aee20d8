//! The load generator's open loop against a stand-in node on loopback: requests due while the
//! node stalls are timed from their due times (so the stall shows as their latency, not as
//! fewer requests — no coordinated omission), and a node that never answers ends the run at its
//! deadline with everything counted as unanswered.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use gridbook_node::client::http::NodeClient;
use gridbook_node::client::open_loop::{run, Request, Schedule, Tally};

/// A stand-in for a node: answers every `POST /v1/commands` with one outcome, after `stall`
/// for the first request (or never, with `None`).
async fn stand_in(stall: Option<Duration>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound");
    let requests = Arc::new(AtomicUsize::new(0));
    let stalled = Arc::new(AtomicBool::new(false));
    let counter = requests.clone();
    let app = Router::new().route(
        "/v1/commands",
        post(move || {
            let (counter, stalled) = (counter.clone(), stalled.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                match stall {
                    None => std::future::pending::<()>().await,
                    Some(stall) if !stalled.swap(true, Ordering::SeqCst) => {
                        tokio::time::sleep(stall).await
                    }
                    Some(_) => {}
                }
                r#"{"seq":1,"ts":1,"events":[{"type":"accepted","id":"o1","seq":1,"ts":1}]}"#
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), requests)
}

fn requests(count: usize) -> Arc<Vec<Request>> {
    Arc::new((0..count).map(|_| Request { body: "{}".into(), commands: 1 }).collect())
}

async fn load(url: &str, count: usize, drain: Duration) -> Tally {
    let client = NodeClient::new(url, 1, Duration::from_secs(30)).expect("a client");
    let schedule = Schedule { interval: Duration::from_millis(10), connections: 1, drain };
    run(&client, requests(count), schedule).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_as_latency_of_every_request_due_during_it() {
    let (url, _) = stand_in(Some(Duration::from_millis(400))).await;
    let tally = load(&url, 30, Duration::from_secs(5)).await;
    assert_eq!(tally.acknowledged, 30);
    assert_eq!(tally.events.get("accepted"), Some(&30));
    // Requests due at 0, 10, …, 290 ms all wait for the first answer at ~400 ms: the one in the
    // middle (due at ~150 ms) waited ~250 ms. Timed from when each was actually sent, as a
    // closed loop would, the median would be a millisecond or two.
    let p50_ms = tally.latency_us.value_at_quantile(0.5) / 1000;
    assert!(p50_ms >= 150, "median latency {p50_ms} ms hides the stall");
    assert!(tally.latency_us.max() / 1000 >= 390, "the first request waited the whole stall");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_never_answers_ends_the_run_at_its_deadline() {
    let (url, seen) = stand_in(None).await;
    let started = Instant::now();
    let tally = load(&url, 5, Duration::from_millis(300)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "bounded by the last due time + drain: {took:?}");
    assert_eq!((tally.acknowledged, tally.unanswered), (0, 5));
    assert_eq!(seen.load(Ordering::SeqCst), 1, "one connection: the rest were never sent");
    // Unsent requests count at the latency they had reached by the deadline.
    assert!(tally.latency_us.value_at_quantile(0.5) / 1000 >= 250);
}
