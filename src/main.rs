//! `gridbook`: the command-line program of the gridbook matching engine.
//!
//! Each subcommand lives in its own module and drives the library crates; this file only
//! parses arguments and reports errors.

mod explain_cmd;
mod gen_cmd;
mod lines;
mod replay_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Matching and pricing engine of a decentralized compute marketplace.
#[derive(Debug, Parser)]
#[command(name = "gridbook", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Apply an order stream and write the events (JSON Lines); summary on stderr.
    Replay(replay_cmd::ReplayArgs),
    /// Write a seeded, realistic order stream (the one the benchmarks use).
    Gen(gen_cmd::GenArgs),
    /// Why an order did or did not match: the nearest orders of the other side on its arrival,
    /// the rules that kept each apart, and what happened to it.
    Explain(explain_cmd::ExplainArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Commands::Replay(args) => replay_cmd::run(args),
        Commands::Gen(args) => gen_cmd::run(args),
        Commands::Explain(args) => explain_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gridbook: {error:#}");
            ExitCode::FAILURE
        }
    }
}
