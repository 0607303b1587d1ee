//! End to end over real HTTP(S) against the local sandbox on 127.0.0.1: the adapter moves the
//! bytes, the core decides what they mean, and every failure says honestly whether the request
//! may have reached the server.

use std::time::Duration;

use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Fault, Sandbox,
};
use chinaums_tokio::chinaums::netpay::PaymentQuery;
use chinaums_tokio::chinaums::{
    self, Credentials, Delivery, Environment, Error, ErrorClass, PaymentState, TransportError,
    TransportErrorKind,
};
use chinaums_tokio::{Client, ClientBuilder};

fn query(mer_order_id: &str) -> PaymentQuery {
    PaymentQuery::new(DEMO_MID, DEMO_TID, DEMO_INST_MID, mer_order_id)
}

fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, |b| b)
}

fn client_with(
    sandbox: &Sandbox,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Client {
    let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
    configure(Client::builder(core))
        .build()
        .expect("client builds")
}

fn demo() -> Sandbox {
    Sandbox::start_demo().expect("sandbox starts")
}

fn transport_error(error: Error) -> TransportError {
    match error {
        Error::Transport(e) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_paid_order_is_paid() {
    let sandbox = demo();
    let answer = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.state(), PaymentState::Paid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
    assert_eq!(answer.mer_order_id.as_deref(), Some(DEMO_PAID_ORDER));
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test]
async fn an_unpaid_order_is_not_paid() {
    let sandbox = demo();
    let answer = client(&sandbox)
        .execute(&query(DEMO_UNPAID_ORDER))
        .await
        .unwrap();
    assert!(!answer.is_paid());
    assert_eq!(answer.state(), PaymentState::NotPaid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(2500));
}

#[tokio::test]
async fn an_unknown_order_is_not_found() {
    let sandbox = demo();
    let error = client(&sandbox)
        .execute(&query("3194NOSUCHORDER0001"))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::NotFound, "{error}");
    assert_eq!(error.err_code(), Some("NO_ORDER"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

#[tokio::test]
async fn a_wrong_app_key_is_an_auth_error() {
    let sandbox = demo();
    let core = chinaums::Client::new(
        Credentials::new(sandbox.app_id(), "not-the-right-app-key"),
        sandbox.environment(),
    );
    let error = Client::new(core)
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Auth, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.err_code(), Some("BAD_SIGN"));
}

#[tokio::test]
async fn a_short_delay_is_just_a_slow_answer() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::Delay(Duration::from_millis(100)));
    let answer = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap();
    assert!(answer.is_paid());
}

#[tokio::test]
async fn a_delay_past_the_timeout_is_outcome_unknown() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(2)));
    let client = client_with(&sandbox, |b| b.timeout(Duration::from_millis(300)));
    let error = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::Timeout);
    assert_eq!(e.delivery, Delivery::MaybeSent);
    // It did reach the server: "maybe sent" was the honest answer.
    assert_eq!(sandbox.request_count(), 1);
    // The fault was for one request only; the same client recovers.
    assert!(
        client
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
}

#[tokio::test]
async fn a_dropped_connection_is_outcome_unknown() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::DropConnection);
    let client = client(&sandbox);
    let error = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::Io);
    assert_eq!(e.delivery, Delivery::MaybeSent);
    assert_eq!(sandbox.request_count(), 1);
    assert!(
        client
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_outcome_unknown() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let error = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::Io);
    assert_eq!(e.delivery, Delivery::MaybeSent);
}

#[tokio::test]
async fn an_internal_server_error_is_outcome_unknown() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::InternalServerError);
    let error = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(matches!(&error, Error::Http(e) if e.excerpt.contains("Internal Server Error")));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_outcome_unknown() {
    let sandbox = demo();
    for fault in [Fault::Garbage, Fault::TruncatedJson] {
        sandbox.inject_fault(fault.clone());
        let error = client(&sandbox)
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap_err();
        assert_eq!(
            error.class(),
            ErrorClass::OutcomeUnknown,
            "{fault:?}: {error}"
        );
        assert!(matches!(error, Error::Decode(_)), "{fault:?}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    }
}

#[tokio::test]
async fn a_large_body_under_the_cap_is_read() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::HugeBody(200 * 1024));
    let answer = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap();
    assert!(answer.is_paid());
    let padding = answer.extra.get("padding").and_then(|v| v.as_str());
    assert!(padding.is_some_and(|p| p.len() > 100 * 1024));
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::HugeBody(64 * 1024));
    let client = client_with(&sandbox, |b| b.max_response_bytes(16 * 1024));
    let error = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
    assert_eq!(e.delivery, Delivery::MaybeSent);

    // The default 1 MiB cap, against a 2 MiB body.
    sandbox.inject_fault(Fault::HugeBody(2 * 1024 * 1024));
    let e = transport_error(
        self::client(&sandbox)
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
    );
    let error = Client::new(core)
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::Connect);
    assert_eq!(e.delivery, Delivery::NotSent);
}

#[tokio::test]
async fn sequential_queries_reuse_one_connection() {
    let sandbox = demo();
    let client = client(&sandbox);
    for order in [
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
    ] {
        let answer = client.execute(&query(order)).await.unwrap();
        assert_eq!(answer.is_paid(), order == DEMO_PAID_ORDER);
    }
    let clone = client.clone();
    assert!(
        clone
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
    assert_eq!(sandbox.request_count(), 5);
    assert_eq!(sandbox.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_queries_from_clones_all_succeed() {
    let sandbox = demo();
    let client = client(&sandbox);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let order = if i % 2 == 0 {
                    DEMO_PAID_ORDER
                } else {
                    DEMO_UNPAID_ORDER
                };
                (order, client.execute(&query(order)).await)
            })
        })
        .collect();
    for task in tasks {
        let (order, result) = task.await.unwrap();
        assert_eq!(result.unwrap().is_paid(), order == DEMO_PAID_ORDER);
    }
    assert_eq!(sandbox.request_count(), 8);
    assert!((1..=8).contains(&sandbox.connection_count()));
}

fn tls_sandbox() -> Sandbox {
    Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .expect("TLS sandbox starts")
}

#[tokio::test]
async fn https_works_with_the_sandbox_root() {
    let sandbox = tls_sandbox();
    assert!(sandbox.base_url().starts_with("https://127.0.0.1:"));
    let pem = sandbox
        .ca_cert_pem()
        .expect("a TLS sandbox has a certificate");
    let client = client_with(&sandbox, |b| {
        b.add_root_certificate_pem(pem.as_bytes()).unwrap()
    });
    let answer = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap();
    assert!(answer.is_paid());
    assert!(
        !client
            .execute(&query(DEMO_UNPAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
    assert_eq!(sandbox.connection_count(), 1);
}

#[tokio::test]
async fn https_without_the_sandbox_root_fails_before_sending() {
    let sandbox = tls_sandbox();
    let error = client(&sandbox)
        .execute(&query(DEMO_PAID_ORDER))
        .await
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
    let e = transport_error(error);
    assert_eq!(e.kind, TransportErrorKind::Tls);
    assert_eq!(e.delivery, Delivery::NotSent);
    // "Not sent" is the truth: the sandbox never saw a request.
    assert_eq!(sandbox.request_count(), 0);
}

// ---- OPEN-ACCESS-TOKEN: the core's token flow, which is where `Step::Wait` comes from ----

fn token_client(sandbox: &Sandbox) -> Client {
    let core = chinaums::Client::builder(sandbox.credentials(), sandbox.environment())
        .auth(chinaums::auth::AuthScheme::AccessToken)
        .build();
    Client::new(core).unwrap()
}

/// Runs `n` queries at once from clones of `client`, alternating paid and unpaid orders.
async fn concurrently(client: &Client, n: usize) -> Vec<(&'static str, Result<bool, Error>)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            let order = if i % 2 == 0 {
                DEMO_PAID_ORDER
            } else {
                DEMO_UNPAID_ORDER
            };
            tokio::spawn(async move {
                let result = client.execute(&query(order)).await;
                (order, result.map(|answer| answer.is_paid()))
            })
        })
        .collect();
    let all = async {
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    };
    tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .expect("no call is left waiting")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_token_calls_wait_for_one_fetch() {
    let sandbox = demo();
    // A slow token endpoint: every call but the first finds the fetch in progress and gets
    // `Step::Wait`.
    sandbox.inject_token_fault(Fault::Delay(Duration::from_millis(200)));
    let client = token_client(&sandbox);
    for (order, result) in concurrently(&client, 8).await {
        assert_eq!(result.unwrap(), order == DEMO_PAID_ORDER);
    }
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.request_count(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_endpoint_fails_every_waiting_call_as_not_sent() {
    let sandbox = demo();
    sandbox.set_token_fault(Some(Fault::DropConnection));
    let client = token_client(&sandbox);
    for (_, result) in concurrently(&client, 4).await {
        let error = result.unwrap_err();
        assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
        assert_eq!(transport_error(error).delivery, Delivery::NotSent);
    }
    assert_eq!(sandbox.request_count(), 0, "no business request went out");
    // Callers that found the fetch in progress shared its failure instead of fetching again.
    // (The sandbox counts a token as issued before the fault drops its answer.)
    let started = client.core().token_fetches_started();
    assert!((1..=4).contains(&started), "{started} fetches for 4 calls");
    assert_eq!(sandbox.token_fetch_count() as u64, started);

    // Once the endpoint recovers, the same client works.
    sandbox.set_token_fault(None);
    assert!(
        client
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
    assert_eq!(client.core().token_fetches_started(), started + 1);
    assert_eq!(sandbox.request_count(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_refreshed_once_and_the_call_retried() {
    let sandbox = demo();
    let client = token_client(&sandbox);
    assert!(
        client
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
    sandbox.revoke_tokens();
    assert!(
        client
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap()
            .is_paid()
    );
    assert_eq!(sandbox.token_fetch_count(), 2);
    // First query, the rejected second query, its retry.
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(sandbox.connection_count(), 1);
}
