//! OPEN-ACCESS-TOKEN through the call state machine, over a fake clock and fake responses.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chinaums::test_response as response;
use chinaums::{
    AuthScheme, Call, Client, Credentials, Environment, Error, ErrorClass, FixedClock, FixedNonce,
    Step,
};
use chinaums::{Merchant, PaymentQuery, PaymentQueryResponse};
use http::StatusCode;
use support::*;

fn token_client(clock: Arc<FixedClock>) -> Client {
    Client::builder(Credentials::new(APP_ID, APP_KEY), Environment::Test)
        .shared_clock(clock)
        .nonce_source(FixedNonce::new(NONCE))
        .auth(AuthScheme::AccessToken)
        .build()
}

fn noon() -> Arc<FixedClock> {
    Arc::new(FixedClock::from_unix(NOON_2024_UNIX))
}

fn query() -> PaymentQuery {
    PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
    )
}

fn token_reply(token: &str, expires_in: u64) -> http::Response<Vec<u8>> {
    response(
        StatusCode::OK,
        format!(
            r#"{{"errCode":"0000","errInfo":"正常","accessToken":"{token}","expiresIn":{expires_in}}}"#
        ),
    )
}

fn paid() -> http::Response<Vec<u8>> {
    response(
        StatusCode::OK,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":100}"#,
    )
}

fn expired_token() -> http::Response<Vec<u8>> {
    response(
        StatusCode::UNAUTHORIZED,
        r#"{"errCode":"INVALID_TOKEN","errInfo":"认证失败"}"#,
    )
}

fn expect_send<R: std::fmt::Debug>(step: Step<R>) -> http::Request<Vec<u8>> {
    match step {
        Step::Send(request) => request,
        other => panic!("expected Send, got {other:?}"),
    }
}

fn authorization(request: &http::Request<Vec<u8>>) -> &str {
    request
        .headers()
        .get("authorization")
        .map_or("", |v| v.to_str().unwrap())
}

/// Runs one call to the end, answering token requests with `tokens` and business requests with
/// `business`, in order. Returns the result and the paths that were sent.
fn drive(
    client: &Client,
    mut tokens: Vec<http::Response<Vec<u8>>>,
    mut business: Vec<http::Response<Vec<u8>>>,
) -> (Result<PaymentQueryResponse, Error>, Vec<String>) {
    let mut call = client.call(&query()).unwrap();
    let mut step = call.start();
    let mut sent = Vec::new();
    loop {
        step = match step {
            Step::Send(request) => {
                let path = request.uri().path().to_owned();
                sent.push(path.clone());
                let reply = if path == "/v1/token/access" {
                    tokens.remove(0)
                } else {
                    business.remove(0)
                };
                call.receive(Ok(reply))
            }
            other @ (Step::Wait(_) | Step::Store(_) | Step::Pause(_)) => {
                panic!("a single call without a store only sends: {other:?}")
            }
            Step::Done(result) => return (result, sent),
        };
    }
}

#[test]
fn first_call_fetches_a_token_then_sends_the_query_with_it() {
    let client = token_client(noon());
    let mut call = client.call(&query()).unwrap();
    let token_request = expect_send(call.start());
    assert_eq!(
        token_request.uri(),
        "https://test-api-open.chinaums.com/v1/token/access"
    );
    assert!(token_request.headers().get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(token_request.body()).unwrap();
    assert_eq!(body["signMethod"], "SHA256");
    // KAT-4: the token signature for these credentials, timestamp and nonce.
    assert_eq!(
        body["signature"],
        "b3dc3f93941deb1cdfb88938e70c7482204fccdb8803a92cc11d9e9c413a14b4"
    );
    let business =
        expect_send(call.receive(Ok(token_reply("30fabba831a447699f5a1fc056dfd4ee", 3600))));
    assert_eq!(
        authorization(&business),
        "OPEN-ACCESS-TOKEN AccessToken=30fabba831a447699f5a1fc056dfd4ee"
    );
    assert!(
        !format!("{business:?}").contains("30fabba8"),
        "the header is sensitive"
    );
    let Step::Done(Ok(answer)) = call.receive(Ok(paid())) else {
        panic!()
    };
    assert!(answer.is_paid());
}

#[test]
fn snapshots_of_token_request_and_token_query() {
    let client = token_client(noon());
    let mut call = client.call(&query()).unwrap();
    let token_request = expect_send(call.start());
    let business =
        expect_send(call.receive(Ok(token_reply("30fabba831a447699f5a1fc056dfd4ee", 3600))));
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("token_request", describe(&token_request));
        insta::assert_json_snapshot!("query_with_access_token", describe(&business));
    });
}

#[test]
fn fresh_token_is_reused_by_every_clone() {
    let clock = noon();
    let client = token_client(clock.clone());
    let (result, sent) = drive(&client, vec![token_reply("t1", 3600)], vec![paid()]);
    assert!(result.unwrap().is_paid());
    assert_eq!(sent, ["/v1/token/access", "/v1/netpay/query"]);
    clock.advance(Duration::from_secs(3000)); // 50 min: still fresh (refreshed 5 min early)
    let (result, sent) = drive(&client.clone(), vec![], vec![paid()]);
    assert!(result.is_ok());
    assert_eq!(sent, ["/v1/netpay/query"]);
    assert_eq!(client.token_fetches_started(), 1);
    // With a fresh token cached, prepare() works in one step too.
    assert!(authorization(&client.prepare(&query()).unwrap()).ends_with("AccessToken=t1"));
}

#[test]
fn near_expiry_and_expired_tokens_are_refreshed() {
    let clock = noon();
    let client = token_client(clock.clone());
    drive(&client, vec![token_reply("t1", 3600)], vec![paid()])
        .0
        .unwrap();
    clock.advance(Duration::from_secs(3301)); // inside the 5-minute margin
    let (result, sent) = drive(&client, vec![token_reply("t2", 3600)], vec![paid()]);
    result.unwrap();
    assert_eq!(sent, ["/v1/token/access", "/v1/netpay/query"]);
    clock.advance(Duration::from_secs(7200)); // long expired
    let (_, sent) = drive(&client, vec![token_reply("t3", 3600)], vec![paid()]);
    assert_eq!(sent[0], "/v1/token/access");
    assert_eq!(client.token_fetches_started(), 3);
}

#[test]
fn auth_failure_refreshes_once_and_retries_once() {
    let client = token_client(noon());
    drive(&client, vec![token_reply("t1", 3600)], vec![paid()])
        .0
        .unwrap();
    // The platform says the token is invalid: one refresh, one retry, success.
    let (result, sent) = drive(
        &client,
        vec![token_reply("t2", 3600)],
        vec![expired_token(), paid()],
    );
    assert!(result.unwrap().is_paid());
    assert_eq!(
        sent,
        ["/v1/netpay/query", "/v1/token/access", "/v1/netpay/query"]
    );
    // Rejected again after the refresh: give up with the auth error, never loop.
    let (result, sent) = drive(
        &client,
        vec![token_reply("t3", 3600)],
        vec![expired_token(), expired_token()],
    );
    assert_eq!(result.unwrap_err().class(), ErrorClass::Auth);
    assert_eq!(
        sent,
        ["/v1/netpay/query", "/v1/token/access", "/v1/netpay/query"]
    );
}

#[test]
fn other_errors_are_not_retried() {
    let client = token_client(noon());
    let no_order = response(
        StatusCode::OK,
        r#"{"errCode":"NO_ORDER","errMsg":"订单不存在"}"#,
    );
    let (result, sent) = drive(&client, vec![token_reply("t1", 3600)], vec![no_order]);
    assert_eq!(result.unwrap_err().class(), ErrorClass::NotFound);
    assert_eq!(sent.len(), 2);
}

#[test]
fn token_errors_are_typed_and_the_business_request_is_not_sent() {
    let client = token_client(noon());
    let rejected = response(
        StatusCode::OK,
        r#"{"errCode":"1002","errInfo":"AppId不存在"}"#,
    );
    let (result, sent) = drive(&client, vec![rejected], vec![]);
    let err = result.unwrap_err();
    let Error::Token(token) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(token.err_code.as_deref(), Some("1002"));
    assert_eq!(token.message, "AppId不存在");
    assert_eq!(err.class(), ErrorClass::Auth);
    assert_eq!(sent, ["/v1/token/access"]);

    // A transport failure of the token request: the business request certainly was not sent.
    let mut call = client.call(&query()).unwrap();
    let _ = expect_send(call.start());
    let step = call.receive(Err(chinaums::TransportError::new(
        chinaums::Delivery::MaybeSent,
        chinaums::TransportErrorKind::Timeout,
        "slow",
    )));
    let Step::Done(Err(err)) = step else { panic!() };
    assert_eq!(err.class(), ErrorClass::Retryable);
}

#[test]
fn concurrent_calls_share_one_token_fetch() {
    let client = token_client(noon());
    let mut calls: Vec<Call<PaymentQueryResponse>> =
        (0..100).map(|_| client.call(&query()).unwrap()).collect();
    let mut fetcher = None;
    let mut waits = Vec::new();
    for (i, call) in calls.iter_mut().enumerate() {
        match call.start() {
            Step::Send(request) => {
                assert_eq!(request.uri().path(), "/v1/token/access");
                assert!(fetcher.replace(i).is_none(), "only one call fetches");
            }
            Step::Wait(wait) => waits.push((i, wait)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits.len(), 99);
    let fetcher = fetcher.unwrap();
    let business = expect_send(calls[fetcher].receive(Ok(token_reply("shared", 3600))));
    assert!(authorization(&business).ends_with("AccessToken=shared"));
    for (i, wait) in waits {
        wait.wait(); // already notified: returns at once
        let request = expect_send(calls[i].resume());
        assert!(authorization(&request).ends_with("AccessToken=shared"));
    }
    assert_eq!(client.token_fetches_started(), 1);
}

#[test]
fn waiters_share_the_fetch_failure_and_a_dropped_fetcher_frees_them() {
    let client = token_client(noon());
    let mut fetcher = client.call(&query()).unwrap();
    let _ = expect_send(fetcher.start());
    let mut waiter = client.call(&query()).unwrap();
    let Step::Wait(wait) = waiter.start() else {
        panic!()
    };
    let rejected = response(
        StatusCode::OK,
        r#"{"errCode":"1002","errInfo":"AppId不存在"}"#,
    );
    let Step::Done(Err(_)) = fetcher.receive(Ok(rejected)) else {
        panic!()
    };
    wait.wait();
    let Step::Done(Err(err)) = waiter.resume() else {
        panic!()
    };
    assert_eq!(err.err_code(), Some("1002"));

    // A fetching call dropped mid-flight hands the job to the next one.
    let mut fetcher = client.call(&query()).unwrap();
    let _ = expect_send(fetcher.start());
    let mut waiter = client.call(&query()).unwrap();
    let Step::Wait(wait) = waiter.start() else {
        panic!()
    };
    drop(fetcher);
    wait.wait();
    let request = expect_send(waiter.resume());
    assert_eq!(request.uri().path(), "/v1/token/access");
}

#[test]
fn prepare_without_a_token_says_what_to_do() {
    let client = token_client(noon());
    let err = client.prepare(&query()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.kind == chinaums::ConfigErrorKind::NoToken),
        "{err}"
    );
}

#[test]
fn an_undocumented_auth_failure_on_http_200_also_refreshes_the_token() {
    let client = token_client(noon());
    drive(&client, vec![token_reply("t1", 3600)], vec![paid()])
        .0
        .unwrap();
    let rejected = response(StatusCode::OK, r#"{"errCode":"4001","errMsg":"认证失败"}"#);
    let (result, sent) = drive(
        &client,
        vec![token_reply("t2", 3600)],
        vec![rejected, paid()],
    );
    assert!(result.unwrap().is_paid());
    assert_eq!(
        sent,
        ["/v1/netpay/query", "/v1/token/access", "/v1/netpay/query"]
    );
}

/// How long a test lets a woken waiter take before calling it stranded (a bound, not a timing
/// assertion: a woken listener returns at once).
const WAKE_BOUND: Duration = Duration::from_secs(10);

/// One call fetches, one waits; `finish` ends the fetch however it likes (`true`: it panicked,
/// which is caught here). The waiter must be woken within the bound and end with a request.
fn waiter_is_woken_when(client: &Client, finish: impl FnOnce(&mut Call<PaymentQueryResponse>)) {
    let mut fetcher = client.call(&query()).unwrap();
    let _ = expect_send(fetcher.start());
    let mut waiter = client.call(&query()).unwrap();
    let Step::Wait(wait) = waiter.start() else {
        panic!("the second call waits for the first one's fetch")
    };
    finish(&mut fetcher);
    assert!(
        wait.wait_timeout(WAKE_BOUND),
        "the waiting call was stranded"
    );
    let request = expect_send(waiter.resume());
    assert!(
        request.uri().path() == "/v1/token/access"
            || authorization(&request).starts_with("OPEN-ACCESS-TOKEN"),
        "{request:?}"
    );
}

/// A huge `expiresIn`, as a number or a string, neither panics nor strands anyone: the token
/// is trusted for at most 24 hours.
#[test]
fn a_huge_expires_in_is_capped_at_a_day() {
    for expires_in in [
        u64::MAX.to_string(),
        format!("\"{}\"", u64::MAX),
        (1u64 << 63).to_string(),
    ] {
        let clock = noon();
        let client = token_client(clock.clone());
        let reply = response(
            StatusCode::OK,
            format!(r#"{{"errCode":"0000","accessToken":"huge","expiresIn":{expires_in}}}"#),
        );
        waiter_is_woken_when(&client, |fetcher| {
            let business = expect_send(fetcher.receive(Ok(reply)));
            assert!(authorization(&business).ends_with("AccessToken=huge"));
        });
        // A later call proceeds with the cached token...
        let (result, sent) = drive(&client, vec![], vec![paid()]);
        assert!(result.unwrap().is_paid(), "{expires_in}");
        assert_eq!(sent, ["/v1/netpay/query"]);
        // ...until a day (less the refresh margin) has passed.
        clock.advance(Duration::from_secs(24 * 3600 - 300));
        let (_, sent) = drive(&client, vec![token_reply("next", 3600)], vec![paid()]);
        assert_eq!(
            sent,
            ["/v1/token/access", "/v1/netpay/query"],
            "{expires_in}"
        );
    }
}

/// A wait the adapter gives up on ends as retryable, saying what it waited for; the stuck
/// fetch does not block a later call once it ends.
#[test]
fn a_wait_that_outlasts_the_deadline_ends_retryable() {
    let client = token_client(noon());
    let mut stuck = client.call(&query()).unwrap();
    let _ = expect_send(stuck.start());
    let mut waiter = client.call(&query()).unwrap();
    let Step::Wait(wait) = waiter.start() else {
        panic!()
    };
    assert!(
        !wait.wait_timeout(Duration::from_millis(1)),
        "nobody finished the fetch"
    );
    let Step::Done(Err(err)) = waiter.wait_timed_out() else {
        panic!()
    };
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert!(
        err.to_string()
            .contains("waiting for another call's access-token fetch"),
        "{err}"
    );
    // Out of order use is refused, not a panic.
    let Step::Done(Err(Error::Config(e))) = waiter.wait_timed_out() else {
        panic!()
    };
    assert_eq!(e.kind, chinaums::ConfigErrorKind::Misuse);
    let Step::Done(Err(_)) = waiter.wait_timed_out() else {
        panic!()
    };
    drop(stuck);
    let (result, _) = drive(&client, vec![token_reply("t1", 3600)], vec![paid()]);
    assert!(result.unwrap().is_paid());
}

/// `Debug` of a step, a call or a client never shows a token, a signature or an Authorization
/// value.
#[test]
fn debug_output_never_shows_secrets() {
    const TOKEN: &str = "30fabba831a447699f5a1fc056dfd4ee";
    const KAT4_SIGNATURE: &str = "b3dc3f93941deb1cdfb88938e70c7482204fccdb8803a92cc11d9e9c413a14b4";
    let client = token_client(noon());
    let mut call = client.call(&query()).unwrap();
    let token_step = call.start();
    let mut shown = vec![
        format!("{token_step:?}"),
        format!("{call:?}"),
        format!("{client:?}"),
    ];
    let Step::Send(token_request) = token_step else {
        panic!()
    };
    let body = String::from_utf8(token_request.body().clone()).unwrap();
    assert!(
        body.contains(KAT4_SIGNATURE),
        "the KAT-4 signature is in the body"
    );
    let business_step = call.receive(Ok(token_reply(TOKEN, 3600)));
    shown.push(format!("{business_step:?}"));
    shown.push(format!("{call:?}"));
    shown.push(format!(
        "{:#?}",
        client.prepare(&query()).unwrap().headers()
    ));
    shown.push(format!("{:?}", call.receive(Ok(paid()))));
    let signed = fixed_client(Environment::Test).prepare(&query()).unwrap();
    let authorization = authorization(&signed).to_owned();
    let signature = authorization
        .rsplit("Signature=")
        .next()
        .unwrap()
        .trim_matches('"');
    shown.push(format!("{signed:?}"));
    shown.push(format!("{:?}", Step::<()>::Send(signed.clone())));
    let body_sig = chinaums::body_sig::sign(APP_ID, APP_KEY, "20240101120000", NONCE, b"{}");
    shown.push(format!("{body_sig:?}"));
    shown.push(format!(
        "{:?}",
        chinaums::body_sig::parse_header(&body_sig.authorization)
    ));
    let body_sig_signature = body_sig.signature.clone();
    shown.push(format!(
        "{:?}",
        chinaums::access_token::TokenRequestBody::new(APP_ID, APP_KEY, "20240101120000", NONCE)
    ));
    for text in &shown {
        for secret in [
            TOKEN,
            KAT4_SIGNATURE,
            APP_KEY,
            signature,
            &body_sig_signature,
        ] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
            // Nor as the numbers a `Vec<u8>` body prints as.
            let as_bytes = format!("{:?}", secret.as_bytes());
            let as_bytes = as_bytes.trim_matches(['[', ']']);
            assert!(
                !text.contains(as_bytes),
                "{secret} shown as bytes in {text}"
            );
        }
    }
}
