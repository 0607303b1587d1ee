//! End to end: `chinaums_tokio::Client::execute(&query)` beside a raw hyper-util client sending
//! the same pre-signed bytes, against the same in-process server (see `bench_support.rs` for
//! the server and why it is not the sandbox), sequentially and with 16 and 64 calls in flight,
//! on a 2-worker multi-thread runtime and on a current-thread runtime. Each group holds both
//! sides, so criterion measures them in the same run under the same load.
//!
//! The sides:
//! - `adapter_execute`: the adapter, signing and parsing included;
//! - `raw_hyper_util`: hyper-util's pooled client resending the pre-signed request and reading
//!   the body;
//! - `raw_plus_floor`: the raw client plus the core's own work done inline (one `prepare` and
//!   one `parse`): what the adapter would cost if its transport added nothing to the raw
//!   client's, the honest target for `adapter_execute`;
//! - `floor_prepare_parse` (sequential group only): the core's work alone, on one thread.
//!
//! The time reported is per call: `iters` calls shared among the tasks, wall time divided by
//! `iters` (so with 16 and 64 in flight it is the inverse of the throughput).
//!
//! `cargo bench -p chinaums-tokio --bench e2e`. Two more modes, for a loaded machine and for
//! profilers: `E2E_PAIRED=ROUNDS,CALLS` (the sides take turns; medians and CPU time per call)
//! and `E2E_PROFILE=SIDE,CONCURRENCY,CALLS,FLAVOR` (one side only); see `bench_support.rs`.
#![allow(missing_docs)]

#[path = "../../bench_support.rs"]
mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chinaums::PaymentQuery;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use support::{CONCURRENCY, Presigned, Server};
use tokio::runtime::Runtime;

use chinaums_tokio::chinaums;

type Raw = HyperClient<HttpConnector, Full<Bytes>>;

/// The raw client: hyper-util's pooled client as an application would build it for plain
/// HTTP (the adapter's settings: no Nagle, 30 s idle pool).
fn raw_client() -> Raw {
    let mut tcp = HttpConnector::new();
    tcp.set_nodelay(true);
    HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_timer(TokioTimer::new())
        .build(tcp)
}

async fn raw_call(client: &Raw, presigned: &Presigned) {
    let mut request = hyper::Request::new(Full::new(presigned.body.clone()));
    *request.method_mut() = presigned.method.clone();
    *request.uri_mut() = presigned.uri.clone();
    *request.headers_mut() = presigned.headers.clone();
    let response = client.request(request).await.expect("raw request");
    let body = response.into_body().collect().await.expect("raw body");
    std::hint::black_box(body.to_bytes());
}

/// Runs `iters` calls of `call` shared among `concurrency` spawned tasks; the wall time.
fn run<C, F>(runtime: &Runtime, iters: u64, concurrency: usize, call: C) -> Duration
where
    C: Fn() -> F + Clone + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    runtime.block_on(async move {
        let start = support::now();
        let tasks: Vec<_> = support::shares(iters, concurrency)
            .into_iter()
            .map(|n| {
                let call = call.clone();
                tokio::spawn(async move {
                    for _ in 0..n {
                        call().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        start.elapsed()
    })
}

/// Everything one side needs, for one runtime (hyper-util's pool belongs to the runtime its
/// connections were opened on).
#[derive(Clone)]
struct Sides {
    adapter: chinaums_tokio::Client,
    raw: Raw,
    core: chinaums::Client,
    query: Arc<PaymentQuery>,
    presigned: Arc<Presigned>,
}

impl Sides {
    fn new(server: &Server) -> Sides {
        let core = server.core();
        Sides {
            adapter: chinaums_tokio::Client::new(core.clone()).expect("adapter"),
            raw: raw_client(),
            presigned: Arc::new(Presigned::new(&core)),
            core,
            query: Arc::new(support::query()),
        }
    }

    /// `iters` calls of `side` with `concurrency` in flight on `runtime`; the wall time.
    fn run(&self, side: &str, runtime: &Runtime, iters: u64, concurrency: usize) -> Duration {
        let sides = Arc::new(self.clone());
        match side {
            "adapter" => run(runtime, iters, concurrency, move || {
                let s = sides.clone();
                async move {
                    let answer = s.adapter.execute(&*s.query).await;
                    std::hint::black_box(answer.expect("execute"));
                }
            }),
            "raw_floor" => run(runtime, iters, concurrency, move || {
                let s = sides.clone();
                async move {
                    raw_call(&s.raw, &s.presigned).await;
                    support::floor(&s.core, &s.query);
                }
            }),
            "raw" => run(runtime, iters, concurrency, move || {
                let s = sides.clone();
                async move { raw_call(&s.raw, &s.presigned).await }
            }),
            "floor" => support::time_floor(&self.core, &self.query, iters),
            other => panic!("no side {other:?}"),
        }
    }
}

fn runtime(flavor: &str) -> Runtime {
    let mut builder = match flavor {
        "multi_thread" => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    builder
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

const FLAVORS: [&str; 2] = ["multi_thread", "current_thread"];

const RAW: &str = "raw_hyper_util";

/// Each flavor and concurrency; see `support::main`.
fn each(f: support::Each<'_>) {
    let server = Server::start();
    for flavor in FLAVORS {
        let runtime = runtime(flavor);
        let sides = Sides::new(&server);
        for concurrency in CONCURRENCY {
            let floor = (concurrency == 1 && flavor == "multi_thread")
                .then_some((&sides.core, &*sides.query));
            let run = |side: &str, n| sides.run(side, &runtime, n, concurrency);
            f(&format!("tokio_{flavor}/c{concurrency}"), floor, &run);
        }
    }
    println!("server connections accepted: {}", server.connections());
}

/// One side only, for a profiler; see `support::Profile`.
fn profile(profile: &support::Profile) {
    let server = Server::start();
    let runtime = runtime(&profile.flavor);
    let sides = Sides::new(&server);
    println!(
        "size of execute's future: {} bytes",
        std::mem::size_of_val(&sides.adapter.execute(&*sides.query))
    );
    let elapsed = sides.run(&profile.side, &runtime, profile.calls, profile.concurrency);
    profile.report(elapsed, &server);
}

fn main() {
    support::main(RAW, each, profile);
}
