//! No thread per call: 500 calls in flight at once against the sandbox on 127.0.0.1, joined on
//! one thread (no spawning), under smol's and then async-std's executor, while the process's
//! OS threads are counted (Linux: `Threads:` in `/proc/self/status`).
//!
//! The bound: under smol the whole process stays at 16 threads or fewer. It has the test
//! harness's main thread, this test's thread (which runs the executor and all 500 calls), the
//! sandbox's server thread and async-io's reactor thread; the rest of the 16 is headroom for a
//! thread some library starts lazily, and is still 30 times fewer than the 500 that one thread
//! per call would need (what this crate did before). Under async-std the executor adds its own
//! worker threads, one per CPU, whatever this crate does; so there the bound is on the threads
//! that appear while the calls are in flight: at most 8 more than before they started.
//!
//! Each call is held by the sandbox (a long `Fault::Delay`) until all 500 requests have
//! reached it, the threads are counted, then the sandbox stops: every call ends with a
//! transport error that says the request may have been sent, which is the truth.
//!
//! Only this test is in this file, so no other test's threads are counted.

use std::time::Duration;

use chinaums::{Delivery, Error, Merchant, PaymentQuery, TransportConfig};
use chinaums_async_std::{Client, chinaums};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Order, Sandbox};
use futures_util::future::join_all;

/// How many calls are in flight at once.
const CALLS: usize = 500;
/// The most threads the process may have, under smol, while they are.
const MAX_THREADS: usize = 16;
/// The most threads that may appear while they are, under any executor.
const MAX_NEW_THREADS: usize = 8;

/// The process's OS threads, or `None` where `/proc` does not tell.
fn threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// The soft limit on open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    match soft {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

/// A reason to skip: fails instead under CI, where the environment is ours to fix.
fn skip(why: &str) {
    if std::env::var_os("CI").is_some_and(|v| v == "true") {
        panic!("cannot run under CI: {why}");
    }
    eprintln!("SKIPPED five_hundred_calls_in_flight_take_no_thread_each: {why}");
}

fn query() -> PaymentQuery {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse().unwrap())
}

/// What one run saw: the threads before the calls and while all of them were in flight.
struct Seen {
    before: usize,
    in_flight: usize,
}

/// Starts a sandbox, warms the client up (one call, so that whatever the executor and the
/// reactor start lazily is running), then puts `CALLS` calls in flight and counts the threads.
async fn five_hundred_in_flight(rt: &str) -> Seen {
    let sandbox = Sandbox::builder()
        .max_connections(CALLS + 16)
        .start()
        .unwrap();
    for order in Order::demo_orders() {
        sandbox.insert_order(order);
    }
    let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
    let client = Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(Duration::from_secs(120)))
        .build()
        .unwrap();
    assert!(client.execute(&query()).await.unwrap().is_paid(), "{rt}");
    let before = threads().unwrap();

    // Far longer than the test runs: the sandbox holds every answer until it stops.
    sandbox.set_fault(Some(Fault::Delay(Duration::from_secs(600))));
    let queries: Vec<PaymentQuery> = (0..CALLS).map(|_| query()).collect();
    let calls = join_all(queries.iter().map(|q| client.execute(q)));
    let watch = async move {
        // Bounded: 60 s at most for 500 local connections to be accepted and read.
        for _ in 0..6000 {
            if sandbox.request_count() == 1 + CALLS {
                break;
            }
            smol::Timer::after(Duration::from_millis(10)).await;
        }
        let reached = sandbox.request_count() - 1;
        let in_flight = threads().unwrap();
        // Stopping the sandbox closes every connection: the calls end.
        sandbox.shutdown();
        (reached, in_flight)
    };
    let (results, (reached, in_flight)) = futures_lite::future::zip(calls, watch).await;
    assert_eq!(reached, CALLS, "{rt}: requests that reached the sandbox");
    assert_eq!(results.len(), CALLS);
    for result in results {
        match result {
            Err(Error::Transport(e)) => assert_eq!(e.delivery, Delivery::MaybeSent, "{rt}: {e}"),
            other => panic!("{rt}: a call held by a stopped server gave {other:?}"),
        }
    }
    Seen { before, in_flight }
}

#[test]
fn five_hundred_calls_in_flight_take_no_thread_each() {
    let Some(start) = threads() else {
        return skip("no /proc/self/status to count threads in (not Linux)");
    };
    // Each call holds a socket here and the sandbox, in this process, holds the other end.
    let needed = 2 * CALLS as u64 + 128;
    match open_files_limit() {
        Some(limit) if limit >= needed => {}
        limit => {
            return skip(&format!(
                "{CALLS} calls in flight need about {needed} open files, the limit is {limit:?} \
                 (raise it with `ulimit -n`)"
            ));
        }
    }
    // The counter counts: one more thread is seen as one more.
    let (stop, parked) = std::sync::mpsc::channel::<()>();
    let extra = std::thread::spawn(move || parked.recv());
    assert_eq!(threads(), Some(start + 1));
    drop(stop);
    extra.join().unwrap().unwrap_err();

    let smol = smol::block_on(five_hundred_in_flight("smol"));
    eprintln!(
        "smol: {} threads before, {} with {CALLS} calls in flight",
        smol.before, smol.in_flight
    );
    assert!(
        smol.in_flight <= MAX_THREADS,
        "smol: {} threads with {CALLS} calls in flight (at most {MAX_THREADS})",
        smol.in_flight
    );
    assert!(smol.in_flight <= smol.before + MAX_NEW_THREADS, "smol");

    let async_std = async_std::task::block_on(five_hundred_in_flight("async-std"));
    eprintln!(
        "async-std: {} threads before, {} with {CALLS} calls in flight",
        async_std.before, async_std.in_flight
    );
    assert!(
        async_std.in_flight <= async_std.before + MAX_NEW_THREADS,
        "async-std: {} threads before the calls, {} with {CALLS} in flight (at most \
         {MAX_NEW_THREADS} more)",
        async_std.before,
        async_std.in_flight
    );
}
