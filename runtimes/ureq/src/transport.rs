//! Moving bytes with ureq, and telling honestly how far an exchange got when it failed.
//!
//! ureq's errors do not say whether the request had been written when they happened (a global
//! timeout reads the same during connect and while waiting for the answer). So the agent's
//! connector chain ends with [`TrackingConnector`], which wraps the finished transport (TCP, or
//! TLS after its handshake) and raises a per-thread flag the moment ureq hands it the first
//! byte of an HTTP request. An error with the flag down certainly left nothing on the wire
//! ([`Delivery::NotSent`]); with the flag up the server may have seen the request
//! ([`Delivery::MaybeSent`]). ureq's blocking agent runs a whole exchange on the calling thread,
//! which is what makes a thread-local flag exact.

use std::cell::Cell;
use std::io;
use std::time::Duration;

use chinaums::TransportConfig;
use chinaums::{Delivery, TransportError, TransportErrorKind};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

thread_local! {
    /// Whether the exchange running on this thread has handed request bytes to a transport.
    static REQUEST_WRITTEN: Cell<bool> = const { Cell::new(false) };
}

/// Clears this thread's "request written" flag; call before each exchange.
pub(crate) fn reset_written() {
    REQUEST_WRITTEN.with(|w| w.set(false));
}

/// Whether the exchange on this thread has handed any request byte to a transport since the
/// last [`reset_written`].
pub(crate) fn request_written() -> bool {
    REQUEST_WRITTEN.with(Cell::get)
}

/// The last link of the connector chain: wraps whatever transport the default chain produced.
#[derive(Debug)]
pub(crate) struct TrackingConnector;

impl Connector<Box<dyn Transport>> for TrackingConnector {
    type Out = TrackedTransport;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<TrackedTransport>, ureq::Error> {
        Ok(chained.map(TrackedTransport))
    }
}

/// A transport that records, before writing, that request bytes are about to leave.
#[derive(Debug)]
pub(crate) struct TrackedTransport(Box<dyn Transport>);

impl Transport for TrackedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        // Raised before the write: a write that fails half way may still have sent bytes.
        REQUEST_WRITTEN.with(|w| w.set(true));
        self.0.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// Why an exchange failed, before it is told to the core.
#[derive(Debug)]
pub(crate) enum Failure {
    /// ureq reported an error.
    Ureq(ureq::Error),
    /// The core refused the response (a declared body over the cap).
    Refused(TransportError),
    /// The body grew over the cap while it was read.
    TooLarge,
}

impl From<ureq::Error> for Failure {
    fn from(e: ureq::Error) -> Self {
        match e {
            ureq::Error::BodyExceedsLimit(_) => Failure::TooLarge,
            e => Failure::Ureq(e),
        }
    }
}

/// Turns a failure into the core's [`TransportError`]. `written` is [`request_written`] as it
/// stood when the failure happened.
pub(crate) fn transport_error(
    failure: Failure,
    written: bool,
    config: &TransportConfig,
) -> TransportError {
    let delivery = if written {
        Delivery::MaybeSent
    } else {
        Delivery::NotSent
    };
    match failure {
        Failure::Refused(error) => error,
        Failure::TooLarge => config.body_too_large(),
        Failure::Ureq(e) => {
            let kind = kind(&e, written);
            TransportError::new(delivery, kind, message(&e, kind, written, config.timeout()))
        }
    }
}

/// ureq's own words, with what they mean for this exchange in front.
fn message(e: &ureq::Error, kind: TransportErrorKind, written: bool, timeout: Duration) -> String {
    use TransportErrorKind as K;
    let eof = matches!(e, ureq::Error::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof);
    match (kind, written) {
        (K::Timeout, false) => {
            format!("timed out after {timeout:?} before the request was sent ({e})")
        }
        (K::Timeout, true) => format!("no complete response within {timeout:?} ({e})"),
        (K::Connect, _) => format!("cannot connect ({e})"),
        (K::Tls, false) => format!("TLS handshake failed ({e})"),
        (K::Io, true) if eof => {
            format!("the connection closed before a complete response arrived ({e})")
        }
        _ => e.to_string(),
    }
}

fn kind(e: &ureq::Error, written: bool) -> TransportErrorKind {
    use TransportErrorKind as K;
    match e {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => K::Connect,
        ureq::Error::Io(io) => io_kind(io, written),
        ureq::Error::Rustls(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::TlsRequired => K::Tls,
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
        _ => K::Other,
    }
}

fn io_kind(e: &io::Error, written: bool) -> TransportErrorKind {
    use TransportErrorKind as K;
    // rustls reports handshake and record failures as `InvalidData` wrapping its own error.
    if e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
    {
        return K::Tls;
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkDown => K::Connect,
        // Before the first request byte, all I/O belongs to setting up the connection.
        _ if !written => K::Connect,
        _ => K::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport_error_t(failure: Failure, written: bool) -> TransportError {
        let config = TransportConfig::new()
            .with_timeout(Duration::from_millis(300))
            .with_max_response_bytes(64);
        transport_error(failure, written, &config)
    }

    fn io(kind: io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(io::Error::new(kind, "boom"))
    }

    #[test]
    fn refused_connections_are_not_sent() {
        let e = transport_error_t(io(io::ErrorKind::ConnectionRefused).into(), false);
        assert_eq!(
            (e.delivery, e.kind),
            (Delivery::NotSent, TransportErrorKind::Connect)
        );
        let e = transport_error_t(ureq::Error::HostNotFound.into(), false);
        assert_eq!(
            (e.delivery, e.kind),
            (Delivery::NotSent, TransportErrorKind::Connect)
        );
    }

    #[test]
    fn delivery_follows_the_written_flag_not_the_error() {
        let timeout = || Failure::from(ureq::Error::Timeout(ureq::Timeout::Global));
        let before = transport_error_t(timeout(), false);
        assert_eq!(
            (before.delivery, before.kind),
            (Delivery::NotSent, TransportErrorKind::Timeout)
        );
        assert!(
            before.message.contains("300ms before the request was sent"),
            "{}",
            before.message
        );
        let after = transport_error_t(timeout(), true);
        assert_eq!(
            (after.delivery, after.kind),
            (Delivery::MaybeSent, TransportErrorKind::Timeout)
        );
        assert!(
            after.message.contains("no complete response within 300ms"),
            "{}",
            after.message
        );
    }

    #[test]
    fn io_before_the_request_is_a_connect_failure_and_after_it_an_io_failure() {
        let reset = || Failure::from(io(io::ErrorKind::ConnectionReset));
        assert_eq!(
            transport_error_t(reset(), false).kind,
            TransportErrorKind::Connect
        );
        let after = transport_error_t(reset(), true);
        assert_eq!(
            (after.delivery, after.kind),
            (Delivery::MaybeSent, TransportErrorKind::Io)
        );
    }

    #[test]
    fn rustls_errors_inside_io_errors_are_tls() {
        let e = ureq::Error::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        let e = transport_error_t(e.into(), false);
        assert_eq!(
            (e.delivery, e.kind),
            (Delivery::NotSent, TransportErrorKind::Tls)
        );
        assert!(e.message.contains("UnknownIssuer"), "{}", e.message);
    }

    #[test]
    fn an_oversized_body_is_maybe_sent_whatever_the_flag() {
        let e = transport_error_t(ureq::Error::BodyExceedsLimit(64).into(), false);
        assert_eq!(
            (e.delivery, e.kind),
            (Delivery::MaybeSent, TransportErrorKind::BodyTooLarge)
        );
        assert!(e.message.contains("64-byte cap"), "{}", e.message);
        let refused = TransportConfig::new()
            .with_max_response_bytes(10)
            .check_declared_length(
                &std::iter::once((
                    chinaums::http::header::CONTENT_LENGTH,
                    chinaums::http::HeaderValue::from_static("99"),
                ))
                .collect(),
            );
        let e = transport_error_t(Failure::Refused(refused.unwrap_err()), true);
        assert!(e.message.contains("99 bytes"), "{}", e.message);
    }

    #[test]
    fn protocol_errors_keep_their_kind() {
        let e = ureq::Error::LargeResponseHeader(70_000, 65_536);
        assert_eq!(
            transport_error_t(e.into(), true).kind,
            TransportErrorKind::Protocol
        );
    }

    #[test]
    fn the_flag_is_per_thread() {
        reset_written();
        REQUEST_WRITTEN.with(|w| w.set(true));
        assert!(request_written());
        let other = std::thread::spawn(request_written).join();
        assert_eq!(other.ok(), Some(false));
        reset_written();
        assert!(!request_written());
    }
}
