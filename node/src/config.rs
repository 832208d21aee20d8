//! The node's configuration: `node.toml`, every key optional with an embedded default, unknown
//! keys refused with their line. `gridbook serve` flags override the file (docs/api.md lists
//! every key).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use alloy_primitives::{address, Address};
use serde::Deserialize;

/// The embedded devnet's chain id (`gridbook settle --devnet`).
pub const DEVNET_CHAIN_ID: u64 = 1337;
/// Where the embedded devnet deploys the settlement contract: the second contract created by
/// its first development account (the test token is the first).
pub const DEVNET_SETTLEMENT: Address = address!("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid configuration (toml names the line, column and key).
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        detail: String,
    },
}

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Every ask, bid and cancel carries its owner's EIP-712 signature (or comes over a
    /// WebSocket opened with a signed session).
    Sig,
    /// Nothing is checked: only for a trusted gateway in front, and only on a loopback address.
    None,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The data directory: journal, snapshots, lock.
    pub data: PathBuf,
    /// How clients authenticate.
    pub auth: AuthMode,
    /// Publish the market-data feeds (docs/api.md, "Market data"); `false` spares their cost
    /// per command on a node that only matches.
    pub feeds: bool,
    /// The market: pricing model and taxonomy.
    pub market: MarketConfig,
    /// The EIP-712 domain: which deployment signatures are bound to.
    pub chain: ChainConfig,
    /// Sequencing and the journal.
    pub journal: JournalSection,
    /// Periodic snapshots of the market, so a restart replays only the journal after one.
    pub snapshot: SnapshotSection,
    /// Bounds on what clients can make the node hold or do.
    pub limits: Limits,
}

/// The priced engine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// The pricing model: `vwap`, `ewma`, `utilization` or `clearing`.
    pub pricing: String,
    /// A class taxonomy (TOML); the default taxonomy when absent.
    pub classes: Option<PathBuf>,
    /// Model parameters (TOML, docs/pricing.md); defaults when absent.
    pub pricing_config: Option<PathBuf>,
    /// Engine time between book summaries given to the model, ms.
    pub book_interval_ms: u64,
    /// A reference reaches the engine once it has moved this many basis points.
    pub publish_step_bps: u64,
}

/// The deployment signatures are bound to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// The chain id of the EIP-712 domain.
    pub chain_id: u64,
    /// The settlement contract (the domain's `verifyingContract`).
    pub verifying_contract: Address,
}

/// Sequencing and the journal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalSection {
    /// At most this many commands share one fsync.
    pub group_max: usize,
    /// A `tick` is journaled after this long without commands, ms.
    pub tick_interval_ms: u64,
    /// A journal segment is closed past this size, bytes.
    pub segment_bytes_max: u64,
}

/// Periodic snapshots (`DATA_DIR/snapshots/`). A snapshot is taken after whichever comes
/// first; 0 turns that trigger off (both 0: only the snapshot at a clean stop).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnapshotSection {
    /// A snapshot after this many commands since the last one.
    pub every_commands: u64,
    /// A snapshot after this long since the last one (if any command was applied), ms.
    pub every_ms: u64,
    /// Snapshots kept: older ones are deleted once a new one is durable.
    pub keep: usize,
}

/// Bounds on what clients can make the node hold or do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body_bytes_max: usize,
    /// Most commands in one `POST /v1/commands` array.
    pub batch_max: usize,
    /// Most open connections (HTTP and WebSocket).
    pub connections_max: usize,
    /// Commands waiting to be sequenced; past this the node answers 503 at once.
    pub inbound_queue_max: usize,
    /// Per client IP: sustained requests per second, and the burst above it.
    pub ip_requests_per_s: u32,
    /// Burst per IP.
    pub ip_burst: u32,
    /// Per owner: sustained commands per second, and the burst above it.
    pub owner_commands_per_s: u32,
    /// Burst per owner.
    pub owner_burst: u32,
    /// Events kept in memory for `GET /v1/events` and resuming subscriptions.
    pub events_kept: usize,
    /// Orders whose status `GET /v1/orders/{id}` can answer (the most recent ones).
    pub orders_kept: usize,
    /// Command outcomes kept for idempotent retries (the most recent ones).
    pub outcomes_kept: usize,
    /// Events a WebSocket subscriber may fall behind before it is disconnected.
    pub subscriber_lag_max: usize,
    /// Resting orders plus asks and bids in flight one owner may have; more are refused (409).
    pub open_orders_per_owner: usize,
    /// A connection on which the node waits this long for the client's next byte is closed, ms
    /// (WebSockets are pinged at half this interval, so a live client always answers).
    pub idle_timeout_ms: u64,
    /// A client that takes longer than this to send one HTTP request, or to take the node's
    /// bytes off its socket, is disconnected, ms.
    pub slow_client_timeout_ms: u64,
    /// Sessions (`POST /v1/sessions`) kept at once, spent ones included until they expire.
    pub sessions_max: usize,
    /// The furthest a session's `expires` may lie in the future, ms.
    pub session_lifetime_max_ms: u64,
    /// Command frames one WebSocket may have sent and not yet been answered; the node stops
    /// reading the socket beyond it.
    pub ws_frames_in_flight_max: usize,
    /// Subscriptions one WebSocket may hold at once.
    pub ws_subscriptions_max: usize,
}

impl Default for NodeConfig {
    fn default() -> NodeConfig {
        NodeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("gridbook-data"),
            auth: AuthMode::Sig,
            feeds: true,
            market: MarketConfig::default(),
            chain: ChainConfig::default(),
            journal: JournalSection::default(),
            snapshot: SnapshotSection::default(),
            limits: Limits::default(),
        }
    }
}

impl Default for MarketConfig {
    fn default() -> MarketConfig {
        MarketConfig {
            pricing: "ewma".to_owned(),
            classes: None,
            pricing_config: None,
            book_interval_ms: 60_000,
            publish_step_bps: gridbook_pricing::PUBLISH_STEP_BPS_DEFAULT,
        }
    }
}

impl Default for ChainConfig {
    fn default() -> ChainConfig {
        ChainConfig { chain_id: DEVNET_CHAIN_ID, verifying_contract: DEVNET_SETTLEMENT }
    }
}

impl Default for JournalSection {
    fn default() -> JournalSection {
        JournalSection { group_max: 4096, tick_interval_ms: 1_000, segment_bytes_max: 256 << 20 }
    }
}

impl Default for SnapshotSection {
    fn default() -> SnapshotSection {
        SnapshotSection { every_commands: 1_000_000, every_ms: 600_000, keep: 3 }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes_max: 1 << 20,
            batch_max: 1_000,
            connections_max: 1_024,
            inbound_queue_max: 65_536,
            ip_requests_per_s: 2_000,
            ip_burst: 4_000,
            owner_commands_per_s: 20_000,
            owner_burst: 40_000,
            events_kept: 1_000_000,
            orders_kept: 1_000_000,
            outcomes_kept: 1_000_000,
            subscriber_lag_max: 65_536,
            open_orders_per_owner: 10_000,
            idle_timeout_ms: 60_000,
            slow_client_timeout_ms: 10_000,
            sessions_max: 65_536,
            session_lifetime_max_ms: 86_400_000,
            ws_frames_in_flight_max: 1_024,
            ws_subscriptions_max: 16,
        }
    }
}

/// A configuration file, with the keys it sets that callers may default otherwise: `serve
/// --demo` has its own data directory, which must give way to the file's (flags > file >
/// a mode's defaults > embedded defaults).
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The configuration, embedded defaults where the file is silent.
    pub config: NodeConfig,
    /// Whether the file names `data`.
    pub sets_data: bool,
}

impl NodeConfig {
    /// Reads `path` (a `node.toml`).
    pub fn from_file(path: &Path) -> Result<NodeConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        NodeConfig::from_toml_str(&text)
            .map_err(|detail| ConfigError::Invalid { path: path.to_owned(), detail })
    }

    /// Reads `path` and says which keys it sets that a caller may have other defaults for.
    pub fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let config = NodeConfig::from_toml_str(&text)
            .map_err(|detail| ConfigError::Invalid { path: path.to_owned(), detail })?;
        let table: toml::Table =
            toml::from_str(&text).expect("a file that parsed as a configuration is a TOML table");
        Ok(ConfigFile { config, sets_data: table.contains_key("data") })
    }

    /// Parses a configuration; the error names the line and the key.
    pub fn from_toml_str(text: &str) -> Result<NodeConfig, String> {
        let config: NodeConfig = toml::from_str(text).map_err(|error| error.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// The checks types cannot make.
    pub fn check(&self) -> Result<(), String> {
        if self.auth == AuthMode::None && !self.listen.ip().is_loopback() {
            return Err(format!(
                "auth = \"none\" is only allowed on a loopback address, not {} (anyone could post orders in any account's name)",
                self.listen
            ));
        }
        let limits = &self.limits;
        for (key, value) in [
            ("limits.body_bytes_max", limits.body_bytes_max),
            ("limits.batch_max", limits.batch_max),
            ("limits.connections_max", limits.connections_max),
            ("limits.inbound_queue_max", limits.inbound_queue_max),
            ("limits.events_kept", limits.events_kept),
            ("limits.subscriber_lag_max", limits.subscriber_lag_max),
            ("limits.open_orders_per_owner", limits.open_orders_per_owner),
            ("limits.sessions_max", limits.sessions_max),
            ("limits.ws_frames_in_flight_max", limits.ws_frames_in_flight_max),
            ("limits.ws_subscriptions_max", limits.ws_subscriptions_max),
            ("journal.group_max", self.journal.group_max),
            ("snapshot.keep", self.snapshot.keep),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        for (key, value) in [
            ("journal.tick_interval_ms", self.journal.tick_interval_ms),
            ("limits.idle_timeout_ms", limits.idle_timeout_ms),
            ("limits.slow_client_timeout_ms", limits.slow_client_timeout_ms),
            ("limits.session_lifetime_max_ms", limits.session_lifetime_max_ms),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_embedded_defaults() {
        let config = NodeConfig::from_toml_str("").unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.market.pricing, "ewma");
        assert_eq!(config.chain.chain_id, 1337);
        assert_eq!(config.auth, AuthMode::Sig);
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let error =
            NodeConfig::from_toml_str("listen = \"127.0.0.1:9\"\n[limits]\nbody_bytes = 5\n")
                .unwrap_err();
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("unknown field `body_bytes`"), "{error}");
    }

    #[test]
    fn auth_none_is_refused_off_loopback() {
        let error =
            NodeConfig::from_toml_str("listen = \"0.0.0.0:8080\"\nauth = \"none\"\n").unwrap_err();
        assert!(error.contains("loopback"), "{error}");
        NodeConfig::from_toml_str("listen = \"127.0.0.1:8080\"\nauth = \"none\"\n").unwrap();
    }

    #[test]
    fn the_devnet_settlement_address_is_the_second_creation_of_its_first_account() {
        let deployer = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(deployer.create(1), DEVNET_SETTLEMENT);
    }
}
