//! The batcher's off-chain throughput (BENCHMARKS.md): deals per second through each stage of
//! settling, on one thread — reading deal events, computing amounts and netting, journaling
//! batches with an fsync each, and the whole batcher on the embedded devnet (EVM included).
//! `cargo run --release -p gridbook-settlement --example batcher_throughput [DEALS]`.

use std::collections::BTreeMap;
use std::time::Instant;

use alloy_primitives::Address;
use gridbook_settlement::amount::deal_amount;
use gridbook_settlement::batcher::{Batcher, BatcherConfig};
use gridbook_settlement::deals::{read_deals, DealRecord};
use gridbook_settlement::devnet::Devnet;
use gridbook_settlement::journal::{Journal, Record};
use gridbook_settlement::netting::net;
use gridbook_settlement::{Chain, DeployParams, SettlementDeal};

const BATCH: usize = 256;

fn events(count: u64) -> String {
    let mut text = String::new();
    for id in 1..=count {
        let start = 1_767_225_600_000 + id * 10;
        text.push_str(&format!(
            "{{\"seq\":{id},\"ts\":{start},\"type\":\"deal\",\"deal\":{id},\"bid\":\"b{id}\",\
             \"ask\":\"a{id}\",\"requester\":\"0x20000000000000000000000000000000000000{:02x}\",\
             \"provider\":\"0x10000000000000000000000000000000000000{:02x}\",\"qty\":{},\
             \"price\":\"1.{:03}\",\"start\":{start},\"end\":{}}}\n",
            id % 16,
            id * 7 % 16,
            1 + id % 4,
            id % 1000,
            start + 3_600_000 + id % 999,
        ));
    }
    text
}

fn settlement_deals(deals: &[DealRecord]) -> Vec<SettlementDeal> {
    deals
        .iter()
        .map(|d| SettlementDeal {
            deal_id: d.deal_id,
            requester: d.requester,
            provider: d.provider,
            amount: deal_amount(d.price_nano, d.qty, d.end_ms - d.start_ms, 9).unwrap_or_default(),
        })
        .collect()
}

fn rate(label: &str, count: usize, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label:<44} {:>12.0} deals/s  ({count} deals in {seconds:.3} s)",
        count as f64 / seconds
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: u64 = std::env::args().nth(1).map_or(Ok(100_000), |arg| arg.parse())?;
    let text = events(count);
    let started = Instant::now();
    let deals = read_deals(text.as_bytes())?;
    rate("read deal events (strict JSON)", deals.len(), started);

    let started = Instant::now();
    let leaves = settlement_deals(&deals);
    let mut accounts = 0;
    for batch in leaves.chunks(BATCH) {
        accounts += net(batch, 50).accounts.len();
    }
    rate("amounts + netting per batch of 256", leaves.len(), started);
    assert!(accounts > 0);

    let path =
        std::env::temp_dir().join(format!("gridbook-throughput-{}.journal", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut journal = Journal::open(&path)?;
    let started = Instant::now();
    for (index, batch) in leaves.chunks(BATCH).enumerate() {
        journal.append(Record::Batch { batch_id: index as u64 + 1, deals: batch.to_vec() })?;
    }
    rate("journal batches of 256 (one fsync each)", leaves.len(), started);
    std::fs::remove_file(&path)?;

    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps: 50, withdrawal_delay_s: 3600 };
    let deployment = devnet.deploy(&params)?;
    let mut owed: BTreeMap<Address, _> = BTreeMap::new();
    for deal in &leaves {
        *owed.entry(deal.requester).or_default() += deal.amount;
    }
    for (account, amount) in owed {
        devnet.fund(&deployment, account, amount)?;
    }
    let config = BatcherConfig { batch_size_max: BATCH, batch_interval_ms: u64::MAX };
    let started = Instant::now();
    let mut batcher = Batcher::open(&mut devnet, deployment, &path, config)?;
    for deal in &deals {
        batcher.push(deal)?;
    }
    let report = batcher.finish()?;
    rate("batcher end to end on the devnet (EVM incl.)", report.deals_settled as usize, started);
    std::fs::remove_file(&path)?;
    Ok(())
}
