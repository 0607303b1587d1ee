//! A fleet sharing one access token through a real Redis: OS processes (the `fleet_worker`
//! binary, a tokio client with a `RedisTokenStore`) against one sandbox appId. The sandbox counts
//! the tokens it issues; the workers report their own fetches and store failures.
//!
//! Needs `redis-server` (Debian's package, installed by `.ci/run`): mandatory under `CI=true`,
//! skipped with a message elsewhere when it is not installed.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use chinaums_e2e::RedisServer;
use chinaums_sandbox::{Fault, Sandbox};

/// Generous bounds on what each step may take: a deadline, never a timing assertion.
const READY_LIMIT: Duration = Duration::from_secs(60);
const ROUND_LIMIT: Duration = Duration::from_secs(120);

/// What a worker said about one round.
#[derive(Debug)]
struct Round {
    ok: usize,
    failed: usize,
    fetches: u64,
    store_failures: u64,
    error: String,
}

/// One worker process, killed when dropped.
struct Worker {
    name: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Worker {
    fn start(
        name: &str,
        sandbox: &Sandbox,
        redis: &RedisServer,
        prefix: &str,
        lease: Duration,
    ) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fleet_worker"))
            .env("FLEET_BASE_URL", sandbox.base_url())
            .env("FLEET_APP_ID", sandbox.app_id())
            .env("FLEET_APP_KEY", sandbox.app_key())
            .env("FLEET_REDIS_URL", redis.url())
            .env("FLEET_KEY_PREFIX", prefix)
            .env("FLEET_LEASE_MS", lease.as_millis().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the worker starts");
        let stdin = child.stdin.take().expect("its stdin");
        let stdout = child.stdout.take().expect("its stdout");
        let (tx, lines) = mpsc::channel();
        // Lines, however the bytes arrive: the reader frames them.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut worker = Worker {
            name: name.to_owned(),
            child,
            stdin,
            lines,
        };
        let ready = worker.line(READY_LIMIT);
        assert_eq!(ready, "ready", "{name}");
        worker
    }

    fn line(&mut self, limit: Duration) -> String {
        match self.lines.recv_timeout(limit) {
            Ok(line) => line,
            Err(e) => panic!("{}: no line within {limit:?} ({e})", self.name),
        }
    }

    /// Starts a round of `n` concurrent queries (the answer is read by [`Worker::finish`]).
    fn begin(&mut self, n: usize) {
        writeln!(self.stdin, "round {n}")
            .and_then(|()| self.stdin.flush())
            .expect("the worker reads its commands");
    }

    fn finish(&mut self) -> Round {
        let line = self.line(ROUND_LIMIT);
        let field = |key: &str| -> String {
            let start = line
                .find(&format!("{key}="))
                .unwrap_or_else(|| panic!("{}: no {key} in {line:?}", self.name))
                + key.len()
                + 1;
            let rest = &line[start..];
            if key == "error" {
                rest.to_owned()
            } else {
                rest.split(' ').next().unwrap_or_default().to_owned()
            }
        };
        assert!(line.starts_with("done "), "{}: {line}", self.name);
        Round {
            ok: field("ok").parse().unwrap(),
            failed: field("failed").parse().unwrap(),
            fetches: field("fetches").parse().unwrap(),
            store_failures: field("store_failures").parse().unwrap(),
            error: field("error"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one round of `n` concurrent queries on every worker at once.
fn round(workers: &mut [Worker], n: usize) -> Vec<Round> {
    for worker in workers.iter_mut() {
        worker.begin(n);
    }
    workers.iter_mut().map(Worker::finish).collect()
}

fn assert_all_ok(rounds: &[Round], n: usize) {
    for (i, round) in rounds.iter().enumerate() {
        assert_eq!(
            (round.ok, round.failed),
            (n, 0),
            "worker {i}: {}",
            round.error
        );
    }
}

/// The sandbox of one fleet test: 8 processes × 50 queries are 400 connections at once.
fn sandbox() -> Sandbox {
    Sandbox::builder()
        .seed_demo(true)
        .max_connections(512)
        .start()
        .unwrap()
}

/// One fleet at a time: each holds hundreds of connections to its sandbox (this process's file
/// descriptors) and 8 processes' threads.
fn one_fleet_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static FLEET: std::sync::Mutex<()> = std::sync::Mutex::new(());
    FLEET.lock().unwrap_or_else(|p| p.into_inner())
}

fn workers(count: usize, sandbox: &Sandbox, redis: &RedisServer, prefix: &str) -> Vec<Worker> {
    (0..count)
        .map(|i| {
            Worker::start(
                &format!("worker {i}"),
                sandbox,
                redis,
                prefix,
                Duration::from_secs(10),
            )
        })
        .collect()
}

/// 8 processes × 50 concurrent token-authorized queries against one appId: one token fetch in
/// all, seen by the sandbox.
#[test]
fn eight_processes_fetch_one_token_between_them() {
    let _one = one_fleet_at_a_time();
    let Some(redis) = RedisServer::start_or_skip("eight_processes_fetch_one_token_between_them")
    else {
        return;
    };
    let sandbox = sandbox();
    // A slow token endpoint: the processes' first calls really overlap the one fetch.
    sandbox.set_token_fault(Some(Fault::Delay(Duration::from_millis(500))));
    let mut fleet = workers(8, &sandbox, &redis, "fleet-one:");
    let rounds = round(&mut fleet, 50);
    assert_all_ok(&rounds, 50);
    let fetched: u64 = rounds.iter().map(|r| r.fetches).sum();
    let store_failures: u64 = rounds.iter().map(|r| r.store_failures).sum();
    println!(
        "fleet: 8 processes x 50 queries: {} token fetch(es) seen by the sandbox, {fetched} by the \
         processes, {store_failures} store failures",
        sandbox.token_fetch_count()
    );
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(fetched, 1);
    assert_eq!(store_failures, 0);
    assert_eq!(sandbox.request_count(), 400);
}

/// The process holding the lease is killed while its token request is under way: after the
/// lease's time another process fetches, and every call of the others completes.
#[test]
fn a_killed_lease_holder_delays_the_others_by_the_lease_time_only() {
    let _one = one_fleet_at_a_time();
    let Some(redis) = RedisServer::start_or_skip(
        "a_killed_lease_holder_delays_the_others_by_the_lease_time_only",
    ) else {
        return;
    };
    let sandbox = sandbox();
    let lease = Duration::from_secs(3);
    // The first token request is answered only after a minute: its process dies before that.
    sandbox.inject_token_fault(Fault::Delay(Duration::from_secs(60)));
    let mut holder = Worker::start("lease holder", &sandbox, &redis, "fleet-kill:", lease);
    holder.begin(1);
    // The sandbox issues the token before it holds the answer back: the fetch is under way.
    let mut polls = 0;
    while sandbox.token_fetch_count() == 0 {
        polls += 1;
        assert!(polls < 6000, "the holder never fetched (60 s)");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(holder); // killed, holding the lease

    let mut others: Vec<Worker> = (0..7)
        .map(|i| {
            Worker::start(
                &format!("worker {i}"),
                &sandbox,
                &redis,
                "fleet-kill:",
                lease,
            )
        })
        .collect();
    let rounds = round(&mut others, 50);
    assert_all_ok(&rounds, 50);
    let fetched: u64 = rounds.iter().map(|r| r.fetches).sum();
    println!(
        "fleet: lease holder killed mid-fetch: {} token fetches seen by the sandbox (the killed \
         one's and {fetched} by the 7 others)",
        sandbox.token_fetch_count()
    );
    assert_eq!(
        fetched, 1,
        "one of the others fetched once the lease lapsed"
    );
    assert_eq!(sandbox.token_fetch_count(), 2);
}

/// Redis stops mid-run: the tokens are revoked, and each process fetches for itself and every
/// call succeeds; once Redis is back, the fleet shares one token again.
#[test]
fn without_redis_each_process_fetches_for_itself_and_calls_still_succeed() {
    let _one = one_fleet_at_a_time();
    let Some(mut redis) = RedisServer::start_or_skip(
        "without_redis_each_process_fetches_for_itself_and_calls_still_succeed",
    ) else {
        return;
    };
    let sandbox = sandbox();
    let mut fleet = workers(8, &sandbox, &redis, "fleet-down:");
    let before = round(&mut fleet, 50);
    assert_all_ok(&before, 50);
    assert_eq!(sandbox.token_fetch_count(), 1);

    redis.stop();
    sandbox.revoke_tokens(); // every process must get a new token now
    let rounds = round(&mut fleet, 50);
    assert_all_ok(&rounds, 50);
    let degraded = sandbox.token_fetch_count() - 1;
    for (i, (round, before)) in rounds.iter().zip(&before).enumerate() {
        assert_eq!(
            round.fetches - before.fetches,
            1,
            "worker {i}: its own fetch without the store"
        );
        assert!(round.store_failures >= 1, "worker {i}: {round:?}");
    }
    assert_eq!(degraded, 8);

    redis.restart();
    sandbox.revoke_tokens();
    let rounds = round(&mut fleet, 50);
    assert_all_ok(&rounds, 50);
    let shared_again = sandbox.token_fetch_count() - 1 - degraded;
    println!(
        "fleet: Redis stopped: 8 processes x 50 queries: {degraded} token fetches (one per \
         process), every call answered; Redis back: {shared_again} fetch for the fleet"
    );
    assert_eq!(shared_again, 1);
}
