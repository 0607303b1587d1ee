//! How every adapter uses connections: a refused connection is reported as not sent, sequential
//! calls and clones share one keep-alive connection, and overlapping calls run side by side on
//! connections of their own that are pooled afterwards.

use std::net::TcpListener;
use std::time::Duration;

use chinaums::MAX_TIMEOUT;
use chinaums::{ConfigErrorKind, Delivery, Error, ErrorClass, TransportErrorKind};
use chinaums_e2e::{
    Adapter, Options, alternating_queries, assert_answers, assert_connections,
    assert_transport_error, core, core_at, demo, on_every_adapter, query,
};
use chinaums_sandbox::{DEMO_PAID_ORDER, DEMO_UNPAID_ORDER, Fault};

fn a_refused_connection_was_not_sent<A: Adapter>() {
    // A port that was just free: nothing listens there.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let core = core_at(&format!("http://127.0.0.1:{port}"));
    let error = A::new(core).run(&query(DEMO_PAID_ORDER)).unwrap_err();
    assert_transport_error(
        &error,
        ErrorClass::Retryable,
        Delivery::NotSent,
        TransportErrorKind::Connect,
    );
}

fn sequential_queries_reuse_one_connection<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    for order in [
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
    ] {
        let answer = client.run(&query(order)).unwrap();
        assert_eq!(answer.is_paid(), order == DEMO_PAID_ORDER);
    }
    // A clone shares the pool.
    let clone = client.clone();
    assert!(clone.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    assert_eq!(sandbox.request_count(), 5);
    assert_connections::<A>(sandbox.connection_count(), 1, 4);
}

fn concurrent_queries_run_side_by_side<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    // Every answer takes 300 ms, so calls that overlap need connections of their own.
    sandbox.set_fault(Some(Fault::Delay(Duration::from_millis(300))));
    let queries = alternating_queries(8);
    assert_answers(&queries, client.run_all(&queries));
    assert_eq!(sandbox.request_count(), 8);
    let opened = sandbox.connection_count();
    assert!(
        (2..=8).contains(&opened),
        "{opened} connections for 8 overlapping calls"
    );

    // Afterwards the pooled connections are reused.
    sandbox.set_fault(None);
    assert!(client.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    assert_eq!(sandbox.request_count(), 9);
    assert_connections::<A>(sandbox.connection_count(), opened, 1);
}

/// A timeout no runtime could honour is refused when the client is built, naming the maximum,
/// instead of panicking in the HTTP stack on the first call.
fn a_timeout_beyond_the_maximum_is_refused_at_build<A: Adapter>() {
    for huge in [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        MAX_TIMEOUT * 2,
    ] {
        let options = Options::new().timeout(huge);
        let Err(Error::Config(error)) = A::build(core_at("http://127.0.0.1:9"), &options) else {
            panic!("{:?}: a {huge:?} timeout was accepted", A::KIND)
        };
        assert_eq!(error.kind, ConfigErrorKind::Timeout, "{error}");
    }
    assert!(
        A::build(
            core_at("http://127.0.0.1:9"),
            &Options::new().timeout(MAX_TIMEOUT)
        )
        .is_ok()
    );
}

on_every_adapter!(
    a_timeout_beyond_the_maximum_is_refused_at_build,
    a_refused_connection_was_not_sent,
    sequential_queries_reuse_one_connection,
    concurrent_queries_run_side_by_side,
);
