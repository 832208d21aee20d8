//! Gas per deal of `settleBatch` on the embedded devnet (BENCHMARKS.md): at batch sizes 1, 16,
//! 128, 256 and 512 with 32 distinct accounts (batch size 1 is the one-deal-per-transaction
//! design), then a generated market's deals (`gridbook gen --seed 3 --orders 20000` replayed)
//! at batch sizes 64, 128, 256 and 512, with the distinct accounts per batch.
//! Gas is deterministic, so a debug build gives the same figures:
//! `cargo run -p gridbook-settlement --example settlement_gas`.

use gridbook_settlement::devnet::gas::{market_deals, measure, measure_deals, WORKLOAD_FEE_BPS};

const DISTINCT_ACCOUNTS: u64 = 32;
const MARKET_SEED: u64 = 3;
const MARKET_ORDERS: usize = 20_000;

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
    let deals = market_deals(MARKET_SEED, MARKET_ORDERS);
    println!();
    println!(
        "settleBatch, gen --seed {MARKET_SEED} --orders {MARKET_ORDERS}: {} deals",
        deals.len()
    );
    println!(
        "{:>10} {:>8} {:>22} {:>14} {:>14}",
        "batch size", "batches", "accounts/batch min-max", "mean", "gas per deal"
    );
    for batch_size in [64usize, 128, 256, 512] {
        let market = measure_deals(&deals, batch_size)?;
        let per_batch = &market.accounts_per_batch;
        let min = per_batch.iter().min().copied().unwrap_or(0);
        let max = per_batch.iter().max().copied().unwrap_or(0);
        let mean = per_batch.iter().sum::<usize>() as f64 / per_batch.len().max(1) as f64;
        println!(
            "{:>10} {:>8} {:>22} {:>14.0} {:>14}",
            batch_size,
            market.batches,
            format!("{min}-{max}"),
            mean,
            market.figure.gas_per_deal()
        );
    }
    println!("({} distinct accounts in the market)", measure_deals(&deals, 256)?.accounts);
    Ok(())
}
