//! The adapter against a hand-rolled HTTP/1.1 server on 127.0.0.1: what goes on the wire, and
//! how each kind of failure is reported. (The end-to-end scenarios against the sandbox, shared
//! with the other adapters, are in the `chinaums-e2e` crate.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chinaums::auth::body_sig;
use chinaums::netpay::PaymentQuery;
use chinaums::{Credentials, Delivery, Environment, Error, ErrorClass, TransportErrorKind};
use chinaums_ureq::{Client, chinaums};

/// What the mock server does with one request.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes and keeps the connection open for the next request.
    Bytes(Vec<u8>),
    /// Writes nothing and closes the connection.
    Close,
    /// Writes nothing for this long, then closes.
    Hang(Duration),
}

/// A request as the server read it.
struct Seen {
    head: String,
    body: Vec<u8>,
}

struct Mock {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    accepts: Arc<AtomicUsize>,
}

impl Mock {
    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Serves `replies` in order, one per request, over as many connections as the client opens.
fn mock(replies: Vec<Reply>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let accepts = Arc::new(AtomicUsize::new(0));
    let replies = Arc::new(Mutex::new(replies.into_iter()));
    let (seen2, accepts2) = (seen.clone(), accepts.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            accepts2.fetch_add(1, Ordering::SeqCst);
            let (seen, replies) = (seen2.clone(), replies.clone());
            thread::spawn(move || serve(stream, &seen, &replies));
        }
    });
    Mock {
        addr,
        seen,
        accepts,
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, replies: &Mutex<std::vec::IntoIter<Reply>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push(Seen { head, body });
        let reply = replies.lock().unwrap().next();
        match reply {
            Some(Reply::Bytes(bytes)) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Some(Reply::Hang(d)) => {
                thread::sleep(d);
                return;
            }
            Some(Reply::Close) | None => return,
        }
    }
}

fn json_response(status: &str, body: &str) -> Reply {
    Reply::Bytes(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

const PAID: &str = r#"{"errCode":"SUCCESS","errMsg":"查询成功","status":"TRADE_SUCCESS","totalAmount":"100","merOrderId":"3194ORDER0001"}"#;

fn core(base_url: &str) -> chinaums::Client {
    chinaums::Client::new(
        Credentials::new("mock-app", "mock-app-key"),
        Environment::custom(base_url).unwrap(),
    )
}

fn query() -> PaymentQuery {
    PaymentQuery::new(
        "898201612345678",
        "88880001",
        "YUEDANDEFAULT",
        "3194ORDER0001",
    )
}

fn client(base_url: &str) -> Client {
    Client::builder(core(base_url))
        .with_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

fn transport_error(e: &Error) -> &chinaums::TransportError {
    match e {
        Error::Transport(t) => t,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn sends_the_signed_bytes_unchanged_and_decodes_the_answer() {
    let server = mock(vec![json_response("200 OK", PAID)]);
    let answer = client(&server.base_url()).execute(&query()).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));

    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert!(
        request
            .head
            .starts_with("POST /v1/netpay/query HTTP/1.1\r\n"),
        "{}",
        request.head
    );
    let header = |name: &str| {
        request.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert!(header("user-agent").unwrap().starts_with("chinaums-ureq/"));
    // The signature the server receives verifies over the body the server receives.
    let parsed = body_sig::parse_header(&header("authorization").unwrap()).unwrap();
    assert!(body_sig::verify(&parsed, "mock-app-key", &request.body));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["merOrderId"], "3194ORDER0001");
}

#[test]
fn error_statuses_reach_the_core_as_responses() {
    let server = mock(vec![json_response(
        "401 Unauthorized",
        r#"{"errCode":"1002","errInfo":"AppId不存在"}"#,
    )]);
    let e = client(&server.base_url()).execute(&query()).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth, "{e}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(e.err_code(), Some("1002"));
}

#[test]
fn redirects_are_not_followed() {
    let server = mock(vec![
        Reply::Bytes(
            b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n".to_vec(),
        ),
        json_response("200 OK", PAID),
    ]);
    let e = client(&server.base_url()).execute(&query()).unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(302), "{e}");
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(server.requests(), 1);
}

#[test]
fn connection_refused_is_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = client(&format!("http://{addr}"))
        .execute(&query())
        .unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::NotSent, TransportErrorKind::Connect),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::Retryable);
}

#[test]
fn a_connection_closed_without_an_answer_may_have_been_processed() {
    let server = mock(vec![Reply::Close]);
    let e = client(&server.base_url()).execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.delivery, Delivery::MaybeSent, "{e}");
    assert_eq!(t.kind, TransportErrorKind::Io, "{e}");
    assert!(e.is_outcome_unknown());
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_silent_server_times_out_as_outcome_unknown() {
    let server = mock(vec![Reply::Hang(Duration::from_secs(3))]);
    let client = Client::builder(core(&server.base_url()))
        .with_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = client.execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::Timeout),
        "{e}"
    );
    assert!(e.is_outcome_unknown());
}

#[test]
fn a_declared_oversize_body_is_refused_unread() {
    let big = format!(r#"{{"errCode":"SUCCESS","pad":"{}"}}"#, "x".repeat(5000));
    let server = mock(vec![json_response("200 OK", &big)]);
    let client = Client::builder(core(&server.base_url()))
        .with_max_response_bytes(1024)
        .build()
        .unwrap();
    let e = client.execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::BodyTooLarge)
    );
    assert!(t.message.contains("1024-byte cap"), "{}", t.message);
}

#[test]
fn an_undeclared_oversize_body_is_cut_at_the_cap() {
    // Chunked: no Content-Length to refuse up front; the reader stops at the cap.
    let chunk = "x".repeat(4096);
    let mut bytes =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..4 {
        bytes.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    let server = mock(vec![Reply::Bytes(bytes)]);
    let client = Client::builder(core(&server.base_url()))
        .with_max_response_bytes(10_000)
        .build()
        .unwrap();
    let e = client.execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::BodyTooLarge),
        "{e}"
    );
}

#[test]
fn a_body_exactly_at_the_cap_is_accepted() {
    let server = mock(vec![json_response("200 OK", PAID)]);
    let client = Client::builder(core(&server.base_url()))
        .with_max_response_bytes(PAID.len())
        .build()
        .unwrap();
    assert!(client.execute(&query()).unwrap().is_paid());
}

#[test]
fn sequential_calls_reuse_one_connection_and_clones_share_it() {
    let server = mock(vec![json_response("200 OK", PAID); 4]);
    let client = client(&server.base_url());
    for _ in 0..3 {
        assert!(client.execute(&query()).unwrap().is_paid());
    }
    assert!(client.clone().execute(&query()).unwrap().is_paid());
    assert_eq!(server.requests(), 4);
    assert_eq!(server.accepts.load(Ordering::SeqCst), 1);
}

#[test]
fn a_tls_handshake_with_a_plain_http_server_fails_not_sent() {
    // The "server" answers the ClientHello with plain HTTP: the handshake cannot succeed, and
    // no HTTP request can have been read by anyone.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut hello = [0u8; 512];
            let _ = stream.read(&mut hello);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let e = client(&format!("https://{addr}"))
        .execute(&query())
        .unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::NotSent, TransportErrorKind::Tls),
        "{e}"
    );
}

#[test]
fn clones_can_be_used_from_several_threads() {
    let server = mock(vec![json_response("200 OK", PAID); 4]);
    let client = client(&server.base_url());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || client.execute(&query()).map(|a| a.is_paid()))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap());
    }
    assert_eq!(server.requests(), 4);
}
