//! 1000 calls in flight at once: the async-std adapter (under async-std's executor, and under
//! smol on one thread) beside the tokio adapter (a 2-worker multi-thread runtime), against the
//! same in-process server (see `bench_support.rs`), each in a process of its own so that its
//! OS threads and its peak memory are its own.
//!
//! This process starts the server, then runs itself once per client as a child
//! (`C1000_CHILD=tokio|async_std|smol`): the child builds its client, makes one call (so that
//! whatever starts lazily has started), then puts 1000 chains of calls in flight at once, each
//! making `C1000_CALLS` calls (default 20) one after the other, and prints its throughput and
//! its peak resident set (`VmHWM`). While the child runs, this process reads the child's
//! `/proc/PID/status` every 2 ms and keeps the most threads it saw. The server's threads and
//! memory are not counted: it runs here, in the parent.
//!
//! The goals of issue 14: the async-std adapter at most 8 threads, at most 1.5× the tokio
//! adapter's peak RSS, at least 0.8× its throughput.
//!
//! `cargo bench -p chinaums-async-std --bench c1000` (Linux; it needs about 1100 open files in
//! each process: it says so and stops if the limit is lower).
#![allow(missing_docs)]

#[path = "../../bench_support.rs"]
mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use chinaums::Environment;
use chinaums_async_std::chinaums;
use futures_util::future::join_all;
use support::Server;

/// Calls in flight at once.
const IN_FLIGHT: usize = 1000;

/// The open files each process needs: a socket per call in flight, and some to spare.
const OPEN_FILES: u64 = IN_FLIGHT as u64 + 100;

const CHILDREN: [&str; 3] = ["tokio", "async_std", "smol"];

fn main() {
    match std::env::var("C1000_CHILD") {
        Ok(kind) => child(&kind),
        Err(_) => parent(),
    }
}

/// What a child reported, and the most threads it was seen with.
struct Seen {
    calls: u64,
    per_second: f64,
    peak_rss_kib: u64,
    max_threads: u64,
    connections: usize,
}

fn parent() {
    match support::open_files_limit() {
        Some(limit) if limit >= OPEN_FILES => {}
        Some(limit) => {
            println!(
                "c1000: the open-file limit is {limit}; this run needs {OPEN_FILES} per process \
                 (raise it with `ulimit -n {OPEN_FILES}`): not run"
            );
            return;
        }
        None => {
            println!("c1000: needs Linux's /proc to count threads and memory: not run");
            return;
        }
    }
    let calls: u64 = std::env::var("C1000_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let server = Server::start();
    let exe = std::env::current_exe().expect("this executable");
    let mut seen = Vec::new();
    for kind in CHILDREN {
        let before = server.connections();
        let mut child = Command::new(&exe)
            .env("C1000_CHILD", kind)
            .env("C1000_BASE", server.base_url())
            .env("C1000_CALLS", calls.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the child");
        let status = format!("/proc/{}/status", child.id());
        let mut max_threads = 0;
        while child.try_wait().expect("child").is_none() {
            if let Some(n) = std::fs::read_to_string(&status)
                .ok()
                .as_deref()
                .and_then(|s| field(s, "Threads:"))
            {
                max_threads = max_threads.max(n);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let line = out
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("c1000-child"))
            .unwrap_or_else(|| panic!("{kind}: the child reported nothing"));
        let value = |name: &str| -> f64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{kind}: no {name} in {line:?}"))
        };
        seen.push(Seen {
            calls: value("calls") as u64,
            per_second: value("per_second"),
            peak_rss_kib: value("peak_rss_kib") as u64,
            max_threads,
            connections: server.connections() - before,
        });
    }
    println!(
        "{IN_FLIGHT} calls in flight, {calls} calls each ({} in all per client):",
        IN_FLIGHT as u64 * calls
    );
    println!("| client | threads (most seen) | peak RSS | calls/s | connections opened |");
    println!("|---|---|---|---|---|");
    for (kind, s) in CHILDREN.iter().zip(&seen) {
        assert_eq!(s.calls, IN_FLIGHT as u64 * calls, "{kind}: calls made");
        println!(
            "| {kind} | {} | {:.1} MiB | {:.0} | {} |",
            s.max_threads,
            s.peak_rss_kib as f64 / 1024.0,
            s.per_second,
            s.connections
        );
    }
    let tokio = &seen[0];
    for (kind, s) in CHILDREN.iter().zip(&seen).skip(1) {
        println!(
            "{kind} vs tokio: threads {} (goal ≤ 8), peak RSS {:.2}× (goal ≤ 1.5×), throughput {:.2}× (goal ≥ 0.8×)",
            s.max_threads,
            s.peak_rss_kib as f64 / tokio.peak_rss_kib as f64,
            s.per_second / tokio.per_second,
        );
    }
}

fn field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn child(kind: &str) {
    let base = std::env::var("C1000_BASE").expect("C1000_BASE");
    let calls: u64 = std::env::var("C1000_CALLS")
        .expect("C1000_CALLS")
        .parse()
        .expect("calls");
    let core = chinaums::Client::new(
        chinaums::Credentials::new(
            "10037e6f6a4e6da4016a670fd4530012",
            "f7a74b6c02ae4e1e94aaba311c04acf2",
        ),
        Environment::custom(&base).expect("base URL"),
    );
    let query = std::sync::Arc::new(support::query());
    let elapsed = match kind {
        "tokio" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            let client = chinaums_tokio::Client::new(core).expect("client");
            runtime.block_on(async {
                client.execute(&*query).await.expect("warm-up call");
                let start = support::now();
                let tasks: Vec<_> = (0..IN_FLIGHT)
                    .map(|_| {
                        let (client, query) = (client.clone(), query.clone());
                        tokio::spawn(async move {
                            for _ in 0..calls {
                                client.execute(&*query).await.expect("execute");
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
        "async_std" => {
            let client = chinaums_async_std::Client::new(core).expect("client");
            async_std::task::block_on(async {
                client.execute(&*query).await.expect("warm-up call");
                let start = support::now();
                let tasks: Vec<_> = (0..IN_FLIGHT)
                    .map(|_| {
                        let (client, query) = (client.clone(), query.clone());
                        async_std::task::spawn(async move {
                            for _ in 0..calls {
                                client.execute(&*query).await.expect("execute");
                            }
                        })
                    })
                    .collect();
                join_all(tasks).await;
                start.elapsed()
            })
        }
        "smol" => {
            let client = chinaums_async_std::Client::new(core).expect("client");
            smol::block_on(async {
                client.execute(&*query).await.expect("warm-up call");
                let start = support::now();
                let chains = (0..IN_FLIGHT).map(|_| async {
                    for _ in 0..calls {
                        client.execute(&*query).await.expect("execute");
                    }
                });
                join_all(chains).await;
                start.elapsed()
            })
        }
        other => panic!("no client {other:?}"),
    };
    let total = IN_FLIGHT as u64 * calls;
    println!(
        "c1000-child kind={kind} calls={total} per_second={:.1} peak_rss_kib={}",
        total as f64 / elapsed.as_secs_f64(),
        support::peak_rss_kib().unwrap_or(0)
    );
}
