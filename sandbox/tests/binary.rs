//! The `chinaums-sandbox` binary: prints what a user needs, serves, stops on Ctrl-C (SIGINT).

mod common;
#[path = "common/listener.rs"]
mod listener;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};

use chinaums::notify::{self, Notification, NotifyKey, SignType};
use chinaums::{
    Client, Credentials, Environment, Fen, Merchant, OrderFields, PaymentQuery, Refund,
    RefundQuery, WxUnifiedOrder,
};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID};
use common::{Conn, IO_TIMEOUT, eventually};

struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
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

/// The lines of a child's pipe, read on a thread so that every wait for them has a deadline.
fn lines(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Everything `pipe` still sends until it closes (the child has exited), within the deadline.
fn rest(pipe: &Receiver<String>) -> String {
    let deadline = common::instant_now() + IO_TIMEOUT;
    let mut out = String::new();
    loop {
        let left = deadline.saturating_duration_since(common::instant_now());
        match pipe.recv_timeout(left) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
            }
            Err(RecvTimeoutError::Disconnected) => return out,
            Err(RecvTimeoutError::Timeout) => panic!("the pipe stayed open: {out}"),
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
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    let mut running = Running {
        child,
        stdout,
        stderr,
        banner: Vec::new(),
    };
    let deadline = common::instant_now() + IO_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(common::instant_now());
        let line = running
            .stdout
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no full banner ({e}): {:?}", running.banner));
        let done = line.starts_with("Ctrl-C to stop");
        running.banner.push(line);
        if done {
            return running;
        }
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
        let exited = eventually(|| matches!(self.child.try_wait(), Ok(Some(_))));
        assert!(exited, "the sandbox did not stop on SIGINT");
        let exit = self.child.wait().unwrap();
        (exit.success(), rest(&self.stdout), rest(&self.stderr))
    }
}

fn query(base_url: &str, credentials: Credentials, mer_order_id: &str) -> serde_json::Value {
    let client = Client::new(credentials, Environment::custom(base_url).unwrap());
    let request = client
        .prepare(&PaymentQuery::new(
            &Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap(),
            mer_order_id.parse().unwrap(),
        ))
        .unwrap();
    exchange(&request)
}

/// Sends `request` (an absolute URL) on a new connection; the answer's JSON.
fn exchange(request: &http::Request<Vec<u8>>) -> serde_json::Value {
    let authority = request.uri().authority().unwrap().to_string();
    let stream = TcpStream::connect(authority.as_str()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    Conn::new(stream).exchange(request).json()
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
        "totalAmount=100",
    ] {
        assert!(paid.contains(part), "{part} in {paid}");
    }
    // Every endpoint of the route table, one per line.
    for endpoint in chinaums_sandbox::endpoints() {
        let line = format!("  {endpoint} ");
        assert!(
            running
                .banner
                .iter()
                .any(|l| l.starts_with(&line) && l.ends_with(endpoint.what)),
            "{endpoint} in {:?}",
            running.banner
        );
    }
    assert_eq!(
        running
            .banner
            .iter()
            .filter(|l| l.contains("merOrderId="))
            .count(),
        chinaums_sandbox::Order::demo_orders().len()
    );
    let guaranteed = running
        .banner
        .iter()
        .find(|l| l.contains(chinaums_sandbox::DEMO_GUARANTEED_ORDER))
        .unwrap();
    assert!(
        guaranteed.contains("guaranteed secureStatus=UNCOMPLETED"),
        "{guaranteed}"
    );
    let split = running
        .banner
        .iter()
        .find(|l| l.contains(chinaums_sandbox::DEMO_SPLIT_ORDER))
        .unwrap();
    assert!(
        split.contains("split platformAmount=10 subMid=898201612345679:90"),
        "{split}"
    );
    let partly = running
        .banner
        .iter()
        .find(|l| l.contains(chinaums_sandbox::DEMO_PARTLY_REFUNDED_ORDER))
        .unwrap();
    assert!(
        partly.contains("refundAmount=30 refundOrderId=3194DEMOPARTREF0001R1"),
        "{partly}"
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
        "--seed-demo",
        "--amounts-as-strings",
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
    let paid = running
        .banner
        .iter()
        .find(|l| l.contains(DEMO_PAID_ORDER))
        .unwrap();
    assert!(paid.contains("totalAmount=\"100\""), "{paid}");
    let (success, _, err) = running.interrupt();
    assert!(success);
    assert!(err.is_empty(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refunds_pending_first_is_a_flag() {
    let running = spawn(&["--seed-demo", "--refunds-pending-first", "--quiet"]);
    let client = Client::new(
        Credentials::new(running.value("appId:"), running.value("appKey:")),
        Environment::custom(&running.base_url()).unwrap(),
    );
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    let refund = Refund::new(
        &merchant,
        DEMO_PAID_ORDER.parse().unwrap(),
        "3194FLAGREFUND01".parse().unwrap(),
        Fen(10),
    );
    let send = |request: chinaums::http::Request<Vec<u8>>| {
        let authority = request.uri().authority().unwrap().to_string();
        let stream = TcpStream::connect(authority.as_str()).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Conn::new(stream).exchange(&request).json()
    };
    let json = send(client.prepare(&refund).unwrap());
    assert_eq!(json["refundStatus"], "PROCESSING", "{json}");
    let query = RefundQuery::new(&merchant, DEMO_PAID_ORDER.parse().unwrap());
    let json = send(client.prepare(&query).unwrap());
    assert_eq!(json["refundStatus"], "SUCCESS", "{json}");
    let (success, _, err) = running.interrupt();
    assert!(success);
    assert!(err.is_empty(), "--quiet: {err}");
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chinaums-sandbox"))
        .args(["--port", &port])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    let exited = eventually(|| matches!(child.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the sandbox kept running on a taken port");
    }
    assert!(!child.wait().unwrap().success());
    let err = rest(&stderr);
    assert!(err.contains("cannot start"), "{err}");
}

#[test]
fn the_notification_key_and_md5_flag_sign_what_the_binary_delivers() {
    let shop = listener::Listener::start(vec![listener::SUCCESS]);
    let running = spawn(&["--notify-key", "the-shops-key", "--md5-notifications"]);
    assert_eq!(running.value("notifyKey:"), "the-shops-key");
    let base_url = running.base_url();
    assert_eq!(
        running.value("notification deliveries (JSON):"),
        format!("{base_url}/sandbox/notifications")
    );
    let client = Client::new(
        Credentials::new(
            chinaums_sandbox::DEFAULT_APP_ID,
            chinaums_sandbox::DEFAULT_APP_KEY,
        ),
        Environment::custom(&base_url).unwrap(),
    );
    let order = WxUnifiedOrder::mini(
        &Merchant::new(DEMO_MID, DEMO_TID, "MINIDEFAULT").unwrap(),
        "3194BINARYNOTIFY".parse().unwrap(),
        OrderFields::new(Fen(100)).notify_url(shop.url("/n").parse().unwrap()),
        "wx01",
        "o-payer",
    );
    let created = exchange(&client.prepare(&order).unwrap());
    assert_eq!(created["errCode"], "SUCCESS", "{created}");
    let pay = http::Request::post(format!("{base_url}/sandbox/orders/3194BINARYNOTIFY/pay"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(exchange(&pay)["status"], "TRADE_SUCCESS");

    let received = shop.next();
    let notification =
        notify::verify(&received.body, None, &NotifyKey::new("the-shops-key")).unwrap();
    let Notification::Payment(paid) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(paid.sign_type, Some(SignType::Md5));
    let sign = notify::parse_form(&received.body).unwrap()["sign"].clone();
    // Once the attempt is recorded, it is on stderr too; never the key or the sign.
    let log = http::Request::get(format!("{base_url}/sandbox/notifications"))
        .body(Vec::new())
        .unwrap();
    assert!(eventually(
        || exchange(&log)["deliveries"][0]["acknowledged"] == true
    ));
    let log_line = format!("notify payment 3194BINARYNOTIFY {} #1", shop.url("/n"));
    let (success, _, err) = running.interrupt();
    assert!(success);
    assert!(err.contains(&log_line), "{err}");
    assert!(err.contains("200 \"SUCCESS\" (acknowledged)"), "{err}");
    assert!(
        !err.contains("the-shops-key") && !err.contains(&sign),
        "{err}"
    );
}
