//! Unit tests against the sandbox gateway on 127.0.0.1: what goes on the wire, what comes back,
//! and how each transport failure is reported. The misbehaving servers are the sandbox's
//! faults (raw bytes, redirects, delays, cut or dropped connections), so every case is exact at
//! the byte level without a server written here.

use chinaums::http;
use chinaums::{
    Credentials, Delivery, Environment, ErrorClass, Merchant, PaymentQuery, TransportError,
    TransportErrorKind,
};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Sandbox};

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

/// A client of `sandbox` with its credentials and the transport settings `configure` makes
/// of the defaults.
fn client(sandbox: &Sandbox, configure: impl FnOnce(TransportConfig) -> TransportConfig) -> Client {
    let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
    Client::builder(core)
        .with_transport(configure(TransportConfig::new()))
        .build()
        .unwrap()
}

/// A whole HTTP/1.1 response, for `Fault::Raw`.
fn http_response(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The query for the demo merchant's paid order.
fn query() -> PaymentQuery {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse().unwrap())
}

fn transport_error(result: Result<impl fmt::Debug, Error>) -> TransportError {
    match result {
        Err(Error::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_the_signed_request_and_decodes_the_answer() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox, |c| c);
    // The sandbox verified the signature over the body it received: the bytes the core signed.
    let answer = client.execute(&query()).await.unwrap();
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
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert!(
        body.contains("\"merOrderId\":\"3194DEMOPAID0001\""),
        "{body}"
    );
}

#[tokio::test]
async fn status_headers_and_body_reach_the_core_unchanged() {
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
    let response = client.transport.send(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-trace"], "abc");
    assert_eq!(response.body(), b"short and stout");
}

#[tokio::test]
async fn sequential_calls_and_clones_reuse_one_connection() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox, |c| c);
    let clone = client.clone();
    for c in [&client, &clone, &client, &clone] {
        assert!(c.execute(&query()).await.unwrap().is_paid());
    }
    assert_eq!(sandbox.request_count(), 4);
    assert_eq!(sandbox.connection_count(), 1);
}

#[tokio::test]
async fn redirects_go_back_to_the_core() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Redirect {
        status: 302,
        location: "/elsewhere".into(),
    });
    let client = client(&sandbox, |c| c);
    let error = client.execute(&query()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(sandbox.request_count(), 1, "the redirect was followed");
}

#[tokio::test]
async fn a_declared_length_over_the_cap_fails_before_the_body() {
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
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert!(e.message.contains("10000000"), "{}", e.message);
}

#[tokio::test]
async fn a_streamed_body_is_cut_at_the_cap() {
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
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(Error::Transport(e).class(), ErrorClass::OutcomeUnknown);
}

#[tokio::test]
async fn a_body_exactly_at_the_cap_is_accepted() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.set_fault(Some(Fault::Raw(http_response("200 OK", "", PAID))));
    let client_at_cap = client(&sandbox, |c| c.with_max_response_bytes(PAID.len()));
    assert!(client_at_cap.execute(&query()).await.unwrap().is_paid());
    let client_below = client(&sandbox, |c| c.with_max_response_bytes(PAID.len() - 1));
    let e = transport_error(client_below.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    // A port that was free a moment ago: nothing listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
    // Far longer than the test runs; dropping the sandbox ends the wait.
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(600)));
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_millis(300)));
    let error = client.execute(&query()).await.unwrap_err();
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

#[tokio::test]
async fn a_connection_closed_without_an_answer_may_have_been_sent() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_connection_cut_mid_body_may_have_been_sent() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Io, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_reply_that_is_not_http_is_a_protocol_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()));
    let client = client(&sandbox, |c| c.with_timeout(Duration::from_secs(5)));
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Protocol, "{e}");
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn a_failed_tls_handshake_was_not_sent() {
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
    let e = transport_error(client.execute(&query()).await);
    assert_eq!(e.kind, TransportErrorKind::Tls, "{e}");
    assert_eq!(e.delivery, Delivery::NotSent);
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn root_certificates_are_read_when_added_and_checked_at_build() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let config = TransportConfig::new()
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    let builder = Client::builder(core.clone()).with_transport(config.clone());
    assert_eq!(builder.transport.extra_roots().len(), 1);
    let two = format!("{TEST_CERT_PEM}{TEST_CERT_PEM}");
    let config = config.add_root_certificate_pem(two.as_bytes()).unwrap();
    let builder = Client::builder(core.clone()).with_transport(config);
    assert_eq!(builder.transport.extra_roots().len(), 3);
    assert!(builder.build().is_ok());

    // Unreadable PEM is refused when added.
    let broken = TEST_CERT_PEM.replace("MIIB", "M!IB");
    let truncated = &TEST_CERT_PEM[..200];
    for bad in ["", "hello", broken.as_str(), truncated] {
        match TransportConfig::new().add_root_certificate_pem(bad.as_bytes()) {
            Err(Error::Config(e)) => assert_eq!(e.kind, ConfigErrorKind::Certificate, "{e}"),
            other => panic!("{bad:?} was accepted: {other:?}"),
        }
    }
    // Readable PEM whose content is no certificate: rustls refuses it as a trust anchor when
    // the client is built.
    let not_a_cert = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    let config = TransportConfig::new()
        .add_root_certificate_pem(not_a_cert.as_bytes())
        .unwrap();
    let builder = Client::builder(core).with_transport(config);
    assert_eq!(config_error(builder.build()), ConfigErrorKind::Certificate);
}

/// The kind of the `Error::Config` that building must fail with.
fn config_error(built: Result<Client, Error>) -> ConfigErrorKind {
    match built {
        Err(Error::Config(e)) => e.kind,
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

#[test]
fn zero_timeout_and_zero_cap_are_refused_at_build() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let zero_timeout = Client::builder(core.clone())
        .with_transport(TransportConfig::new().with_timeout(Duration::ZERO));
    assert_eq!(config_error(zero_timeout.build()), ConfigErrorKind::Timeout);
    let zero_cap =
        Client::builder(core).with_transport(TransportConfig::new().with_max_response_bytes(0));
    assert_eq!(config_error(zero_cap.build()), ConfigErrorKind::ResponseCap);
}

#[test]
fn one_transport_config_sets_every_option() {
    let core = chinaums::Client::new(Credentials::new("app", "key"), Environment::Test);
    let config = TransportConfig::new()
        .with_timeout(Duration::from_millis(1500))
        .with_max_response_bytes(2048)
        .add_root_certificate_pem(TEST_CERT_PEM.as_bytes())
        .unwrap();
    // `with_transport` replaces the whole config given before it.
    let builder = Client::builder(core.clone())
        .with_transport(TransportConfig::new().with_timeout(Duration::from_secs(9)))
        .with_transport(config.clone());
    assert_eq!(builder.transport, config);
    let client = builder.build().unwrap();
    assert_eq!(client.transport().timeout(), Duration::from_millis(1500));
    assert_eq!(client.transport().max_response_bytes(), 2048);
    assert_eq!(client.transport().extra_roots().len(), 1);
    // A zero setting in the shared config is refused at build.
    let zero = Client::builder(core).with_transport(config.with_timeout(Duration::ZERO));
    assert_eq!(config_error(zero.build()), ConfigErrorKind::Timeout);
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

/// A shared token store that answers each operation only after another task has run `needed`
/// more times: it can answer at all only if awaiting it leaves the thread to other tasks.
struct AnswersAfterOtherTasks {
    ticks: Arc<std::sync::atomic::AtomicUsize>,
    needed: usize,
    inner: chinaums::MemoryTokenStore,
}

impl AnswersAfterOtherTasks {
    async fn others_ran(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let until = self.ticks.load(SeqCst) + self.needed;
        std::future::poll_fn(|cx| {
            if self.ticks.load(SeqCst) >= until {
                std::task::Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

impl chinaums::AsyncTokenStore for AnswersAfterOtherTasks {
    fn load<'a>(
        &'a self,
        app_id: &'a str,
    ) -> chinaums::StoreFuture<'a, Option<chinaums::StoredToken>> {
        Box::pin(async move {
            self.others_ran().await;
            chinaums::AsyncTokenStore::load(&self.inner, app_id).await
        })
    }
    fn try_lease<'a>(
        &'a self,
        app_id: &'a str,
        lease: &'a chinaums::Lease,
    ) -> chinaums::StoreFuture<'a, bool> {
        Box::pin(async move {
            self.others_ran().await;
            chinaums::AsyncTokenStore::try_lease(&self.inner, app_id, lease).await
        })
    }
    fn publish<'a>(
        &'a self,
        app_id: &'a str,
        token: &'a chinaums::StoredToken,
        lease: &'a chinaums::Lease,
    ) -> chinaums::StoreFuture<'a, ()> {
        Box::pin(async move {
            self.others_ran().await;
            chinaums::AsyncTokenStore::publish(&self.inner, app_id, token, lease).await
        })
    }
    fn release<'a>(
        &'a self,
        app_id: &'a str,
        lease: &'a chinaums::Lease,
    ) -> chinaums::StoreFuture<'a, ()> {
        Box::pin(async move {
            self.others_ran().await;
            chinaums::AsyncTokenStore::release(&self.inner, app_id, lease).await
        })
    }
}

/// On a current-thread runtime (one thread for everything), a call waiting on a slow shared
/// token store leaves the thread to the other tasks: the store can only answer because another
/// task keeps running, and the call completes with every store operation answered.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_token_store_never_blocks_the_runtime_thread() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let sandbox = Sandbox::builder().seed_demo(true).start().unwrap();
    let ticks = Arc::new(AtomicUsize::new(0));
    let store = AnswersAfterOtherTasks {
        ticks: ticks.clone(),
        needed: 100,
        inner: chinaums::MemoryTokenStore::new(),
    };
    let core = chinaums::Client::builder(sandbox.credentials(), sandbox.environment())
        .auth(chinaums::AuthScheme::AccessToken)
        .build();
    let client = Client::builder(core.clone())
        .token_store(store)
        .build()
        .unwrap();
    let other_task = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                ticks.fetch_add(1, SeqCst);
                tokio::task::yield_now().await;
            }
        }
    });
    let answer = client.execute(&query()).await.unwrap();
    other_task.abort();
    assert!(answer.is_paid());
    assert_eq!(
        core.token_store_failures(),
        0,
        "the store answered every time"
    );
    // Load, lease, publish: each waited for 100 turns of the other task.
    assert!(ticks.load(SeqCst) >= 300, "{} turns", ticks.load(SeqCst));
    assert_eq!(sandbox.token_fetch_count(), 1);
}
