//! The blocking store against a real redis-server: the semantics of `MemoryTokenStore`, key
//! expiry, isolation, authentication, a restart, a Unix socket, and a fleet that fetches once.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::Duration;

use chinaums::{AuthScheme, Credentials, Environment, Lease, Merchant, PaymentQuery, TokenStore};
use chinaums_redis::RedisTokenStore;
use common::{Options, eventually, lease, redis_server, token, unix_millis};

#[test]
fn a_lease_is_exclusive_and_only_its_owner_releases_it() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    assert!(store.try_lease("app", &lease("a")).unwrap());
    assert!(!store.try_lease("app", &lease("b")).unwrap());
    assert!(
        !store.try_lease("app", &lease("a")).unwrap(),
        "not even twice by its owner"
    );
    assert_eq!(server.get("chinaums:app:lease").as_deref(), Some("a"));
    // Another appId has a lease of its own.
    assert!(store.try_lease("other", &lease("b")).unwrap());
    // Someone else's release changes nothing.
    store.release("app", &lease("b")).unwrap();
    assert!(!store.try_lease("app", &lease("c")).unwrap());
    // The owner's does.
    store.release("app", &lease("a")).unwrap();
    assert_eq!(server.get("chinaums:app:lease"), None);
    assert!(store.try_lease("app", &lease("c")).unwrap());
    // Releasing a lease that is not held is no error.
    store.release("nobody", &lease("x")).unwrap();
}

#[test]
fn a_lease_expires_after_its_ttl() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    assert!(store.try_lease("app", &lease("a")).unwrap());
    let pttl = server.int(&["PTTL", "chinaums:app:lease"]);
    assert!(pttl > 0 && pttl <= 60_000, "PTTL {pttl}");

    let short = Lease {
        owner: "short".into(),
        ttl: Duration::from_millis(50),
    };
    assert!(store.try_lease("lapsing", &short).unwrap());
    eventually("the lease lapses and another process takes it", || {
        store.try_lease("lapsing", &lease("next")).unwrap()
    });
    assert_eq!(
        server.get("chinaums:lapsing:lease").as_deref(),
        Some("next")
    );
    // A zero ttl is raised to 1 ms (Redis refuses PX 0); it lapses by itself too.
    let zero = Lease {
        owner: "zero".into(),
        ttl: Duration::ZERO,
    };
    assert!(store.try_lease("zero", &zero).unwrap());
    eventually("a zero-ttl lease lapses", || {
        store.try_lease("zero", &lease("after")).unwrap()
    });
}

#[test]
fn publish_stores_the_token_and_releases_only_the_publishers_lease() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    assert_eq!(store.load("app").unwrap(), None);
    assert!(store.try_lease("app", &lease("a")).unwrap());
    // Published by someone whose lease lapsed: stored, but a's lease stays.
    let first = token("t1", 3600);
    store.publish("app", &first, &lease("b")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(first.clone()));
    assert_eq!(server.get("chinaums:app:lease").as_deref(), Some("a"));
    assert_eq!(server.get("chinaums:app:token"), Some(first.to_line()));
    // Published by the holder: stored, lease released.
    let second = token("t2", 7200);
    store.publish("app", &second, &lease("a")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(second));
    assert_eq!(server.get("chinaums:app:lease"), None);
}

#[test]
fn a_stale_publication_never_replaces_a_newer_token_but_an_equal_expiry_does() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    let newer = token("newer", 7200);
    store.publish("app", &newer, &lease("a")).unwrap();
    // An older token published late changes nothing, and still releases its lease.
    assert!(store.try_lease("app", &lease("late")).unwrap());
    store
        .publish("app", &token("older", 3600), &lease("late"))
        .unwrap();
    assert_eq!(store.load("app").unwrap(), Some(newer.clone()));
    assert_eq!(server.get("chinaums:app:lease"), None);
    // One expiring at the same moment replaces it (a token fetched because the platform
    // rejected the stored one, within the same second).
    let same_expiry = chinaums::StoredToken {
        access_token: chinaums::AccessToken::new("replacement"),
        ..newer.clone()
    };
    store.publish("app", &same_expiry, &lease("a")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(same_expiry));
    // Expiries of different lengths compare as numbers, not as text.
    let far = chinaums::StoredToken {
        expires_at: std::time::UNIX_EPOCH + Duration::from_secs(100_000_000_000),
        ..newer.clone()
    };
    store.publish("far", &far, &lease("a")).unwrap();
    store.publish("far", &newer, &lease("a")).unwrap();
    assert_eq!(store.load("far").unwrap(), Some(far));
}

#[test]
fn the_token_key_expires_when_the_token_does() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    let stored = token("t1", 3600);
    store.publish("app", &stored, &lease("a")).unwrap();
    assert_eq!(
        server.int(&["PEXPIRETIME", "chinaums:app:token"]),
        unix_millis(stored.expires_at)
    );
    // Replaced by a newer token, the key takes the new expiry.
    let newer = token("t2", 7200);
    store.publish("app", &newer, &lease("a")).unwrap();
    assert_eq!(
        server.int(&["PEXPIRETIME", "chinaums:app:token"]),
        unix_millis(newer.expires_at)
    );
    // A token already expired is gone at once: nothing to load.
    let expired = chinaums::StoredToken {
        access_token: chinaums::AccessToken::new("old"),
        issued_at: std::time::UNIX_EPOCH + Duration::from_secs(1_000),
        expires_at: std::time::UNIX_EPOCH + Duration::from_secs(2_000),
    };
    store.publish("expired", &expired, &lease("a")).unwrap();
    assert_eq!(store.load("expired").unwrap(), None);
    assert_eq!(server.int(&["EXISTS", "chinaums:expired:token"]), 0);
}

#[test]
fn prefixes_and_databases_isolate_stores() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let a = RedisTokenStore::builder(server.url())
        .key_prefix("a:")
        .build()
        .unwrap();
    let b = RedisTokenStore::builder(server.url())
        .key_prefix("b:")
        .build()
        .unwrap();
    let db3 = RedisTokenStore::new(format!("{}/3", server.url())).unwrap();
    assert!(a.try_lease("app", &lease("x")).unwrap());
    assert!(b.try_lease("app", &lease("y")).unwrap());
    assert!(db3.try_lease("app", &lease("z")).unwrap());
    let stored = token("t1", 3600);
    a.publish("app", &stored, &lease("x")).unwrap();
    assert_eq!(a.load("app").unwrap(), Some(stored.clone()));
    assert_eq!(b.load("app").unwrap(), None);
    assert_eq!(db3.load("app").unwrap(), None);
    assert_eq!(server.get("a:app:token"), Some(stored.to_line()));
    assert_eq!(server.get("b:app:lease").as_deref(), Some("y"));
    // db 3 holds its own lease, under the default prefix.
    assert_eq!(server.get("chinaums:app:lease"), None);
    let db3_lease = match server.command(&[
        "EVAL",
        "redis.call('SELECT', 3) return redis.call('GET', KEYS[1])",
        "1",
        "chinaums:app:lease",
    ]) {
        redis::Value::BulkString(bytes) => String::from_utf8(bytes).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(db3_lease, "z");
}

#[test]
fn unreadable_contents_read_as_no_token_and_are_replaced() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    for garbage in ["garbage", "1 2", "1 2 has space", "x 2 t", ""] {
        server.command(&["SET", "chinaums:app:token", garbage]);
        assert_eq!(store.load("app").unwrap(), None, "{garbage:?}");
    }
    let stored = token("t1", 3600);
    store.publish("app", &stored, &lease("a")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(stored));
    // A key of another type is an error of the store (another application's key?).
    server.command(&["RPUSH", "chinaums:list:token", "x"]);
    let error = store.load("list").unwrap_err();
    assert!(error.message.contains("WRONGTYPE"), "{error}");
    // The store goes on working after a refused command.
    assert!(store.try_lease("list", &lease("a")).unwrap());
}

#[test]
fn a_password_is_sent_and_a_wrong_one_is_an_error_without_it() {
    let password = "correct-horse-battery";
    let Some(server) = redis_server(Options {
        password: Some(password.into()),
        ..Options::default()
    }) else {
        return;
    };
    let port = server.port;
    // In the URL.
    let store = RedisTokenStore::new(format!("redis://:{password}@127.0.0.1:{port}")).unwrap();
    assert!(store.try_lease("app", &lease("a")).unwrap());
    // On the builder.
    let store = RedisTokenStore::builder(server.url())
        .password(password)
        .build()
        .unwrap();
    assert!(!store.try_lease("app", &lease("b")).unwrap());
    // With an ACL user.
    server.command(&[
        "ACL",
        "SETUSER",
        "payments",
        "on",
        ">user-secret-1",
        "~*",
        "+@all",
    ]);
    let store =
        RedisTokenStore::new(format!("redis://payments:user-secret-1@127.0.0.1:{port}")).unwrap();
    assert_eq!(store.load("app").unwrap(), None);
    // None at all.
    let error = RedisTokenStore::new(server.url())
        .unwrap()
        .load("app")
        .unwrap_err();
    assert!(error.message.contains("NOAUTH"), "{error}");
    // A wrong one, in the URL or on the builder: never in the message.
    for store in [
        RedisTokenStore::new(format!("redis://:wrong-password-9@127.0.0.1:{port}")).unwrap(),
        RedisTokenStore::builder(server.url())
            .username("payments")
            .password("wrong-password-9")
            .build()
            .unwrap(),
    ] {
        let error = store.load("app").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("AUTH refused"), "{text}");
        assert!(!text.contains("wrong-password-9"), "{text}");
        assert!(
            text.starts_with(&format!("token store: redis://127.0.0.1:{port}/0: ")),
            "{text}"
        );
    }
}

#[test]
fn a_restarted_redis_is_reconnected_to() {
    let Some(mut server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    let stored = token("t1", 3600);
    store.publish("app", &stored, &lease("a")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(stored.clone()));

    server.stop();
    // Down: every operation fails (its idle connection is found closed, a new one is refused).
    let error = store.load("app").unwrap_err();
    assert!(error.message.contains("127.0.0.1"), "{error}");
    assert!(store.try_lease("app", &lease("b")).is_err());
    assert!(store.publish("app", &stored, &lease("b")).is_err());
    assert!(store.release("app", &lease("b")).is_err());

    server.restart();
    // Up again, empty (no persistence): the store reconnects by itself.
    assert_eq!(store.load("app").unwrap(), None);
    assert!(store.try_lease("app", &lease("b")).unwrap());
    store.publish("app", &stored, &lease("b")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(stored));

    // Restarted while a connection sits idle: the next operation still works.
    server.stop();
    server.restart();
    assert!(store.load("app").unwrap().is_none());
}

#[test]
fn a_unix_socket_works() {
    let Some(server) = redis_server(Options {
        unix_socket: true,
        ..Options::default()
    }) else {
        return;
    };
    let url = format!("redis+unix://{}?db=1", server.socket_path().display());
    let store = RedisTokenStore::new(&url).unwrap();
    assert!(store.try_lease("app", &lease("a")).unwrap());
    let stored = token("t1", 3600);
    store.publish("app", &stored, &lease("a")).unwrap();
    assert_eq!(store.load("app").unwrap(), Some(stored));
    // db 1, not 0.
    assert_eq!(server.get("chinaums:app:token"), None);
}

#[test]
fn concurrent_leases_have_exactly_one_winner() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    const PROCESSES: usize = 8;
    let barrier = Arc::new(Barrier::new(PROCESSES));
    let winners: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PROCESSES)
            .map(|i| {
                let barrier = barrier.clone();
                let url = server.url();
                scope.spawn(move || {
                    // A store of its own, as in separate processes.
                    let store = RedisTokenStore::new(&url).unwrap();
                    barrier.wait();
                    store.try_lease("app", &lease(&format!("p{i}"))).unwrap()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    assert_eq!(winners, 1);
}

/// A "process": a core client of its own (its own token cache) for `fleet-app`.
fn process() -> chinaums::Client {
    chinaums::Client::builder(Credentials::new("fleet-app", "app-key"), Environment::Test)
        .auth(AuthScheme::AccessToken)
        .build()
}

/// One payment query by `client` through `store`, against a fake platform that counts token
/// requests (`before_token` runs inside the token request).
fn pay(
    client: &chinaums::Client,
    store: &dyn TokenStore,
    token_requests: &AtomicUsize,
    before_token: impl Fn(),
) {
    let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap();
    let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse().unwrap());
    let answer = client
        .call(&query)
        .unwrap()
        .run_blocking_with_store(Duration::from_secs(30), store, |request| {
            let body = if request.uri().path().ends_with("/token/access") {
                token_requests.fetch_add(1, Ordering::SeqCst);
                before_token();
                br#"{"errCode":"0000","accessToken":"shared-token","expiresIn":3600}"#.to_vec()
            } else {
                let auth = request.headers()["authorization"].to_str().unwrap();
                assert!(auth.contains("shared-token"), "{auth}");
                br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#.to_vec()
            };
            Ok(chinaums::http::Response::new(body))
        })
        .unwrap();
    assert!(answer.is_paid());
    assert_eq!(client.token_store_failures(), 0);
}

/// The point of the store: once one process has fetched, the others of the fleet (each with
/// an empty cache of its own, all at once) take its token from Redis instead of fetching.
#[test]
fn a_fleet_uses_the_token_one_process_fetched() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let token_requests = AtomicUsize::new(0);
    let first = RedisTokenStore::new(server.url()).unwrap();
    pay(&process(), &first, &token_requests, || {});
    assert_eq!(token_requests.load(Ordering::SeqCst), 1);

    const OTHERS: usize = 6;
    let barrier = Barrier::new(OTHERS);
    std::thread::scope(|scope| {
        for _ in 0..OTHERS {
            scope.spawn(|| {
                let store = RedisTokenStore::new(server.url()).unwrap();
                let client = process();
                barrier.wait();
                pay(&client, &store, &token_requests, || {});
            });
        }
    });
    assert_eq!(token_requests.load(Ordering::SeqCst), 1);
    assert!(
        server
            .get("chinaums:fleet-app:token")
            .unwrap()
            .ends_with(" shared-token")
    );
    assert_eq!(server.get("chinaums:fleet-app:lease"), None);
}

/// A flag one thread raises and others wait for (with a deadline).
#[derive(Default)]
struct Flag(Mutex<bool>, Condvar);

impl Flag {
    fn raise(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }

    fn wait(&self, what: &str) {
        let (raised, timeout) = self
            .1
            .wait_timeout_while(self.0.lock().unwrap(), Duration::from_secs(30), |up| !*up)
            .unwrap();
        assert!(*raised && !timeout.timed_out(), "{what}: not within 30 s");
    }
}

/// The Redis store, with hooks that order two processes' operations.
struct Hooked {
    redis: RedisTokenStore,
    after_load: Option<Arc<Flag>>,
    before_lease: Option<Arc<Flag>>,
    after_publish: Option<Arc<Flag>>,
}

impl TokenStore for Hooked {
    fn load(&self, app_id: &str) -> Result<Option<chinaums::StoredToken>, chinaums::StoreError> {
        let loaded = self.redis.load(app_id);
        self.after_load.iter().for_each(|flag| flag.raise());
        loaded
    }

    fn try_lease(&self, app_id: &str, lease: &Lease) -> Result<bool, chinaums::StoreError> {
        self.before_lease
            .iter()
            .for_each(|f| f.wait("the other's publication"));
        self.redis.try_lease(app_id, lease)
    }

    fn publish(
        &self,
        app_id: &str,
        token: &chinaums::StoredToken,
        lease: &Lease,
    ) -> Result<(), chinaums::StoreError> {
        let published = self.redis.publish(app_id, token, lease);
        self.after_publish.iter().for_each(|flag| flag.raise());
        published
    }

    fn release(&self, app_id: &str, lease: &Lease) -> Result<(), chinaums::StoreError> {
        self.redis.release(app_id, lease)
    }
}

/// Two processes start at once; B finds no token, then A publishes its token (releasing the
/// lease), then B asks for the lease and gets it. Having taken it, B looks in the store once
/// more, finds A's token, gives the lease back and fetches nothing: one token request in all.
/// (The same gap opens in every poll, `Load` then `Lease`, and is closed the same way.)
#[test]
fn a_publication_between_load_and_lease_does_not_cause_a_second_fetch() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let token_requests = AtomicUsize::new(0);
    let (b_loaded, a_published) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
    let a_store = Hooked {
        redis: RedisTokenStore::new(server.url()).unwrap(),
        after_load: None,
        before_lease: None,
        after_publish: Some(a_published.clone()),
    };
    let b_store = Hooked {
        redis: RedisTokenStore::new(server.url()).unwrap(),
        after_load: Some(b_loaded.clone()),
        before_lease: Some(a_published.clone()),
        after_publish: None,
    };
    std::thread::scope(|scope| {
        // A takes the lease (B waits for A's publication before asking), and fetches once B
        // has looked in the store.
        scope.spawn(|| {
            pay(&process(), &a_store, &token_requests, || {
                b_loaded.wait("B's load")
            })
        });
        scope.spawn(|| pay(&process(), &b_store, &token_requests, || {}));
    });
    assert_eq!(token_requests.load(Ordering::SeqCst), 1);
}
