//! `gridbook gen`: writes a seeded, realistic order stream (the generator the tests and
//! benchmarks use), so every benchmark figure can be reproduced from its command line.
//!
//! With `--pegged PCT`, that share of new orders is pegged to its class of the default taxonomy
//! (docs/pricing.md): the generator lives in the matcher, which knows no taxonomy, so this
//! command hands it the taxonomy (`gridbook_pricing`'s `PegClassifier` for `Taxonomy`).

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_pricing::Taxonomy;

/// Arguments of `gridbook gen`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenArgs {
    /// Seed of the generator; the same seed gives the same stream on any machine.
    #[arg(long)]
    pub(crate) seed: u64,
    /// Commands after the warm-up (about 50% new orders, 30% cancels, 20% crossing orders).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) orders: usize,
    /// Non-crossing orders placed first, to build a resting book.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) resting: usize,
    /// Distinct machine configurations.
    #[arg(long, alias = "classes", default_value_t = 64)]
    pub(crate) configs: usize,
    /// Share of new orders, in per cent, pegged to their class's reference price (classes of
    /// the default taxonomy) instead of carrying a fixed price.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) pegged: u8,
    /// Write the stream here instead of standard output.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn run(args: &GenArgs) -> Result<()> {
    anyhow::ensure!(args.configs > 0, "--configs must be at least 1");
    let config = WorkloadConfig {
        seed: args.seed,
        configs: args.configs,
        resting: args.resting,
        orders: args.orders,
        pegged_percent: args.pegged,
        ..WorkloadConfig::default()
    };
    let (sink, name): (Box<dyn Write>, String) = match &args.out {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            (Box::new(file), path.display().to_string())
        }
        None => (Box::new(io::stdout().lock()), "standard output".into()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let mut workload = if args.pegged > 0 {
        Workload::with_classes(config, &Taxonomy::default_taxonomy())
    } else {
        Workload::new(config)
    };
    while let Some((ts_ms, command)) = workload.next() {
        let line = encode_command(workload.symbols(), ts_ms, &command);
        writeln!(out, "{line}").with_context(|| format!("cannot write {name}"))?;
    }
    out.flush().with_context(|| format!("cannot write {name}"))?;
    Ok(())
}
