//! The sandbox's HTTP layer (hyper's HTTP/1.1 server, the body limits, the framing errors) on
//! arbitrary bytes. The sandbox serves HTTP only on a socket (its hyper service is not public),
//! so a sandbox with the demo orders is started once on 127.0.0.1 and each input is written to
//! a fresh connection, then the writing half is closed and the answer read to its end.
//!
//! Invariants:
//! - the sandbox answers, or closes, every connection (within 10 s), and nothing panics (a
//!   panic on its thread aborts this process);
//! - what it writes is HTTP/1.x responses: the first head parses;
//! - the first request of the input (as httparse reads its head, as hyper does) if it is a
//!   business `POST` is never answered 200: no input can carry a fresh signature with the
//!   appKey (the sandbox's clock is the real one) nor a token it issued;
//! - every 256 inputs, the sandbox still answers a request the core signs, 200 and paid, also
//!   when the client closes its writing half right after sending it.
#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chinaums::{Client, Merchant, PaymentQuery};
use chinaums_fuzz::{Access, access};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Sandbox};
use libfuzzer_sys::fuzz_target;

static SANDBOX: LazyLock<Sandbox> =
    LazyLock::new(|| Sandbox::start_demo().expect("a sandbox on 127.0.0.1"));
static INPUTS: AtomicU64 = AtomicU64::new(0);
const PATIENCE: Duration = Duration::from_secs(10);

fuzz_target!(|data: &[u8]| {
    let sandbox = &*SANDBOX;
    let answer = exchange(sandbox, data);
    if !answer.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Response::new(&mut headers);
        let parsed = head.parse(&answer);
        assert!(
            matches!(parsed, Ok(httparse::Status::Complete(_))),
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
        let status = head.code.expect("a status");
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(_)) = request.parse(data) {
            let method = request.method.unwrap_or_default();
            let path = request.path.unwrap_or_default();
            let path = path.split_once('?').map_or(path, |(p, _)| p);
            if access(method, path) == Access::Business {
                assert_ne!(
                    status, 200,
                    "{method} {path}: 200 without a valid signature"
                );
            }
        }
    }
    if INPUTS.fetch_add(1, Ordering::Relaxed).is_multiple_of(256) {
        still_serves(sandbox);
    }
});

/// Writes `bytes` on a new connection, closes the writing half (as an HTTP/1.0 client or
/// `nc -N` does once its request is sent), reads until the sandbox closes.
fn exchange(sandbox: &Sandbox, bytes: &[u8]) -> Vec<u8> {
    let mut conn = TcpStream::connect(sandbox.addr()).expect("the sandbox accepts");
    conn.set_read_timeout(Some(PATIENCE)).expect("a timeout");
    conn.set_write_timeout(Some(PATIENCE)).expect("a timeout");
    // The sandbox may answer and close before reading everything: a failed write is fine.
    let _ = conn.write_all(bytes);
    let _ = conn.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    match conn.read_to_end(&mut answer) {
        Ok(_) => {}
        // A reset after an early answer (the sandbox closed with unread bytes): what came is
        // the answer.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the sandbox neither answered nor closed: {e}"),
    }
    answer
}

/// A query the core signs now, by hand over HTTP/1.1: answered 200, paid.
fn still_serves(sandbox: &Sandbox) {
    let client = Client::new(sandbox.credentials(), sandbox.environment());
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).expect("the demo merchant");
    let query = PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse().expect("an order id"));
    let request = client.prepare(&query).expect("a signed query");
    let mut bytes = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n",
        request.uri().path(),
        request.headers()["authorization"].to_str().expect("ASCII"),
        request.body().len()
    )
    .into_bytes();
    bytes.extend_from_slice(request.body());
    let answer = exchange(sandbox, &bytes);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no whole answer to a signed query: {:?} (connections so far: {})",
                String::from_utf8_lossy(&answer),
                sandbox.connection_count()
            )
        });
    assert!(
        answer.starts_with(b"HTTP/1.1 200 "),
        "the sandbox stopped serving"
    );
    let response = http::Response::new(answer[split + 4..].to_vec());
    let paid = client
        .parse::<PaymentQuery>(&response)
        .expect("a query answer");
    assert!(paid.is_paid());
}
