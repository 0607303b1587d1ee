//! Shared helpers: the real `chinaums` binary with a clean environment.
#![allow(dead_code)]

use std::time::Duration;

use assert_cmd::Command;

/// Every variable the CLI reads.
pub const VARS: [&str; 9] = [
    "CHINAUMS_APP_ID",
    "CHINAUMS_APP_KEY",
    "CHINAUMS_ENV",
    "CHINAUMS_MID",
    "CHINAUMS_TID",
    "CHINAUMS_INST_MID",
    "CHINAUMS_MSG_SRC_ID",
    "CHINAUMS_BROWSER",
    "CHINAUMS_NOTIFY_KEY",
];

/// The binary, with no CHINAUMS_* variables and backtraces on (so a panic would be visible).
pub fn chinaums() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chinaums"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "1");
    cmd.timeout(Duration::from_secs(30));
    cmd
}

/// stderr must show neither a panic nor a backtrace.
pub fn no_panic() -> impl predicates::Predicate<str> {
    use predicates::prelude::*;
    predicate::str::contains("panicked")
        .or(predicate::str::contains("stack backtrace"))
        .not()
}

/// Runs `cmd` (which includes `--json`) and returns its exit code and the JSON error object
/// that is all of its stdout; checks the fields every error has, and that stderr has the text.
pub fn json_error(cmd: &mut Command) -> (i32, serde_json::Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().expect("exited");
    assert_ne!(code, 0, "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {out:?}"));
    assert_eq!(json["exitCode"], code, "{json}");
    for key in [
        "class",
        "errCode",
        "message",
        "hint",
        "httpStatus",
        "delivery",
        "followUp",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, json)
}

/// A `chinaums sandbox` child process, stopped (SIGKILL, by its own id) when dropped if it
/// still runs: a failing test leaves no server behind.
pub struct ChildSandbox {
    /// The process.
    pub child: std::process::Child,
    /// Its base URL, from the banner.
    pub url: String,
    /// The banner, up to `Ctrl-C to stop.`.
    pub banner: Vec<String>,
}

impl ChildSandbox {
    /// Runs `chinaums sandbox` with `args` and reads its banner.
    pub fn start(args: &[&str]) -> ChildSandbox {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chinaums"))
            .arg("sandbox")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut banner = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.contains("Ctrl-C to stop");
            banner.push(line);
            if done {
                break;
            }
        }
        let url = banner
            .first()
            .and_then(|l| l.strip_prefix("chinaums sandbox listening on "))
            .unwrap_or_else(|| panic!("no URL in {banner:?}"))
            .to_owned();
        ChildSandbox { child, url, banner }
    }

    /// Ctrl-C, and its exit status.
    #[cfg(unix)]
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the sandbox did not stop on SIGINT");
    }
}

impl Drop for ChildSandbox {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port that was free a moment ago (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET url` (an `http://127.0.0.1:…` URL) as a browser would, and the answer's status line and
/// headers, without following a redirect.
pub fn browser_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned()
}
