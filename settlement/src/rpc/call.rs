//! Requests to the node: each with a time limit, transport failures retried with exponential
//! backoff and then reported as [`ChainError::Unreachable`], node errors translated (revert data
//! decoded), and the read-only contract calls built on that.

use std::future::Future;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::network::TransactionBuilder;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use alloy::transports::RpcError;
use alloy::transports::{TransportErrorKind, TransportResult};
use alloy_primitives::{Address, Bytes};

use super::{Inner, NodeErrorKind};
use crate::bindings::revert::decode_revert;
use crate::chain::{ChainError, Deployment};

impl Inner {
    /// Runs `request` until it succeeds, the node answers with an error, or the retries for
    /// transport failures are spent.
    pub(super) async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, ChainError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = TransportResult<T>>,
    {
        let limit = Duration::from_millis(self.config.request_timeout_ms);
        let mut backoff_ms = self.config.retry_backoff_ms;
        let mut last_failure = String::new();
        for attempt in 0..=self.config.max_retries {
            match tokio::time::timeout(limit, request()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(RpcError::Transport(kind))) => last_failure = self.transport_detail(&kind),
                Ok(Err(error)) => return Err(self.node_error(error)),
                Err(_) => last_failure = format!("no answer within {} ms", limit.as_millis()),
            }
            if attempt < self.config.max_retries {
                tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
                backoff_ms = backoff_ms.saturating_mul(2);
            }
        }
        Err(ChainError::Unreachable { url: self.url_shown.clone(), detail: last_failure })
    }

    /// What a transport failure says, without the full URL (it may carry a credential).
    fn transport_detail(&self, kind: &TransportErrorKind) -> String {
        let text = kind.to_string();
        // reqwest names the URL in "error sending request for url (...)": cut it out.
        match (text.find("(http"), text.find(')')) {
            (Some(start), Some(end)) if end > start => {
                format!("{}({}){}", &text[..start], self.url_shown, &text[end + 1..])
            }
            _ => text,
        }
    }

    /// A node's error answer as a [`ChainError`]: revert data decoded, a refusal classified by
    /// kind (once, here), an answer that does not parse as such.
    pub(super) fn node_error(&self, error: RpcError<TransportErrorKind>) -> ChainError {
        match error {
            RpcError::ErrorResp(payload) => match payload.as_revert_data() {
                Some(data) => decode_revert(&data),
                None => ChainError::Node {
                    kind: NodeErrorKind::classify(&payload.message),
                    code: payload.code,
                    message: payload.message.into_owned(),
                },
            },
            RpcError::DeserError { err, .. } => ChainError::BadAnswer(err.to_string()),
            other => ChainError::Rpc(other.to_string()),
        }
    }

    pub(super) async fn fetch_chain_id(&self) -> Result<u64, ChainError> {
        self.retrying(|| async { self.provider.get_chain_id().await }).await
    }

    /// Refuses a deployment made on another chain than the node's.
    pub(super) fn check_chain(&self, deployment: &Deployment) -> Result<(), ChainError> {
        if deployment.chain_id != self.chain_id {
            return Err(ChainError::WrongChainId {
                expected: deployment.chain_id,
                actual: self.chain_id,
            });
        }
        Ok(())
    }

    /// A read-only contract call at the latest block.
    pub(super) async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, ChainError> {
        let output = self.call_raw(to, call.abi_encode().into()).await?;
        C::abi_decode_returns(&output).map_err(|error| {
            ChainError::BadAnswer(format!("cannot decode {}: {error}", C::SIGNATURE))
        })
    }

    /// A read-only call of `to` with `input` at the latest block; the raw output.
    pub(super) async fn call_raw(&self, to: Address, input: Bytes) -> Result<Bytes, ChainError> {
        let request =
            TransactionRequest::default().with_from(self.signer).with_to(to).with_input(input);
        // At the latest block, not alloy's default "pending": a batch waiting in the pool must
        // not look settled, or recovery would record as settled a batch that may never be mined.
        self.retrying(|| async {
            self.provider.call(request.clone()).block(BlockId::latest()).await
        })
        .await
    }
}
