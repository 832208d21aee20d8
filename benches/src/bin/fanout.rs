//! The market-data fan-out of a live node (BENCHMARKS.md, "Market-data feeds"): opens N
//! WebSocket subscribers to a running node, each following the tickers, every trade and the
//! depth of one class, and counts what they receive while a load runs beside it.
//!
//! ```text
//! fanout --target http://127.0.0.1:18490 --subscribers 1000 --duration 30 --node-pid PID
//! ```
//!
//! Prints the feed messages delivered per second (all subscribers together), the bytes, the
//! resynchronisations (a subscriber that fell behind the broadcast), subscribers closed by the
//! node, and the node's resident memory before the subscribers, with them idle, and at the end
//! — so the memory per subscriber.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridbook_node::client::ws;
use serde_json::json;

/// The classes the subscribers' depth channels spread over (the generated market's).
const CLASSES: [&str; 4] = ["gpu.a100-80gb", "gpu.h100-80gb", "gpu.t4", "gpu.l4"];

#[derive(Default)]
struct Counts {
    frames: AtomicU64,
    bytes: AtomicU64,
    resyncs: AtomicU64,
    closed: AtomicU64,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|at| args.get(at + 1)).cloned()
}

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let target = arg("--target").unwrap_or_else(|| "http://127.0.0.1:18490".into());
    let subscribers: usize = arg("--subscribers").and_then(|n| n.parse().ok()).unwrap_or(1000);
    let duration_s: u64 = arg("--duration").and_then(|n| n.parse().ok()).unwrap_or(30);
    let pid: Option<u32> = arg("--node-pid").and_then(|n| n.parse().ok());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let counts = Arc::new(Counts::default());
    let rss_before = rss_kib(pid);
    runtime.block_on(async {
        let mut tasks = Vec::with_capacity(subscribers);
        for at in 0..subscribers {
            let (mut sender, mut receiver) = match ws::connect(&target, None).await {
                Ok(halves) => halves,
                Err(error) => panic!("subscriber {at} cannot connect: {error}"),
            };
            let class = CLASSES[at % CLASSES.len()];
            for frame in [
                json!({"subscribe":"tickers"}),
                json!({"subscribe":"trades"}),
                json!({"subscribe":"depth","class":class}),
            ] {
                sender.send(frame).await.expect("subscribes");
            }
            let counts = counts.clone();
            tasks.push(tokio::spawn(async move {
                let _sender = sender; // the connection lives while the task does
                loop {
                    match receiver.next_text().await {
                        Ok(Some(text)) => {
                            counts.frames.fetch_add(1, Ordering::Relaxed);
                            counts.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                            if text.as_str().contains("\"type\":\"resync\"") {
                                counts.resyncs.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {
                            counts.closed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_idle = rss_kib(pid);
        let (frames0, bytes0) =
            (counts.frames.load(Ordering::Relaxed), counts.bytes.load(Ordering::Relaxed));
        let started = Instant::now();
        let mut rss_peak = rss_idle;
        while started.elapsed() < Duration::from_secs(duration_s) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            rss_peak = rss_peak.max(rss_kib(pid));
        }
        let elapsed_s = started.elapsed().as_secs_f64();
        let frames = counts.frames.load(Ordering::Relaxed) - frames0;
        let bytes = counts.bytes.load(Ordering::Relaxed) - bytes0;
        println!("subscribers: {subscribers} (tickers, trades, depth of one class each)");
        println!(
            "delivered: {:.0} messages/s, {:.1} MB/s over {elapsed_s:.1} s",
            frames as f64 / elapsed_s,
            bytes as f64 / elapsed_s / 1e6
        );
        println!(
            "resyncs: {}, closed by the node: {}",
            counts.resyncs.load(Ordering::Relaxed),
            counts.closed.load(Ordering::Relaxed)
        );
        if let (Some(before), Some(idle), Some(peak)) = (rss_before, rss_idle, rss_peak) {
            let per = |kib: u64| kib.saturating_sub(before) as f64 / subscribers as f64;
            println!(
                "node RSS: {before} KiB before, {idle} KiB with the subscribers idle ({:.1} KiB each), peak {peak} KiB under load ({:.1} KiB each)",
                per(idle),
                per(peak)
            );
        }
        for task in tasks {
            task.abort();
        }
    });
}
