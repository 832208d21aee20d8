//! The dashboard (`/`, node/static/) in a real headless Chromium: `gridbook serve --demo` on
//! loopback, then tests/browser/dashboard.mjs (playwright-core) opens the page and checks that
//! it loads without console errors, shows the demo market's depth levels and tickers, shows a
//! deal sent through `POST /v1/commands` in its trade tape within a second (timed in the page,
//! to the frame after the row went in), subscribes afresh
//! to a depth channel after a gap forced in its copy of the book, and every checksum the node
//! sent matched the page's own book. The screenshot is
//! saved as `artifacts/dashboard.png` in the target directory (`target/artifacts/` by default).
//!
//! Beside it, the page's protocol client alone under Node.js (tests/browser/feed_client.mjs).
//!
//! Chromium (/usr/bin/chromium, or `$GRIDBOOK_CHROMIUM`) and playwright-core (.tools/playwright)
//! come from scripts/install-tools. Without them this test fails, saying so: a browser test
//! that passes without a browser would hide that the page was never opened.

#[path = "node_support/live.rs"]
mod live;
mod node_support;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use live::{assert_documented, bid, domain, key, signed};
use node_support::{client, fresh_dir, Node};
use serde_json::Value;

/// The class the page opens on: the demo crowd's A100s, which the test's bid buys.
const CLASS: &str = "gpu.a100-80gb";
/// The whole browser script, at most (its own watchdog fires at 200 s).
const SCRIPT_S_MAX: u64 = 240;

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The target directory this test was built in (`…/target/debug/gridbook` → `…/target`).
fn target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_gridbook"));
    binary.ancestors().nth(2).map_or_else(|| repository().join("target"), Path::to_path_buf)
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("GRIDBOOK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "no Chromium at {} (run scripts/install-tools as root, or install Debian's chromium, or \
         set GRIDBOOK_CHROMIUM): the dashboard's browser test cannot run without it",
        path.display()
    );
    path
}

fn playwright() -> PathBuf {
    let path = repository().join(".tools/playwright/node_modules/playwright-core");
    assert!(
        path.join("package.json").exists(),
        "no playwright-core in {} (run scripts/install-tools)",
        path.display()
    );
    path
}

/// `/` and `/static/…` answer with the content type, ETag and status the OpenAPI document
/// lists, through the node's real router.
fn the_page_is_served_as_documented(url: &str) {
    let http = client();
    let page = http.get(format!("{url}/")).send().expect("the node answers");
    assert_eq!(page.status(), 200);
    assert_documented("get", "/", 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let etag = page.headers()["etag"].clone();
    let again = http.get(format!("{url}/")).header("if-none-match", etag).send().expect("answer");
    assert_eq!(again.status(), 304);
    assert_documented("get", "/", 304);
    let script = http.get(format!("{url}/static/feed.js")).send().expect("the node answers");
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_documented("get", "/static/{path}", 200);
    let missing = http.get(format!("{url}/static/nothing.js")).send().expect("the node answers");
    assert_eq!(missing.status(), 404);
    assert_documented("get", "/static/{path}", 404);
}

/// Stops the browser script if the test fails before it is done: SIGTERM first, so
/// playwright closes its Chromium, then SIGKILL to the script's process group.
struct Script(std::process::Child);

impl Drop for Script {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let pid = self.0.id() as libc::pid_t;
            // SAFETY: signals to the process group of a child this test started.
            unsafe { libc::kill(-pid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            // SAFETY: as above.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let _ = self.0.wait();
        }
    }
}

#[test]
fn the_dashboard_shows_the_demo_book_a_new_deal_within_a_second_and_recovers_from_a_gap() {
    let chromium = chromium();
    let playwright = playwright();
    let dir = fresh_dir("dashboard");
    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).expect("test setup");
    let artifacts = target_dir().join("artifacts");
    std::fs::create_dir_all(&artifacts).expect("test setup");
    let screenshot = artifacts.join("dashboard.png");
    let _ = std::fs::remove_file(&screenshot);

    let node = Node::start(&dir.join("data"), &["--demo"]);
    the_page_is_served_as_documented(&node.url);
    // An immediate-or-cancel bid for one A100 slot far above the demo's asks: it buys from the
    // best resting ask at that ask's price, so it makes a deal as soon as the demo has a book.
    let buyer = key(0x5d);
    let deal = signed(&domain(), &buyer, bid("browser-b1", buyer.address(), "50", 1, "ioc"));

    let child = Command::new("node")
        .arg(repository().join("tests/browser/dashboard.mjs"))
        .env("GRIDBOOK_URL", &node.url)
        .env("GRIDBOOK_CLASS", CLASS)
        .env("GRIDBOOK_DEAL", deal.to_string())
        .env("GRIDBOOK_DEAL_BID", "browser-b1")
        .env("GRIDBOOK_CHROMIUM", &chromium)
        .env("GRIDBOOK_PLAYWRIGHT", &playwright)
        .env("GRIDBOOK_PROFILE", &profile)
        .env("GRIDBOOK_SCREENSHOT", &screenshot)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Node.js runs (scripts/test needs it for the tools anyway)");
    let mut script = Script(child);
    let mut stdout = script.0.stdout.take().expect("piped stdout");
    let mut stderr = script.0.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(SCRIPT_S_MAX);
    let status = loop {
        if let Some(status) = script.0.try_wait().expect("wait on the browser script") {
            break status;
        }
        assert!(Instant::now() < deadline, "the browser script ran over {SCRIPT_S_MAX} s");
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = out.join().expect("stdout reader");
    let err = err.join().expect("stderr reader");
    assert!(node.terminate(), "the demo node stops cleanly on SIGTERM");

    let summary: Value = out
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("the script's summary line:\n{out}\n{err}"));
    eprintln!("dashboard: {summary}");
    assert!(status.success(), "the browser test failed: {status:?}\n{err}\n{summary}");
    assert_eq!(summary["problems"], Value::Array(Vec::new()), "{err}");
    assert!(summary["deal_shown_ms"].as_u64().is_some_and(|ms| ms <= 1000), "{summary}");
    assert!(summary["levels"]["asks"].as_u64().is_some_and(|n| n > 0), "{summary}");
    assert!(summary["counts"]["gaps"].as_u64().is_some_and(|n| n >= 1), "{summary}");
    assert_eq!(summary["counts"]["checksums"], 0, "{summary}");
    assert!(summary["counts"]["verified"].as_u64().is_some_and(|n| n > 0), "{summary}");
    assert!(screenshot.exists(), "the screenshot is saved at {}", screenshot.display());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The page's protocol client alone, under Node.js with a fake socket (no browser): a depth
/// book is never patched past a gap, a resync or a checksum that differs, and the checksum is
/// docs/api.md's (tests/browser/feed_client.mjs).
#[test]
fn the_feed_client_subscribes_afresh_after_a_gap_a_resync_or_a_checksum_that_differs() {
    let output = Command::new("node")
        .arg(repository().join("tests/browser/feed_client.mjs"))
        .stdin(Stdio::null())
        .output()
        .expect("Node.js runs (scripts/test needs it for the tools anyway)");
    assert!(
        output.status.success(),
        "feed_client.mjs failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
