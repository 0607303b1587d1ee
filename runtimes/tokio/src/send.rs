//! The one thing this crate does: send a signed request and bring back the response bytes, or
//! a [`TransportError`] that says honestly whether the request may have reached the server.

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use chinaums::TransportConfig;
// The core walks and joins error source chains for every adapter.
use chinaums::http;
use chinaums::{Delivery, TransportError, TransportErrorKind};
use chinaums::{error_chain as chain, find_source as find};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;

/// The pooled HTTP(S) client and the limits of one exchange. Cloning shares the pool.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(crate) config: TransportConfig,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// One HTTP exchange (connect if needed, send, read the whole body) within `timeout`.
    ///
    /// Redirects are not followed: a 3xx is a response like any other, for the core to judge.
    pub(crate) async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = self.config.timeout();
        match tokio::time::timeout(timeout, self.exchange(request)).await {
            Ok(outcome) => outcome,
            // The deadline may have struck after the request was written: the server may have
            // acted on it. (A deadline that strikes while still connecting is reported the same
            // way: the pooled client does not say how far a request got.)
            Err(_elapsed) => Err(TransportError::new(
                Delivery::MaybeSent,
                TransportErrorKind::Timeout,
                format!("no complete response within {timeout:?}"),
            )),
        }
    }

    async fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let request = request.map(|body| Full::new(Bytes::from(body)));
        let response = self.http.request(request).await.map_err(request_error)?;
        let (parts, body) = response.into_parts();
        self.config.check_declared_length(&parts.headers)?;
        let body = Limited::new(body, self.config.max_response_bytes())
            .collect()
            .await
            .map_err(|e| body_error(&*e, &self.config))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, Vec::from(body)))
    }
}

/// Maps a failure before the response head arrived.
fn request_error(error: hyper_util::client::legacy::Error) -> TransportError {
    let message = chain(&error);
    if error.is_connect() {
        // The connector (DNS, TCP, TLS handshake) failed: no request byte was written.
        let kind = if find::<rustls::Error>(&error).is_some() {
            TransportErrorKind::Tls
        } else {
            TransportErrorKind::Connect
        };
        return TransportError::new(Delivery::NotSent, kind, message);
    }
    let kind = find::<hyper::Error>(&error).map_or(TransportErrorKind::Other, hyper_kind);
    TransportError::new(Delivery::MaybeSent, kind, message)
}

/// Maps a failure while the response body was being read.
fn body_error(error: &(dyn StdError + 'static), config: &TransportConfig) -> TransportError {
    if find::<LengthLimitError>(error).is_some() {
        return config.body_too_large();
    }
    let kind = find::<hyper::Error>(error).map_or(TransportErrorKind::Io, hyper_kind);
    TransportError::new(
        Delivery::MaybeSent,
        kind,
        format!("reading the response body: {}", chain(error)),
    )
}

fn hyper_kind(error: &hyper::Error) -> TransportErrorKind {
    if error.is_parse() || error.is_parse_status() {
        TransportErrorKind::Protocol
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_incomplete_message()
        || error.is_closed()
        || error.is_canceled()
        || error.is_body_write_aborted()
        || find::<std::io::Error>(error).is_some()
    {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Box<dyn StdError + Send + Sync>);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn find_looks_inside_io_errors() {
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("bad certificate".into()),
        );
        let outer = Outer(Box::new(tls));
        assert!(matches!(
            find::<rustls::Error>(&outer),
            Some(rustls::Error::General(m)) if m == "bad certificate"
        ));
        assert!(find::<LengthLimitError>(&outer).is_none());
        assert_eq!(chain(&outer), "outer: unexpected error: bad certificate");
    }

    #[tokio::test]
    async fn body_errors_are_mapped() {
        let over = Limited::new(Full::new(Bytes::from_static(b"0123456789x")), 10)
            .collect()
            .await
            .unwrap_err();
        let config = TransportConfig::new().with_max_response_bytes(10);
        let e = body_error(&*over, &config);
        assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
        assert_eq!(e.delivery, Delivery::MaybeSent);
        assert!(e.message.contains("10-byte cap"), "{}", e.message);
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = body_error(&reset, &config);
        assert_eq!(e.kind, TransportErrorKind::Io);
        assert_eq!(e.delivery, Delivery::MaybeSent);
    }
}
