//! What the settlement commands share: which chain (`--rpc`, `--key-file`, the deployment
//! file), reading a replay's deals, funding requesters, and printing token amounts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use anyhow::{bail, Context, Result};

use gridbook_settlement::amount::deal_amount;
use gridbook_settlement::deals::{read_deals as read_deal_lines, DealRecord};
use gridbook_settlement::devnet::DEV_ACCOUNTS;
use gridbook_settlement::ledger::account_of;
use gridbook_settlement::rpc::{RpcChain, RpcConfig, SigningKey};
use gridbook_settlement::{Chain, Deployment};

/// The environment variable that holds the settler's key when no --key-file is given.
pub(crate) const KEY_ENV: &str = "GRIDBOOK_SETTLER_KEY";
/// anvil's chain id: a development chain, where the well-known test keys may sign.
pub(crate) const ANVIL_CHAIN_ID: u64 = 31_337;

/// Where the chain is and who signs.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ChainArgs {
    /// JSON-RPC endpoint of an Ethereum node (http://…). Without it: the embedded devnet.
    #[arg(long, value_name = "URL")]
    pub(crate) rpc: Option<String>,
    /// File holding the settler's private key (hex). Default: the GRIDBOOK_SETTLER_KEY
    /// environment variable. The key is never printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// The deployment file (`gridbook settlement deploy` writes it).
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub(crate) deployment: PathBuf,
    /// Confirmations to wait for after a transaction is mined.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) confirmations: u64,
    /// Give up waiting for a confirmation after this many seconds (after fee-bumped
    /// replacements of a stuck transaction).
    #[arg(long, default_value_t = 120, value_name = "S")]
    pub(crate) timeout_s: u64,
}

impl ChainArgs {
    /// The journal beside the deployment file.
    pub(crate) fn default_journal(&self) -> PathBuf {
        let folder = self.deployment.parent().unwrap_or(Path::new(""));
        folder.join("settlement.journal")
    }

    /// The RPC client's settings from the flags.
    fn rpc_config(&self) -> RpcConfig {
        RpcConfig {
            confirmations: self.confirmations,
            confirm_timeout_ms: self.timeout_s.saturating_mul(1000),
            ..RpcConfig::default()
        }
    }
}

/// Connects to `--rpc` with the settler's key: --key-file, else $GRIDBOOK_SETTLER_KEY, else on
/// anvil's chain only, anvil's first (public, well-known) development key.
pub(crate) fn connect_rpc(args: &ChainArgs, url: &str) -> Result<RpcChain> {
    let key = match (&args.key_file, std::env::var_os(KEY_ENV)) {
        (Some(path), _) => Some(SigningKey::from_file(path)?),
        (None, Some(_)) => Some(SigningKey::from_env(KEY_ENV)?),
        (None, None) => None,
    };
    let dev_key = || SigningKey::parse(DEV_ACCOUNTS[0].private_key_hex, "development key 0");
    let chain = match key {
        Some(key) => RpcChain::connect(url, key, args.rpc_config())?,
        None => {
            let chain = RpcChain::connect(url, dev_key()?, args.rpc_config())?;
            if chain.connected_chain_id() != ANVIL_CHAIN_ID {
                bail!(
                    "no settler key: give --key-file FILE or set {KEY_ENV} (only anvil's chain \
                     {ANVIL_CHAIN_ID} may use the development key by default)"
                );
            }
            eprintln!("gridbook: anvil chain: signing with development account 0 (public key)");
            chain
        }
    };
    Ok(chain)
}

/// Reads the deployment file and checks that it is on the connected chain.
pub(crate) fn read_deployment(path: &Path, chain_id: u64) -> Result<Deployment> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read deployment {} (gridbook settlement deploy writes it)", path.display())
    })?;
    let deployment: Deployment = serde_json::from_str(&text)
        .with_context(|| format!("deployment {} is not a deployment file", path.display()))?;
    if deployment.chain_id != chain_id {
        bail!(
            "deployment {} is on chain {}, the node is chain {chain_id}",
            path.display(),
            deployment.chain_id
        );
    }
    Ok(deployment)
}

/// Writes the deployment file (pretty JSON), refusing to overwrite one.
pub(crate) fn write_deployment(path: &Path, deployment: &Deployment) -> Result<()> {
    let text = serde_json::to_string_pretty(deployment)?;
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).with_context(|| {
            format!("cannot create deployment file {} (exists?)", path.display())
        })?;
    std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a replay's deals, naming the file in errors.
pub(crate) fn read_deals(path: &Path) -> Result<Vec<DealRecord>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_deal_lines(BufReader::new(file)).with_context(|| format!("in {}", path.display()))
}

/// What each requester owes for all of `deals`, in base units.
pub(crate) fn requester_totals(
    deals: &[DealRecord],
    token_decimals: u8,
) -> Result<BTreeMap<Address, U256>> {
    let mut totals: BTreeMap<Address, U256> = BTreeMap::new();
    for deal in deals {
        let duration_ms = deal.end_ms - deal.start_ms;
        let amount = deal_amount(deal.price_nano, deal.qty, duration_ms, token_decimals)
            .with_context(|| format!("deal {}", deal.deal_id))?;
        *totals.entry(deal.requester).or_default() += amount;
    }
    Ok(totals)
}

/// Tops up every requester's escrow to what its deals cost (test token only), and returns each
/// requester's funds afterwards (deposited less withdrawn: settling draws no stored balance
/// down, so deals settled already stay covered). Running it twice funds nothing the second time.
pub(crate) fn fund_requesters<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    deals: &[DealRecord],
) -> Result<BTreeMap<Address, U256>> {
    let mut funded = BTreeMap::new();
    let mut top_ups = Vec::new();
    for (requester, needed) in requester_totals(deals, deployment.token_decimals)? {
        let escrow = account_of(chain, deployment, requester)?.funds();
        if escrow < needed {
            top_ups.push((requester, needed - escrow));
        }
        funded.insert(requester, escrow.max(needed));
    }
    chain
        .fund_many(deployment, &top_ups)
        .with_context(|| format!("funding {} requesters", top_ups.len()))?;
    Ok(funded)
}

/// Base units as a decimal token amount, without trailing zeros (`12.5`).
pub(crate) fn format_units(amount: U256, decimals: u8) -> String {
    let text = amount.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return text;
    }
    let padded = format!("{text:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// A decimal token amount (`12.5`) in base units, exactly; more fraction digits than the token
/// has, or anything but digits and one point, is refused.
pub(crate) fn parse_units(text: &str, decimals: u8) -> Result<U256> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        bail!("{text:?} is not a decimal token amount");
    }
    if fraction.len() > usize::from(decimals) {
        bail!("{text:?} has more than {decimals} decimals");
    }
    let scaled = format!("{whole}{fraction:0<width$}", width = usize::from(decimals));
    U256::from_str_radix(&scaled, 10).with_context(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_amounts_print_at_the_token_decimals_without_trailing_zeros() {
        assert_eq!(format_units(U256::from(12_500_000_000u64), 9), "12.5");
        assert_eq!(format_units(U256::from(5u8), 9), "0.000000005");
        assert_eq!(format_units(U256::from(7u8), 0), "7");
        assert_eq!(format_units(U256::ZERO, 9), "0");
    }

    #[test]
    fn token_amounts_parse_exactly_and_refuse_excess_decimals() {
        assert_eq!(parse_units("12.5", 9).unwrap(), U256::from(12_500_000_000u64));
        assert_eq!(parse_units("7", 0).unwrap(), U256::from(7u8));
        assert_eq!(parse_units("0.000000001", 9).unwrap(), U256::from(1u8));
        for bad in ["0.0000000001", "", ".5", "1e3", "-1", "1.2.3"] {
            assert!(parse_units(bad, 9).is_err(), "{bad}");
        }
    }
}
