//! The adapter against the sandbox gateway on 127.0.0.1: what goes on the wire, and how each
//! kind of failure is reported. The misbehaving servers are the sandbox's faults (raw bytes,
//! redirects, delays, dropped connections), exact at the byte level. (The end-to-end scenarios
//! shared with the other adapters are in the `chinaums-e2e` crate.)

use std::thread;
use std::time::Duration;

use chinaums::body_sig;
use chinaums::{
    Credentials, Delivery, Environment, Error, ErrorClass, Merchant, PaymentQuery, TransportConfig,
    TransportErrorKind,
};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Sandbox};
use chinaums_ureq::{Client, chinaums};

/// A whole HTTP/1.1 JSON response, for `Fault::Raw`.
fn json_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const PAID: &str = r#"{"errCode":"SUCCESS","errMsg":"查询成功","status":"TRADE_SUCCESS","totalAmount":"100","merOrderId":"3194DEMOPAID0001"}"#;

/// The query for the demo merchant's paid order.
fn query() -> PaymentQuery {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse().unwrap())
}

/// A client of `sandbox` with its credentials and the transport settings `configure` makes of
/// a generous timeout (which a test may change).
fn client_with(
    sandbox: &Sandbox,
    configure: impl FnOnce(TransportConfig) -> TransportConfig,
) -> Client {
    let transport = configure(TransportConfig::new().with_timeout(Duration::from_secs(5)));
    Client::builder(chinaums::Client::new(
        sandbox.credentials(),
        sandbox.environment(),
    ))
    .with_transport(transport)
    .build()
    .unwrap()
}

fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, |c| c)
}

fn transport_error(e: &Error) -> &chinaums::TransportError {
    match e {
        Error::Transport(t) => t,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn sends_the_signed_bytes_unchanged_and_decodes_the_answer() {
    let sandbox = Sandbox::start_demo().unwrap();
    let answer = client(&sandbox).execute(&query()).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));

    assert_eq!(sandbox.request_count(), 1);
    let request = sandbox.last_request().unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri().path(), "/v1/netpay/query");
    let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert!(header("user-agent").starts_with("chinaums-ureq/"));
    // The signature the server receives verifies over the body the server receives.
    let parsed = body_sig::parse_header(&header("authorization")).unwrap();
    assert!(body_sig::verify(&parsed, sandbox.app_key(), request.body()));
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(body["merOrderId"], DEMO_PAID_ORDER);
}

#[test]
fn error_statuses_reach_the_core_as_responses() {
    // An appId the sandbox does not know: its gateway answers 401 with errCode 1002.
    let sandbox = Sandbox::start_demo().unwrap();
    let stranger = Client::builder(chinaums::Client::new(
        Credentials::new("someone-else", sandbox.app_key()),
        sandbox.environment(),
    ))
    .build()
    .unwrap();
    let e = stranger.execute(&query()).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth, "{e}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(e.err_code(), Some("1002"));
}

#[test]
fn redirects_are_not_followed() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Redirect {
        status: 302,
        location: "/elsewhere".into(),
    });
    let e = client(&sandbox).execute(&query()).unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(302), "{e}");
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(sandbox.request_count(), 1, "the redirect was followed");
}

#[test]
fn connection_refused_is_not_sent() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("http://{addr}")).unwrap(),
    );
    let e = Client::new(core).unwrap().execute(&query()).unwrap_err();
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
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let e = client(&sandbox).execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.delivery, Delivery::MaybeSent, "{e}");
    assert_eq!(t.kind, TransportErrorKind::Io, "{e}");
    assert!(e.is_outcome_unknown());
    assert_eq!(sandbox.request_count(), 1);
}

#[test]
fn a_silent_server_times_out_as_outcome_unknown() {
    // Far longer than the test runs; dropping the sandbox ends the wait.
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(600)));
    let client = client_with(&sandbox, |c| c.with_timeout(Duration::from_millis(300)));
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
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::HugeBody(6000));
    let client = client_with(&sandbox, |c| c.with_max_response_bytes(1024));
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
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(bytes));
    let client = client_with(&sandbox, |c| c.with_max_response_bytes(10_000));
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
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(json_response("200 OK", PAID)));
    let client = client_with(&sandbox, |c| c.with_max_response_bytes(PAID.len()));
    assert!(client.execute(&query()).unwrap().is_paid());
}

#[test]
fn sequential_calls_reuse_one_connection_and_clones_share_it() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    for _ in 0..3 {
        assert!(client.execute(&query()).unwrap().is_paid());
    }
    assert!(client.clone().execute(&query()).unwrap().is_paid());
    assert_eq!(sandbox.request_count(), 4);
    assert_eq!(sandbox.connection_count(), 1);
}

#[test]
fn a_tls_handshake_with_a_plain_http_server_fails_not_sent() {
    // An https:// URL pointing at the plain-HTTP sandbox, which answers the ClientHello with
    // an HTTP 400: the handshake cannot succeed, and no request can have been read.
    let sandbox = Sandbox::start_demo().unwrap();
    let core = chinaums::Client::new(
        sandbox.credentials(),
        Environment::custom(&format!("https://{}", sandbox.addr())).unwrap(),
    );
    let client = Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(Duration::from_secs(5)))
        .build()
        .unwrap();
    let e = client.execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::NotSent, TransportErrorKind::Tls),
        "{e}"
    );
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn clones_can_be_used_from_several_threads() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || client.execute(&query()).map(|a| a.is_paid()))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap());
    }
    assert_eq!(sandbox.request_count(), 4);
}

/// A client of the sandbox reached by a host name instead of its IP address.
fn client_by_name(sandbox: &Sandbox, host: &str, timeout: Duration) -> Client {
    let core = chinaums::Client::new(
        sandbox.credentials(),
        Environment::custom(&format!("http://{host}:{}", sandbox.addr().port())).unwrap(),
    );
    Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(timeout))
        .build()
        .unwrap()
}

#[test]
fn a_host_name_is_looked_up_when_connecting_and_its_connection_reused() {
    // The name is looked up when the connection is opened (not on every request, which with
    // a total timeout cost ureq a thread per request); the later calls reuse the connection.
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client_by_name(&sandbox, "localhost", Duration::from_secs(5));
    for _ in 0..3 {
        assert!(client.execute(&query()).unwrap().is_paid());
    }
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(sandbox.connection_count(), 1);
}

#[test]
fn a_host_name_that_does_not_resolve_is_not_sent() {
    // `.invalid` never resolves (RFC 2606); where the lookup hangs instead of failing, the
    // total timeout ends it. Either way nothing was sent.
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client_by_name(&sandbox, "chinaums-sdk.invalid", Duration::from_secs(2));
    let e = client.execute(&query()).unwrap_err();
    let t = transport_error(&e);
    assert_eq!(t.delivery, Delivery::NotSent, "{e}");
    assert!(
        matches!(
            t.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout
        ),
        "{e}"
    );
    assert_eq!(sandbox.connection_count(), 0);
}
