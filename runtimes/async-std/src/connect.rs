//! Opening a connection: TCP on async-io (a name lookup first when the host is not an IP
//! address), TLS with futures-rustls for `https://`, then hyper's HTTP/1.1 handshake (which
//! does no I/O). The stream hyper writes to is [`Tracked`]: it raises a flag the moment it is
//! handed the first byte of a request, so that a failure can tell "nothing was sent" from "the
//! server may have the request".

use std::cell::RefCell;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use chinaums::http::Uri;
use chinaums::{Delivery, TransportError, TransportErrorKind};
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper::rt::ReadBufCursor;
use rustls::pki_types::ServerName;

use crate::send::{chain, find};

/// The body type of every request: the core's bytes, whole.
pub(crate) type Body = Full<Bytes>;

/// What hyper reads from and writes to.
pub(crate) type Io = Tracked;

/// Where a request goes; connections are pooled per target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) tls: bool,
    /// The host as a name or an IP address, without the brackets of an IPv6 literal.
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    /// The target of an absolute `http://` or `https://` URI, as the core builds them.
    pub(crate) fn of(uri: &Uri) -> Result<Target, TransportError> {
        let not_sent =
            |why: String| TransportError::new(Delivery::NotSent, TransportErrorKind::Other, why);
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(not_sent(format!(
                    "cannot send to {uri}: the scheme {other:?} is neither http nor https"
                )));
            }
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| not_sent(format!("cannot send to {uri}: no host")))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Target {
            tls,
            host: host.to_owned(),
            port,
        })
    }
}

/// A connection to a [`Target`], ready for hyper, with its "request written" flag.
pub(crate) struct Conn {
    pub(crate) sender: http1::SendRequest<Body>,
    /// hyper's connection state machine: it moves the bytes, and only while it is polled (by
    /// the exchange using the connection). `None` once it has ended.
    pub(crate) driver: Option<http1::Connection<Io, Body>>,
    /// Raised by [`Tracked`] when request bytes are handed to the stream; lowered before each
    /// exchange.
    pub(crate) written: Arc<AtomicBool>,
}

impl Conn {
    /// Whether the connection can take a request right now, checked without waiting: its driver
    /// is polled once (noticing a close or an error from the server, or signalling that it is
    /// idle), then the sender is asked. A pooled connection that is not ready at once is not
    /// worth waiting for.
    pub(crate) fn ready_now(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(driver) = self.driver.as_mut() else {
            return false;
        };
        if Pin::new(driver).poll(cx).is_ready() {
            self.driver = None;
            return false;
        }
        matches!(self.sender.poll_ready(cx), Poll::Ready(Ok(())))
    }

    /// Whether the connection may go back to the pool after an exchange that read its whole
    /// response: its driver still runs and hyper has not closed it (it does after a
    /// `Connection: close`, or after an error).
    pub(crate) fn reusable(&self) -> bool {
        self.driver.is_some() && !self.sender.is_closed()
    }
}

/// Opens a connection to `target`. Any failure here is [`Delivery::NotSent`]: no request byte
/// can have been written before the connection exists.
pub(crate) async fn connect(target: &Target, tls: &TlsConnector) -> Result<Conn, TransportError> {
    let tcp = async_net::TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| {
            TransportError::new(
                Delivery::NotSent,
                TransportErrorKind::Connect,
                format!(
                    "cannot connect to {}:{} ({})",
                    target.host,
                    target.port,
                    chain(&e)
                ),
            )
        })?;
    // Small request/response exchanges: do not wait for Nagle. Failing to set it costs speed,
    // not correctness.
    let _ = tcp.set_nodelay(true);
    let stream = if target.tls {
        let name = ServerName::try_from(target.host.clone()).map_err(|e| {
            TransportError::new(
                Delivery::NotSent,
                TransportErrorKind::Tls,
                format!("{:?} cannot be a TLS server name: {e}", target.host),
            )
        })?;
        let tls = tls.connect(name, tcp).await.map_err(handshake_error)?;
        Stream::Tls(Box::new(tls))
    } else {
        Stream::Plain(tcp)
    };
    let written = Arc::new(AtomicBool::new(false));
    let io = Tracked {
        stream,
        written: Arc::clone(&written),
    };
    // HTTP/1.1's handshake only sets up hyper's state: no byte moves.
    let (sender, driver) = http1::handshake(io).await.map_err(|e| {
        TransportError::new(
            Delivery::NotSent,
            TransportErrorKind::Other,
            format!("cannot set up HTTP/1.1 on the connection: {}", chain(&e)),
        )
    })?;
    Ok(Conn {
        sender,
        driver: Some(driver),
        written,
    })
}

/// A failed TLS handshake: rustls's own error (a certificate not trusted, a protocol mismatch)
/// is [`TransportErrorKind::Tls`]; the connection breaking under it is a connect failure.
fn handshake_error(e: io::Error) -> TransportError {
    let kind = if find::<rustls::Error>(&e).is_some() {
        TransportErrorKind::Tls
    } else {
        TransportErrorKind::Connect
    };
    TransportError::new(
        Delivery::NotSent,
        kind,
        format!("TLS handshake failed ({})", chain(&e)),
    )
}

/// A TCP stream, plain or under TLS.
pub(crate) enum Stream {
    Plain(async_net::TcpStream),
    // Boxed: a rustls client connection is large, a plain stream small.
    Tls(Box<TlsStream<async_net::TcpStream>>),
}

/// The stream hyper uses, which records that request bytes were handed to it.
pub(crate) struct Tracked {
    stream: Stream,
    written: Arc<AtomicBool>,
}

impl Tracked {
    fn mark_written(&self) {
        // Raised before the write: a write that fails half way may still have sent bytes.
        self.written.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    /// Where a read lands before it is copied into hyper's buffer; see [`Tracked`]'s
    /// `hyper::rt::Read`.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_BYTES].into_boxed_slice());
}

/// The most one read takes from the socket (hyper asks again for more).
const SCRATCH_BYTES: usize = 16 * 1024;

impl Tracked {
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

/// hyper reads into memory it has not initialized, and `futures-io` streams read into
/// initialized memory only. Without `unsafe` (this crate forbids it) the bytes are read into a
/// per-thread buffer, initialized once, then copied into hyper's: a copy of the bytes that
/// came, instead of zeroing hyper's whole free buffer (8 KiB or more) before every attempt, a
/// would-block one included, as the generic adapter (smol-hyper's `FuturesIo`) does — measured
/// at about a third of this crate's own cost per call.
impl hyper::rt::Read for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let len = buf.remaining().min(scratch.len());
            match this.poll_read_into(cx, &mut scratch[..len]) {
                Poll::Ready(Ok(n)) => {
                    buf.put_slice(&scratch[..n]);
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }
}

impl hyper::rt::Write for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.mark_written();
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.mark_written();
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(s).poll_close(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> Result<Target, TransportError> {
        Target::of(&uri.parse().unwrap())
    }

    #[test]
    fn targets_from_uris() {
        let t = target("https://test-api-open.chinaums.com/v1/netpay/query").unwrap();
        assert_eq!(
            t,
            Target {
                tls: true,
                host: "test-api-open.chinaums.com".into(),
                port: 443
            }
        );
        let t = target("http://127.0.0.1:8080/v1/netpay/query").unwrap();
        assert_eq!((t.tls, t.host.as_str(), t.port), (false, "127.0.0.1", 8080));
        let t = target("http://[::1]/x").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 80));
        for bad in ["ftp://example.com/x", "/relative/only"] {
            let e = target(bad).unwrap_err();
            assert_eq!(e.delivery, Delivery::NotSent, "{bad}");
        }
    }
}
