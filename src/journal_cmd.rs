//! `gridbook journal export DATA_DIR [--out FILE]`: a node's journaled commands as an order
//! stream (JSON Lines with their `ts`), which `gridbook replay` turns into byte for byte the
//! events the node published.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use gridbook_node::market_file::MarketFile;

/// `gridbook journal …`.
#[derive(Debug, clap::Args)]
pub(crate) struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JournalCommand {
    /// Write the journaled commands as JSON Lines (safe beside a running node).
    Export {
        /// The node's data directory.
        data: PathBuf,
        /// Where to write (standard output when absent).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub(crate) fn run(args: &JournalArgs) -> Result<()> {
    let JournalCommand::Export { data, out } = &args.command;
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut write_error = None;
    let recovered = gridbook_node::journal::read_only(data, |_, line| {
        let written = sink.write_all(line.as_bytes()).and_then(|()| sink.write_all(b"\n"));
        written.map_err(|error| {
            let detail = error.to_string();
            write_error = Some(error);
            detail
        })
    });
    if let Some(error) = write_error {
        return Err(error).context("writing the export");
    }
    let recovered =
        recovered.with_context(|| format!("reading the journal in {}", data.display()))?;
    sink.flush().context("writing the export")?;
    let market = MarketFile::read(data).map_err(anyhow::Error::msg)?;
    eprintln!("exported {} commands (seq 1..={})", recovered.records, recovered.last_seq);
    if let Some(market) = market {
        eprintln!("replay with: gridbook replay FILE {}", market.replay_options());
    }
    Ok(())
}
