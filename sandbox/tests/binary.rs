//! The `chinaums-sandbox` binary: prints what a user needs, serves, stops on Ctrl-C (SIGINT).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use chinaums::netpay::PaymentQuery;
use chinaums::{Client, Credentials, Environment};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID};

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    banner: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only if a test failed before stopping it: end this child, by its own handle.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chinaums-sandbox"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the binary ended early: {banner:?}"
        );
        let done = line.starts_with("endpoints:");
        banner.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    Running {
        child,
        stdout,
        banner,
    }
}

impl Running {
    fn value(&self, prefix: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {:?}", self.banner))
            .trim()
            .to_owned()
    }

    fn base_url(&self) -> String {
        self.value("chinaums-sandbox listening on")
    }

    /// Ctrl-C, then the exit status and the rest of stdout and stderr.
    fn interrupt(mut self) -> (bool, String, String) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..500 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let exit = self.child.wait().unwrap();
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut err).unwrap();
        }
        (exit.success(), out, err)
    }
}

fn query(base_url: &str, credentials: Credentials, mer_order_id: &str) -> serde_json::Value {
    let client = Client::new(credentials, Environment::custom(base_url).unwrap());
    let request = client
        .prepare(&PaymentQuery::new(
            DEMO_MID,
            DEMO_TID,
            DEMO_INST_MID,
            mer_order_id,
        ))
        .unwrap();
    let authority = request.uri().authority().unwrap().to_string();
    let mut stream = TcpStream::connect(authority.as_str()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(&common::request_bytes(&request)).unwrap();
    common::read_response(&mut stream).unwrap().json()
}

#[test]
fn prints_url_credentials_and_demo_orders_serves_and_stops_on_ctrl_c() {
    let running = spawn(&["--seed-demo", "--port", "0"]);
    let base_url = running.base_url();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert_ne!(base_url, "http://127.0.0.1:0");
    let app_id = running.value("appId:");
    let app_key = running.value("appKey:");
    assert_eq!(app_id, chinaums_sandbox::DEFAULT_APP_ID);
    assert_eq!(app_key, chinaums_sandbox::DEFAULT_APP_KEY);
    let paid = running
        .banner
        .iter()
        .find(|l| l.contains(DEMO_PAID_ORDER))
        .unwrap();
    for part in [
        "mid=898201612345678",
        "tid=88880001",
        "instMid=YUEDANDEFAULT",
        "status=TRADE_SUCCESS",
        "totalAmount=\"100\"",
    ] {
        assert!(paid.contains(part), "{part} in {paid}");
    }
    assert_eq!(
        running
            .banner
            .iter()
            .filter(|l| l.contains("merOrderId="))
            .count(),
        4
    );

    let json = query(
        &base_url,
        Credentials::new(app_id, app_key),
        DEMO_PAID_ORDER,
    );
    assert_eq!(json["status"], "TRADE_SUCCESS");

    let (success, out, err) = running.interrupt();
    assert!(success);
    assert!(out.contains("stopping"), "{out}");
    assert!(
        err.contains("POST /v1/netpay/query -> 200 SUCCESS"),
        "{err}"
    );
    assert!(!err.contains(chinaums_sandbox::DEFAULT_APP_KEY));
}

#[test]
fn custom_credentials_tls_and_quiet() {
    let dir = std::env::temp_dir().join(format!("chinaums-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let running = spawn(&[
        "--app-id",
        "my-app",
        "--app-key",
        "my-key",
        "--tls",
        "--ca-out",
        ca.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(running.base_url().starts_with("https://127.0.0.1:"));
    assert_eq!(running.value("appId:"), "my-app");
    assert_eq!(running.value("appKey:"), "my-key");
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(
        running
            .banner
            .iter()
            .any(|l| l.contains("BEGIN CERTIFICATE"))
    );
    assert!(!running.banner.iter().any(|l| l.contains("merOrderId=")));
    let (success, _, err) = running.interrupt();
    assert!(success);
    assert!(err.is_empty(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_chinaums-sandbox"))
        .args(["--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("cannot start"), "{err}");
}
