//! Unit tests against the sandbox gateway on 127.0.0.1: what goes on the wire, what comes back,
//! how connections are pooled, and how each transport failure is reported. The misbehaving
//! servers are the sandbox's faults (raw bytes, redirects, delays, cut or dropped connections),
//! so every case is exact at the byte level without a server written here. Most run under
//! smol's `block_on`; the ones about executors run under async-std's too.

use std::future::Future;
use std::time::Duration;

use chinaums::http;
use chinaums::{
    ConfigErrorKind, Credentials, Delivery, Environment, ErrorClass, Merchant, Mid, PaymentQuery,
    TransportError, TransportErrorKind,
};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Order, Sandbox};

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

/// A paid answer, for faults that send their own bytes.
const PAID: &str = r#"{"errCode":"SUCCESS","errMsg":"","status":"TRADE_SUCCESS","totalAmount":"100","merOrderId":"3194DEMOPAID0001"}"#;

/// Runs the same async test body under async-std's and smol's `block_on`.
fn on_both<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    async_std::task::block_on(body());
    smol::block_on(body());
}

fn core() -> chinaums::Client {
    chinaums::Client::new(Credentials::new("app", "secret-app-key"), Environment::Test)
}

/// A client of `sandbox` with its credentials and the transport settings `configure` makes
/// of the defaults.
fn client(sandbox: &Sandbox, configure: impl FnOnce(TransportConfig) -> TransportConfig) -> Client {
    let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
    Client::builder(core)
        .with_transport(configure(TransportConfig::new()))
        .build()
        .unwrap()
}

/// `sandbox` with the demo orders (the `DEMO_*` constants) in its order book, as
/// `Sandbox::start_demo` has them.
fn with_demo_orders(sandbox: Sandbox) -> Sandbox {
    for order in Order::demo_orders() {
        sandbox.insert_order(order);
    }
    sandbox
}

/// A whole HTTP/1.1 response, for `Fault::Raw`.
fn http_response(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap()
}

/// The query for the demo merchant's paid order.
fn query() -> PaymentQuery {
    PaymentQuery::new(&merchant(), DEMO_PAID_ORDER.parse().unwrap())
}

fn transport_error(result: Result<impl fmt::Debug, Error>) -> TransportError {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// The kind of the `Error::Config` that building must fail with.
fn config_error(built: Result<Client, Error>) -> ConfigErrorKind {
    match built {
        Err(Error::Config(e)) => e.kind,
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

#[test]
fn sends_the_signed_request_and_decodes_the_answer() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox, |c| c);
    // The sandbox verified the signature over the body it received: the bytes the core signed.
    let answer = smol::block_on(client.execute(&query())).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));

    assert_eq!(sandbox.request_count(), 1);
    let request = sandbox.last_request().unwrap();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri().path(), "/v1/netpay/query");
    assert_eq!(request.uri().query(), None);
    let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
    assert!(
        header("authorization")
            .starts_with(&format!("OPEN-BODY-SIG AppId=\"{}\"", sandbox.app_id())),
        "{}",
        header("authorization")
    );
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("content-length"), request.body().len().to_string());
    assert_eq!(header("host"), format!("127.0.0.1:{}", sandbox.port()));
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert!(
        body.contains("\"merOrderId\":\"3194DEMOPAID0001\""),
        "{body}"
    );
}

#[test]
fn status_headers_and_body_reach_the_core_unchanged() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(http_response(
        "418 I'm a teapot",
        "x-trace: abc\r\n",
        "short and stout",
    )));
    let client = client(&sandbox, |c| c);
    let request = http::Request::post(format!("{}/anything", sandbox.base_url()))
        .body(b"{}".to_vec())
        .unwrap();
    let response = smol::block_on(client.transport.send(request)).unwrap();
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-trace"], "abc");
    assert_eq!(response.body(), b"short and stout");
}

#[test]
fn sequential_calls_and_clones_reuse_one_connection() {
    on_both(|| async {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox, |c| c);
        let clone = client.clone();
        for c in [&client, &clone, &client, &clone] {
            assert!(c.execute(&query()).await.unwrap().is_paid());
        }
        assert_eq!(sandbox.request_count(), 4);
        assert_eq!(sandbox.connection_count(), 1);
        assert_eq!(client.transport.pool.idle_count(), 1);
    });
}

#[test]
fn a_connection_the_server_closes_is_not_reused() {
    smol::block_on(async {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox, |c| c);
        // `Connection: close`: hyper closes the connection after the answer; it is not pooled.
        sandbox.inject_fault(Fault::Raw(http_response(
            "200 OK",
            "connection: close\r\n",
            PAID,
        )));
        assert!(client.execute(&query()).await.unwrap().is_paid());
        assert_eq!(client.transport.pool.idle_count(), 0);
        assert!(client.execute(&query()).await.unwrap().is_paid());
        assert_eq!(sandbox.connection_count(), 2);
        assert_eq!(client.transport.pool.idle_count(), 1);
    });
}

#[test]
fn a_pooled_connection_closed_while_idle_is_replaced() {
    smol::block_on(async {
        let first = Sandbox::start_demo().unwrap();
        let port = first.port();
        let client = client(&first, |c| c);
        assert!(client.execute(&query()).await.unwrap().is_paid());
        assert_eq!(client.transport.pool.idle_count(), 1);
        // The server goes away, closing the pooled connection, and comes back on the same port.
        first.shutdown();
        let second = with_demo_orders(Sandbox::builder().port(port).start().unwrap());
        // Time for the old connection's FIN to arrive on loopback.
        async_io::Timer::after(Duration::from_millis(100)).await;
        // The pooled connection is found closed when it is taken (nothing is written to it) and
        // replaced by a new one.
        assert!(client.execute(&query()).await.unwrap().is_paid());
        assert_eq!(second.request_count(), 1);
        assert_eq!(second.connection_count(), 1);
        assert_eq!(client.transport.pool.idle_count(), 1);
    });
}

#[test]
fn redirects_go_back_to_the_core() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Redirect {
        status: 302,
        location: "/elsewhere".into(),
    });
    let client = client(&sandbox, |c| c);
    let error = smol::block_on(client.execute(&query())).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(sandbox.request_count(), 1, "the redirect was followed");
}

#[test]
fn a_declared_length_over_the_cap_fails_before_the_body() {
    // The head promises 10 MB and no body byte comes before the connection closes: a client
    // that read the body would fail with an I/O error, not this.
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n".to_vec(),
    ));
    let client = client(&sandbox, |c| {
        c.with_max_response_bytes(1024)
            .with_timeout(Duration::from_secs(5))
    });
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert!(e.message.contains("10000000"), "{}", e.message);
}

#[test]
fn a_streamed_body_is_cut_at_the_cap() {
    let chunk = format!("3e8\r\n{}\r\n", "x".repeat(1000));
    let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_owned();
    // Four 1000-byte chunks, then the connection closes without the final chunk: a client
    // that did not stop at the cap would fail with an I/O error instead.
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw((head + &chunk.repeat(4)).into_bytes()));
    let client = client(&sandbox, |c| {
        c.with_max_response_bytes(2500)
            .with_timeout(Duration::from_secs(5))
    });
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(Error::Transport(e).class(), ErrorClass::OutcomeUnknown);
}

#[test]
fn a_body_exactly_at_the_cap_is_accepted() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.set_fault(Some(Fault::Raw(http_response("200 OK", "", PAID))));
    let client_at_cap = client(&sandbox, |c| c.with_max_response_bytes(PAID.len()));
    assert!(
        smol::block_on(client_at_cap.execute(&query()))
            .unwrap()
            .is_paid()
    );
    let client_below = client(&sandbox, |c| c.with_max_response_bytes(PAID.len() - 1));
    let e = transport_error(smol::block_on(client_below.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
}

#[test]
fn a_refused_connection_was_not_sent() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
    );
    let client = Client::new(core).unwrap();
    let error = smol::block_on(client.execute(&query())).unwrap_err();
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

#[test]
fn a_silent_server_times_out_as_maybe_sent() {
    // Far longer than the test runs; dropping the sandbox ends the wait.
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(600)));
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_millis(300)));
    let error = smol::block_on(client.execute(&query())).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    let e = transport_error(Err::<(), _>(error));
    assert_eq!(e.kind, TransportErrorKind::Timeout);
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(
        sandbox.request_count(),
        1,
        "the request did reach the server"
    );
}

#[test]
fn a_deadline_while_connecting_was_not_sent() {
    // The kernel accepts the TCP connection (backlog), nobody answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("https://127.0.0.1:{port}")).unwrap(),
    );
    let client = Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(Duration::from_millis(300)))
        .build()
        .unwrap();
    let error = async_std::task::block_on(client.execute(&query())).unwrap_err();
    assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
    let e = transport_error(Err::<(), _>(error));
    assert_eq!(
        (e.kind, e.delivery),
        (TransportErrorKind::Timeout, Delivery::NotSent)
    );
    assert!(
        e.message.contains("before the request was sent"),
        "{}",
        e.message
    );
    drop(listener);
}

#[test]
fn a_connection_closed_without_an_answer_may_have_been_sent() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[test]
fn a_connection_cut_mid_body_may_have_been_sent() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[test]
fn a_reply_that_is_not_http_is_a_protocol_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()));
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::Protocol, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[test]
fn a_failed_tls_handshake_was_not_sent() {
    // An https:// URL pointing at the plain-HTTP sandbox, which answers the ClientHello with
    // an HTTP 400: the handshake fails before any request byte could be read.
    let sandbox = Sandbox::start_demo().unwrap();
    let core = chinaums::Client::new(
        sandbox.credentials(),
        Environment::custom(&format!("https://127.0.0.1:{}", sandbox.port())).unwrap(),
    );
    let client = Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(Duration::from_secs(5)))
        .build()
        .unwrap();
    let e = transport_error(smol::block_on(client.execute(&query())));
    assert_eq!(e.kind, TransportErrorKind::Tls, "{e}");
    assert_eq!(e.delivery, Delivery::NotSent);
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn https_with_an_extra_root_is_trusted_and_pooled() {
    on_both(|| async {
        let sandbox = with_demo_orders(Sandbox::builder().tls(true).start().unwrap());
        let pem = sandbox.ca_cert_pem().unwrap();
        let client = client(&sandbox, |c| {
            c.add_root_certificate_pem(pem.as_bytes()).unwrap()
        });
        for _ in 0..3 {
            assert!(client.execute(&query()).await.unwrap().is_paid());
        }
        assert_eq!(sandbox.request_count(), 3);
        assert_eq!(sandbox.connection_count(), 1);
    });
}

#[test]
fn root_certificates_are_read_when_added_and_checked_at_build() {
    let config = TransportConfig::new()
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    let builder = Client::builder(core()).with_transport(config.clone());
    assert_eq!(builder.transport.extra_roots().len(), 1);
    let two = format!("{TEST_CERT_PEM}{TEST_CERT_PEM}");
    let config = config.add_root_certificate_pem(two.as_bytes()).unwrap();
    let builder = Client::builder(core()).with_transport(config);
    assert_eq!(builder.transport.extra_roots().len(), 3);
    assert!(builder.build().is_ok());

    // Readable PEM whose content is no certificate: rustls refuses it as a trust anchor when
    // the client is built.
    let not_a_cert = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    let config = TransportConfig::new()
        .add_root_certificate_pem(not_a_cert.as_bytes())
        .unwrap();
    let builder = Client::builder(core()).with_transport(config);
    assert_eq!(config_error(builder.build()), ConfigErrorKind::Certificate);
}

#[test]
fn one_transport_config_sets_every_option() {
    let zero = TransportConfig::new().with_timeout(Duration::ZERO);
    let e = Client::builder(core()).with_transport(zero).build();
    assert_eq!(config_error(e), ConfigErrorKind::Timeout);
    let zero = TransportConfig::new().with_max_response_bytes(0);
    let e = Client::builder(core()).with_transport(zero).build();
    assert_eq!(config_error(e), ConfigErrorKind::ResponseCap);
    // `with_transport` replaces the whole config given before it, and the client reads it
    // back.
    let config = TransportConfig::new()
        .with_timeout(Duration::from_millis(1500))
        .with_max_response_bytes(2048)
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    let client = Client::builder(core())
        .with_transport(TransportConfig::new().with_max_response_bytes(7))
        .with_transport(config.clone())
        .build()
        .unwrap();
    assert_eq!(client.transport(), &config);
}

#[test]
fn builder_defaults_and_debug_hide_the_app_key() {
    let builder = Client::builder(core());
    assert!(!format!("{builder:?}").contains("secret-app-key"));
    let client = builder.build().unwrap();
    assert_eq!(client.transport().timeout(), Duration::from_secs(30));
    assert_eq!(client.transport().max_response_bytes(), 1024 * 1024);
    assert_eq!(client.core().credentials().app_id(), "app");
    let debug = format!("{client:?}");
    assert!(!debug.contains("secret-app-key"), "{debug}");
    assert!(debug.contains("30s"), "{debug}");
}

fn assert_send_static<T: Send + 'static>(_: &T) {}

#[test]
fn futures_are_send_and_static() {
    let client = Client::new(core()).unwrap();
    let query = PaymentQuery::new(&merchant(), "3194X0001".parse().unwrap());
    let future = client.execute(&query);
    drop(query); // the future does not borrow the operation
    drop(client); // nor the client
    assert_send_static(&future);
}

#[test]
fn invalid_requests_fail_before_anything_is_sent() {
    // A `mid` that breaks its rule cannot even make a query.
    assert_eq!(Mid::new("short").unwrap_err().field, "mid");
    // A field checked when the call is built (`targetOrderId`, at most 64 characters), against
    // a sandbox that counts connections.
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox, |c| c);
    let bad = query().target_order_id("x".repeat(65));
    // Ready at the very first poll.
    let first = smol::block_on(futures_lite::future::poll_once(client.execute(&bad)));
    match first {
        Some(Err(e)) => assert_eq!(e.class(), ErrorClass::Caller, "{e}"),
        other => panic!("expected an immediate validation error, got {other:?}"),
    }
    assert_eq!(sandbox.connection_count(), 0);
}

#[test]
fn nothing_happens_until_the_future_is_polled() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox, |c| c);
    let future = client.execute(&query());
    // The sandbox answers a first request in far less time than this.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sandbox.connection_count(), 0);
    assert!(smol::block_on(future).unwrap().is_paid());
    assert_eq!(sandbox.connection_count(), 1);
}
