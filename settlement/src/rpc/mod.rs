//! The JSON-RPC client: [`Chain`](crate::Chain) over a real node (anvil, a testnet, mainnet) with
//! alloy. It signs locally with the settler's key ([`SigningKey`], from an environment variable
//! or a file), sends EIP-1559 transactions with its own nonce tracking (one submitter per key),
//! retries transient transport failures with exponential backoff, waits for N confirmations
//! with a timeout, replaces a transaction that is not mined in time at the same nonce with a fee
//! bump of at least 12.5%, and recovers from "already settled" by reading `lastBatchId`. A
//! node's refusals are classified once, by kind ([`NodeErrorKind`]); a transaction whose receipt
//! exists is mined, whatever another answer said.
//!
//! The [`Chain`](crate::Chain) methods block: each runs on the client's own current-thread
//! tokio runtime. Assumptions: no other process sends from the same key while this client runs
//! (its nonce tracking would be wrong otherwise; it re-reads the node's pending nonce before
//! each send to recover from a restart, not from a concurrent sender).

mod call;
mod chain;
mod fund;
mod key;
mod mined;
mod node_error;
mod submit;

pub use key::{KeyError, SigningKey};
pub use node_error::NodeErrorKind;

use std::collections::HashMap;

use alloy::network::EthereumWallet;
use alloy::providers::{ProviderBuilder, RootProvider};
use alloy_primitives::Address;

use crate::chain::ChainError;
use submit::SentTx;

/// How the client waits, retries and replaces. Times are in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Blocks on top of (and including) the one with the transaction before it counts.
    pub confirmations: u64,
    /// How long `confirm` waits in all (replacements included).
    pub confirm_timeout_ms: u64,
    /// Pause between two polls for a receipt.
    pub poll_interval_ms: u64,
    /// A transaction not mined this long after it was sent is replaced with higher fees.
    pub replace_after_ms: u64,
    /// A transaction whose nonce is used while no receipt of it exists is displaced only once
    /// this has held this long (a node may show the nonce before the receipt).
    pub displaced_after_ms: u64,
    /// Fee bump of a replacement in basis points; at least 1,250 (12.5%, what nodes require).
    pub fee_bump_bps: u64,
    /// Retries of a request that failed in transport (connection refused, timeout, 5xx, 429).
    pub max_retries: u32,
    /// First pause before a retry; doubled each time.
    pub retry_backoff_ms: u64,
    /// One request's time limit.
    pub request_timeout_ms: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            confirmations: 1,
            confirm_timeout_ms: 180_000,
            poll_interval_ms: 1_000,
            replace_after_ms: 36_000,
            displaced_after_ms: 3_000,
            fee_bump_bps: 1_250,
            max_retries: 5,
            retry_backoff_ms: 250,
            request_timeout_ms: 10_000,
        }
    }
}

/// The minimum fee bump nodes accept for a replacement: 12.5%.
pub const MIN_FEE_BUMP_BPS: u64 = 1_250;

/// A connected client; see the module docs.
pub struct RpcChain {
    runtime: tokio::runtime::Runtime,
    inner: Inner,
}

/// The state the async code works on (apart from the runtime that drives it).
struct Inner {
    provider: RootProvider,
    wallet: EthereumWallet,
    signer: Address,
    /// The endpoint without credentials, path or query, for messages.
    url_shown: String,
    chain_id: u64,
    config: RpcConfig,
    /// The next nonce this client will use, once known.
    next_nonce: Option<u64>,
    /// Transactions sent by this process, by nonce: what a replacement needs.
    sent: HashMap<u64, SentTx>,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcChain")
            .field("url", &self.inner.url_shown)
            .field("signer", &self.inner.signer)
            .field("chain_id", &self.inner.chain_id)
            .finish_non_exhaustive()
    }
}

impl RpcChain {
    /// Connects to the node at `url` (http only: no TLS in this build) and reads its chain id; an unreachable node
    /// is an error here, after the configured retries.
    pub fn connect(url: &str, key: SigningKey, config: RpcConfig) -> Result<Self, ChainError> {
        let parsed: reqwest_url::Url = url
            .parse()
            .map_err(|_| ChainError::Refused("the RPC URL does not parse as a URL".into()))?;
        // No TLS library is built in (it would add ring's C build): https is refused here,
        // clearly, rather than failing later as an unreachable node.
        match parsed.scheme() {
            "http" => {}
            "https" => {
                return Err(ChainError::Refused(
                    "https endpoints are not supported by this build (no TLS); use http, e.g. a \
                     local node or a tunnel"
                        .into(),
                ))
            }
            other => {
                return Err(ChainError::Refused(format!("the RPC URL must be http, not {other}")))
            }
        }
        let url_shown = shown_url(&parsed)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(
            |error| ChainError::Rpc(format!("cannot start the client runtime: {error}")),
        )?;
        let config =
            RpcConfig { fee_bump_bps: config.fee_bump_bps.max(MIN_FEE_BUMP_BPS), ..config };
        let signer = key.into_signer();
        let address = signer.address();
        let provider: RootProvider =
            ProviderBuilder::new().disable_recommended_fillers().connect_http(parsed);
        let mut inner = Inner {
            provider,
            wallet: EthereumWallet::from(signer),
            signer: address,
            url_shown,
            chain_id: 0,
            config,
            next_nonce: None,
            sent: HashMap::new(),
        };
        inner.chain_id = runtime.block_on(inner.fetch_chain_id())?;
        Ok(Self { runtime, inner })
    }

    /// The node's chain id as read at connection.
    pub fn connected_chain_id(&self) -> u64 {
        self.inner.chain_id
    }
}

/// `scheme://host[:port]`: enough to tell endpoints apart, never a credential (user info, an
/// API key in the path or query).
fn shown_url(url: &reqwest_url::Url) -> Result<String, ChainError> {
    let host =
        url.host_str().ok_or_else(|| ChainError::Refused("the RPC URL names no host".into()))?;
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// The URL type alloy's HTTP transport takes.
mod reqwest_url {
    pub(crate) use alloy::transports::http::reqwest::Url;
}
