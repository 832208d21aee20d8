//! Determinism: the same scenario, seed and build give byte-identical outputs; another seed
//! gives another run (so the comparison can fail).

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use gridbook_simulations::{run_into, Silent};

fn outputs(toml: &str, seed: u64, dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    run_into(dir, &common::scenario(toml), toml, "test", seed, &mut Silent).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_scenario_and_seed_give_identical_bytes_in_every_output_file() {
    let toml = common::market("adaptive", "pegged", 20, 60, 12, "ewma");
    let base = std::env::temp_dir().join(format!("gridbook-sim-det-{}", std::process::id()));
    let first = outputs(&toml, 3, &base.join("a"));
    let second = outputs(&toml, 3, &base.join("b"));
    let other = outputs(&toml, 4, &base.join("c"));
    std::fs::remove_dir_all(&base).ok();
    let names: Vec<&str> = first.iter().map(|f| f.0.as_str()).collect();
    for name in ["metrics.json", "timeseries.csv", "deals.csv", "jobs.csv", "report.html"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(first, second);
    let metrics = |files: &[(String, Vec<u8>)]| {
        files.iter().find(|f| f.0 == "metrics.json").unwrap().1.clone()
    };
    assert_ne!(metrics(&first), metrics(&other), "a different seed must change the run");
}
