//! The journal's disk fills up (ENOSPC, injected through the journal's test hook
//! `GRIDBOOK_TEST_JOURNAL_SPACE_BYTES`, since a test cannot mount a small filesystem): the node
//! stops accepting at once — commands get `503 stopping`, `/v1/health` says so — and exits
//! non-zero with an error naming the journal file and the OS error. Nothing that was not
//! journaled was acknowledged: every acknowledged command is in the journal afterwards.

mod node_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use node_support::{client, fresh_dir, gridbook};
use serde_json::{json, Value};

fn ask(id: &str) -> String {
    json!({"op":"ask","id":id,"owner":"0x1000000000000000000000000000000000000001","price":"2.5",
        "qty":1,"tif":"gtc","hw":{"cpu":8,"mem":64,"gpu":null,"gpus":0,"gpu_mem":0,"tee":null,
        "region":"eu-west"},"from":0,"until":4_102_444_800_000u64})
    .to_string()
}

#[test]
fn a_full_journal_disk_stops_the_node_at_once_and_it_exits_non_zero_naming_the_file() {
    let data = fresh_dir("disk-full");
    let config = data.join("node.toml");
    std::fs::write(&config, "[journal]\ntick_interval_ms = 3600000\n").expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(["serve", "--listen", "127.0.0.1:0", "--auth", "none", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data.join("data"))
        .env("GRIDBOOK_TEST_JOURNAL_SPACE_BYTES", "2000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gridbook starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the listening line");
    let url = line.trim().strip_prefix("gridbook node listening on ").expect("a URL").to_owned();
    let http = client();

    // Commands until the disk is full: each answered 200 was journaled; the first refused one
    // is `503 stopping` (its group could not be written, so it is not acknowledged).
    let mut acknowledged = Vec::new();
    let mut refusal = None;
    for n in 0..100 {
        let id = format!("a{n}");
        let response =
            http.post(format!("{url}/v1/commands")).body(ask(&id)).send().expect("answered");
        match response.status().as_u16() {
            200 => acknowledged.push(id),
            status => {
                refusal = Some((status, response.json::<Value>().expect("an error object")));
                break;
            }
        }
    }
    let (status, error) = refusal.expect("the disk fills up within 100 commands");
    assert_eq!((status, error["error"].as_str()), (503, Some("stopping")), "{error}");
    assert!(!acknowledged.is_empty(), "2000 bytes hold a few commands");

    // From now on the node refuses at once, and says why — if it is still there to answer.
    if let Ok(response) = http.post(format!("{url}/v1/commands")).body(ask("late")).send() {
        assert_eq!(response.status().as_u16(), 503);
        let error: Value = response.json().expect("an error object");
        assert_eq!(error["error"], "stopping");
    }
    if let Ok(response) = http.get(format!("{url}/v1/health")).send() {
        assert_eq!(response.status().as_u16(), 503);
        let health: Value = response.json().expect("health");
        assert_eq!(health["status"], "stopping", "{health}");
    }

    // It exits on its own, non-zero, naming the journal file and the OS error.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        assert!(Instant::now() < deadline, "the node did not exit within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().expect("piped").read_to_string(&mut stderr).expect("stderr");
    assert!(!status.success(), "exit status {status}: {stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("commands-"), "names the journal file: {stderr}");

    // Every acknowledged command is in the journal.
    let export = gridbook(&["journal", "export", data.join("data").to_str().expect("UTF-8")]);
    let journaled: Vec<String> = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a line"))
        .filter(|c| c["op"] == "ask")
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect();
    for id in &acknowledged {
        assert!(journaled.contains(id), "{id} was acknowledged but is not in the journal");
    }
    let _ = std::fs::remove_dir_all(&data);
}
