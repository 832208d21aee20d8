//! The gas targets: issue 4's at most 8,000 gas per deal at batch size 256 with 32 distinct
//! accounts (steady state, Prague calldata pricing), batching cheaper per deal than one deal per
//! transaction; and issue 12's at most 4,000 gas per deal at batch size 256 on a generated
//! market's account mix (`gridbook gen --seed 3 --orders 20000` replayed: hundreds of distinct
//! accounts per batch, which cost a storage write each before a batch committed their totals as
//! a Merkle root).

use gridbook_settlement::devnet::gas::{market_deals, measure, measure_deals};

#[test]
fn batch_of_256_over_32_accounts_costs_at_most_8000_gas_per_deal() {
    let figure = measure(256, 32, 1).unwrap();
    assert!(figure.gas_per_deal() <= 8_000, "{} gas per deal", figure.gas_per_deal());
    let single = measure(1, 32, 4).unwrap();
    assert!(single.gas_per_deal() > 4 * figure.gas_per_deal(), "{single:?} vs {figure:?}");
}

#[test]
fn batches_of_256_of_a_generated_market_cost_at_most_4000_gas_per_deal() {
    let deals = market_deals(3, 20_000);
    assert_eq!(deals.len(), 5_193, "the market of BENCHMARKS.md");
    let market = measure_deals(&deals, 256).unwrap();
    let full_batches = &market.accounts_per_batch[..market.accounts_per_batch.len() - 1];
    let fewest = full_batches.iter().min().copied().unwrap_or(0);
    assert!(fewest >= 250, "a real account mix: {fewest} distinct accounts in a full batch");
    let per_deal = market.figure.gas_per_deal();
    assert!(per_deal <= 4_000, "{per_deal} gas per deal, {:?}", market.accounts_per_batch);
}
