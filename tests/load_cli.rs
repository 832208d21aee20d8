//! `gridbook load` against a real node on loopback: every offered command is signed by its own
//! account (or carried by its trader's session), acknowledged, and counted in the report, and
//! the run ends by itself.

mod node_support;

use node_support::{fresh_dir, gridbook, Node};

#[test]
fn load_signs_sends_and_counts_every_command_and_ends_by_itself() {
    let data = fresh_dir("load-cli");
    let node = Node::start(&data, &[]);
    let pid = node.pid().to_string();
    let report = gridbook(&[
        "load",
        "--target",
        &node.url,
        "--rate",
        "100",
        "--duration",
        "2",
        "--batch",
        "10",
        "--resting",
        "50",
        "--drain-s",
        "30",
        "--node-pid",
        &pid,
    ]);
    assert!(report.contains("offered 200 commands at 100/s for 2 s"), "{report}");
    assert!(report.contains("acknowledged 200 ("), "every signed command verified: {report}");
    assert!(report.contains("refused 0, unanswered 0"), "{report}");
    assert!(report.contains("deal "), "the market trades: {report}");
    assert!(report.contains("latency from scheduled send, ms: p50 "), "{report}");
    assert!(report.contains("cpu over ") && report.contains("node "), "{report}");
    assert!(node.terminate(), "the node stops cleanly after the load");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn load_on_sessions_sends_every_command_on_its_traders_session_and_counts_it() {
    let data = fresh_dir("load-cli-sessions");
    let node = Node::start(&data, &[]);
    let report = gridbook(&[
        "load",
        "--target",
        &node.url,
        "--auth",
        "session",
        "--connections",
        "3",
        "--rate",
        "100",
        "--duration",
        "2",
        "--batch",
        "10",
        "--resting",
        "50",
        "--drain-s",
        "30",
    ]);
    assert!(report.contains("offered 200 commands at 100/s for 2 s"), "{report}");
    assert!(report.contains("auth session"), "{report}");
    assert!(report.contains("acknowledged 200 ("), "every session command accepted: {report}");
    assert!(report.contains("refused 0, unanswered 0"), "{report}");
    assert!(report.contains("deal "), "the market trades: {report}");
    assert!(node.terminate(), "the node stops cleanly after the load");
    let journal = gridbook(&["journal", "export", data.to_str().expect("a UTF-8 path")]);
    let sessions = journal.lines().filter(|line| line.contains("\"session\":")).count();
    assert_eq!(sessions, 200, "every command is journaled with its session's proof");
    let _ = std::fs::remove_dir_all(&data);
}
