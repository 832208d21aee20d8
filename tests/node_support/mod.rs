//! Starting and stopping real `gridbook serve` processes for the node's tests: loopback, a free
//! port, a fresh data directory, bounded waits, and every process killed when its handle drops.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running node.
pub(crate) struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

/// A fresh, empty directory under the system's temp folder.
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gridbook-node-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Node {
    /// Starts `gridbook serve` on `data` with `args`, and waits (at most 30 s) until it listens.
    pub(crate) fn start(data: &Path, args: &[&str]) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("gridbook starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("gridbook node listening on ") {
                    let _ = found.send(url.to_owned());
                }
            }
        });
        let url = match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("the node did not listen within 30 s (its stderr is above)");
            }
        };
        Node { child, url }
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub(crate) fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and wait (at most 30 s) for a clean exit; returns whether it exited 0.
    pub(crate) fn terminate(mut self) -> bool {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        false
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client with bounded waits.
pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}

/// Runs `gridbook` with `args`; returns stdout, panicking with stderr on failure.
pub(crate) fn gridbook(args: &[&str]) -> String {
    let output =
        Command::new(env!("CARGO_BIN_EXE_gridbook")).args(args).output().expect("gridbook runs");
    assert!(
        output.status.success(),
        "gridbook {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// `text` as a URL query value.
pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
