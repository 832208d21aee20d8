//! The gas target of issue 4: at most 8,000 gas per deal at batch size 256 with 32 distinct
//! accounts (steady state, Prague calldata pricing), and batching must be cheaper per deal than
//! one deal per transaction.

use gridbook_settlement::devnet::gas::measure;

#[test]
fn batch_of_256_over_32_accounts_costs_at_most_8000_gas_per_deal() {
    let figure = measure(256, 32, 1).unwrap();
    assert!(figure.gas_per_deal() <= 8_000, "{} gas per deal", figure.gas_per_deal());
    let single = measure(1, 32, 4).unwrap();
    assert!(single.gas_per_deal() > 4 * figure.gas_per_deal(), "{single:?} vs {figure:?}");
}
