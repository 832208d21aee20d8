//! `gridbook load`: drives a running node with a `gridbook gen` market over its public HTTP
//! API, open loop (requests due at fixed times, each command timed from its request's due time,
//! see `gridbook_node::client::open_loop`), and reports the acknowledged rate, refusals by code,
//! the latency distribution and, with `--node-pid`, the CPU split between node and generator.
//!
//! The run is bounded: it ends at the last due time plus `--drain-s`, whatever the node does.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use gridbook_node::auth::Domain;
use gridbook_node::client::commands::wall_ms;
use gridbook_node::client::http::NodeClient;
use gridbook_node::client::keys::Accounts;
use gridbook_node::client::open_loop::{self, Schedule, Tally};
use gridbook_node::client::open_loop_ws::{self, Lane};
use gridbook_node::client::{open_session, signed_session_request};

use crate::cpu_time;
use crate::load_plan::{self, PlanConfig, Sending};

/// Options of `gridbook load`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoadArgs {
    /// The node's base URL (a loopback address, e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    target: String,
    /// Commands per second offered.
    #[arg(long)]
    rate: u64,
    /// Seconds of sending.
    #[arg(long, value_name = "S")]
    duration: u64,
    /// Connections (requests in flight at most).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Commands per request (one command object, or an array of up to the node's batch_max).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// `sig`: every command signed by its owner (EIP-712), over HTTP; `session`: one trader per
    /// connection, each on a signed session over the WebSocket (the market's owners folded onto
    /// them), commands unsigned; `none`: unsigned over HTTP, for a node run with `--auth none`.
    #[arg(long, default_value = "sig", value_parser = ["sig", "session", "none"])]
    auth: String,
    /// Seed of the market and of the accounts' keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Warm-up orders that build the book before the steady mix (at most half the commands).
    #[arg(long, default_value_t = 10_000)]
    resting: usize,
    /// Distinct machine configurations of the market.
    #[arg(long, default_value_t = 64)]
    configs: usize,
    /// Put before every order id (default: `l` and the start time in seconds, so runs against
    /// one node never reuse an id).
    #[arg(long)]
    id_prefix: Option<String>,
    /// Seconds to wait for answers after the last request was due.
    #[arg(long, default_value_t = 10)]
    drain_s: u64,
    /// The node's process id, to report its CPU time beside the generator's.
    #[arg(long, value_name = "PID")]
    node_pid: Option<u32>,
}

pub(crate) fn run(args: &LoadArgs) -> Result<()> {
    ensure!(args.rate > 0 && args.duration > 0, "--rate and --duration must be at least 1");
    ensure!(args.batch > 0 && args.connections > 0, "--batch and --connections must be at least 1");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let timeout = Duration::from_secs(args.duration + args.drain_s);
    let client = NodeClient::new(&args.target, args.connections, timeout)?;
    let sessions = args.auth == "session";
    let domain = match args.auth.as_str() {
        "sig" | "session" => {
            Some(runtime.block_on(client.domain()).context("reading the node's domain")?)
        }
        _ => None,
    };
    let start_ms = wall_ms();
    let config = PlanConfig {
        commands: args.rate.saturating_mul(args.duration),
        batch: args.batch,
        seed: args.seed,
        resting: args.resting,
        configs: args.configs,
        start_ms,
        id_prefix: args.id_prefix.clone().unwrap_or_else(|| format!("l{}-", start_ms / 1000)),
        lanes: sessions.then_some(args.connections),
    };
    let prepared_at = Instant::now();
    let signing = if sessions { None } else { domain.as_ref() };
    let plan = load_plan::prepare(&config, signing)?;
    eprintln!(
        "prepared {} commands of {} accounts in {} requests ({}) in {:.1} s",
        config.commands,
        plan.accounts.len(),
        plan.sending.requests(),
        if sessions {
            "on sessions"
        } else if domain.is_some() {
            "signed"
        } else {
            "unsigned"
        },
        prepared_at.elapsed().as_secs_f64()
    );
    let schedule = Schedule {
        interval: Duration::from_secs_f64(args.batch as f64 / args.rate as f64),
        connections: args.connections,
        drain: Duration::from_secs(args.drain_s),
    };
    let cpu_before = (cpu_time::of_self(), args.node_pid.and_then(cpu_time::of_process));
    let tally = match (plan.sending, &domain) {
        (Sending::Lanes(frames), Some(domain)) => {
            // Sessions open before the clock starts, like the signing of the other modes.
            let expires_ms = wall_ms() + (args.duration + args.drain_s + 60) * 1_000;
            let tokens = runtime.block_on(open_sessions(
                client.base(),
                domain,
                &plan.accounts,
                expires_ms,
            ))?;
            let lanes =
                tokens.into_iter().zip(frames).map(|(token, frames)| Lane { token, frames });
            runtime.block_on(open_loop_ws::run(client.base(), lanes.collect(), schedule))
        }
        (Sending::Http(requests), _) => {
            runtime.block_on(open_loop::run(&client, requests, schedule))
        }
        (Sending::Lanes(_), None) => unreachable!("session lanes are planned with the domain"),
    };
    let cpu_after = (cpu_time::of_self(), args.node_pid.and_then(cpu_time::of_process));
    print_report(args, &config, &tally);
    let wall = tally.last_answer.max(Duration::from_secs(args.duration));
    print_cpu(wall, cpu_before, cpu_after);
    Ok(())
}

/// Opens one session per account (each signed by its key), in account order.
async fn open_sessions(
    base: &str,
    domain: &Domain,
    accounts: &Accounts,
    expires_ms: u64,
) -> Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(accounts.len());
    for index in 0..accounts.len() {
        let nonce = format!("load-{expires_ms}-{index}");
        let request = signed_session_request(domain, accounts.signer(index), expires_ms, &nonce);
        let session = open_session(base, &request)
            .await
            .with_context(|| format!("opening the session of account {index}"))?;
        tokens.push(session.token);
    }
    Ok(tokens)
}

fn print_report(args: &LoadArgs, config: &PlanConfig, tally: &Tally) {
    println!(
        "offered {} commands at {}/s for {} s (batches of {}, {} connections, auth {})",
        config.commands, args.rate, args.duration, args.batch, args.connections, args.auth
    );
    let elapsed_s = tally.last_answer.as_secs_f64();
    let achieved = if elapsed_s > 0.0 { tally.acknowledged as f64 / elapsed_s } else { 0.0 };
    let refused: u64 = tally.refused.values().sum();
    println!(
        "acknowledged {} ({achieved:.0}/s over {elapsed_s:.3} s), refused {refused}, unanswered {}",
        tally.acknowledged, tally.unanswered
    );
    println!("events: {}", counts(&tally.events));
    if refused > 0 {
        println!("refused by code: {}", counts(&tally.refused));
    }
    let ms = |quantile: f64| tally.latency_us.value_at_quantile(quantile) as f64 / 1000.0;
    println!(
        "latency from scheduled send, ms: p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} max {:.3}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        tally.latency_us.max() as f64 / 1000.0
    );
}

fn counts(counts: &std::collections::BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = counts.iter().map(|(name, count)| format!("{name} {count}")).collect();
    parts.join(", ")
}

type CpuSample = (Option<Duration>, Option<Duration>);

fn print_cpu(wall: Duration, before: CpuSample, after: CpuSample) {
    let share = |a: Option<Duration>, b: Option<Duration>| {
        let used = a.zip(b).map(|(b, a)| a.saturating_sub(b))?;
        Some(format!(
            "{:.2} s ({:.0}% of one core)",
            used.as_secs_f64(),
            100.0 * used.as_secs_f64() / wall.as_secs_f64()
        ))
    };
    let generator = share(before.0, after.0).unwrap_or_else(|| "unknown".to_owned());
    match share(before.1, after.1) {
        Some(node) => {
            println!("cpu over {:.1} s: node {node}, generator {generator}", wall.as_secs_f64())
        }
        None => println!("cpu over {:.1} s: generator {generator}", wall.as_secs_f64()),
    }
}
