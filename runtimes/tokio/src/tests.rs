//! Unit tests against tiny hand-written servers on 127.0.0.1 (no sandbox): what goes on the
//! wire, what comes back, and how each transport failure is reported.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chinaums::http;
use chinaums::netpay::PaymentQuery;
use chinaums::{
    Credentials, Delivery, Environment, ErrorClass, TransportError, TransportErrorKind,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// A self-signed certificate (CN "chinaums-tokio test", SAN IP 127.0.0.1) for PEM parsing tests.
const TEST_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBpDCCAUqgAwIBAgIUXo9u/wjVBIegXR7QmmZTndzP58kwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTY2hpbmF1bXMtdG9raW8gdGVzdDAgFw0yNjExMjkxNDE2MDJa
GA8yMTI2MTEwNTE0MTYwMlowHjEcMBoGA1UEAwwTY2hpbmF1bXMtdG9raW8gdGVz
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMZ7jEWPOgctlDE/Iw0rgBRoD0k5
f/nD/Ggcep58anXEjmJM05W+d+u5501UzEKo/dOrvlHwp3E2fzh/WYRr6tyjZDBi
MB0GA1UdDgQWBBR5VSud2d8fk+j2xauLA6j6bnzhTjAfBgNVHSMEGDAWgBR5VSud
2d8fk+j2xauLA6j6bnzhTjAPBgNVHRMBAf8EBTADAQH/MA8GA1UdEQQIMAaHBH8A
AAEwCgYIKoZIzj0EAwIDSAAwRQIgUC30tCp66Zsj0GM6HEwW2UhHGhAp/qmbePwa
xd5j2iYCIQDl68HZdx3GII0FVbAAZRBcn0Vf6QDT7avXv8Yfpthjhw==
-----END CERTIFICATE-----
";

const PAID: &str = r#"{"errCode":"SUCCESS","errMsg":"","status":"TRADE_SUCCESS","totalAmount":"100","merOrderId":"3194TEST0001"}"#;

/// What the test server does with each request it reads.
#[derive(Clone)]
enum Behaviour {
    /// Writes these bytes and keeps the connection for the next request.
    Answer(Vec<u8>),
    /// Writes these bytes, then holds the connection open without another byte.
    AnswerThenHang(Vec<u8>),
    /// Writes these bytes and closes the connection.
    AnswerThenClose(Vec<u8>),
    /// Never answers (holds the connection open).
    Hang,
}

/// A test HTTP/1.1 server on an ephemeral 127.0.0.1 port.
struct Server {
    base_url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (c, r) = (connections.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, behaviour.clone(), r.clone()));
            }
        });
        Server {
            base_url: format!("http://127.0.0.1:{port}"),
            connections,
            requests,
            task,
        }
    }

    fn client(&self, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
        let core = chinaums::Client::new(
            Credentials::new("test-app-id", "test-app-key-secret"),
            Environment::custom(&self.base_url).unwrap(),
        );
        configure(Client::builder(core)).build().unwrap()
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, requests: Arc<Mutex<Vec<String>>>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        requests.lock().unwrap().push(request);
        match &behaviour {
            Behaviour::Answer(bytes) => {
                if stream.write_all(bytes).await.is_err() {
                    return;
                }
            }
            Behaviour::AnswerThenHang(bytes) => {
                let _ = stream.write_all(bytes).await;
                std::future::pending::<()>().await;
            }
            Behaviour::AnswerThenClose(bytes) => {
                let _ = stream.write_all(bytes).await;
                return;
            }
            Behaviour::Hang => std::future::pending::<()>().await,
        }
    }
}

/// Reads one request (head and Content-Length body); `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let total = end + 4 + length;
            if buffer.len() >= total {
                let request = String::from_utf8_lossy(&buffer[..total]).into_owned();
                buffer.drain(..total);
                return Some(request);
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn http_response(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn query() -> PaymentQuery {
    PaymentQuery::new(
        "898201612345678",
        "88880001",
        "YUEDANDEFAULT",
        "3194TEST0001",
    )
}

fn transport_error(result: Result<impl fmt::Debug, Error>) -> TransportError {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_the_signed_request_and_decodes_the_answer() {
    let server = Server::start(Behaviour::Answer(http_response(
        "200 OK",
        "content-type: application/json\r\n",
        PAID,
    )))
    .await;
    let client = server.client(|b| b);
    let answer = client.execute(&query()).await.unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert!(
        request.starts_with("POST /v1/netpay/query HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("authorization: OPEN-BODY-SIG AppId=\"test-app-id\""));
    assert!(request.contains("content-type: application/json\r\n"));
    // The body on the wire is exactly the bytes the core signed.
    let body = request.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.contains("\"merOrderId\":\"3194TEST0001\""), "{body}");
    assert!(request.contains(&format!("content-length: {}\r\n", body.len())));
}

#[tokio::test]
async fn status_headers_and_body_reach_the_core_unchanged() {
    let server = Server::start(Behaviour::Answer(http_response(
        "418 I'm a teapot",
        "x-trace: abc\r\n",
        "short and stout",
    )))
    .await;
    let client = server.client(|b| b);
    let request = http::Request::post(format!("{}/anything", server.base_url))
        .body(b"{}".to_vec())
        .unwrap();
    let response = client.transport.send(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-trace"], "abc");
    assert_eq!(response.body(), b"short and stout");
}

#[tokio::test]
async fn sequential_calls_and_clones_reuse_one_connection() {
    let server = Server::start(Behaviour::Answer(http_response("200 OK", "", PAID))).await;
    let client = server.client(|b| b);
    let clone = client.clone();
    for c in [&client, &clone, &client, &clone] {
        assert!(c.execute(&query()).await.unwrap().is_paid());
    }
    assert_eq!(server.requests().len(), 4);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_go_back_to_the_core() {
    let server = Server::start(Behaviour::Answer(http_response(
        "302 Found",
        "location: /elsewhere\r\n",
        "",
    )))
    .await;
    let client = server.client(|b| b);
    let error = client.execute(&query()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(server.requests().len(), 1, "the redirect was followed");
}

#[tokio::test]
async fn a_declared_length_over_the_cap_fails_before_the_body() {
    // The head promises 10 MB and no body byte ever comes: only the Content-Length check can
    // end this before the 5 s timeout.
    let server = Server::start(Behaviour::AnswerThenHang(
        b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n".to_vec(),
    ))
    .await;
    let client = server.client(|b| {
        b.with_max_response_bytes(1024)
            .with_timeout(Duration::from_secs(5))
    });
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert!(e.message.contains("10000000"), "{}", e.message);
}

#[tokio::test]
async fn a_streamed_body_is_cut_at_the_cap() {
    let chunk = format!("3e8\r\n{}\r\n", "x".repeat(1000));
    let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_owned();
    // Four 1000-byte chunks, then the connection hangs without the final chunk.
    let server = Server::start(Behaviour::AnswerThenHang(
        (head + &chunk.repeat(4)).into_bytes(),
    ))
    .await;
    let client = server.client(|b| {
        b.with_max_response_bytes(2500)
            .with_timeout(Duration::from_secs(5))
    });
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(Error::Transport(e).class(), ErrorClass::OutcomeUnknown);
}

#[tokio::test]
async fn a_body_exactly_at_the_cap_is_accepted() {
    let server = Server::start(Behaviour::Answer(http_response("200 OK", "", PAID))).await;
    let client = server.client(|b| b.with_max_response_bytes(PAID.len()));
    assert!(client.execute(&query()).await.unwrap().is_paid());
    let client = server.client(|b| b.with_max_response_bytes(PAID.len() - 1));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
    );
    let client = Client::new(core).unwrap();
    let error = client.execute(&query()).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Retryable);
    let e = transport_error(Err::<(), _>(error));
    assert_eq!(e.kind, TransportErrorKind::Connect);
    assert_eq!(e.delivery, Delivery::NotSent);
    assert!(
        e.message.to_lowercase().contains("refused"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_silent_server_times_out_as_maybe_sent() {
    let server = Server::start(Behaviour::Hang).await;
    let client = server.client(|b| b.with_timeout(Duration::from_millis(300)));
    let error = client.execute(&query()).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    let e = transport_error(Err::<(), _>(error));
    assert_eq!(e.kind, TransportErrorKind::Timeout);
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(
        server.requests().len(),
        1,
        "the request did reach the server"
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_may_have_been_sent() {
    let server = Server::start(Behaviour::AnswerThenClose(Vec::new())).await;
    let client = server.client(|b| b.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_connection_cut_mid_body_may_have_been_sent() {
    let mut bytes = http_response("200 OK", "", PAID);
    bytes.truncate(bytes.len() - PAID.len() / 2);
    let server = Server::start(Behaviour::AnswerThenClose(bytes)).await;
    let client = server.client(|b| b.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_reply_that_is_not_http_is_a_protocol_error() {
    let server = Server::start(Behaviour::AnswerThenClose(
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(),
    ))
    .await;
    let client = server.client(|b| b.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Protocol, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_failed_tls_handshake_was_not_sent() {
    // An https:// URL pointing at a server that answers the ClientHello with plain text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut hello = [0u8; 512];
            let _ = stream.read(&mut hello).await;
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("https://127.0.0.1:{port}")).unwrap(),
    );
    let client = Client::builder(core)
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = transport_error(client.execute(&query()).await);
    task.abort();
    assert_eq!(e.kind, TransportErrorKind::Tls, "{e}");
    assert_eq!(e.delivery, Delivery::NotSent);
}

#[test]
fn root_certificates_are_read_when_added_and_checked_at_build() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let builder = Client::builder(core.clone())
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    assert_eq!(builder.transport.extra_roots().len(), 1);
    let two = format!("{TEST_CERT_PEM}{TEST_CERT_PEM}");
    let builder = builder.add_root_certificate_pem(two.as_bytes()).unwrap();
    assert_eq!(builder.transport.extra_roots().len(), 3);
    assert!(builder.build().is_ok());

    // Unreadable PEM is refused when added.
    let broken = TEST_CERT_PEM.replace("MIIB", "M!IB");
    let truncated = &TEST_CERT_PEM[..200];
    for bad in ["", "hello", broken.as_str(), truncated] {
        match Client::builder(core.clone()).add_root_certificate_pem(bad.as_bytes()) {
            Err(Error::Config(message)) => assert!(message.contains("certificate"), "{message}"),
            other => panic!("{bad:?} was accepted: {other:?}"),
        }
    }
    // Readable PEM whose content is no certificate: rustls refuses it as a trust anchor when
    // the client is built.
    let not_a_cert = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    let builder = Client::builder(core)
        .add_root_certificate_pem(not_a_cert.as_bytes())
        .unwrap();
    let message = config_error(builder.build());
    assert!(message.contains("unusable root certificate"), "{message}");
}

/// The message of the `Error::Config` that building must fail with.
fn config_error(built: Result<Client, Error>) -> String {
    match built {
        Err(Error::Config(message)) => message,
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

#[test]
fn zero_timeout_and_zero_cap_are_refused_at_build() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let zero_timeout = Client::builder(core.clone()).with_timeout(Duration::ZERO);
    let message = config_error(zero_timeout.build());
    assert!(message.contains("`timeout`"), "{message}");
    let zero_cap = Client::builder(core).with_max_response_bytes(0);
    let message = config_error(zero_cap.build());
    assert!(message.contains("`max_response_bytes`"), "{message}");
}

#[test]
fn one_transport_config_sets_every_option() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let config = TransportConfig::new()
        .with_timeout(Duration::from_millis(1500))
        .with_max_response_bytes(2048)
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    // `transport` replaces what was set before it.
    let builder = Client::builder(core.clone())
        .with_timeout(Duration::from_secs(9))
        .with_transport(config.clone());
    assert_eq!(builder.transport, config);
    let client = builder.build().unwrap();
    assert_eq!(client.transport().timeout(), Duration::from_millis(1500));
    assert_eq!(client.transport().max_response_bytes(), 2048);
    // A zero setting in the shared config is refused like one set directly.
    let zero = Client::builder(core).with_transport(config.with_timeout(Duration::ZERO));
    assert!(config_error(zero.build()).contains("`timeout`"));
}

#[test]
fn builder_defaults_and_debug_hide_the_app_key() {
    let core = chinaums::Client::new(
        Credentials::new("app", "very-secret-app-key"),
        Environment::Test,
    );
    let builder = Client::builder(core);
    assert!(!format!("{builder:?}").contains("very-secret-app-key"));
    let client = builder.build().unwrap();
    assert_eq!(client.transport().timeout(), Duration::from_secs(30));
    assert_eq!(client.transport().max_response_bytes(), 1024 * 1024);
    assert_eq!(client.core().credentials().app_id(), "app");
    let debug = format!("{client:?}");
    assert!(!debug.contains("very-secret-app-key"), "{debug}");
    assert!(debug.contains("30s"), "{debug}");
}

#[test]
fn execute_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let client = Client::new(core).unwrap();
    let query = query();
    let future = client.execute(&query);
    assert_send(&future);
}
