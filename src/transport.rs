//! The transport policy every runtime adapter applies: one total timeout per exchange, a cap on
//! response bodies, and extra trusted root certificates.
//!
//! The core moves no bytes, so it only holds and checks these settings; each adapter
//! (`chinaums-tokio`, `chinaums-ureq`, `chinaums-async-std`) applies them with its own HTTP and
//! TLS stack. One [`TransportConfig`] can configure every adapter the same way through its
//! `ClientBuilder::transport`.
//!
//! ```
//! use std::time::Duration;
//! use chinaums::{TransportConfig, DEFAULT_MAX_RESPONSE_BYTES};
//!
//! let config = TransportConfig::new().with_timeout(Duration::from_secs(5));
//! assert_eq!(config.timeout(), Duration::from_secs(5));
//! assert_eq!(config.max_response_bytes(), DEFAULT_MAX_RESPONSE_BYTES);
//! config.validate()?;
//!
//! // A zero timeout is refused when the adapter builds its client.
//! assert!(TransportConfig::new().with_timeout(Duration::ZERO).validate().is_err());
//! # Ok::<(), chinaums::Error>(())
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::Error;
use crate::error::{ConfigErrorKind, Delivery, TransportError, TransportErrorKind};

/// The default total time allowed for one HTTP exchange (connect, TLS, send, read the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest total timeout accepted (1 hour). Far above any sane payment call, and far below
/// what makes a deadline overflow a runtime's clock arithmetic (`Duration::MAX` would).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The default cap on a response body, in bytes (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The PEM label of an X.509 certificate.
const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// Adapter-neutral transport settings: the total timeout of one exchange, the largest response
/// body accepted, and root certificates to trust besides the adapter's built-in (Mozilla) roots.
///
/// Setters consume and return the value, like the adapters' builders. Nothing is checked until
/// [`TransportConfig::validate`] (which adapters call when they build a client), except that
/// [`TransportConfig::add_root_certificate_pem`] refuses input it cannot read. Whether a
/// certificate can serve as a trust anchor is for the adapter's TLS stack to decide, also when
/// it builds its client.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportConfig {
    timeout: Duration,
    max_response_bytes: usize,
    /// DER-encoded certificates, in the order they were added.
    extra_roots: Vec<Vec<u8>>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_roots: Vec::new(),
        }
    }
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A count, not kilobytes of certificate bytes.
        f.debug_struct("TransportConfig")
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

impl TransportConfig {
    /// The defaults: [`DEFAULT_TIMEOUT`], [`DEFAULT_MAX_RESPONSE_BYTES`], no extra roots.
    pub fn new() -> Self {
        TransportConfig::default()
    }

    /// Sets the total time allowed for one HTTP exchange, from connecting to the end of the
    /// body; a call waiting for another call's token fetch waits at most as long. Must be
    /// more than zero and at most [`MAX_TIMEOUT`].
    pub fn with_timeout(mut self, total: Duration) -> Self {
        self.timeout = total;
        self
    }

    /// Sets the largest response body accepted, in bytes. Must not be zero.
    pub fn with_max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Adds every `CERTIFICATE` block in `pem` to the extra trusted roots (a sandbox's
    /// self-signed certificate, a corporate TLS proxy's CA). Blocks with other labels (a
    /// private key, say) are skipped.
    ///
    /// Fails with [`Error::Config`] if `pem` holds no `CERTIFICATE` block, or a block that cannot
    /// be read (bad base64, mismatched `BEGIN`/`END` labels, a `BEGIN` line without its `END`);
    /// then nothing is added.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let unreadable = |why: &dyn fmt::Display| {
            Error::config(
                ConfigErrorKind::Certificate,
                format!("unreadable root certificate PEM: {why}"),
            )
        };
        let blocks = pem::parse_many(pem).map_err(|e| unreadable(&e))?;
        // `parse_many` silently stops at a block that never ends: count the openings instead.
        let openings = pem.windows(11).filter(|w| w == b"-----BEGIN ").count();
        if openings > blocks.len() {
            return Err(unreadable(
                &"a `-----BEGIN` line has no matching `-----END` line",
            ));
        }
        let found: Vec<Vec<u8>> = blocks
            .into_iter()
            .filter(|block| block.tag() == CERTIFICATE_LABEL)
            .map(pem::Pem::into_contents)
            .collect();
        if found.is_empty() {
            return Err(Error::config(
                ConfigErrorKind::Certificate,
                "no `CERTIFICATE` block found in the root certificate PEM",
            ));
        }
        self.extra_roots.extend(found);
        Ok(self)
    }

    /// The total time allowed for one HTTP exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest response body accepted, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The extra trusted roots, DER-encoded, in the order they were added.
    pub fn extra_roots(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.extra_roots.iter().map(Vec::as_slice)
    }

    /// Refuses, before its body is read, a response whose `Content-Length` declares more than
    /// [`max_response_bytes`](Self::max_response_bytes): the error every adapter reports.
    ///
    /// ```
    /// use chinaums::{http, TransportConfig, TransportErrorKind};
    ///
    /// let config = TransportConfig::new().with_max_response_bytes(10);
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(http::header::CONTENT_LENGTH, "11".parse().unwrap());
    /// assert_eq!(config.check_declared_length(&headers).unwrap_err().kind, TransportErrorKind::BodyTooLarge);
    /// headers.insert(http::header::CONTENT_LENGTH, "10".parse().unwrap());
    /// assert!(config.check_declared_length(&headers).is_ok());
    /// ```
    pub fn check_declared_length(&self, headers: &http::HeaderMap) -> Result<(), TransportError> {
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(n) if n > self.max_response_bytes as u64 => {
                Err(body_too_large(self.max_response_bytes, Some(n)))
            }
            _ => Ok(()),
        }
    }

    /// The error for a response body that exceeded the cap while it was read.
    pub fn body_too_large(&self) -> TransportError {
        body_too_large(self.max_response_bytes, None)
    }

    /// Checks the settings: a zero `timeout`, a `timeout` above [`MAX_TIMEOUT`] or a zero
    /// `max_response_bytes` is an [`Error::Config`] naming the setting. Adapters call this
    /// when they build a client.
    pub fn validate(&self) -> Result<(), Error> {
        if self.timeout.is_zero() {
            return Err(Error::config(
                ConfigErrorKind::Timeout,
                "the `timeout` must not be zero: it is the total time one exchange may take",
            ));
        }
        if self.timeout > MAX_TIMEOUT {
            return Err(Error::config(
                ConfigErrorKind::Timeout,
                format!(
                    "the `timeout` of {:?} is longer than the maximum of {:?}",
                    self.timeout, MAX_TIMEOUT
                ),
            ));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config(
                ConfigErrorKind::ResponseCap,
                "the `max_response_bytes` cap must not be zero: no response would fit",
            ));
        }
        Ok(())
    }
}

/// A response arrived, so the request certainly reached the server: `MaybeSent`.
fn body_too_large(limit: usize, declared: Option<u64>) -> TransportError {
    let message = match declared {
        Some(n) => {
            format!("response body of {n} bytes (Content-Length) exceeds the {limit}-byte cap")
        }
        None => format!("response body exceeds the {limit}-byte cap"),
    };
    TransportError::new(
        Delivery::MaybeSent,
        TransportErrorKind::BodyTooLarge,
        message,
    )
}

/// The first error of type `T` in `error`'s source chain, looking inside `io::Error`s too
/// (their `source()` skips the error they wrap, e.g. the TLS error of a failed handshake).
/// For adapters that classify their HTTP stack's errors into a [`TransportError`].
///
/// ```
/// use std::io;
/// use chinaums::find_source;
///
/// let wrapped = io::Error::new(io::ErrorKind::InvalidData, std::fmt::Error);
/// assert!(find_source::<std::fmt::Error>(&wrapped).is_some());
/// assert!(find_source::<std::str::Utf8Error>(&wrapped).is_none());
/// ```
pub fn find_source<'a, T: StdError + 'static>(
    mut error: &'a (dyn StdError + 'static),
) -> Option<&'a T> {
    loop {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(found) = find_source::<T>(inner) {
                return Some(found);
            }
        }
        error = error.source()?;
    }
}

/// `error` and its sources, joined with `: ` (a text already contained in an earlier one is
/// skipped): the message of a [`TransportError`]. An HTTP stack's errors carry no request
/// data, so this never contains a secret.
///
/// ```
/// use std::io;
/// use chinaums::error_chain;
///
/// let error = io::Error::new(io::ErrorKind::Other, "connection reset");
/// assert_eq!(error_chain(&error), "connection reset");
/// ```
pub fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use sha2::{Digest as _, Sha256};

    use super::*;

    /// A self-signed EC P-256 certificate (CN "chinaums core test leaf"), 438 bytes of DER.
    const CERT_A: &str = "-----BEGIN CERTIFICATE-----
MIIBsjCCAVegAwIBAgIUNQEAxjNsghRKtSr/rDTqfyCzxy8wCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXY2hpbmF1bXMgY29yZSB0ZXN0IGxlYWYwIBcNMjYxMTI5MTQ1
MTQ3WhgPMjEyNjExMDUxNDUxNDdaMCIxIDAeBgNVBAMMF2NoaW5hdW1zIGNvcmUg
dGVzdCBsZWFmMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECdQk5cPtZqfeR5PN
HTHefGRJ9hKKmiQnbjbzhJxgTw1Y2XF6uyhkYs+N+IINZDhRmj8H5eyvMgqSmfbA
P/PaPKNpMGcwHQYDVR0OBBYEFHhH+z8uGfXQZkavsXKn1GS6CSuuMB8GA1UdIwQY
MBaAFHhH+z8uGfXQZkavsXKn1GS6CSuuMA8GA1UdEwEB/wQFMAMBAf8wFAYDVR0R
BA0wC4IJbG9jYWxob3N0MAoGCCqGSM49BAMCA0kAMEYCIQDwMmH+qRGI/U2Zatil
php5Fc5NOfRkP5NxY2oPpMCyEwIhAIdtpihy9vPyB0WswC+ctrJUHwL/jnDC9qGb
ZuMRG1Jc
-----END CERTIFICATE-----
";

    /// A self-signed EC P-256 CA certificate (CN "chinaums core test CA"), 410 bytes of DER.
    const CERT_B: &str = "-----BEGIN CERTIFICATE-----
MIIBljCCAT2gAwIBAgIUC+fv+j7gjXX4DewpREscUEGKhPwwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVY2hpbmF1bXMgY29yZSB0ZXN0IENBMCAXDTI2MTEyOTE0NDcz
MloYDzIxMjYxMTA1MTQ0NzMyWjAgMR4wHAYDVQQDDBVjaGluYXVtcyBjb3JlIHRl
c3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT5nnngxPxR2bHnlIRWLsS2
Fr2rZRxjZVQsUC8VQM9rjrWQ1JheC4rE1/A7yiuO8g/StFre16zRSCZtakEgqth2
o1MwUTAdBgNVHQ4EFgQUxbFlBN7nzivXFUKv+zNFF2ccujQwHwYDVR0jBBgwFoAU
xbFlBN7nzivXFUKv+zNFF2ccujQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNHADBEAiAlqPGtQKNaiFcItGCv6n4sujjuliLGpAanahv+6cO1EQIgNWIRLKTf
x2NhIZpR5vGnbqAxOutNyzWBJGLX9qRICKs=
-----END CERTIFICATE-----
";

    /// SHA-256 of each certificate's DER, from `openssl x509 -outform der | sha256sum`.
    const SHA256_A: &str = "5df9e9ff7e022a86ef919c15a8c19bdf6f10bfd448de6b80226c5b1ee6b503b0";
    const SHA256_B: &str = "7a933ef496ac8fc96b02ea2ec39b1e01add70dda290cafa97a99870ccac7718e";

    fn sha256_hex(der: &[u8]) -> String {
        Sha256::digest(der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The message of the `Error::Config` that `result` must be.
    fn config_message<T: fmt::Debug>(result: Result<T, Error>) -> String {
        match result {
            Err(Error::Config(e)) => e.message,
            other => panic!("expected Error::Config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_30_seconds_and_1_mib_and_valid() {
        assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(30));
        assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 1_048_576);
        let config = TransportConfig::new();
        assert_eq!(config.timeout(), DEFAULT_TIMEOUT);
        assert_eq!(config.max_response_bytes(), DEFAULT_MAX_RESPONSE_BYTES);
        assert_eq!(config.extra_roots().len(), 0);
        assert!(config.validate().is_ok());
        assert_eq!(config, TransportConfig::default());
    }

    #[test]
    fn setters_change_only_their_setting() {
        let config = TransportConfig::new()
            .with_timeout(Duration::from_millis(250))
            .with_max_response_bytes(4096);
        assert_eq!(config.timeout(), Duration::from_millis(250));
        assert_eq!(config.max_response_bytes(), 4096);
        assert_eq!(config.extra_roots().len(), 0);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn a_pem_with_two_certificates_gives_their_two_ders() {
        // Text around the blocks and a non-certificate block are tolerated; the key is skipped.
        let pem = format!(
            "Bag Attributes: first\n{CERT_A}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\nsecond:\n{CERT_B}"
        );
        let config = TransportConfig::new()
            .add_root_certificate_pem(pem.as_bytes())
            .unwrap();
        let ders: Vec<&[u8]> = config.extra_roots().collect();
        assert_eq!(ders.len(), 2);
        assert_eq!((ders[0].len(), ders[1].len()), (438, 410));
        assert_eq!(sha256_hex(ders[0]), SHA256_A);
        assert_eq!(sha256_hex(ders[1]), SHA256_B);
    }

    #[test]
    fn adding_again_appends_in_order() {
        let config = TransportConfig::new()
            .add_root_certificate_pem(CERT_B.as_bytes())
            .unwrap()
            .add_root_certificate_pem(format!("{CERT_A}{CERT_A}").as_bytes())
            .unwrap();
        let digests: Vec<String> = config.extra_roots().map(sha256_hex).collect();
        assert_eq!(digests, [SHA256_B, SHA256_A, SHA256_A]);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn bad_pem_is_refused_with_the_reason() {
        const NONE: &str = "no `CERTIFICATE` block";
        const UNREADABLE: &str = "unreadable root certificate PEM";
        let key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let bad_base64 = CERT_A.replace("MIIB", "M!IB");
        let mismatched = CERT_A.replace("END CERTIFICATE", "END PRIVATE KEY");
        // A good block followed by one that never ends: not silently half-accepted.
        let good_then_cut = format!("{CERT_A}{}", &CERT_B[..150]);
        let cases = [
            ("", NONE),
            ("hello, not a pem", NONE),
            (key_only, NONE),
            (&bad_base64, UNREADABLE),
            (&mismatched, UNREADABLE),
            (&CERT_A[..200], UNREADABLE),
            (&good_then_cut, UNREADABLE),
        ];
        for (input, reason) in cases {
            let added = TransportConfig::new().add_root_certificate_pem(input.as_bytes());
            let message = config_message(added);
            assert!(message.contains(reason), "{input:?}: {message}");
        }
    }

    #[test]
    fn zero_settings_are_refused_by_name() {
        let zero_timeout = TransportConfig::new().with_timeout(Duration::ZERO);
        let message = config_message(zero_timeout.validate());
        assert!(message.contains("`timeout`"), "{message}");
        let zero_cap = TransportConfig::new().with_max_response_bytes(0);
        let message = config_message(zero_cap.validate());
        assert!(message.contains("`max_response_bytes`"), "{message}");
        // Timeouts no runtime could honour are refused with the maximum named.
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            MAX_TIMEOUT + Duration::from_nanos(1),
        ] {
            let message = config_message(TransportConfig::new().with_timeout(huge).validate());
            assert!(
                message.contains("`timeout`") && message.contains("maximum of 3600s"),
                "{message}"
            );
        }
        assert!(
            TransportConfig::new()
                .with_timeout(MAX_TIMEOUT)
                .validate()
                .is_ok()
        );
        // The smallest non-zero values are fine.
        let smallest = TransportConfig::new()
            .with_timeout(Duration::from_nanos(1))
            .with_max_response_bytes(1);
        assert!(smallest.validate().is_ok());
    }

    #[test]
    fn only_a_plain_declared_length_over_the_cap_is_refused() {
        let config = TransportConfig::new().with_max_response_bytes(1000);
        let mut headers = http::HeaderMap::new();
        assert!(config.check_declared_length(&headers).is_ok());
        for (value, refused) in [
            ("1000", false),
            ("1001", true),
            (" 1234 ", true),
            ("-1", false),
            ("x", false),
        ] {
            headers.insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from_static(value),
            );
            let result = config.check_declared_length(&headers);
            assert_eq!(result.is_err(), refused, "{value:?}");
            if let Err(e) = result {
                assert_eq!(
                    (e.kind, e.delivery),
                    (TransportErrorKind::BodyTooLarge, Delivery::MaybeSent)
                );
                assert!(e.message.contains("1000-byte cap"), "{}", e.message);
            }
        }
        assert!(config.body_too_large().message.contains("1000-byte cap"));
    }

    #[test]
    fn debug_counts_the_roots_instead_of_showing_them() {
        let config = TransportConfig::new()
            .add_root_certificate_pem(format!("{CERT_A}{CERT_B}").as_bytes())
            .unwrap();
        let shown = format!("{config:?}");
        assert_eq!(
            shown,
            "TransportConfig { timeout: 30s, max_response_bytes: 1048576, extra_roots: 2 }"
        );
    }
}
