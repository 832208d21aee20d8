//! Gas per deal of `settleBatch` on the embedded devnet (BENCHMARKS.md), at batch sizes 1, 16,
//! 128, 256 and 512 with 32 distinct accounts. Batch size 1 is the one-deal-per-transaction
//! design: every deal pays the 21,000 base cost and its accounts' storage writes alone.
//! Gas is deterministic, so a debug build gives the same figures:
//! `cargo run -p gridbook-settlement --example settlement_gas`.

use gridbook_settlement::devnet::gas::{measure, WORKLOAD_FEE_BPS};

const DISTINCT_ACCOUNTS: u64 = 32;

fn main() -> Result<(), gridbook_settlement::ChainError> {
    println!("settleBatch, {DISTINCT_ACCOUNTS} distinct accounts, fee {WORKLOAD_FEE_BPS} bps, steady state");
    println!("{:>10} {:>12} {:>14} {:>14}", "batch size", "batches", "gas per tx", "gas per deal");
    for (batch_size, batches) in [(1usize, 32u64), (16, 8), (128, 2), (256, 2), (512, 1)] {
        let figure = measure(batch_size, DISTINCT_ACCOUNTS, batches)?;
        println!(
            "{:>10} {:>12} {:>14} {:>14}",
            batch_size,
            batches,
            figure.gas_used / batches,
            figure.gas_per_deal()
        );
    }
    Ok(())
}
