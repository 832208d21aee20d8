//! The micro data: `deals.csv` has every deal and `jobs.csv` every job, with typed columns that
//! read back into integers, exact decimals, floats and UTC times, and agree with the metrics
//! to the nano (issue 10, item 4). The time series is written whole while the charts keep a
//! bounded sample (issue 9, item 8).

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use gridbook_simulations::metrics::thinned::KEPT_MAX;
use gridbook_simulations::report::micro::{DealRow, JobRow};
use gridbook_simulations::{run_into, Silent};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Deal {
    deal: u64,
    time_ms: u64,
    time_utc: String,
    qty: u64,
    price_per_slot_hour: String,
    price_per_slot_hour_float: f64,
    start_ms: u64,
    end_ms: u64,
    payment: String,
    payment_float: f64,
    provider: String,
    class: String,
    unit: String,
}

#[derive(Debug, Deserialize)]
struct Job {
    job: u32,
    arrival_ms: u64,
    qty: u64,
    outcome: String,
    slots_filled: u64,
    time_to_match_ms: Option<u64>,
    cost: String,
}

fn rows<T: for<'de> Deserialize<'de>>(path: &Path, columns: &[&str]) -> Vec<T> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), columns);
    reader.deserialize().map(|row| row.unwrap()).collect()
}

/// Decimal text (`"12.5"`, `"0"`) as nano-units, exactly.
fn tokens(text: &str) -> u128 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    assert!(frac.len() <= 9, "{text}: at most 9 decimals");
    let frac: u128 = format!("{frac:0<9}").parse().unwrap();
    whole.parse::<u128>().unwrap() * 1_000_000_000 + frac
}

#[test]
fn every_deal_and_job_is_written_with_typed_columns_that_agree_with_the_metrics() {
    let toml = format!(
        "start_utc = \"2026-03-01T00:00:00Z\"\n{}",
        common::market("markup", "truthful", 6, 80, 8, "ewma")
    );
    let dir = std::env::temp_dir().join(format!("gridbook-micro-{}", std::process::id()));
    let run = run_into(&dir, &common::scenario(&toml), &toml, "t", 2, &mut Silent).unwrap();
    let deals: Vec<Deal> = rows(&dir.join("deals.csv"), &DealRow::COLUMNS);
    let jobs: Vec<Job> = rows(&dir.join("jobs.csv"), &JobRow::COLUMNS);
    std::fs::remove_dir_all(&dir).ok();
    let m = &run.metrics;
    assert_eq!(deals.len() as u64, m.deals);
    assert!(deals.windows(2).all(|w| w[0].deal < w[1].deal), "in deal order");
    let paid: u128 = deals.iter().map(|d| tokens(&d.payment)).sum();
    assert_eq!(paid, m.money.requester_payments.nano(), "payments add up to the nano");
    for d in &deals {
        assert!(d.qty > 0 && d.start_ms >= d.time_ms && d.end_ms > d.start_ms);
        let float = tokens(&d.price_per_slot_hour) as f64 / 1e9;
        assert!((float - d.price_per_slot_hour_float).abs() < 1e-9);
        assert!((tokens(&d.payment) as f64 / 1e9 - d.payment_float).abs() < 1e-6);
        assert!(d.provider.starts_with("0x10") && d.provider.len() == 42);
        assert!(
            !d.class.is_empty()
                && ["gpu-hour", "core-hour", "slot-hour"].contains(&d.unit.as_str())
        );
        let day = (d.time_ms / 86_400_000) + 1;
        assert!(d.time_utc.starts_with(&format!("2026-03-{day:02}T")) && d.time_utc.ends_with('Z'));
    }
    assert_eq!(jobs.len() as u64, m.jobs, "every job, resolved or open");
    let count = |outcome: &str| jobs.iter().filter(|j| j.outcome == outcome).count() as u64;
    assert_eq!(
        (count("filled"), count("missed"), count("open")),
        (m.jobs_filled, m.jobs_missed, m.jobs_open_at_end)
    );
    for job in &jobs {
        let filled = job.outcome == "filled";
        assert_eq!(job.time_to_match_ms.is_some(), filled, "job {}", job.job);
        assert!(!filled || job.slots_filled == job.qty);
        assert!(job.arrival_ms < 8 * 3_600_000);
    }
    let cost: u128 = jobs.iter().map(|j| tokens(&j.cost)).sum();
    assert_eq!(cost, paid, "what jobs paid is what deals cost");
}

#[test]
fn the_time_series_is_written_whole_while_the_charts_keep_a_bounded_sample() {
    // 3,000 one-minute intervals: more than the charts keep.
    let toml = common::market("markup", "truthful", 2, 4, 50, "ewma")
        .replace("interval_min = 30", "interval_min = 1");
    let dir = std::env::temp_dir().join(format!("gridbook-thin-{}", std::process::id()));
    let run = run_into(&dir, &common::scenario(&toml), &toml, "t", 1, &mut Silent).unwrap();
    let text = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let classes = run.metrics.classes.len();
    assert_eq!(text.lines().count(), 1 + 3000 * classes, "every interval of every class");
    let drawn = run.output.fill_series.len();
    assert!((KEPT_MAX / 2..=KEPT_MAX + 1).contains(&drawn), "{drawn} intervals drawn");
    assert_eq!(run.output.series.len(), drawn * classes);
    assert_eq!(
        run.output.fill_series.last().unwrap().0,
        50 * 3_600_000,
        "the last interval is drawn"
    );
}
