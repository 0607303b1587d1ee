//! Tests that need no Redis server: settings, keys, commands, framing, and failures against
//! sockets that refuse or never answer. The store against a real redis-server is tested in
//! `tests/`.

use std::net::TcpListener;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chinaums::{AccessToken, AsyncTokenStore, Lease, StoredToken, TokenStore};
use futures_lite::future::block_on;

use super::*;
use crate::resp::{MAX_REPLY_BYTES, frame_len};

fn target(url: &str) -> Target {
    Target::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[test]
fn urls_are_read_into_address_database_and_credentials() {
    let t = target("redis://127.0.0.1");
    assert_eq!(
        t.address,
        Address::Tcp {
            host: "127.0.0.1".into(),
            port: 6379,
            tls: false
        }
    );
    assert_eq!((t.db, t.username, t.password), (0, None, None));
    assert_eq!(t.shown, "redis://127.0.0.1:6379/0");

    let t = target("rediss://payments:p%40ss%2Fw0rd@cache.internal:6380/3");
    assert_eq!(
        t.address,
        Address::Tcp {
            host: "cache.internal".into(),
            port: 6380,
            tls: true
        }
    );
    assert_eq!(t.db, 3);
    assert_eq!(t.username.as_deref(), Some("payments"));
    assert_eq!(t.password.as_deref(), Some("p@ss/w0rd"));
    assert_eq!(t.shown, "rediss://cache.internal:6380/3");

    let t = target("redis://:only-a-password@[::1]:7000/");
    assert_eq!(
        t.address,
        Address::Tcp {
            host: "::1".into(),
            port: 7000,
            tls: false
        }
    );
    assert_eq!(
        (t.username, t.password.as_deref()),
        (None, Some("only-a-password"))
    );
    assert_eq!(t.shown, "redis://[::1]:7000/0");

    let t = target("redis+unix:///run/redis/redis.sock?db=2&user=u&pass=secret");
    assert_eq!(t.address, Address::Unix("/run/redis/redis.sock".into()));
    assert_eq!(t.db, 2);
    assert_eq!(t.username.as_deref(), Some("u"));
    assert_eq!(t.password.as_deref(), Some("secret"));
    assert_eq!(t.shown, "redis+unix:///run/redis/redis.sock?db=2");
    assert_eq!(
        target("unix:///tmp/r.sock").address,
        Address::Unix("/tmp/r.sock".into())
    );
}

#[test]
fn unusable_urls_are_refused_without_echoing_them() {
    for url in [
        "",
        "not a url",
        "http://user:SECRET@127.0.0.1",
        "redis://:SECRET@127.0.0.1/x",
        "redis://:SECRET@127.0.0.1/-1",
        "redis://:SECRET@127.0.0.1?timeout=1",
        "rediss://:SECRET@127.0.0.1#insecure",
        "redis://:SECRET@/0",
        "redis+unix:///tmp/r.sock?password=SECRET",
        "redis+unix://u:SECRET@/tmp/r.sock",
        "redis+unix:///tmp/r.sock?db=x&pass=SECRET",
    ] {
        let error = RedisTokenStore::new(url).unwrap_err();
        assert!(
            error.message.contains("invalid Redis URL"),
            "{url}: {error}"
        );
        assert!(!error.to_string().contains("SECRET"), "{url}: {error}");
    }
}

#[test]
fn the_builder_has_safe_defaults_and_its_setters_win_over_the_url() {
    let store = RedisTokenStore::new("redis://127.0.0.1").unwrap();
    let settings = &store.inner.settings;
    assert_eq!(settings.key_prefix, DEFAULT_KEY_PREFIX);
    assert_eq!(settings.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(settings.operation_timeout, DEFAULT_OPERATION_TIMEOUT);
    assert!(settings.tls.is_none());

    let store = RedisTokenStore::builder("rediss://url-user:url-pass@h:1/0")
        .username("set-user")
        .password("set-pass")
        .key_prefix("p:")
        .connect_timeout(Duration::from_millis(7))
        .operation_timeout(Duration::from_millis(9))
        .build()
        .unwrap();
    let settings = &store.inner.settings;
    assert_eq!(settings.target.username.as_deref(), Some("set-user"));
    assert_eq!(settings.target.password.as_deref(), Some("set-pass"));
    assert_eq!(settings.key_prefix, "p:");
    assert_eq!(settings.connect_timeout, Duration::from_millis(7));
    assert_eq!(settings.operation_timeout, Duration::from_millis(9));
    assert!(settings.tls.is_some());
}

#[test]
fn keys_are_prefix_app_id_and_role() {
    let store = RedisTokenStore::new("redis://127.0.0.1").unwrap();
    assert_eq!(store.token_key("app"), "chinaums:app:token");
    assert_eq!(store.lease_key("app"), "chinaums:app:lease");
    let store = RedisTokenStore::builder("redis://127.0.0.1")
        .key_prefix("")
        .build()
        .unwrap();
    assert_eq!(store.token_key("app"), "app:token");
}

#[test]
fn bad_settings_are_refused_when_built() {
    let refused = |builder: RedisTokenStoreBuilder, why: &str| {
        let error = builder.build().unwrap_err();
        assert!(error.message.contains(why), "{error}");
        assert!(!error.message.contains("SECRET"), "{error}");
    };
    let builder = || RedisTokenStore::builder("rediss://:SECRET@127.0.0.1");
    refused(
        builder().connect_timeout(Duration::ZERO),
        "must not be zero",
    );
    refused(
        builder().operation_timeout(Duration::ZERO),
        "must not be zero",
    );
    refused(
        builder().add_root_certificate_pem(b"no pem here"),
        "root certificate",
    );
    let not_a_cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".as_slice();
    refused(
        builder().add_root_certificate_pem(not_a_cert),
        "root certificate",
    );
    refused(
        RedisTokenStore::builder("redis://:SECRET@127.0.0.1").add_root_certificate_pem(b"x"),
        "not rediss://",
    );
}

#[test]
fn debug_never_shows_credentials() {
    let builder = RedisTokenStore::builder("redis://USER:URLPASS@127.0.0.1:6379/1")
        .password("SETPASS")
        .username("SETUSER");
    let shown = format!("{builder:?}");
    for secret in ["USER", "URLPASS", "SETPASS", "SETUSER"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let store = builder.build().unwrap();
    let shown = format!("{store:?}");
    for secret in ["USER", "URLPASS", "SETPASS", "SETUSER"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("redis://127.0.0.1:6379/1"), "{shown}");
    assert!(shown.contains("username and password"), "{shown}");
    assert!(format!("{:?}", RedisTokenStore::builder("::")).contains("<invalid>"));
}

#[test]
fn error_messages_mask_an_echoed_password() {
    let t = target("redis://:hunter22@127.0.0.1");
    assert_eq!(
        t.error("the server said hunter22"),
        "redis://127.0.0.1:6379/0: the server said ***"
    );
    // Where the store connects is never masked: it holds no secret.
    let t = target("redis+unix:///var/run/redis.sock?pass=s");
    assert_eq!(
        t.error("closed"),
        "redis+unix:///var/run/redis.sock?db=0: clo***ed"
    );
}

#[test]
fn replies_are_framed_before_they_are_parsed() {
    let complete: &[&[u8]] = &[
        b"+OK\r\n",
        b"-ERR no\r\n",
        b":42\r\n",
        b"$-1\r\n",
        b"$0\r\n\r\n",
        b"$5\r\nab\r\nc\r\n",
        b"*-1\r\n",
        b"*0\r\n",
        b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
    ];
    for frame in complete {
        assert_eq!(frame_len(frame), Ok(Some(frame.len())), "{frame:?}");
        // Every proper prefix needs more bytes.
        for cut in 0..frame.len() {
            assert_eq!(frame_len(&frame[..cut]), Ok(None), "{frame:?} cut at {cut}");
        }
        // Bytes after the frame are not part of it.
        let mut more = frame.to_vec();
        more.extend_from_slice(b"+NEXT\r\n");
        assert_eq!(frame_len(&more), Ok(Some(frame.len())));
    }
    for bad in [
        &b"?what\r\n"[..],
        b"\r\n",
        b"$x\r\n",
        b"$-2\r\n",
        b"$2\r\nabcd\r\n",
        b"*1x\r\n",
    ] {
        assert!(frame_len(bad).is_err(), "{bad:?}");
    }
    let huge = format!("${}\r\n", MAX_REPLY_BYTES + 1);
    assert!(frame_len(huge.as_bytes()).is_err());
}

#[test]
fn replies_mean_what_the_store_answers() {
    use redis::Value;
    let token = StoredToken {
        access_token: AccessToken::new("t1"),
        issued_at: UNIX_EPOCH + Duration::from_secs(1),
        expires_at: UNIX_EPOCH + Duration::from_secs(2),
    };
    assert_eq!(resp::loaded(Value::Nil), Ok(None));
    assert_eq!(
        resp::loaded(Value::BulkString(token.to_line().into_bytes())),
        Ok(Some(token))
    );
    assert_eq!(
        resp::loaded(Value::BulkString(b"garbage".to_vec())),
        Ok(None)
    );
    assert_eq!(resp::loaded(Value::BulkString(vec![0xff, 0xfe])), Ok(None));
    let refused = resp::parse(b"-WRONGTYPE Operation against a key\r\n").unwrap();
    assert!(resp::loaded(refused).unwrap_err().contains("WRONGTYPE"));
    assert_eq!(resp::leased(Value::Okay), Ok(true));
    assert_eq!(resp::leased(Value::Nil), Ok(false));
    assert!(resp::leased(Value::Int(1)).is_err());
    assert_eq!(resp::done("EVAL", Value::Int(0)), Ok(()));
    assert!(resp::done("EVAL", Value::Nil).is_err());
    assert_eq!(resp::ok("AUTH", resp::parse(b"+OK\r\n").unwrap()), Ok(()));
}

#[test]
fn commands_carry_the_line_the_expiry_and_a_positive_ttl() {
    let token = StoredToken {
        access_token: AccessToken::new("tok"),
        issued_at: UNIX_EPOCH + Duration::from_millis(1_000),
        expires_at: UNIX_EPOCH + Duration::from_millis(7_201_000),
    };
    let publish = resp::publish("k:token", "k:lease", &token, "me");
    let text = String::from_utf8(publish.bytes).unwrap();
    for part in [
        "EVAL",
        "k:token",
        "k:lease",
        "1000 7201000 tok",
        "$7\r\n7201000\r\n",
        "me",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    // PX 0 is an error in Redis: a zero ttl becomes 1 ms.
    let lease = String::from_utf8(resp::set_lease("k:lease", "me", 0).bytes).unwrap();
    assert!(
        lease.ends_with("$2\r\nNX\r\n$2\r\nPX\r\n$1\r\n1\r\n"),
        "{lease}"
    );
    // A token that expires at the epoch still gets a valid PEXPIREAT (1).
    let epoch = StoredToken {
        expires_at: UNIX_EPOCH,
        issued_at: UNIX_EPOCH,
        ..token
    };
    let text = String::from_utf8(resp::publish("a", "b", &epoch, "me").bytes).unwrap();
    assert!(
        text.contains("$1\r\n0\r\n$1\r\n1\r\n$2\r\nme\r\n"),
        "{text}"
    );
}

fn lease() -> Lease {
    Lease {
        owner: "me".into(),
        ttl: Duration::from_secs(10),
    }
}

fn a_token() -> StoredToken {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    StoredToken {
        access_token: AccessToken::new("t1"),
        issued_at: now,
        expires_at: now + Duration::from_secs(3600),
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_closed_port_is_a_store_error_for_every_operation() {
    let store = RedisTokenStore::builder(format!("redis://:SECRET@127.0.0.1:{}", closed_port()))
        .build()
        .unwrap();
    let errors = [
        TokenStore::load(&store, "app").unwrap_err(),
        TokenStore::try_lease(&store, "app", &lease()).unwrap_err(),
        TokenStore::publish(&store, "app", &a_token(), &lease()).unwrap_err(),
        TokenStore::release(&store, "app", &lease()).unwrap_err(),
        block_on(AsyncTokenStore::load(&store, "app")).unwrap_err(),
        block_on(AsyncTokenStore::try_lease(&store, "app", &lease())).unwrap_err(),
        block_on(AsyncTokenStore::publish(
            &store,
            "app",
            &a_token(),
            &lease(),
        ))
        .unwrap_err(),
        block_on(AsyncTokenStore::release(&store, "app", &lease())).unwrap_err(),
    ];
    for error in errors {
        assert!(error.message.contains("cannot connect"), "{error}");
        assert!(error.message.starts_with("redis://127.0.0.1:"), "{error}");
        assert!(!error.message.contains("SECRET"), "{error}");
    }
}

/// A server that accepts connections (the kernel's backlog does) and never answers.
fn silent_server() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn impatient(url: &str) -> RedisTokenStore {
    RedisTokenStore::builder(url)
        .connect_timeout(Duration::from_millis(200))
        .operation_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

#[test]
fn a_server_that_never_answers_is_a_timeout_blocking() {
    let (_listener, port) = silent_server();
    let store = impatient(&format!("redis://127.0.0.1:{port}"));
    let error = TokenStore::load(&store, "app").unwrap_err();
    assert!(error.message.contains("GET timed out"), "{error}");
    // With a password the connection's AUTH is what times out, within the connect timeout.
    let store = impatient(&format!("redis://:SECRET@127.0.0.1:{port}"));
    let error = TokenStore::try_lease(&store, "app", &lease()).unwrap_err();
    assert!(error.message.contains("AUTH timed out"), "{error}");
    assert!(!error.message.contains("SECRET"), "{error}");
}

#[test]
fn a_server_that_never_answers_is_a_timeout_async() {
    let (_listener, port) = silent_server();
    let store = impatient(&format!("redis://127.0.0.1:{port}"));
    let error = block_on(AsyncTokenStore::load(&store, "app")).unwrap_err();
    assert!(error.message.contains("GET timed out"), "{error}");
    let store = impatient(&format!("redis://:SECRET@127.0.0.1:{port}"));
    let error = block_on(AsyncTokenStore::release(&store, "app", &lease())).unwrap_err();
    assert!(error.message.contains("connecting timed out"), "{error}");
    assert!(!error.message.contains("SECRET"), "{error}");
}

#[test]
fn a_tls_server_that_never_answers_is_a_timeout() {
    let (_listener, port) = silent_server();
    let store = impatient(&format!("rediss://127.0.0.1:{port}"));
    let error = TokenStore::load(&store, "app").unwrap_err();
    assert!(error.message.contains("TLS handshake timed out"), "{error}");
    let error = block_on(AsyncTokenStore::load(&store, "app")).unwrap_err();
    assert!(error.message.contains("connecting timed out"), "{error}");
}

#[test]
fn stores_are_send_sync_clone_and_usable_as_trait_objects() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<RedisTokenStore>();
    let store = RedisTokenStore::new("redis://127.0.0.1").unwrap();
    let _: Arc<dyn TokenStore> = Arc::new(store.clone());
    let _: Arc<dyn AsyncTokenStore> = Arc::new(store);
}
