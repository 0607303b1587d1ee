//! One process of the fleet test (`tests/fleet.rs`): a tokio client with token auth that shares
//! its access tokens through Redis, driven line by line on stdin.
//!
//! Settings come from the environment: `FLEET_BASE_URL`, `FLEET_APP_ID`, `FLEET_APP_KEY` (the
//! sandbox), `FLEET_REDIS_URL`, `FLEET_KEY_PREFIX`, `FLEET_LEASE_MS` (the shared lease's time).
//! Commands: `round N` runs N payment queries at once and answers one line,
//! `done ok=… failed=… fetches=… store_failures=… error=…`; `exit` ends the process. It says
//! `ready` once it can take commands.
#![forbid(unsafe_code)]

use std::io::{BufRead as _, Write as _};
use std::time::Duration;

use chinaums::{AuthScheme, Credentials, Environment};
use futures_util::future::join_all;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn main() {
    let environment: Environment = var("FLEET_BASE_URL").parse().expect("a base URL");
    let lease_ms: u64 = var("FLEET_LEASE_MS").parse().expect("milliseconds");
    let core = chinaums::Client::builder(
        Credentials::new(var("FLEET_APP_ID"), var("FLEET_APP_KEY")),
        environment,
    )
    .auth(AuthScheme::AccessToken)
    .token_lease_ttl(Duration::from_millis(lease_ms))
    .token_poll_interval(Duration::from_millis(20))
    .build();
    let store = chinaums_redis::RedisTokenStore::builder(var("FLEET_REDIS_URL"))
        .key_prefix(var("FLEET_KEY_PREFIX"))
        .build()
        .expect("a Redis store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = {
        let _inside = runtime.enter();
        chinaums_tokio::Client::builder(core.clone())
            .token_store(store)
            .build()
            .expect("a client")
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")
        .and_then(|()| out.flush())
        .expect("stdout");
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let mut words = line.split_whitespace();
        match (words.next(), words.next().map(str::parse::<usize>)) {
            (Some("round"), Some(Ok(n))) => {
                let queries = chinaums_e2e::alternating_queries(n);
                let results = runtime.block_on(join_all(queries.iter().map(|query| {
                    let client = client.clone();
                    let query = query.clone();
                    async move { client.execute(&query).await }
                })));
                let failed: Vec<String> = results
                    .iter()
                    .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
                    .collect();
                writeln!(
                    out,
                    "done ok={} failed={} fetches={} store_failures={} error={}",
                    n - failed.len(),
                    failed.len(),
                    core.token_fetches_started(),
                    core.token_store_failures(),
                    failed
                        .first()
                        .map_or("none", String::as_str)
                        .replace('\n', " "),
                )
                .and_then(|()| out.flush())
                .expect("stdout");
            }
            (Some("exit"), _) => return,
            _ => panic!("unknown command {line:?}"),
        }
    }
}
