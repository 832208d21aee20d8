//! `gridbook simulate` as a user runs it: the seed is required, a bad scenario fails with its
//! key and line, a good one writes every output, and two runs write identical bytes.

use std::path::PathBuf;

mod cli_support;
use cli_support::gridbook;

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gridbook-sim-cli-{}-{name}", std::process::id()))
}

const SMALL: &str = r#"duration_h = 3
[providers]
count = 6
[[providers.hardware]]
gpu = "L4"
cpu = 8
mem_gib = 32
slots = 2
cost = { min = "0.40", max = "0.50" }
[requesters]
rate_per_h = 20
[[requesters.jobs]]
gpu = ["L4"]
cpu = 4
mem_gib = 16
duration_min = { dist = "uniform", min = 10, max = 60 }
deadline_slack_pct = { dist = "fixed", value = 100 }
value = { min = "0.50", max = "1.50" }
"#;

fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).expect("scenario written");
    path
}

#[test]
fn a_run_without_a_seed_is_refused() {
    let path = scenario_file("noseed", SMALL);
    let output = gridbook(&["simulate", path.to_str().expect("utf-8 path")]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("no seed") && message.contains("--seed"), "{message}");
}

#[test]
fn a_bad_scenario_fails_at_start_naming_key_and_line() {
    let path = scenario_file("bad", &SMALL.replace("rate_per_h = 20", "rate_per_h = -20"));
    let output = gridbook(&["simulate", path.to_str().expect("utf-8 path"), "--seed", "1"]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("line 11") && message.contains("requesters.rate_per_h"), "{message}");
}

#[test]
fn a_run_writes_every_output_and_repeats_byte_for_byte() {
    let path = scenario_file("good", &format!("seed = 4\n{SMALL}"));
    let (a, b) = (temp_dir("out-a"), temp_dir("out-b"));
    for out in [&a, &b] {
        let output = gridbook(&[
            "simulate",
            path.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let files = [
        "metrics.json",
        "timeseries.csv",
        "report.html",
        "deals.csv",
        "jobs.csv",
        "price-gpu-hour.svg",
        "price-gpu-hour.png",
        "depth.png",
        "fill.svg",
        "utilisation.png",
    ];
    for file in files {
        let first = std::fs::read(a.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(first, std::fs::read(b.join(file)).expect("second run's file"), "{file}");
    }
    let report = std::fs::read_to_string(a.join("report.html")).expect("report");
    assert!(
        report.contains("<svg")
            && report.contains("allocative efficiency")
            && report.contains("rate_per_h = 20")
    );
    for dir in [a, b, path.parent().expect("dir").to_path_buf()] {
        std::fs::remove_dir_all(dir).ok();
    }
}
