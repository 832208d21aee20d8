//! The gas workloads of BENCHMARKS.md: gas per deal of `settleBatch` on the devnet at a given
//! batch size, with deals spread over a fixed set of distinct accounts (half requesters, half
//! providers), in steady state (every account already has a balance, as after the first batch);
//! and a generated market's deals (`gridbook gen` replayed), settled batch after batch.

use alloy_primitives::{Address, U256};

use super::Devnet;
use crate::chain::{Chain, ChainError, DeployParams, SettlementDeal};

/// Operator fee of the workload, basis points (a non-zero fee costs the settler's slot too).
pub const WORKLOAD_FEE_BPS: u16 = 25;

/// What one measurement found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasFigure {
    /// Deals per `settleBatch` transaction.
    pub batch_size: usize,
    /// Gas used by the measured transactions, in total.
    pub gas_used: u64,
    /// Deals they settled.
    pub deal_count: u64,
}

impl GasFigure {
    /// Gas per deal, rounded down.
    pub fn gas_per_deal(&self) -> u64 {
        self.gas_used / self.deal_count.max(1)
    }
}

/// Deal `index` of the workload over `accounts` distinct accounts (`accounts / 2` requesters,
/// the rest providers), amount a few tokens at 9 decimals.
pub fn workload_deal(index: u64, accounts: u64) -> SettlementDeal {
    let requesters = (accounts / 2).max(1);
    let providers = (accounts - requesters).max(1);
    SettlementDeal {
        deal_id: index + 1,
        requester: workload_account(index % requesters),
        provider: workload_account(requesters + (index * 7 + 3) % providers),
        amount: U256::from(1_000_000_000 + index * 7_919),
    }
}

fn workload_account(n: u64) -> Address {
    let mut bytes = [0x11u8; 20];
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(bytes)
}

/// Gas per deal at `batch_size` over `accounts` distinct accounts: a warm-up batch touches every
/// account, then `measured_batches` batches are measured.
pub fn measure(
    batch_size: usize,
    accounts: u64,
    measured_batches: u64,
) -> Result<GasFigure, ChainError> {
    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps: WORKLOAD_FEE_BPS, withdrawal_delay_s: 0 };
    let deployment = devnet.deploy(&params)?;
    for requester in 0..(accounts / 2).max(1) {
        devnet.fund(&deployment, workload_account(requester), U256::from(u64::MAX))?;
    }
    let warm_up: Vec<SettlementDeal> =
        (0..accounts.max(2)).map(|i| workload_deal(i, accounts)).collect();
    let pending = devnet.send_batch(&deployment, 1, &warm_up)?;
    devnet.confirm(&deployment, &pending)?;

    let mut figure = GasFigure { batch_size, gas_used: 0, deal_count: 0 };
    let mut next_deal = warm_up.len() as u64;
    for batch_id in 2..2 + measured_batches {
        let deals: Vec<SettlementDeal> = (next_deal..next_deal + batch_size as u64)
            .map(|i| workload_deal(i, accounts))
            .collect();
        next_deal += batch_size as u64;
        let pending = devnet.send_batch(&deployment, batch_id, &deals)?;
        let receipt = devnet.confirm(&deployment, &pending)?;
        figure.gas_used += receipt.gas_used;
        figure.deal_count += receipt.deal_count;
    }
    Ok(figure)
}

/// Gas of a generated market's deals, settled in consecutive batches (the account mix of a real
/// market: many requesters with a few deals each, fewer providers with many).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketGasFigure {
    /// Gas and deals of all batches (the last one may be short).
    pub figure: GasFigure,
    /// Batches sent.
    pub batches: u64,
    /// Distinct accounts (requesters and providers) of each batch, in batch order.
    pub accounts_per_batch: Vec<usize>,
    /// Distinct accounts of the whole market.
    pub accounts: usize,
}

/// The deals of `gridbook gen --seed SEED --orders ORDERS` replayed (`gridbook replay`), priced
/// as the batcher prices them (9-decimal token), in deal order.
pub fn market_deals(seed: u64, orders: usize) -> Vec<SettlementDeal> {
    use gridbook_matcher::stream::{encode_command, Replay};
    use gridbook_matcher::workload::{Workload, WorkloadConfig};
    use gridbook_matcher::Event;

    let mut workload = Workload::new(WorkloadConfig { seed, orders, ..WorkloadConfig::default() });
    let mut replay = Replay::default();
    let mut sink = Vec::new();
    let mut deals = Vec::new();
    let mut line_no = 0;
    while let Some((ts_ms, command)) = workload.next() {
        line_no += 1;
        let line = encode_command(workload.symbols(), ts_ms, &command);
        sink.clear();
        replay.line(line_no, line.as_bytes(), &mut sink);
        for event in replay.events() {
            if let Event::Deal(deal) = event {
                let amount = crate::amount::deal_amount(
                    deal.price_nano,
                    deal.qty,
                    deal.end_ms - deal.start_ms,
                    9,
                )
                .expect("a generated deal's amount fits 256 bits");
                deals.push(SettlementDeal {
                    deal_id: deal.deal,
                    requester: Address::from(deal.requester.0),
                    provider: Address::from(deal.provider.0),
                    amount,
                });
            }
        }
    }
    deals
}

/// Gas per deal of settling `deals` in batches of `batch_size` on a fresh devnet, every
/// requester funded with what its deals cost first.
pub fn measure_deals(
    deals: &[SettlementDeal],
    batch_size: usize,
) -> Result<MarketGasFigure, ChainError> {
    use std::collections::{BTreeMap, BTreeSet};

    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps: WORKLOAD_FEE_BPS, withdrawal_delay_s: 0 };
    let deployment = devnet.deploy(&params)?;
    let mut costs: BTreeMap<Address, U256> = BTreeMap::new();
    for deal in deals {
        *costs.entry(deal.requester).or_default() += deal.amount;
    }
    let grants: Vec<(Address, U256)> =
        costs.into_iter().filter(|(_, cost)| !cost.is_zero()).collect();
    devnet.fund_many(&deployment, &grants)?;
    let mut market = MarketGasFigure {
        figure: GasFigure { batch_size, gas_used: 0, deal_count: 0 },
        batches: 0,
        accounts_per_batch: Vec::new(),
        accounts: deals
            .iter()
            .flat_map(|d| [d.requester, d.provider])
            .collect::<BTreeSet<_>>()
            .len(),
    };
    for (index, batch) in deals.chunks(batch_size.max(1)).enumerate() {
        let pending = devnet.send_batch(&deployment, index as u64 + 1, batch)?;
        let receipt = devnet.confirm(&deployment, &pending)?;
        market.figure.gas_used += receipt.gas_used;
        market.figure.deal_count += receipt.deal_count;
        market.batches += 1;
        let accounts: BTreeSet<Address> =
            batch.iter().flat_map(|d| [d.requester, d.provider]).collect();
        market.accounts_per_batch.push(accounts.len());
    }
    Ok(market)
}
