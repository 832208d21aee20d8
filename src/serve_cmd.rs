//! `gridbook serve`: run a live marketplace node (crate `gridbook-node`, docs/api.md).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use gridbook_node::config::{AuthMode, ConfigFile};
use gridbook_node::NodeConfig;

/// Options of `gridbook serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The node's configuration (TOML, every key documented in docs/api.md); embedded defaults
    /// when absent.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides `listen`; port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Data directory: journal, lock (overrides `data`).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// `sig` (every command signed by its owner) or `none` (trusted gateways, loopback only).
    #[arg(long, value_parser = ["sig", "none"])]
    auth: Option<String>,
    /// Start a demo: the node (data in ./gridbook-data-demo unless --data or the file's `data`)
    /// and a crowd of simulated providers and requesters trading through its API with signed
    /// orders.
    #[arg(long)]
    demo: bool,
}

pub(crate) fn run(args: &ServeArgs) -> Result<()> {
    let file = args.config.as_deref().map(NodeConfig::read_file).transpose()?;
    let config = resolve(args, file);
    if args.demo {
        return crate::demo::run(config);
    }
    let data = config.data.clone();
    gridbook_node::serve(config, |started| {
        let recovered = started.recovered;
        // Scripts and tests read this line for the address (port 0 picks one).
        println!("gridbook node listening on http://{}", started.addr);
        eprintln!(
            "data {}: recovered {} journaled commands (last seq {}{})",
            data.display(),
            recovered.records,
            recovered.last_seq,
            if recovered.torn_tail_bytes > 0 {
                format!(
                    ", cut a torn last record of {} bytes that was never acknowledged",
                    recovered.torn_tail_bytes
                )
            } else {
                String::new()
            }
        );
    })
    .context("gridbook serve")
}

/// The configuration to run: flags over the file over the mode's defaults (`--demo`: its own
/// data directory) over the embedded defaults.
fn resolve(args: &ServeArgs, file: Option<ConfigFile>) -> NodeConfig {
    let (mut config, file_sets_data) = match file {
        Some(file) => (file.config, file.sets_data),
        None => (NodeConfig::default(), false),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(data) = &args.data {
        config.data = data.clone();
    } else if args.demo && !file_sets_data {
        config.data = PathBuf::from(crate::demo::DEMO_DATA);
    }
    if let Some(auth) = &args.auth {
        config.auth = if auth == "none" { AuthMode::None } else { AuthMode::Sig };
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(data: Option<&str>, demo: bool) -> ServeArgs {
        ServeArgs { config: None, listen: None, data: data.map(PathBuf::from), auth: None, demo }
    }

    fn file(toml: &str) -> Option<ConfigFile> {
        let config = NodeConfig::from_toml_str(toml).expect("a valid configuration");
        Some(ConfigFile { config, sets_data: toml.contains("data") })
    }

    /// Flags > file > the demo's defaults > embedded defaults, for the data directory.
    #[test]
    fn the_demo_data_directory_gives_way_to_the_file_and_the_flag() {
        let data = |args: &ServeArgs, f| resolve(args, f).data;
        let from_file = "data = \"/srv/market\"\n";
        assert_eq!(data(&args(None, true), file(from_file)), PathBuf::from("/srv/market"));
        assert_eq!(data(&args(Some("/x"), true), file(from_file)), PathBuf::from("/x"));
        assert_eq!(data(&args(None, true), file("")), PathBuf::from(crate::demo::DEMO_DATA));
        assert_eq!(data(&args(None, true), None), PathBuf::from(crate::demo::DEMO_DATA));
        assert_eq!(data(&args(None, false), None), PathBuf::from("gridbook-data"));
    }
}
