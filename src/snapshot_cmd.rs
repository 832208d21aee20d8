//! `gridbook snapshot STREAM --out FILE`: replays a stream once and saves where it leaves the
//! market (engine, model, driver, recent deals) with its state hash (`snapshot_file.rs`), so
//! that `price`, `quote`, `explain` and `replay --from-snapshot FILE` answer without replaying
//! the history again.

use anyhow::Result;
use std::path::PathBuf;

use crate::pricing_args::PricingArgs;
use crate::stream_file::replay_file;

/// Arguments of `gridbook snapshot`.
#[derive(Debug, clap::Args)]
pub(crate) struct SnapshotArgs {
    /// The order stream (JSON Lines).
    pub(crate) stream: PathBuf,
    /// Write the snapshot here (atomically: a crash leaves the old file or the new one).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The pricing model (vwap, ewma, utilization, clearing), or `none` for the plain engine.
    #[arg(long, value_name = "MODEL", default_value = "vwap")]
    pub(crate) pricing: String,
    #[command(flatten)]
    pub(crate) pricing_args: PricingArgs,
}

pub(crate) fn run(args: &SnapshotArgs) -> Result<()> {
    let market = args.pricing_args.market(Some(&args.pricing))?;
    let options = args.pricing_args.options(false, true);
    let mut replay = args.pricing_args.line_replay(Some(&args.pricing), options)?;
    let lines = replay_file(&args.stream, &mut replay, 0)?;
    let deals = replay.priced_mut().take_deals();
    let written = crate::snapshot_file::write(&args.out, &replay, lines, &deals, &market)?;
    let header = written.header;
    eprintln!(
        "snapshot of {} after line {} (ts {}): {} bytes, state hash {}",
        args.stream.display(),
        header.seq,
        header.ts_ms,
        written.bytes,
        alloy_primitives::hex::encode_prefixed(header.state_hash)
    );
    Ok(())
}
