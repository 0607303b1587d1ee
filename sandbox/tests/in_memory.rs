//! The gateway without sockets: the core's `Client` and `Call` drive it in memory, each
//! `Step::Send` answered by `Gateway::handle` at a fixed time. The same checks as over HTTP,
//! with no runtime, port or clock of their own.

use std::time::{Duration, SystemTime};

use chinaums::{
    AuthScheme, Client, Environment, ErrorClass, Fen, FixedClock, Merchant, PaymentQuery,
    PaymentState,
};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_REFUNDED_ORDER, DEMO_TID, DEMO_UNPAID_ORDER,
    Fault, Gateway, Sandbox,
};

/// 2023-11-14 22:13:20 UTC: any fixed instant will do.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn gateway() -> Gateway {
    Sandbox::builder().seed_demo(true).build_gateway().unwrap()
}

fn client(gateway: &Gateway, auth: AuthScheme, at: SystemTime) -> Client {
    Client::builder(
        gateway.credentials(),
        Environment::custom("http://gateway.test").unwrap(),
    )
    .clock(FixedClock::new(at))
    .auth(auth)
    .build()
}

fn query(id: &str) -> PaymentQuery {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    PaymentQuery::new(&merchant, id.parse().unwrap())
}

/// Runs one call against the gateway at `at`.
fn run(
    client: &Client,
    gateway: &Gateway,
    id: &str,
    at: SystemTime,
) -> Result<chinaums::PaymentQueryResponse, chinaums::Error> {
    client
        .call(&query(id))?
        .run_blocking(Duration::from_secs(5), |request| {
            gateway.handle(request, at).into_result()
        })
}

#[test]
fn body_sig_calls_are_answered_in_memory() {
    let gateway = gateway();
    let client = client(&gateway, AuthScheme::BodySig, now());
    let paid = run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap();
    assert_eq!(paid.state(), PaymentState::Paid);
    assert_eq!(paid.total_amount, Some(Fen(100)));
    let unpaid = run(&client, &gateway, DEMO_UNPAID_ORDER, now()).unwrap();
    assert_eq!(unpaid.state(), PaymentState::NotPaid);
    assert_eq!(gateway.request_count(), 2);
    assert_eq!(gateway.token_fetch_count(), 0);
    let seen = gateway.last_request().unwrap();
    assert!(
        seen.headers()["authorization"]
            .to_str()
            .unwrap()
            .starts_with("OPEN-BODY-SIG ")
    );
}

#[test]
fn token_calls_fetch_once_and_refresh_after_revocation() {
    let gateway = gateway();
    let client = client(&gateway, AuthScheme::AccessToken, now());
    let paid = run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap();
    assert!(paid.is_paid());
    assert_eq!(gateway.token_fetch_count(), 1);
    assert_eq!(gateway.valid_token_count(now()), 1);
    let refunded = run(&client, &gateway, DEMO_REFUNDED_ORDER, now()).unwrap();
    assert_eq!(refunded.state(), PaymentState::Refunded);
    assert_eq!(gateway.token_fetch_count(), 1, "the token was reused");
    assert_eq!(gateway.request_count(), 2);
    // The platform drops the token: the client fetches a new one and retries once.
    gateway.revoke_tokens();
    assert!(
        run(&client, &gateway, DEMO_PAID_ORDER, now())
            .unwrap()
            .is_paid()
    );
    assert_eq!(gateway.token_fetch_count(), 2);
    assert_eq!(
        gateway.request_count(),
        4,
        "the refused request, then the retry"
    );
}

#[test]
fn the_gateway_clock_is_the_one_passed_in() {
    let gateway = gateway();
    // A client two hours behind the gateway: its timestamps are stale.
    let late = client(
        &gateway,
        AuthScheme::BodySig,
        now() - Duration::from_secs(2 * 3600),
    );
    let error = run(&late, &gateway, DEMO_PAID_ORDER, now()).unwrap_err();
    assert_eq!(error.err_code(), Some("ABNORMAL_REQUEST_TIME"), "{error}");
    // A token outlives its hour only on a clock that stood still.
    let client = client(&gateway, AuthScheme::AccessToken, now());
    run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap();
    assert_eq!(
        gateway.valid_token_count(now() + Duration::from_secs(3599)),
        1
    );
    assert_eq!(
        gateway.valid_token_count(now() + Duration::from_secs(3600)),
        0
    );
}

#[test]
fn faults_apply_in_memory_too() {
    let gateway = gateway();
    let client = client(&gateway, AuthScheme::BodySig, now());
    gateway.inject_fault(Fault::DropConnection);
    let error = run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    gateway.inject_fault(Fault::InternalServerError);
    let error = run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    gateway.inject_fault(Fault::Redirect {
        status: 302,
        location: "/elsewhere".into(),
    });
    let error = run(&client, &gateway, DEMO_PAID_ORDER, now()).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    gateway.inject_fault(Fault::TruncatedJson);
    assert!(run(&client, &gateway, DEMO_PAID_ORDER, now()).is_err());
    assert!(
        run(&client, &gateway, DEMO_PAID_ORDER, now())
            .unwrap()
            .is_paid()
    );
    assert_eq!(gateway.request_count(), 5);
}

#[test]
fn amounts_as_strings_parse_the_same() {
    let gateway = Sandbox::builder()
        .seed_demo(true)
        .amounts_as_strings(true)
        .build_gateway()
        .unwrap();
    let client = client(&gateway, AuthScheme::BodySig, now());
    let refunded = run(&client, &gateway, DEMO_REFUNDED_ORDER, now()).unwrap();
    assert_eq!(refunded.total_amount, Some(Fen(880)));
    let body: serde_json::Value = {
        let request = client.prepare(&query(DEMO_PAID_ORDER)).unwrap();
        let response = gateway.handle(request, now()).into_result().unwrap();
        serde_json::from_slice(response.body()).unwrap()
    };
    assert_eq!(body["totalAmount"], "100");
}

#[test]
fn builder_settings_are_checked_for_a_gateway_too() {
    assert!(Sandbox::builder().app_id("a b").build_gateway().is_err());
    assert!(Sandbox::builder().app_id("").build_gateway().is_err());
    assert!(Sandbox::builder().app_key("").build_gateway().is_err());
    let unseeded = Sandbox::builder().build_gateway().unwrap();
    assert!(unseeded.order(DEMO_MID, DEMO_PAID_ORDER).is_none());
    assert!(!format!("{unseeded:?}").contains(unseeded.app_key()));
}
