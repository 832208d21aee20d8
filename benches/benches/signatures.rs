//! Criterion cost of EIP-712 signatures on signed commands (see BENCHMARKS.md, "Live node"):
//!
//! - `verify_command/threads/<n>`: `Domain::verify_command` of 256 signed commands of the
//!   benchmark market (asks, bids and cancels, each by its own account), split over `n`
//!   threads. Throughput is per command, so criterion's figure is the rate the gateway's workers
//!   can verify at with `n` cores; 1 and 2 threads show how it scales.
//! - `signing_hash`: reading one command into its typed message and hashing it (the part of
//!   a verification that is not the public-key recovery).
//! - `sign`: what a client pays to sign one command (the load generator signs before timing).
//!
//! Run: `cargo bench -p gridbook-benches --bench signatures`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_node::auth::{message_of, Domain};
use gridbook_node::client::commands::{adopt, serialised, sign};
use gridbook_node::client::keys::Accounts;
use serde_json::{Map, Value};

/// Commands verified per iteration.
const COMMANDS: usize = 256;

fn domain() -> Domain {
    Domain::new(1337, gridbook_node::config::DEVNET_SETTLEMENT)
}

/// Signed command objects of the benchmark market, as the gateway parses them.
fn signed_commands(domain: &Domain) -> Vec<Map<String, Value>> {
    let config =
        WorkloadConfig { resting: COMMANDS / 2, orders: COMMANDS / 2, ..Default::default() };
    let mut workload = Workload::new(config);
    let mut accounts = Accounts::new(1);
    let mut commands = Vec::with_capacity(COMMANDS);
    while let Some((_, mut command)) = workload.next() {
        let account = adopt(&mut command, &mut accounts, "").expect("an order or a cancel");
        let body =
            serialised(workload.symbols(), &command, Some((accounts.signer(account), domain)));
        match serde_json::from_str(&body) {
            Ok(Value::Object(object)) => commands.push(object),
            _ => unreachable!("a serialised command is a JSON object"),
        }
    }
    commands
}

fn verify_all(domain: &Domain, commands: &[Map<String, Value>]) {
    for command in commands {
        black_box(domain.verify_command(command).expect("signed by its owner"));
    }
}

fn verify_command(c: &mut Criterion) {
    let domain = domain();
    let commands = signed_commands(&domain);
    let mut group = c.benchmark_group("verify_command");
    group.throughput(Throughput::Elements(commands.len() as u64));
    for threads in [1usize, 2] {
        group.bench_function(format!("threads/{threads}"), |b| {
            b.iter(|| {
                let chunk = commands.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    for part in commands.chunks(chunk) {
                        let domain = &domain;
                        scope.spawn(move || verify_all(domain, part));
                    }
                });
            })
        });
    }
    group.finish();
}

fn signing_parts(c: &mut Criterion) {
    let domain = domain();
    let commands = signed_commands(&domain);
    let bid = commands.iter().find(|c| c["op"] == "bid").expect("the market has bids");
    c.bench_function("signing_hash", |b| {
        b.iter(|| domain.signing_hash(&message_of(black_box(bid)).expect("a typed message")))
    });
    let signer = gridbook_node::client::keys::account_key(1, 0);
    let mut unsigned = bid.clone();
    unsigned.remove("sig");
    c.bench_function("sign", |b| {
        b.iter(|| {
            let mut object = unsigned.clone();
            sign(&mut object, &signer, &domain);
            black_box(object)
        })
    });
}

criterion_group!(benches, verify_command, signing_parts);
criterion_main!(benches);
