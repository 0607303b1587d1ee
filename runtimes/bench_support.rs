//! What the adapters' end-to-end benchmarks share (`benches/e2e.rs` of each adapter crate, and
//! the async-std crate's `benches/c1000.rs`), included into each with `#[path]` so there is one
//! copy of it.
//!
//! **The server.** A minimal hyper 1 HTTP/1.1 keep-alive server on 127.0.0.1 that answers
//! every request with one fixed payment-query answer (the documentation's example, ~1 KiB of
//! JSON). It is chosen over the sandbox on purpose: the sandbox verifies every signature and
//! looks the order up, which costs server CPU on the same two cores as the client being
//! measured. This server reads the request body and writes a constant: its cost per request is
//! small and the same whichever client sends, so a ratio of two clients' times measured against
//! it is the ratio of what the clients cost (plus that same small constant on both sides).
//! It runs on a dedicated OS thread with a current-thread tokio runtime, and counts the
//! connections it accepted, so a benchmark can tell a client that reuses connections from one
//! that reopens them.
//!
//! **The work.** The same `PaymentQuery` for every call, OPEN-BODY-SIG with the real clock and
//! nonce (what production pays). The adapter side runs `execute(&query)`: validate, encode,
//! sign, send, receive, parse. The raw side sends the bytes `core.prepare(&query)` produced
//! once (same method, URI, headers and body) and reads the body: no signing, no parsing. The
//! difference between the two is therefore at least the core's own work, [`floor`]: one
//! `prepare` plus one `parse`, measured on its own so the ratio can be read honestly.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chinaums::{Credentials, Environment, Merchant, PaymentQuery};
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// The answer to every request: the documentation's example of a payment-query answer.
pub const ANSWER: &[u8] = include_bytes!("../tests/data/query/documented_answer.json");

/// The concurrency levels every adapter is measured at: sequential, 16 and 64 calls in flight.
pub const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// The running server. It lives until the process ends.
pub struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1.
    pub fn start() -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || serve(listener, counted))
            .expect("spawn the server thread");
        Server { addr, connections }
    }

    /// `http://127.0.0.1:PORT`, the base URL to give the core.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections the server has accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// A core client of this server (real clock and nonce, OPEN-BODY-SIG).
    pub fn core(&self) -> chinaums::Client {
        chinaums::Client::new(
            Credentials::new(
                "10037e6f6a4e6da4016a670fd4530012",
                "f7a74b6c02ae4e1e94aaba311c04acf2",
            ),
            Environment::custom(&self.base_url()).expect("a base URL"),
        )
    }
}

fn serve(listener: std::net::TcpListener, connections: Arc<AtomicUsize>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("the server's runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    // Read the whole request, as a real server must before answering.
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(Bytes::from_static(ANSWER)));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json;charset=UTF-8"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// The query every benchmark sends.
pub fn query() -> PaymentQuery {
    let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").expect("merchant");
    PaymentQuery::new(
        &merchant,
        "3194202401011200000001".parse().expect("order id"),
    )
}

/// The request the raw clients resend: what `prepare` built once, in parts that are cheap to
/// clone (the body as `Bytes`).
#[derive(Clone)]
pub struct Presigned {
    pub method: chinaums::http::Method,
    pub uri: chinaums::http::Uri,
    pub headers: chinaums::http::HeaderMap,
    pub body: Bytes,
}

impl Presigned {
    /// `core.prepare(&query())`, once.
    pub fn new(core: &chinaums::Client) -> Presigned {
        let request = core.prepare(&query()).expect("prepare");
        let (parts, body) = request.into_parts();
        Presigned {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body: Bytes::from(body),
        }
    }
}

/// The core's share of one call, which the raw clients do not pay: one `prepare` (validate,
/// encode, sign with the real clock and a fresh nonce) and one `parse` of the answer into the
/// typed reply.
pub fn floor(core: &chinaums::Client, query: &PaymentQuery) {
    let request = core.prepare(query).expect("prepare");
    std::hint::black_box(request);
    let response = chinaums::http::Response::new(ANSWER.to_vec());
    let answer = core.parse::<PaymentQuery>(&response).expect("parse");
    std::hint::black_box(answer);
}

/// `calls` runs of [`floor`] on this thread; the wall time.
pub fn time_floor(core: &chinaums::Client, query: &PaymentQuery, calls: u64) -> Duration {
    let start = now();
    for _ in 0..calls {
        floor(core, query);
    }
    start.elapsed()
}

/// `total` calls shared out among `workers`, as evenly as possible.
pub fn shares(total: u64, workers: usize) -> Vec<u64> {
    let workers = workers as u64;
    (0..workers)
        .map(|i| total / workers + u64::from(i < total % workers))
        .collect()
}

/// The benchmark's clock: a stopwatch, not the SDK's clock (which the core takes injected).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// Criterion settings for these end-to-end groups: fewer, longer samples than the default, so
/// that the whole run stays within minutes on two cores.
pub fn configure<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
) {
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
}

/// The OS threads of this process, from `/proc/self/status` (Linux).
pub fn threads() -> Option<u64> {
    status_field("Threads:")
}

/// The peak resident set size of this process in KiB (`VmHWM`, Linux).
pub fn peak_rss_kib() -> Option<u64> {
    status_field("VmHWM:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    match line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
    {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    }
}

/// A profiling run instead of the benchmarks, asked for with
/// `E2E_PROFILE=SIDE,CONCURRENCY,CALLS[,FLAVOR]` (e.g. `adapter,64,20000,current_thread`): the
/// bench binary makes `CALLS` calls on one side only and exits, so that a profiler
/// (`valgrind --tool=callgrind`, `perf record`) sees one side at a time with a known number of
/// calls. SIDE is `adapter`, `raw` or `floor` (the core's share alone, on one thread); FLAVOR is the executor where a bench has several.
pub struct Profile {
    pub side: String,
    pub concurrency: usize,
    pub calls: u64,
    pub flavor: String,
}

impl Profile {
    /// The profiling run asked for, if any.
    pub fn from_env() -> Option<Profile> {
        let spec = std::env::var("E2E_PROFILE").ok()?;
        let mut parts = spec.split(',');
        let side = parts.next()?.to_owned();
        let concurrency = parts.next()?.parse().expect("E2E_PROFILE concurrency");
        let calls = parts.next()?.parse().expect("E2E_PROFILE calls");
        let flavor = parts.next().unwrap_or_default().to_owned();
        Some(Profile {
            side,
            concurrency,
            calls,
            flavor,
        })
    }

    /// Prints what ran and how long it took.
    pub fn report(&self, elapsed: Duration, server: &Server) {
        println!(
            "profile: {} {} calls, {} in flight, {}: {:.2} µs per call, {} connections accepted",
            self.side,
            self.calls,
            self.concurrency,
            self.flavor,
            elapsed.as_secs_f64() * 1e6 / self.calls as f64,
            server.connections()
        );
    }
}

/// This process's CPU time so far (all threads, user + system), from `/proc/self/stat`
/// (Linux; clock ticks of 10 ms, so only long runs are read from it).
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The sides every end-to-end bench compares, as (name in the report, key given to the
/// bench's run function): the adapter, the raw client plus the core's work, the raw client
/// (named `raw`, last: ratios are taken to it).
pub fn sides(raw: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("adapter_execute", "adapter"),
        ("raw_plus_floor", "raw_floor"),
        (raw, "raw"),
    ]
}

/// How a bench makes calls: `run(side, n)` makes `n` calls of `side` (a key of [`sides`]) at
/// the concurrency at hand and returns the wall time they took.
pub type Run<'a> = &'a dyn Fn(&str, u64) -> Duration;

/// One criterion group: the three [`sides`] run by `run`, and with `floor` the core's work
/// alone ([`floor`]) as `floor_prepare_parse`.
pub fn group(
    c: &mut criterion::Criterion,
    label: &str,
    raw: &'static str,
    floor: Option<(&chinaums::Client, &PaymentQuery)>,
    run: Run<'_>,
) {
    let mut group = c.benchmark_group(label);
    configure(&mut group);
    for (name, side) in sides(raw) {
        group.bench_function(name, |b| b.iter_custom(|iters| run(side, iters)));
    }
    if let Some((core, query)) = floor {
        group.bench_function("floor_prepare_parse", |b| {
            b.iter(|| self::floor(core, query))
        });
    }
    group.finish();
}

/// A paired run, asked for with `E2E_PAIRED=ROUNDS,CALLS`: the three [`sides`] take turns,
/// `CALLS` calls each, `ROUNDS` times, so that a change in the machine's load (other builds, a
/// fuzzer) falls on all of them alike; then the median wall time per call of each side, its
/// CPU time per call (the process's, all threads, the server's included) and the ratios of
/// both to the raw client's.
pub fn paired(label: &str, rounds: usize, calls: u64, raw: &'static str, run: Run<'_>) {
    let sides = sides(raw);
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    let mut cpu: Vec<Duration> = vec![Duration::ZERO; sides.len()];
    for _ in 0..rounds {
        for (i, (_, side)) in sides.iter().enumerate() {
            let before = cpu_time();
            let elapsed = run(side, calls);
            if let (Some(before), Some(after)) = (before, cpu_time()) {
                cpu[i] += after.saturating_sub(before);
            }
            wall[i].push(elapsed.as_secs_f64() * 1e6 / calls as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let medians: Vec<f64> = wall.iter_mut().map(median).collect();
    let (base, cpu_base) = (medians[2], cpu[2].as_secs_f64());
    for (i, (name, _)) in sides.iter().enumerate() {
        let cpu_per_call = cpu[i].as_secs_f64() * 1e6 / (rounds as f64 * calls as f64);
        println!(
            "paired {label} {name}: {:.2} µs/call (median of {rounds}), {:.2}× wall; cpu {cpu_per_call:.2} µs/call, {:.2}× cpu",
            medians[i],
            medians[i] / base,
            cpu[i].as_secs_f64() / cpu_base,
        );
    }
}

/// What a bench's `each` hands over for each group it has: the group's name, the core's work
/// to measure on its own there (if any), and how to run a side there.
pub type Each<'a> = &'a mut dyn FnMut(&str, Option<(&chinaums::Client, &PaymentQuery)>, Run<'_>);

/// The bench binary's `main`: a profiling run ([`Profile`]), a paired run ([`paired`]) or
/// criterion's benchmarks ([`group`]), as the environment asks; `each` goes over the bench's
/// groups (executors, concurrency levels), `raw` names its raw client.
pub fn main(raw: &'static str, each: fn(Each<'_>), profile: fn(&Profile)) {
    if let Some(p) = Profile::from_env() {
        profile(&p);
    } else if let Some((rounds, calls)) = paired_from_env() {
        each(&mut |label, _, run| paired(label, rounds, calls, raw, run));
    } else {
        let mut criterion = criterion::Criterion::default().configure_from_args();
        each(&mut |label, floor, run| group(&mut criterion, label, raw, floor, run));
        criterion.final_summary();
    }
}

/// `E2E_PAIRED=ROUNDS,CALLS`, if given.
pub fn paired_from_env() -> Option<(usize, u64)> {
    let spec = std::env::var("E2E_PAIRED").ok()?;
    let (rounds, calls) = spec.split_once(',')?;
    Some((
        rounds.parse().expect("E2E_PAIRED rounds"),
        calls.parse().expect("E2E_PAIRED calls"),
    ))
}
