//! The one thing this crate does: send a signed request and bring back the response bytes, or
//! a [`TransportError`] that says honestly whether the request may have reached the server.
//!
//! An exchange runs entirely inside the caller's future: it takes a pooled connection (or opens
//! one), and polls hyper's connection driver alongside the request and then the response body,
//! all under one deadline ([`async_io::Timer`]). Nothing is spawned, so no executor is needed,
//! and no thread is taken: a call in flight is a future waiting on a socket or the timer.
//!
//! Delivery is read from what happened, not guessed: a failure while connecting (TCP, TLS) or
//! before hyper handed the stream a single request byte is [`Delivery::NotSent`]; after that it
//! is [`Delivery::MaybeSent`]. A pooled connection that turns out to be closed before the
//! request was written to it is replaced by a new one, once.

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_io::Timer;
use bytes::Bytes;
use chinaums::TransportConfig;
// The core walks and joins error source chains for every adapter; `connect` uses them too.
use chinaums::http::{self, HeaderValue, Uri, header, uri};
use chinaums::{Delivery, TransportError, TransportErrorKind};
pub(crate) use chinaums::{error_chain as chain, find_source as find};
use futures_rustls::TlsConnector;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::client::conn::http1;

use crate::connect::{Body, Conn, Io, Target, connect};
use crate::pool::Pool;

/// The connection pool, the TLS settings and the limits of one exchange. Cloning shares the
/// pool.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) tls: TlsConnector,
    pub(crate) pool: Arc<Pool>,
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
    /// One HTTP exchange (connect if needed, send, read the whole body) within the configured
    /// timeout.
    ///
    /// Redirects are not followed: a 3xx is a response like any other, for the core to judge.
    pub(crate) async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let mut deadline = Timer::after(self.config.timeout());
        // Boxed: the exchange's state (a connection, the request, hyper's futures) is 4.5 KiB,
        // and inline it would make every enclosing future (the core's call loop, `execute`'s)
        // that much bigger, copied whole each time one of them is moved, and held by each of
        // the calls in flight (`execute`'s future: 10.5 KiB before, 3.8 KiB with this and the
        // boxed connect below).
        Box::pin(self.exchange(request, &mut deadline)).await
    }

    async fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
        deadline: &mut Timer,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = self.config.timeout();
        let target = Target::of(request.uri())?;
        let mut request = outgoing(request, &target)?;
        let mut may_reuse = true;
        loop {
            let pooled = match may_reuse {
                true => self.pool.checkout(&target).await,
                false => None,
            };
            let reused = pooled.is_some();
            let mut conn = match pooled {
                Some(conn) => conn,
                // Boxed: opening a connection (name lookup, TCP, TLS handshake) is a large
                // future that most exchanges, on a pooled connection, never run; inline, its
                // kilobytes would be part of every call's future and copied with it.
                None => within(deadline, Box::pin(connect(&target, &self.tls)))
                    .await
                    .ok_or_else(|| timed_out(timeout, false))??,
            };
            conn.written.store(false, Ordering::SeqCst);
            let Conn {
                sender,
                driver,
                written,
            } = &mut conn;
            if !reused {
                // A new connection's sender is ready once its driver has run.
                within(deadline, drive(driver, poll_fn(|cx| sender.poll_ready(cx))))
                    .await
                    .ok_or_else(|| timed_out(timeout, false))?
                    .map_err(|e| request_error(&e, false))?;
            }
            let sent = within(deadline, drive(driver, sender.try_send_request(request))).await;
            let response = match sent {
                None => return Err(timed_out(timeout, written.load(Ordering::SeqCst))),
                Some(Ok(response)) => response,
                Some(Err(mut e)) => {
                    let was_written = written.load(Ordering::SeqCst);
                    match e.take_message() {
                        // A pooled connection the server had closed, found out before a byte
                        // of the request was written to it: try once more on a new one.
                        Some(unsent) if reused && !was_written => {
                            request = unsent;
                            may_reuse = false;
                            continue;
                        }
                        _ => return Err(request_error(e.error(), was_written)),
                    }
                }
            };
            let (parts, body) = response.into_parts();
            self.config.check_declared_length(&parts.headers)?;
            let limited = Limited::new(body, self.config.max_response_bytes());
            let body = within(deadline, drive(driver, limited.collect()))
                .await
                .ok_or_else(|| timed_out(timeout, true))?
                .map_err(|e| body_error(&*e, &self.config))?
                .to_bytes();
            if conn.reusable() {
                self.pool.checkin(target, conn);
            }
            return Ok(http::Response::from_parts(parts, Vec::from(body)));
        }
    }
}

/// `work`, unless the deadline strikes first (`None`).
async fn within<F: Future>(deadline: &mut Timer, work: F) -> Option<F::Output> {
    futures_lite::future::or(async { Some(work.await) }, async {
        deadline.await;
        None
    })
    .await
}

/// Polls `work` to its end while driving the connection it depends on. When the connection has
/// ended (closed by the server, or failed), its driver is dropped and `work` is still polled:
/// hyper then resolves it with the connection's fate.
async fn drive<F: Future>(driver: &mut Option<http1::Connection<Io, Body>>, work: F) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Some(running) = driver.as_mut() {
            if Pin::new(running).poll(cx).is_ready() {
                *driver = None;
            }
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// The request as sent on an HTTP/1.1 connection: the target in origin form (`/path?query`),
/// the authority in a `Host` header (added unless the core set one).
fn outgoing(
    request: http::Request<Vec<u8>>,
    target: &Target,
) -> Result<http::Request<Body>, TransportError> {
    let (mut parts, body) = request.into_parts();
    if !parts.headers.contains_key(header::HOST) {
        let host = parts.uri.host().unwrap_or(&target.host);
        let default_port = if target.tls { 443 } else { 80 };
        let value = match parts.uri.port_u16() {
            Some(port) if port != default_port => format!("{host}:{port}"),
            _ => host.to_owned(),
        };
        let value = HeaderValue::from_str(&value).map_err(|e| {
            TransportError::new(
                Delivery::NotSent,
                TransportErrorKind::Other,
                format!("{value:?} cannot be a Host header: {e}"),
            )
        })?;
        parts.headers.insert(header::HOST, value);
    }
    let origin = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| uri::PathAndQuery::from_static("/"));
    parts.uri = Uri::from(origin);
    parts.version = http::Version::HTTP_11;
    Ok(http::Request::from_parts(
        parts,
        Full::new(Bytes::from(body)),
    ))
}

/// The deadline struck; whether the request may have been sent is what the connection saw.
fn timed_out(timeout: Duration, written: bool) -> TransportError {
    match written {
        false => TransportError::new(
            Delivery::NotSent,
            TransportErrorKind::Timeout,
            format!("timed out after {timeout:?} before the request was sent"),
        ),
        true => TransportError::new(
            Delivery::MaybeSent,
            TransportErrorKind::Timeout,
            format!("no complete response within {timeout:?}"),
        ),
    }
}

/// Maps a failure before the response head arrived; `written` tells whether any byte of the
/// request had been handed to the connection.
fn request_error(error: &hyper::Error, written: bool) -> TransportError {
    let delivery = match written {
        true => Delivery::MaybeSent,
        false => Delivery::NotSent,
    };
    let message = if error.is_incomplete_message() {
        format!(
            "the connection closed before a complete response arrived ({})",
            chain(error)
        )
    } else {
        chain(error)
    };
    TransportError::new(delivery, hyper_kind(error), message)
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

/// What kind of failure a hyper error is (the same reading as the tokio adapter's).
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

    #[test]
    fn body_errors_are_mapped() {
        let over = smol::block_on(
            Limited::new(Full::new(Bytes::from_static(b"0123456789x")), 10).collect(),
        )
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

    #[test]
    fn timeouts_say_whether_the_request_was_written() {
        let before = timed_out(Duration::from_millis(300), false);
        assert_eq!(
            (before.delivery, before.kind),
            (Delivery::NotSent, TransportErrorKind::Timeout)
        );
        assert!(
            before.message.contains("300ms before the request was sent"),
            "{}",
            before.message
        );
        let after = timed_out(Duration::from_millis(300), true);
        assert_eq!(
            (after.delivery, after.kind),
            (Delivery::MaybeSent, TransportErrorKind::Timeout)
        );
    }

    #[test]
    fn requests_go_out_in_origin_form_with_a_host() {
        let request = |uri: &str| {
            let request = http::Request::post(uri).body(b"{}".to_vec()).unwrap();
            let target = Target::of(request.uri()).unwrap();
            outgoing(request, &target).unwrap()
        };
        let r = request("https://test-api-open.chinaums.com/v1/netpay/query");
        assert_eq!(r.uri(), "/v1/netpay/query");
        assert_eq!(r.headers()[header::HOST], "test-api-open.chinaums.com");
        let r = request("http://127.0.0.1:8080/v1/x?a=1");
        assert_eq!(r.uri(), "/v1/x?a=1");
        assert_eq!(r.headers()[header::HOST], "127.0.0.1:8080");
        let r = request("https://[::1]:443/");
        assert_eq!(r.headers()[header::HOST], "[::1]");
        // A Host the core set is kept.
        let mut given = http::Request::post("http://127.0.0.1:1/")
            .body(Vec::new())
            .unwrap();
        given
            .headers_mut()
            .insert(header::HOST, HeaderValue::from_static("example.com"));
        let target = Target::of(given.uri()).unwrap();
        let r = outgoing(given, &target).unwrap();
        assert_eq!(r.headers()[header::HOST], "example.com");
    }
}
