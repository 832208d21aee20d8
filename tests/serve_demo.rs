//! `gridbook serve --demo` as a newcomer runs it: it prints where the node listens and what to
//! try, its crowd's signed orders make deals through the public API within a bounded time, and
//! SIGTERM stops node and crowd cleanly (exit 0).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the demo if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A plain HTTP/1.1 GET on loopback; the body, or an empty string if the node did not answer.
fn get(addr: &str, path: &str) -> String {
    let Ok(mut stream) = TcpStream::connect(addr) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn the_demo_crowd_trades_through_the_api_and_sigterm_stops_the_demo_cleanly() {
    let data = std::env::temp_dir().join(format!("gridbook-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gridbook starts");
    let mut demo = Running(child);
    let mut stdout = BufReader::new(demo.0.stdout.take().expect("stdout is piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the demo prints where it listens");
    let addr = first
        .trim()
        .strip_prefix("gridbook node listening on http://")
        .unwrap_or_else(|| panic!("first line names the address: {first:?}"))
        .to_owned();
    let banner = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        rest
    });
    let mut stderr_pipe = demo.0.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });

    // Deals need the crowd's warm-up book and then crossing orders; a debug build signs and
    // verifies slowly, hence the generous bound.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut events = String::new();
    while Instant::now() < deadline {
        events = get(&addr, "/v1/events?after=0&limit=10000");
        if events.contains("\"type\":\"deal\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(events.contains("\"type\":\"deal\""), "no deal within 180 s: {events:.2000}");
    assert!(get(&addr, "/v1/references").contains("\"classes\""));
    let a100 = "%7B%22cpu%22%3A12%2C%22mem%22%3A128%2C%22gpu%22%3A%22A100-80GB%22%2C%22gpus%22%3A1%2C%22gpu_mem%22%3A80%2C%22tee%22%3Anull%2C%22region%22%3A%22eu-west%22%7D";
    let price = get(&addr, &format!("/v1/price?hw={a100}"));
    assert!(price.contains("\"suggested_ask\""), "the price of an A100: {price:.2000}");

    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    let sent = unsafe { libc::kill(demo.0.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM delivered");
    let stop_deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = demo.0.try_wait().expect("wait on the demo") {
            break status;
        }
        assert!(Instant::now() < stop_deadline, "the demo did not stop within 60 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = stderr.join().expect("stderr reader");
    assert!(status.success(), "the demo exits 0 on SIGTERM: {status:?}\n{stderr}");
    let banner = banner.join().expect("banner reader");
    let hints = ["curl -s", "/v1/references", "/v1/book", "/v1/events?after=0&limit=5", "/metrics"];
    for hint in
        hints.iter().chain(&["/v1/price", "/v1/explain/", "in a browser: the live dashboard"])
    {
        assert!(banner.contains(hint), "the banner shows {hint}: {banner}");
    }
    let _ = std::fs::remove_dir_all(&data);
}
