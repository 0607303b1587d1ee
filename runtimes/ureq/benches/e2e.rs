//! End to end: `chinaums_ureq::Client::execute(&query)` beside a raw ureq 3 agent sending the
//! same pre-signed bytes, against the same in-process server (see `bench_support.rs` for the
//! server and why it is not the sandbox), sequentially and with 16 and 64 calls in flight, one
//! OS thread per call in flight (the threads are started once and kept). Each group holds both
//! sides, so criterion measures them in the same run under the same load.
//!
//! The sides:
//! - `adapter_execute`: the adapter, signing and parsing included, with its total timeout;
//! - `raw_ureq`: a ureq 3 agent with its defaults (no timeout) resending the pre-signed request
//!   and reading the body;
//! - `raw_plus_floor`: the raw agent plus the core's own work done inline (one `prepare` and
//!   one `parse`): the honest target for `adapter_execute`;
//! - `floor_prepare_parse` (sequential group only): the core's work alone.
//!
//! The time reported is per call: `iters` calls shared among the threads, wall time divided by
//! `iters`. After the groups, the connections the server accepted per side are printed: a
//! client that reuses its connections opens about as many as it has calls in flight.
//!
//! `cargo bench -p chinaums-ureq --bench e2e`. Also `E2E_PAIRED=ROUNDS,CALLS` (the sides take
//! turns; medians and CPU time per call) and `E2E_PROFILE=SIDE,CONCURRENCY,CALLS` (one side
//! only, for a profiler); see `bench_support.rs`.
#![allow(missing_docs)]

#[path = "../../bench_support.rs"]
mod support;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chinaums::PaymentQuery;
use chinaums_ureq::chinaums;
use support::{CONCURRENCY, Presigned, Server};

/// One call of a side.
type Call = Arc<dyn Fn() + Send + Sync>;

/// `concurrency` threads kept for the whole benchmark, each making its share of the calls.
struct Workers {
    jobs: Vec<mpsc::Sender<u64>>,
    done: mpsc::Receiver<()>,
}

impl Workers {
    fn new(concurrency: usize, call: Call) -> Workers {
        let (done_tx, done) = mpsc::channel();
        let jobs = (0..concurrency)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<u64>();
                let (call, done) = (call.clone(), done_tx.clone());
                std::thread::spawn(move || {
                    for n in rx {
                        for _ in 0..n {
                            call();
                        }
                        let _ = done.send(());
                    }
                });
                tx
            })
            .collect();
        Workers { jobs, done }
    }

    /// `iters` calls shared among the threads; the wall time.
    fn run(&self, iters: u64) -> Duration {
        let start = support::now();
        for (job, n) in self
            .jobs
            .iter()
            .zip(support::shares(iters, self.jobs.len()))
        {
            job.send(n).expect("worker alive");
        }
        for _ in &self.jobs {
            self.done.recv().expect("worker done");
        }
        start.elapsed()
    }
}

/// The raw agent: ureq 3 with its defaults, as an application would use it (no timeout set).
fn raw_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn raw_call(agent: &ureq::Agent, presigned: &Presigned) {
    let mut request = ureq::http::Request::new(&presigned.body[..]);
    *request.method_mut() = presigned.method.clone();
    *request.uri_mut() = presigned.uri.clone();
    *request.headers_mut() = presigned.headers.clone();
    let response = agent.run(request).expect("raw request");
    let body = response.into_body().read_to_vec().expect("raw body");
    std::hint::black_box(body);
}

struct Sides {
    adapter: chinaums_ureq::Client,
    raw: ureq::Agent,
    core: chinaums::Client,
    query: Arc<PaymentQuery>,
    presigned: Arc<Presigned>,
}

impl Sides {
    fn new(server: &Server) -> Arc<Sides> {
        let core = server.core();
        Arc::new(Sides {
            adapter: chinaums_ureq::Client::new(core.clone()).expect("adapter"),
            raw: raw_agent(),
            presigned: Arc::new(Presigned::new(&core)),
            core,
            query: Arc::new(support::query()),
        })
    }

    fn call(self: &Arc<Self>, side: &str) -> Call {
        let s = self.clone();
        match side {
            "adapter" => Arc::new(move || {
                std::hint::black_box(s.adapter.execute(&*s.query).expect("execute"));
            }),
            "raw_floor" => Arc::new(move || {
                raw_call(&s.raw, &s.presigned);
                support::floor(&s.core, &s.query);
            }),
            "raw" => Arc::new(move || raw_call(&s.raw, &s.presigned)),
            other => panic!("no side {other:?}"),
        }
    }
}

const RAW: &str = "raw_ureq";

/// Each concurrency; see `support::main`. Each side has a server of its own, so that the
/// connections it accepted are that side's (printed after each group).
fn each(f: support::Each<'_>) {
    let sides = support::sides(RAW);
    let servers: Vec<Server> = sides.iter().map(|_| Server::start()).collect();
    let clients: Vec<Arc<Sides>> = servers.iter().map(Sides::new).collect();
    for concurrency in CONCURRENCY {
        let workers: Vec<Workers> = sides
            .iter()
            .zip(&clients)
            .map(|((_, side), s)| Workers::new(concurrency, s.call(side)))
            .collect();
        let run = |side: &str, n| {
            let i = sides.iter().position(|(_, s)| *s == side).expect("a side");
            workers[i].run(n)
        };
        let floor = (concurrency == 1).then_some((&clients[0].core, &*clients[0].query));
        let before: Vec<usize> = servers.iter().map(Server::connections).collect();
        f(&format!("ureq/c{concurrency}"), floor, &run);
        for (((name, _), server), before) in sides.iter().zip(&servers).zip(before) {
            let opened = server.connections() - before;
            println!("ureq/c{concurrency} {name}: {opened} connections opened");
        }
    }
}

/// One side only, for a profiler; see `support::Profile`.
fn profile(profile: &support::Profile) {
    let server = Server::start();
    let sides = Sides::new(&server);
    let elapsed = match profile.side.as_str() {
        "floor" => support::time_floor(&sides.core, &sides.query, profile.calls),
        side => Workers::new(profile.concurrency, sides.call(side)).run(profile.calls),
    };
    profile.report(elapsed, &server);
}

fn main() {
    support::main(RAW, each, profile);
}
