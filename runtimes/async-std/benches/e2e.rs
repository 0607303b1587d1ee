//! End to end: `chinaums_async_std::Client::execute(&query)` beside a raw hyper 1 HTTP/1.1
//! client over async-io sockets (the same stack the adapter is built on, at its barest) sending
//! the same pre-signed bytes, against the same in-process server (see `bench_support.rs` for the
//! server and why it is not the sandbox), sequentially and with 16 and 64 calls in flight:
//! - under async-std: each call chain a task spawned on async-std's executor;
//! - under smol: all of them joined on the one thread blocked in `smol::block_on` (nothing
//!   spawned, the way this crate's tests run many calls).
//!
//! The sides:
//! - `adapter_execute`: the adapter, signing and parsing included;
//! - `raw_hyper_conn`: hyper's connection-level client (`client::conn::http1`) over
//!   `async_net::TcpStream`, one kept connection per call chain, driven inside the chain's
//!   future as the adapter drives its own, resending the pre-signed request and reading the body;
//! - `raw_plus_floor`: the raw client plus the core's own work done inline (one `prepare` and
//!   one `parse`): the honest target for `adapter_execute`;
//! - `floor_prepare_parse` (sequential group only): the core's work alone.
//!
//! The time reported is per call: `iters` calls shared among the chains, wall time divided by
//! `iters`. The concurrency-1000 comparison with the tokio adapter (threads, peak memory,
//! throughput) is the other bench of this crate, `c1000`.
//!
//! `cargo bench -p chinaums-async-std --bench e2e`. Also `E2E_PAIRED=ROUNDS,CALLS` (the sides
//! take turns; medians and CPU time per call) and
//! `E2E_PROFILE=SIDE,CONCURRENCY,CALLS,EXECUTOR` (one side only, for a profiler); see
//! `bench_support.rs`.
#![allow(missing_docs)]

#[path = "../../bench_support.rs"]
mod support;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chinaums::PaymentQuery;
use chinaums_async_std::chinaums;
use futures_util::future::join_all;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1;
use smol_hyper::rt::FuturesIo;
use support::{CONCURRENCY, Presigned, Server};

type Io = FuturesIo<async_net::TcpStream>;

/// A raw connection: hyper's sender and its connection driver.
struct RawConn {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: http1::Connection<Io, Full<Bytes>>,
}

/// The raw client: kept connections, one taken by each call chain for its whole run.
struct Raw {
    addr: SocketAddr,
    idle: Mutex<Vec<RawConn>>,
}

impl Raw {
    async fn connect(&self) -> RawConn {
        let tcp = async_net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (sender, driver) = http1::handshake(FuturesIo::new(tcp))
            .await
            .expect("handshake");
        RawConn { sender, driver }
    }

    /// `n` calls on one connection; `after` runs after each (the core's share, or nothing).
    async fn calls(&self, presigned: &Presigned, n: u64, after: impl Fn()) {
        let taken = self.idle.lock().expect("idle").pop();
        let mut conn = match taken {
            Some(conn) => conn,
            None => self.connect().await,
        };
        let RawConn { sender, driver } = &mut conn;
        let work = async {
            for _ in 0..n {
                sender.ready().await.expect("ready");
                let mut request = hyper::Request::new(Full::new(presigned.body.clone()));
                *request.method_mut() = presigned.method.clone();
                *request.uri_mut() = presigned.uri.clone();
                *request.headers_mut() = presigned.headers.clone();
                let response = sender.send_request(request).await.expect("raw request");
                let body = response.into_body().collect().await.expect("raw body");
                std::hint::black_box(body.to_bytes());
                after();
            }
        };
        // The connection is driven inside this future, as the adapter drives its own.
        futures_lite::future::or(work, async {
            let _ = Pin::new(&mut *driver).await;
            panic!("the server closed a raw connection");
        })
        .await;
        self.idle.lock().expect("idle").push(conn);
    }
}

/// The pre-signed request as it goes on an HTTP/1.1 connection, as the adapter sends it: the
/// target in origin form, the authority in a `Host` header (done once, not per call).
fn origin_form(mut presigned: Presigned) -> Presigned {
    let host = presigned
        .uri
        .authority()
        .expect("authority")
        .as_str()
        .to_owned();
    presigned.uri = presigned
        .uri
        .path_and_query()
        .expect("path")
        .as_str()
        .parse()
        .expect("origin");
    presigned.headers.insert(
        hyper::header::HOST,
        hyper::header::HeaderValue::from_str(&host).expect("host"),
    );
    presigned
}

/// Everything the sides need.
struct Sides {
    adapter: chinaums_async_std::Client,
    raw: Raw,
    core: chinaums::Client,
    query: PaymentQuery,
    presigned: Presigned,
}

impl Sides {
    fn new(server: &Server) -> Arc<Sides> {
        let core = server.core();
        Arc::new(Sides {
            adapter: chinaums_async_std::Client::new(core.clone()).expect("adapter"),
            raw: Raw {
                addr: server.addr(),
                idle: Mutex::new(Vec::new()),
            },
            presigned: origin_form(Presigned::new(&core)),
            core,
            query: support::query(),
        })
    }

    /// A chain of `n` calls of `side`.
    fn chain(self: &Arc<Self>, side: &str, n: u64) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let s = self.clone();
        match side {
            "adapter" => Box::pin(async move {
                for _ in 0..n {
                    let answer = s.adapter.execute(&s.query).await;
                    std::hint::black_box(answer.expect("execute"));
                }
            }),
            "raw_floor" => Box::pin(async move {
                let floor = || support::floor(&s.core, &s.query);
                s.raw.calls(&s.presigned, n, floor).await
            }),
            "raw" => Box::pin(async move { s.raw.calls(&s.presigned, n, || ()).await }),
            other => panic!("no side {other:?}"),
        }
    }

    /// `iters` calls of `side` with `concurrency` chains under `executor`; the wall time.
    fn run(
        self: &Arc<Self>,
        side: &str,
        executor: &str,
        iters: u64,
        concurrency: usize,
    ) -> Duration {
        if side == "floor" {
            return support::time_floor(&self.core, &self.query, iters);
        }
        let chains: Vec<_> = support::shares(iters, concurrency)
            .into_iter()
            .map(|n| self.chain(side, n))
            .collect();
        let start = support::now();
        match executor {
            "async_std" => async_std::task::block_on(async {
                let tasks: Vec<_> = chains.into_iter().map(async_std::task::spawn).collect();
                join_all(tasks).await;
            }),
            _ => {
                smol::block_on(join_all(chains));
            }
        }
        start.elapsed()
    }
}

const EXECUTORS: [&str; 2] = ["async_std", "smol"];

const RAW: &str = "raw_hyper_conn";

/// Each executor and concurrency; see `support::main`.
fn each(f: support::Each<'_>) {
    let server = Server::start();
    for executor in EXECUTORS {
        let sides = Sides::new(&server);
        for concurrency in CONCURRENCY {
            let floor = (concurrency == 1 && executor == "async_std")
                .then_some((&sides.core, &sides.query));
            let run = |side: &str, n| sides.run(side, executor, n, concurrency);
            f(&format!("{executor}/c{concurrency}"), floor, &run);
        }
    }
    println!("server connections accepted: {}", server.connections());
}

/// One side only, for a profiler; see `support::Profile`.
fn profile(profile: &support::Profile) {
    let server = Server::start();
    let sides = Sides::new(&server);
    println!(
        "size of execute's future: {} bytes",
        std::mem::size_of_val(&sides.adapter.execute(&sides.query))
    );
    let elapsed = sides.run(
        &profile.side,
        &profile.flavor,
        profile.calls,
        profile.concurrency,
    );
    profile.report(elapsed, &server);
}

fn main() {
    support::main(RAW, each, profile);
}
