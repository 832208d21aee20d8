//! Bad scenarios fail at start with a message naming the key and its line.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use gridbook_simulations::{Scenario, ScenarioError};

const GOOD: &str = r#"duration_h = 4
[providers]
count = 2
strategy = "markup"
[[providers.hardware]]
cpu = 8
mem_gib = 32
slots = 2
cost = { min = "0.10", max = "0.20" }
[requesters]
rate_per_h = 10
strategy = "truthful"
[[requesters.jobs]]
cpu = 4
mem_gib = 16
duration_min = { dist = "uniform", min = 10, max = 60 }
deadline_slack_pct = { dist = "fixed", value = 100 }
value = { min = "0.20", max = "0.50" }
"#;

/// The error for GOOD with line `line` (1-based) replaced by `text`.
fn error_with(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = GOOD.lines().collect();
    lines[line - 1] = text;
    let source = lines.join("\n");
    match Scenario::from_toml_str(&source, "bad.toml") {
        Ok(_) => panic!("line {line} = {text:?} must be refused"),
        Err(error) => error.to_string(),
    }
}

fn assert_names(message: &str, line: usize, key: &str) {
    assert!(message.starts_with("bad.toml: "), "{message}");
    assert!(message.contains(&format!("line {line}:")), "line {line} in: {message}");
    assert!(message.contains(key), "`{key}` in: {message}");
}

#[test]
fn the_good_scenario_is_accepted() {
    Scenario::from_toml_str(GOOD, "good.toml").unwrap();
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let message = error_with(11, "rate_per_hour = 10");
    assert_names(&message, 11, "rate_per_hour");
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn an_impossible_distribution_is_named_with_its_line() {
    let message = error_with(16, r#"duration_min = { dist = "uniform", min = 60, max = 10 }"#);
    assert_names(&message, 16, "duration_min");
    assert!(message.contains("min 60 > max 10"), "{message}");
    let message = error_with(17, r#"deadline_slack_pct = { dist = "exponential", mean = 0 }"#);
    assert_names(&message, 17, "deadline_slack_pct");
    let message = error_with(9, r#"cost = { min = "0.30", max = "0.20" }"#);
    assert_names(&message, 9, "cost");
}

#[test]
fn a_negative_rate_is_named_with_its_line() {
    let message = error_with(11, "rate_per_h = -5");
    assert_names(&message, 11, "requesters.rate_per_h");
    assert!(message.contains("> 0"), "{message}");
    let message = error_with(3, "count = -1");
    assert_names(&message, 3, "count");
}

#[test]
fn a_bad_amount_of_money_is_named_with_its_line() {
    let message = error_with(18, r#"value = { min = "0.2000000001", max = "0.5" }"#);
    assert_names(&message, 18, "value");
}

#[test]
fn a_job_no_machine_can_run_is_refused() {
    let message = error_with(14, "cpu = 64");
    assert_names(&message, 13, "requesters.jobs[0]");
}

#[test]
fn a_missing_trace_file_is_named_with_its_line() {
    let source = format!(
        "{GOOD}[trace]\nnodes = \"/nonexistent/openb_node_list.csv\"\npods = \"/nonexistent/pods.csv\"\n\
         gpu_cost = {{ min = \"1\", max = \"2\" }}\ncpu_cost = {{ min = \"1\", max = \"2\" }}\n\
         gpu_value = {{ min = \"1\", max = \"2\" }}\ncpu_value = {{ min = \"1\", max = \"2\" }}\n\
         deadline_slack_pct = {{ dist = \"fixed\", value = 50 }}\n"
    );
    let error = Scenario::from_toml_str(&source, "bad.toml").unwrap_err();
    assert!(matches!(error, ScenarioError::Invalid { line: 20, .. }), "{error:?}");
    assert_names(&error.to_string(), 20, "trace.nodes");
    assert!(error.to_string().contains("/nonexistent/openb_node_list.csv"));
}

#[test]
fn an_unknown_pricing_model_is_named_with_its_line() {
    let source = GOOD.replacen("duration_h = 4", "duration_h = 4\n[pricing]\nmodel = \"twap\"", 1);
    let message = Scenario::from_toml_str(&source, "bad.toml").unwrap_err().to_string();
    assert_names(&message, 3, "pricing.model");
}

#[test]
fn numbers_and_names_beyond_the_engine_limits_are_refused_at_their_line() {
    let message = error_with(6, "cpu = 2000000");
    assert_names(&message, 6, "providers.hardware[0].cpu");
    let long = format!("regions = [\"{}\"]", "r".repeat(65));
    let message = error_with(15, &long);
    assert_names(&message, 15, "requesters.jobs[0].regions");
}

#[test]
fn a_scenario_that_is_not_utf8_is_reported_with_its_line() {
    // Rule (issue 9, item 8): a scenario in another encoding names the line of the first bad
    // byte, not a bare "stream did not contain valid UTF-8".
    let dir = std::env::temp_dir().join(format!("gridbook-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.toml");
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("[requesters]").unwrap();
    bytes.splice(at..at, b"# caf\xe9\n".iter().copied());
    std::fs::write(&path, &bytes).unwrap();
    let error = gridbook_simulations::load_scenario(path.to_str().unwrap()).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    let message = error.to_string();
    assert!(message.contains("line 10") && message.contains("UTF-8"), "{message}");
    assert!(matches!(error, ScenarioError::NotUtf8 { line: 10, .. }), "{error:?}");
}

/// GOOD with `key = value` lines replaced.
fn good_with(replacements: &[(&str, &str)]) -> String {
    let mut source = GOOD.to_string();
    for (from, to) in replacements {
        assert!(source.contains(from), "{from}");
        source = source.replacen(from, to, 1);
    }
    source
}

#[test]
fn a_scenario_too_large_for_memory_is_refused_with_the_estimate_and_the_key_to_change() {
    // Rule (issue 9, item 8): estimate before running; refuse what cannot fit, naming the
    // estimate, the budget and the key. A billion machines aborted on a 56 GB allocation.
    let source = good_with(&[("count = 2", "count = 1000000000")]);
    let message = Scenario::from_toml_str(&source, "big.toml").unwrap_err().to_string();
    assert_names(&message.replace("big.toml", "bad.toml"), 3, "providers.count");
    assert!(message.contains("GiB") && message.contains("memory_budget_mib"), "{message}");
    // A billion jobs an hour grew without end.
    let source = good_with(&[("rate_per_h = 10", "rate_per_h = 1e9")]);
    let message = Scenario::from_toml_str(&source, "bad.toml").unwrap_err().to_string();
    assert_names(&message, 11, "requesters.rate_per_h");
    // Ten years of a busy market: every posting and bid is remembered by the engine.
    let source =
        good_with(&[("duration_h = 4", "duration_h = 87600"), ("count = 2", "count = 4000")]);
    let message = Scenario::from_toml_str(&source, "bad.toml").unwrap_err().to_string();
    assert!(message.contains("providers.count") && message.contains("`duration_h`"), "{message}");
    // The budget is the scenario's to raise.
    let source = format!("memory_budget_mib = 1000000\n{source}");
    Scenario::from_toml_str(&source, "big.toml").unwrap();
}

#[test]
fn trace_paths_are_relative_to_the_scenario_file_and_a_missing_trace_says_where_it_comes_from() {
    // Rule (issue 10, item 3): a scenario runs from any directory.
    let fixtures = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("gridbook-relative-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for name in ["openb_node_list_fixture.csv", "openb_pod_list_fixture.csv"] {
        std::fs::copy(format!("{fixtures}/{name}"), dir.join("data").join(name)).unwrap();
    }
    let trace = "[trace]\nnodes = \"data/openb_node_list_fixture.csv\"\n\
        pods = \"data/openb_pod_list_fixture.csv\"\n\
        gpu_cost = { min = \"1\", max = \"2\" }\ncpu_cost = { min = \"1\", max = \"2\" }\n\
        gpu_value = { min = \"1\", max = \"2\" }\ncpu_value = { min = \"1\", max = \"2\" }\n\
        deadline_slack_pct = { dist = \"fixed\", value = 50 }\n";
    std::fs::write(dir.join("trace.toml"), format!("{GOOD}{trace}")).unwrap();
    std::fs::write(dir.join("missing.toml"), format!("{GOOD}{trace}").replace("data/", "gone/"))
        .unwrap();
    let loaded = gridbook_simulations::load_scenario(dir.join("trace.toml").to_str().unwrap());
    let missing = gridbook_simulations::load_scenario(dir.join("missing.toml").to_str().unwrap());
    std::fs::remove_dir_all(&dir).ok();
    let (_, scenario) = loaded.unwrap_or_else(|e| panic!("{e}"));
    assert!(scenario.trace.unwrap().nodes.ends_with("data/openb_node_list_fixture.csv"));
    let message = missing.unwrap_err().to_string();
    assert!(
        message.contains("trace.nodes") && message.contains("alibaba/clusterdata"),
        "{message}"
    );
}
