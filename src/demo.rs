//! `gridbook serve --demo`: the node on its embedded defaults plus, in the same process, a crowd
//! of simulated traders ([`crate::demo_crowd`]) trading through its public API, so a newcomer
//! sees a live market at once. It prints the URL and what to ask the node.
//!
//! The data directory is `./gridbook-data-demo`, kept between runs: apart from a real node's
//! `./gridbook-data`, so demo accounts never enter a real journal, and kept so that stopping
//! and starting again shows recovery and `gridbook journal export` can replay the demo offline.
//! On a directory that already holds a market, the crowd's ids carry a prefix, so they never
//! repeat an id of an earlier run (ids are never reused).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use gridbook_node::auth::Domain;
use gridbook_node::{NodeConfig, Started};

use crate::demo_crowd::{self, Crowd, RATE_PER_S};

/// The demo's data directory unless `--data` names another.
pub(crate) const DEMO_DATA: &str = "gridbook-data-demo";

/// Runs the node and its crowd until SIGTERM or Ctrl-C.
pub(crate) fn run(config: NodeConfig) -> Result<()> {
    let domain = Domain::new(config.chain.chain_id, config.chain.verifying_contract);
    let data = config.data.clone();
    let kept = data.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let (crowd_sender, crowd_receiver) = std::sync::mpsc::channel();
    let crowd_stop = stop.clone();
    let served = gridbook_node::serve(config, move |started| {
        let id_prefix = match started.recovered.last_seq {
            0 => String::new(),
            seq => format!("r{seq}-"),
        };
        print_banner(&started, &data, &id_prefix);
        let crowd = Crowd { url: url(&started), domain, id_prefix, stop: crowd_stop };
        // The node serves on; the crowd is only its first clients.
        let _ = crowd_sender.send(std::thread::spawn(move || demo_crowd::run(crowd)));
    });
    stop.store(true, Ordering::Relaxed);
    if let Ok(crowd) = crowd_receiver.try_recv() {
        match crowd.join() {
            Ok(result) => result.context("the demo crowd")?,
            Err(_) => anyhow::bail!("the demo crowd panicked"),
        }
    }
    served.context("gridbook serve --demo")?;
    eprintln!("demo stopped; the market's journal is kept in {}", kept.display());
    Ok(())
}

fn url(started: &Started) -> String {
    gridbook_node::gateway::url_of(started.addr)
}

/// A machine the demo's crowd trades (the generator's A100 configuration), for the banner's
/// price question.
const A100_MACHINE: &str =
    r#"{"cpu":12,"mem":128,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;

fn print_banner(started: &Started, data: &Path, id_prefix: &str) {
    let url = url(started);
    // The first line is `gridbook serve`'s own: scripts and tests read the address from it.
    println!("gridbook node listening on {url}");
    println!(
        "demo: simulated providers and requesters trade through the API, about {RATE_PER_S} signed commands/s"
    );
    if started.recovered.records > 0 {
        println!(
            "demo: recovered {} journaled commands from {}; the market goes on",
            started.recovered.records,
            data.display()
        );
    }
    println!("open {url}/ in a browser: the live dashboard (depth, candles, trades, tickers)");
    println!("try:");
    for (path, what) in [
        ("/v1/references", "every hardware class's reference price"),
        ("/v1/book?levels=3", "the book: per class, per machine configuration, per requirement"),
        ("/v1/events?after=0&limit=5", "the first events: accepted orders, deals"),
        (&format!("/v1/orders/{id_prefix}o1"), "one order: state, remaining, fills"),
        ("/v1/health", "the last sequence number"),
        ("/metrics", "commands by outcome, fsync latency, queue depths"),
        ("/v1/eip712", "the EIP-712 types to sign your own orders with"),
    ] {
        println!("  curl -s '{url}{path}'    # {what}");
    }
    println!(
        "  curl -sG '{url}/v1/price' --data-urlencode 'hw={A100_MACHINE}'    # what an A100 machine is worth, and the ask to place"
    );
    println!(
        "  curl -s '{url}/v1/explain/{id_prefix}o1'    # why that order traded, or what keeps it resting"
    );
    println!(
        "  gridbook journal export {} --out demo.jsonl && gridbook replay demo.jsonl --pricing ewma    # the same market, offline",
        data.display()
    );
    println!("Ctrl-C stops the node and the crowd (the journal is kept).");
}
