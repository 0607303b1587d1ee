//! `rediss://` against a redis-server with TLS (Debian's is built with it), its certificate
//! issued by a private CA made here: trusted only when the CA is added.

mod common;

use std::path::{Path, PathBuf};

use chinaums::{AsyncTokenStore, TokenStore};
use chinaums_redis::RedisTokenStore;
use common::{Options, RedisServer, lease, redis_server, token};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The server's certificate, key and CA files.
type Files = (PathBuf, PathBuf, PathBuf);

/// Writes a CA and a server certificate for `names` into `dir`: the files, and the CA's PEM.
fn certificates(dir: &Path, names: &[&str]) -> (Files, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, "chinaums-redis test CA");
    ca_params.distinguished_name = ca_name;
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().unwrap();
    let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let mut params = CertificateParams::new(names).unwrap();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "redis-server");
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &ca).unwrap();

    let paths = (
        dir.join("server.crt"),
        dir.join("server.key"),
        dir.join("ca.crt"),
    );
    std::fs::write(&paths.0, cert.pem()).unwrap();
    std::fs::write(&paths.1, key.serialize_pem()).unwrap();
    std::fs::write(&paths.2, ca_cert.pem()).unwrap();
    (paths, ca_cert.pem())
}

fn tls_server(
    names: &[&str],
    password: Option<&str>,
) -> Option<(RedisServer, String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let (paths, ca_pem) = certificates(dir.path(), names);
    let server = redis_server(Options {
        tls: Some(paths),
        password: password.map(str::to_owned),
        ..Options::default()
    })?;
    Some((server, ca_pem, dir))
}

#[test]
fn rediss_with_the_private_ca_works_blocking_and_async() {
    let Some((server, ca_pem, _dir)) =
        tls_server(&["127.0.0.1", "localhost"], Some("tls-secret-1"))
    else {
        return;
    };
    let tls_port = server.tls_port.unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let store = RedisTokenStore::builder(format!("rediss://:tls-secret-1@{host}:{tls_port}/0"))
            .add_root_certificate_pem(ca_pem.as_bytes())
            .build()
            .unwrap();
        let app = format!("app-{host}");
        assert!(TokenStore::try_lease(&store, &app, &lease("a")).unwrap());
        let stored = token("t1", 3600);
        TokenStore::publish(&store, &app, &stored, &lease("a")).unwrap();
        assert_eq!(
            TokenStore::load(&store, &app).unwrap(),
            Some(stored.clone())
        );

        // The lease went with the publication.
        smol::block_on(async {
            assert!(
                AsyncTokenStore::try_lease(&store, &app, &lease("b"))
                    .await
                    .unwrap()
            );
            assert_eq!(
                AsyncTokenStore::load(&store, &app).await.unwrap(),
                Some(stored.clone())
            );
        });
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                AsyncTokenStore::release(&store, &app, &lease("b"))
                    .await
                    .unwrap();
                assert_eq!(
                    AsyncTokenStore::load(&store, &app).await.unwrap(),
                    Some(stored.clone())
                );
            });
        // It went through TLS: the plain port holds the same data.
        assert_eq!(
            server.get(&format!("chinaums:{app}:token")),
            Some(stored.to_line())
        );
        assert_eq!(server.get(&format!("chinaums:{app}:lease")), None);
    }
}

#[test]
fn an_unknown_ca_is_refused() {
    let Some((server, _ca_pem, _dir)) = tls_server(&["127.0.0.1"], None) else {
        return;
    };
    let store =
        RedisTokenStore::new(format!("rediss://127.0.0.1:{}", server.tls_port.unwrap())).unwrap();
    let error = TokenStore::load(&store, "app").unwrap_err();
    assert!(error.message.contains("TLS handshake failed"), "{error}");
    assert!(error.message.contains("UnknownIssuer"), "{error}");
    let error = smol::block_on(AsyncTokenStore::load(&store, "app")).unwrap_err();
    assert!(error.message.contains("TLS handshake failed"), "{error}");
    assert!(error.message.contains("UnknownIssuer"), "{error}");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let Some((server, ca_pem, _dir)) = tls_server(&["redis.example"], None) else {
        return;
    };
    let store =
        RedisTokenStore::builder(format!("rediss://127.0.0.1:{}", server.tls_port.unwrap()))
            .add_root_certificate_pem(ca_pem.as_bytes())
            .build()
            .unwrap();
    let error = TokenStore::load(&store, "app").unwrap_err();
    assert!(error.message.contains("not valid for name"), "{error}");
    let error = smol::block_on(AsyncTokenStore::load(&store, "app")).unwrap_err();
    assert!(error.message.contains("not valid for name"), "{error}");
}

#[test]
fn a_plain_port_is_not_taken_for_tls() {
    let Some((server, ca_pem, _dir)) = tls_server(&["127.0.0.1"], None) else {
        return;
    };
    let store = RedisTokenStore::builder(format!("rediss://127.0.0.1:{}", server.port))
        .add_root_certificate_pem(ca_pem.as_bytes())
        .build()
        .unwrap();
    let error = TokenStore::load(&store, "app").unwrap_err();
    assert!(error.message.contains("TLS handshake"), "{error}");
    let error = smol::block_on(AsyncTokenStore::load(&store, "app")).unwrap_err();
    assert!(
        error.message.contains("TLS handshake") || error.message.contains("connecting"),
        "{error}"
    );
}
