//! Funding requesters on a development chain: one mint and one approval for the total, then the
//! deposits sent [`DEPOSITS_IN_FLIGHT`] at a time (consecutive nonces) and awaited together, so
//! funding thousands of accounts takes a few blocks, not three blocks per account.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, TxKind, U256};

use super::Inner;
use crate::bindings::{Settlement, TestToken};
use crate::chain::{fund_total, ChainError, Deployment};

/// Deposits sent before the first of them is awaited: a few blocks' worth at 30M gas, few
/// enough for a node's pool to take from one sender.
const DEPOSITS_IN_FLIGHT: usize = 256;

impl Inner {
    pub(super) async fn fund_many(
        &mut self,
        d: &Deployment,
        grants: &[(Address, U256)],
    ) -> Result<(), ChainError> {
        self.check_chain(d)?;
        let total = fund_total(d, grants)?;
        if grants.is_empty() {
            return Ok(());
        }
        let signer = self.signer;
        self.send_call(d.token, TestToken::mintCall { to: signer, amount: total }).await?;
        let approve = TestToken::approveCall { spender: d.settlement, amount: total };
        self.send_call(d.token, approve).await?;
        for window in grants.chunks(DEPOSITS_IN_FLIGHT) {
            let mut in_flight = Vec::with_capacity(window.len());
            for &(account, amount) in window {
                let call = Settlement::depositForCall { account, amount };
                in_flight
                    .push(self.submit(TxKind::Call(d.settlement), call.abi_encode().into()).await?);
            }
            for sent in &mut in_flight {
                self.await_success(sent).await?;
            }
        }
        Ok(())
    }
}
