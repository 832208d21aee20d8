//! The Alibaba trace loader and mapping, on a small fixture in the trace's format
//! (tests/fixtures/openb_*_fixture.csv): nodes become machines, pods become jobs.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use gridbook_simulations::source::JobSource;
use gridbook_simulations::trace::{load_nodes, load_pods};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_loader_reads_every_row_and_column_of_the_fixture() {
    let nodes = load_nodes(&fixture("openb_node_list_fixture.csv")).unwrap();
    assert_eq!(nodes.len(), 6);
    assert_eq!((nodes[0].cpu_milli, nodes[0].gpus, nodes[0].model.as_deref()), (32000, 0, None));
    assert_eq!((nodes[2].gpus, nodes[2].model.as_deref()), (8, Some("V100M32")));
    let pods = load_pods(&fixture("openb_pod_list_fixture.csv")).unwrap();
    assert_eq!(pods.len(), 12);
    assert_eq!(pods[3].gpu_spec, vec!["V100M16".to_string(), "V100M32".to_string()]);
    assert_eq!(
        (pods[2].gpu_milli, pods[2].scheduled_s, pods[2].deletion_s),
        (460, Some(180), Some(1920))
    );
    assert_eq!((pods[6].deletion_s, pods[6].scheduled_s), (None, None));
}

#[test]
fn a_malformed_row_is_refused_with_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("gridbook-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nodes.csv");
    std::fs::write(&path, "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,1024,0,\nn1,lots,1024,0,\n")
        .unwrap();
    let error = load_nodes(path.to_str().unwrap()).unwrap_err().to_string();
    std::fs::write(&path, "sn,cpu,memory_mib,gpu,model\n").unwrap();
    let header = load_nodes(path.to_str().unwrap()).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(error.contains("line 3") && error.contains("cpu_milli"), "{error}");
    assert!(header.contains("line 1") && header.contains("header"), "{header}");
}

fn fixture_scenario(extra: &str) -> String {
    format!(
        r#"
duration_h = 6
interval_min = 15
[providers]
strategy = "markup"
[requesters]
strategy = "truthful"
[trace]
nodes = "{}"
pods = "{}"
cpu_slot_cores = 8
gpu_cost = {{ min = "1.00", max = "1.50" }}
cpu_cost = {{ min = "0.20", max = "0.30" }}
gpu_value = {{ min = "2.00", max = "4.00" }}
cpu_value = {{ min = "0.50", max = "1.00" }}
deadline_slack_pct = {{ dist = "fixed", value = 100 }}
{extra}
"#,
        fixture("openb_node_list_fixture.csv"),
        fixture("openb_pod_list_fixture.csv")
    )
}

#[test]
fn a_replay_of_the_fixture_maps_nodes_to_machines_and_pods_to_jobs() {
    let run = common::run_toml(&fixture_scenario(""), 1);
    let world = &run.output.world;
    // 4 + 8 CPU slots of 8 cores; 8 + 8 + 2 + 1 GPU slots.
    let slots: Vec<u32> = world.machines.iter().map(|m| m.slots).collect();
    assert_eq!(slots, vec![4, 8, 8, 8, 2, 1]);
    // Pod 6 never ended, pod 10 lasted 0 s, pod 8 needs 96 cores (12 slots of 8: fine),
    // pod 7 needs 8 V100M32 slots with 1 core each (fine).
    let m = &run.metrics;
    assert_eq!(m.trace_pods_skipped, 2);
    assert_eq!(m.jobs, 10);
    assert!(m.deals > 0 && m.conservation.ok);
    let JobSource::Listed(jobs, _) = &world.jobs else { panic!("a trace lists its jobs") };
    let first = jobs[0];
    assert_eq!((first.arrival_ms, first.duration_ms, first.qty), (0, 3_600_000, 1));
    // fx-pod-02: scheduled at 180 s, deleted at 1920 s; one slot though it uses 46 % of a GPU.
    let pod2 = jobs[2];
    assert_eq!((pod2.arrival_ms, pod2.duration_ms, pod2.qty), (120_000, 1_740_000, 1));
}

#[test]
fn a_quoted_field_with_a_comma_is_one_field() {
    // Rule (issue 10, item 4): CSV is read with a CSV reader, not split on commas.
    let dir = std::env::temp_dir().join(format!("gridbook-trace-quoted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nodes.csv");
    std::fs::write(
        &path,
        "sn,cpu_milli,memory_mib,gpu,model\n\"rack 1, node 0\",32000,1024,2,T4\n",
    )
    .unwrap();
    let nodes = load_nodes(path.to_str().unwrap());
    std::fs::remove_dir_all(&dir).ok();
    let nodes = nodes.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((nodes[0].name.as_str(), nodes[0].gpus), ("rack 1, node 0", 2));
}

#[test]
fn the_trace_s_own_occupancy_is_reported_beside_the_market_s_utilisation() {
    // Rule (issue 10, item 3): what the trace's pods occupied, per class, beside the market.
    let run = common::run_toml(&fixture_scenario(""), 1);
    for class in &run.metrics.classes {
        let trace =
            class.trace_utilisation.unwrap_or_else(|| panic!("{}: no trace figure", class.class));
        assert!((0.0..=1.0).contains(&trace), "{}: {trace}", class.class);
    }
    // The T4 node has 2 slots; from 2400 s to 4200 s the T4-only pods 04 and 09 held 5 GPUs.
    let t4 = run
        .output
        .series
        .iter()
        .find(|r| r.ts_ms == 3_600_000 && run.output.class_names[r.class as usize] == "gpu.t4")
        .unwrap();
    assert_eq!(t4.trace_utilisation(), Some(1.0), "{t4:?}");
}

#[test]
fn a_share_of_the_nodes_and_a_later_start_make_a_smaller_busier_window_of_the_trace() {
    let run = common::run_toml(&fixture_scenario("node_share = 0.5\nfrom_h = 1"), 1);
    // Half the CPU-only nodes (the second of two), and the one node of each GPU model.
    let slots: Vec<u32> = run.output.world.machines.iter().map(|m| m.slots).collect();
    assert_eq!(slots, vec![8, 8, 8, 2, 1]);
    // Pods deleted by trace hour 1 are left out; pod 01, running then, starts at 0 with the
    // rest of its run (deleted at 7260 s).
    let JobSource::Listed(jobs, _) = &run.output.world.jobs else { panic!("listed") };
    assert_eq!((jobs[0].arrival_ms, jobs[0].duration_ms, jobs[0].qty), (0, 3_660_000, 1));
    assert!(run.metrics.jobs < 10 && run.metrics.conservation.ok);
}
