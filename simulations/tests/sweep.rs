//! Sweeps: one row per run in cell and replication order whatever the number of threads, and
//! a summary whose interval contains its mean.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use gridbook_simulations::report::sweep_csv::{runs_csv, summary_csv};
use gridbook_simulations::sweep::{cell_scenarios, run_sweep};

fn sweep_source() -> String {
    let base = common::market("markup", "truthful", 4, 40, 4, "ewma");
    format!("{base}\n[sweep]\nreplications = 3\n[sweep.grid]\n\"pricing.model\" = [\"vwap\", \"utilization\"]\n\"providers.markup_pct\" = [10, 40]\n")
}

#[test]
fn sweep_outputs_do_not_depend_on_the_number_of_threads() {
    let source = sweep_source();
    let scenario = common::scenario(&source);
    let sweep = scenario.sweep.clone().unwrap();
    let scenarios = cell_scenarios(&source, "sweep.toml", &sweep).unwrap();
    assert_eq!(scenarios.len(), 4);
    assert_eq!(scenarios[1].providers.markup_pct, 40, "the last key varies fastest");
    assert_eq!(scenarios[2].pricing.model, "utilization");
    let keys: Vec<String> = sweep.grid.keys().cloned().collect();
    let cells = sweep.cells();
    let one = run_sweep(&scenarios, "s", 5, 3, 1, &|_, _| {}).unwrap();
    let two = run_sweep(&scenarios, "s", 5, 3, 2, &|_, _| {}).unwrap();
    assert_eq!(runs_csv(&keys, &cells, &one), runs_csv(&keys, &cells, &two));
    assert_eq!(summary_csv(&keys, &cells, &one), summary_csv(&keys, &cells, &two));
    let runs = runs_csv(&keys, &cells, &one);
    assert_eq!(runs.lines().count(), 1 + 12);
    assert!(runs.lines().nth(2).unwrap().starts_with("0,vwap,10,1,6,"), "{runs}");
    // Markup changes prices, so cells differ.
    assert_ne!(one[0].metrics.money, one[3].metrics.money);
}

#[test]
fn a_bad_grid_value_is_named_with_the_grid_key_line() {
    let source = sweep_source().replace("[10, 40]", "[10, -40]");
    let scenario = common::scenario(&source);
    let error =
        cell_scenarios(&source, "sweep.toml", &scenario.sweep.unwrap()).err().unwrap().to_string();
    assert!(
        error.contains("sweep.grid") && error.contains("providers.markup_pct = -40"),
        "{error}"
    );
}

#[test]
fn a_grid_value_with_a_comma_stays_one_field_of_the_sweep_tables() {
    // Rule (issue 10, item 4): CSV is written with a CSV writer, never by hand.
    let base = common::market("markup", "truthful", 2, 10, 2, "ewma");
    let source = format!("{base}\n[sweep]\n[sweep.grid]\n\"name\" = [\"a, b\", \"c\"]\n");
    let sweep = common::scenario(&source).sweep.unwrap();
    let scenarios = cell_scenarios(&source, "sweep.toml", &sweep).unwrap();
    let runs = run_sweep(&scenarios, "s", 1, 1, 1, &|_, _| {}).unwrap();
    let keys: Vec<String> = sweep.grid.keys().cloned().collect();
    for text in [runs_csv(&keys, &sweep.cells(), &runs), summary_csv(&keys, &sweep.cells(), &runs)]
    {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let width = reader.headers().unwrap().len();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows.iter().all(|row| row.len() == width), "{text}");
        assert_eq!(&rows[0][1], "a, b");
    }
}
