//! The disk's own durability latency, to read the node's acknowledgement latency against: it
//! appends `--bytes` to a file and `fdatasync`s it, `--count` times, as the node's journal does
//! for each group commit, and prints the latency percentiles of one append + fdatasync.
//!
//! Run: `cargo run --release -p gridbook-benches --bin fsync_probe -- DIR [--count 2000]
//! [--bytes 4096]` (DIR on the disk the node's data directory is on; the probe file is removed).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use hdrhistogram::Histogram;

struct Options {
    dir: PathBuf,
    count: u64,
    bytes: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options { dir: PathBuf::new(), count: 2_000, bytes: 4_096 };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = |name: &str| {
            words.next().and_then(|v| v.parse::<u64>().ok()).ok_or(format!("{name} needs a number"))
        };
        match word.as_str() {
            "--count" => options.count = value("--count")?.max(1),
            "--bytes" => options.bytes = value("--bytes")?.max(1) as usize,
            "--help" | "-h" => return Err("fsync_probe DIR [--count N] [--bytes B]".to_owned()),
            dir => options.dir = PathBuf::from(dir),
        }
    }
    if options.dir.as_os_str().is_empty() {
        return Err("fsync_probe DIR [--count N] [--bytes B]: DIR is required".to_owned());
    }
    Ok(options)
}

fn main() -> Result<(), String> {
    let options = options()?;
    let path = options.dir.join(format!("fsync-probe-{}.tmp", std::process::id()));
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let block = vec![0x5a_u8; options.bytes];
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
        .map_err(|e| format!("histogram: {e}"))?;
    for _ in 0..options.count {
        let started = Instant::now();
        file.write_all(&block).map_err(|e| format!("write: {e}"))?;
        file.sync_data().map_err(|e| format!("fdatasync: {e}"))?;
        latency_us.saturating_record(started.elapsed().as_micros() as u64);
    }
    drop(file);
    std::fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    let ms = |q: f64| latency_us.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{} appends of {} bytes + fdatasync in {}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        options.count,
        options.bytes,
        options.dir.display(),
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        latency_us.max() as f64 / 1000.0
    );
    Ok(())
}
