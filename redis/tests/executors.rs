//! The async store against a real redis-server, under tokio (current-thread), smol and
//! async-std: one store, no runtime of its own, the same answers everywhere.

mod common;

use std::time::Duration;

use chinaums::{AsyncTokenStore, Lease};
use chinaums_redis::RedisTokenStore;
use common::{Options, RedisServer, eventually, lease, redis_server, token};

/// The store's semantics through `AsyncTokenStore`, for `app`.
async fn scenario(store: &RedisTokenStore, server: &RedisServer, app: &str) {
    let key = |role: &str| format!("chinaums:{app}:{role}");
    assert_eq!(store.load(app).await.unwrap(), None);
    assert!(store.try_lease(app, &lease("a")).await.unwrap());
    assert!(!store.try_lease(app, &lease("b")).await.unwrap());
    store.release(app, &lease("b")).await.unwrap();
    assert_eq!(server.get(&key("lease")).as_deref(), Some("a"));
    let newer = token("newer", 7200);
    store.publish(app, &newer, &lease("a")).await.unwrap();
    assert_eq!(server.get(&key("lease")), None);
    assert_eq!(store.load(app).await.unwrap(), Some(newer.clone()));
    store
        .publish(app, &token("older", 3600), &lease("c"))
        .await
        .unwrap();
    assert_eq!(store.load(app).await.unwrap(), Some(newer));
    assert!(store.try_lease(app, &lease("d")).await.unwrap());
    store.release(app, &lease("d")).await.unwrap();
    assert_eq!(server.get(&key("lease")), None);
    // Many operations in flight at once on one thread: each on its own connection.
    let leases = futures_lite::future::zip(
        futures_lite::future::zip(
            store.try_lease(app, &lease("e")),
            store.try_lease(app, &lease("f")),
        ),
        store.try_lease(app, &lease("g")),
    )
    .await;
    let ((e, f), g) = leases;
    let won = [e.unwrap(), f.unwrap(), g.unwrap()];
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
}

#[test]
fn the_async_store_works_under_tokio_current_thread() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenario(&store, &server, "tokio"));
}

#[tokio::test]
async fn the_async_store_works_under_tokio_test() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    scenario(&store, &server, "tokio-test").await;
}

#[test]
fn the_async_store_works_under_smol() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    smol::block_on(scenario(&store, &server, "smol"));
}

#[test]
fn the_async_store_works_under_async_std() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    async_std::task::block_on(scenario(&store, &server, "async-std"));
}

#[test]
fn one_store_serves_several_executors_in_turn() {
    let Some(server) = redis_server(Options::default()) else {
        return;
    };
    // Connections made under one executor are reused under the next: they belong to none.
    let store = RedisTokenStore::new(server.url()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(store.try_lease("app", &lease("a"))).unwrap());
    drop(rt);
    assert!(!smol::block_on(store.try_lease("app", &lease("b"))).unwrap());
    async_std::task::block_on(store.release("app", &lease("a"))).unwrap();
    assert!(chinaums::TokenStore::try_lease(&store, "app", &lease("c")).unwrap());
}

#[test]
fn the_async_store_survives_a_restart() {
    let Some(mut server) = redis_server(Options::default()) else {
        return;
    };
    let store = RedisTokenStore::new(server.url()).unwrap();
    smol::block_on(async {
        assert!(store.try_lease("app", &lease("a")).await.unwrap());
    });
    server.stop();
    smol::block_on(async {
        let error = store.load("app").await.unwrap_err();
        assert!(error.message.contains("127.0.0.1"), "{error}");
        assert!(store.try_lease("app", &lease("b")).await.is_err());
    });
    server.restart();
    smol::block_on(async {
        assert!(store.try_lease("app", &lease("b")).await.unwrap());
    });
}

#[test]
fn the_async_store_authenticates_and_hides_a_wrong_password() {
    let Some(server) = redis_server(Options {
        password: Some("async-secret-1".into()),
        ..Options::default()
    }) else {
        return;
    };
    let good = RedisTokenStore::builder(server.url())
        .password("async-secret-1")
        .build()
        .unwrap();
    let bad = RedisTokenStore::builder(server.url())
        .password("wrong-async-2")
        .build()
        .unwrap();
    smol::block_on(async {
        assert!(good.try_lease("app", &lease("a")).await.unwrap());
        let error = bad.load("app").await.unwrap_err().to_string();
        assert!(error.contains("AUTH refused"), "{error}");
        assert!(!error.contains("wrong-async-2"), "{error}");
    });
}

#[test]
fn the_async_store_works_over_a_unix_socket_and_leases_lapse() {
    let Some(server) = redis_server(Options {
        unix_socket: true,
        ..Options::default()
    }) else {
        return;
    };
    let url = format!("redis+unix://{}", server.socket_path().display());
    let store = RedisTokenStore::new(&url).unwrap();
    async_std::task::block_on(async {
        let short = Lease {
            owner: "short".into(),
            ttl: Duration::from_millis(30),
        };
        assert!(store.try_lease("app", &short).await.unwrap());
    });
    eventually("the lease lapses", || {
        async_std::task::block_on(store.try_lease("app", &lease("next"))).unwrap()
    });
    assert_eq!(server.get("chinaums:app:lease").as_deref(), Some("next"));
}
