//! The server: a thread with a current-thread tokio runtime, an accept loop, and hyper's
//! HTTP/1.1 on each connection in front of the [`Gateway`]. Two things are written by hand
//! because hyper cannot be asked for them: the byte-level faults (a connection dropped, cut
//! mid-body, or given raw bytes), and the `503` to a connection over the limit, sent before
//! its request is read.
//!
//! A byte-level fault works like this: the connection's I/O is wrapped in a [`Tap`]; the
//! service arms it and returns a throwaway response with `Connection: close`, whose bytes the
//! tap swallows; when hyper is done with the connection, the server takes the I/O back and
//! writes the fault's bytes itself.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, Version, header};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::endpoints::{Reply, reject};
use crate::gateway::{Answer, Gateway, Summary};
use crate::limits::{Limits, Reservation};
use crate::tls::Identity;
use crate::{MAX_BODY_BYTES, MAX_HEAD_BYTES};

/// The most header fields in one request (and, separately, in its chunked trailers).
const MAX_HEADERS: usize = 100;
/// How long a connection may sit idle (or stall mid-request) before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a refused connection is read from (and discarded) before it is closed, so that
/// the client reads the refusal rather than a reset.
const LINGER: Duration = Duration::from_millis(500);
/// How long stopping waits for blocking work (a name lookup of a delivery) to end.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// The sandbox clock: the system clock plus an offset that tests move forward.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Mutex<Duration>,
}

impl Clock {
    pub fn now(&self) -> SystemTime {
        system_now() + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

/// The one place the sandbox reads the system clock: it is a server, and its clock is the
/// reference that clients' timestamps are checked against (tests move it with an offset).
#[allow(clippy::disallowed_methods)]
fn system_now() -> SystemTime {
    SystemTime::now()
}

/// What the server tasks and the [`crate::Sandbox`] handle share.
pub(crate) struct Shared {
    pub gateway: Arc<Gateway>,
    pub clock: Arc<Clock>,
    pub limits: Limits,
    pub max_connections: usize,
    pub log_requests: bool,
    /// TCP connections accepted.
    pub connections: AtomicUsize,
    /// How notifications are delivered (by a task on the same runtime).
    pub delivery: Arc<crate::delivery::Settings>,
}

/// A started server; [`Running::stop`] ends it.
pub(crate) struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, drops every connection, and waits for the thread to end.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds 127.0.0.1:`port` and serves on a new thread.
pub(crate) fn start(shared: Arc<Shared>, port: u16, tls: Option<Identity>) -> io::Result<Running> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
    let thread = std::thread::Builder::new()
        .name(format!("chinaums-sandbox-{}", addr.port()))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                tokio::spawn(crate::delivery::run(crate::delivery::Deliverer {
                    gateway: Arc::clone(&shared.gateway),
                    clock: Arc::clone(&shared.clock),
                    settings: Arc::clone(&shared.delivery),
                }));
                accept_loop(listener, shared, tls.map(|t| t.acceptor), stop_rx).await;
            });
            // Shutting the runtime down drops every connection task (closing its socket) and
            // every pending notification delivery. Only a blocking task could outlive that (a
            // host name of a notifyUrl being resolved): it is not waited for beyond a moment.
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Running {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(io::Error::other("the sandbox thread ended before serving"))
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    // One permit per connection being served; a task holds its permit until it ends.
    let slots = Arc::new(Semaphore::new(
        shared.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, _peer) = match accepted {
            Ok(pair) => pair,
            Err(_) => {
                // E.g. too many open files: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = tcp.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let permit = Arc::clone(&slots).try_acquire_owned().ok();
        match &tls {
            None => {
                tokio::spawn(serve_or_refuse(tcp, shared, permit));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
                    if let Ok(Ok(stream)) = handshake {
                        serve_or_refuse(stream, shared, permit).await;
                    }
                });
            }
        }
    }
}

/// Serves the connection if it got a slot; else answers `503` without reading a request (the
/// client sees an answer, not a hang or a reset) and closes it.
async fn serve_or_refuse<S>(mut io: S, shared: Arc<Shared>, permit: Option<OwnedSemaphorePermit>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match permit {
        Some(_permit) => serve(io, shared).await,
        None => {
            let why = format!(
                "the sandbox serves at most {} connections at once; try again",
                shared.max_connections
            );
            let response = reject(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", why);
            if shared.log_requests {
                eprintln!("{}", Summary::new("-", "-", &response, None));
            }
            let mut bytes = head_bytes(&response, response.body().len());
            bytes.extend_from_slice(response.body());
            if write_bounded(&mut io, &bytes).await {
                linger(&mut io).await;
            }
        }
    }
}

/// What the service asked the connection to do at the byte level once hyper is done.
enum Wire {
    /// Close without another byte (and, over TLS, without `close_notify`).
    Drop,
    /// Write these bytes, then close: gracefully (`shutdown`) or abruptly (drop).
    Write { bytes: Vec<u8>, graceful: bool },
}

/// Per connection: what the service decided beyond the response it returned.
#[derive(Default)]
struct ConnState {
    /// Swallow whatever hyper writes from now on (a byte-level fault is armed).
    swallow: AtomicBool,
    wire: Mutex<Option<Wire>>,
    /// A refusal was answered: read and discard for a moment before closing.
    linger: AtomicBool,
}

impl ConnState {
    fn arm(&self, wire: Wire) {
        self.swallow.store(true, Ordering::SeqCst);
        *self.wire.lock().unwrap_or_else(|p| p.into_inner()) = Some(wire);
    }

    fn take_wire(&self) -> Option<Wire> {
        self.wire.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// The connection's I/O as hyper sees it: everything passes through, except that once a
/// byte-level fault is armed, hyper's writes are swallowed (reported written, never sent); and
/// a write that makes no progress for [`IDLE_TIMEOUT`] (a client that stopped reading) fails,
/// so that no connection task waits forever.
struct Tap<S> {
    inner: S,
    state: Arc<ConnState>,
    stalled_since: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Tap<S> {
    fn new(inner: S, state: Arc<ConnState>) -> Self {
        Tap {
            inner,
            state,
            stalled_since: None,
        }
    }

    /// `poll`'s outcome, or a timeout error once writes have been pending for too long.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled_since = None;
            return poll;
        }
        let stall = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(IDLE_TIMEOUT)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.state.swallow.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(buf.len()));
        }
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bounded(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.state.swallow.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.bounded(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.state.swallow.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves requests on one connection with hyper, then closes it the way the last answer
/// asked.
async fn serve<S>(io: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = Arc::new(ConnState::default());
    let tap = Tap::new(io, Arc::clone(&state));
    let service = {
        let (shared, state) = (Arc::clone(&shared), Arc::clone(&state));
        service_fn(move |request| {
            let answer = answer(request, Arc::clone(&shared), Arc::clone(&state));
            Box::pin(answer) as Pin<Box<dyn Future<Output = _> + Send>>
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        // The request line and headers; also the limit of chunked trailers.
        .max_header_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        // A head that has not ended within the limit is refused as soon as that is certain.
        .max_buf_size(MAX_HEAD_BYTES + 1)
        // Answers depend on nothing but the request and the sandbox clock.
        .auto_date_header(false)
        // A client may close its writing half right after its request (`shutdown(Write)`):
        // the request is still answered, not dropped as an incomplete connection.
        .half_close(true)
        .keep_alive(true);
    let mut connection = builder.serve_connection(TokioIo::new(tap), service);
    let ended = poll_fn(|cx| connection.poll_without_shutdown(cx)).await;
    let mut io = connection.into_parts().io.into_inner().inner;
    match state.take_wire() {
        Some(Wire::Drop) => {}
        Some(Wire::Write { bytes, graceful }) => {
            if write_bounded(&mut io, &bytes).await && graceful {
                let _ = tokio::time::timeout(LINGER, io.shutdown()).await;
            }
        }
        // A refusal (by hyper, for a head it could not read, or by the service): the client
        // may still be sending.
        None if ended.is_err() || state.linger.load(Ordering::SeqCst) => linger(&mut io).await,
        None => {
            let _ = tokio::time::timeout(LINGER, io.shutdown()).await;
        }
    }
}

/// Writes and flushes `bytes` within the idle timeout; whether that worked.
async fn write_bounded<S: AsyncWrite + Unpin>(io: &mut S, bytes: &[u8]) -> bool {
    let write = async {
        io.write_all(bytes).await?;
        io.flush().await
    };
    matches!(tokio::time::timeout(IDLE_TIMEOUT, write).await, Ok(Ok(())))
}

/// After a refusal: stop writing, then read and discard what the client still sends for a
/// moment, so that it sees the answer rather than a connection reset.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S) {
    let deadline = tokio::time::Instant::now() + LINGER;
    let _ = tokio::time::timeout_at(deadline, io.shutdown()).await;
    let mut discarded = 0usize;
    let mut chunk = [0u8; 16 * 1024];
    while discarded < 16 * MAX_BODY_BYTES {
        match tokio::time::timeout_at(deadline, io.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => discarded += n,
            _ => break,
        }
    }
}

/// Why a request body was not read to its end.
enum BodyError {
    /// Answer this refusal and close.
    Refuse(StatusCode, &'static str, String),
    /// The client left or stalled: close without an answer.
    Gone,
}

/// Reads a request body within the body cap and the shared budget. A body announced by
/// `Content-Length` is held against the budget before it is read (so that a refusal comes
/// before the client sends it, and before hyper sends `100 Continue`); a chunked one, chunk by
/// chunk.
async fn read_body(
    mut body: Incoming,
    limits: &Limits,
) -> Result<(Vec<u8>, Reservation), BodyError> {
    let too_large = || {
        BodyError::Refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            format!("request body larger than {} bytes", limits.max_body),
        )
    };
    let busy = || {
        BodyError::Refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!(
                "the sandbox holds its limit of {} request-body bytes; try again",
                limits.budget.limit
            ),
        )
    };
    let mut held = Reservation::new(&limits.budget);
    let announced = body
        .size_hint()
        .exact()
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if let Some(n) = announced {
        if n > limits.max_body {
            return Err(too_large());
        }
        if !held.grow(n) {
            return Err(busy());
        }
    }
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
    loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, body.frame()).await {
            Err(_) => return Err(BodyError::Gone),
            Ok(None) => return Ok((bytes, held)),
            Ok(Some(Err(e))) => return Err(framing_error(&e)),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers are read (within hyper's limits) and ignored.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len().saturating_add(data.len()) > limits.max_body {
            return Err(too_large());
        }
        if announced.is_none() && !held.grow(data.len()) {
            return Err(busy());
        }
        bytes.extend_from_slice(&data);
    }
}

/// What a body that hyper could not read means: the client left, trailers over the head
/// limits (431, like a head), or bad framing (400).
fn framing_error(error: &hyper::Error) -> BodyError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::UnexpectedEof {
                return BodyError::Gone;
            }
            let why = io.to_string();
            // hyper's words for trailers over `max_header_size` or `max_headers`.
            if why.contains("trailers") && (why.contains("limit") || why.contains("overflow")) {
                return BodyError::Refuse(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "HEADERS_TOO_LARGE",
                    format!("chunked trailers over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} fields"),
                );
            }
            return BodyError::Refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("malformed request body framing: {why}"),
            );
        }
        source = cause.source();
    }
    if error.is_incomplete_message() || error.is_canceled() {
        return BodyError::Gone;
    }
    BodyError::Refuse(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        format!("malformed request body: {error}"),
    )
}

/// Whether the client asked to keep the connection (HTTP/1.1 without `Connection: close`).
fn keeps_alive(parts: &http::request::Parts) -> bool {
    parts.version == Version::HTTP_11
        && !parts.headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
        })
}

/// hyper's service: reads the body under the limits, asks the gateway, performs the answer.
async fn answer(
    request: http::Request<Incoming>,
    shared: Arc<Shared>,
    conn: Arc<ConnState>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let head_only = parts.method == Method::HEAD;
    let keep_alive = keeps_alive(&parts);
    let (body, held) = match read_body(body, &shared.limits).await {
        Ok(read) => read,
        Err(BodyError::Gone) => {
            conn.arm(Wire::Drop);
            return Ok(throwaway());
        }
        Err(BodyError::Refuse(status, code, why)) => {
            let path = parts.uri.path();
            let refusal = shared.gateway.refused(path, status, code, &why);
            if shared.log_requests {
                eprintln!(
                    "{}",
                    Summary::new(parts.method.as_str(), path, &refusal, None)
                );
            }
            conn.linger.store(true, Ordering::SeqCst);
            return Ok(to_hyper(refusal, Some(false)));
        }
    };
    let request = http::Request::from_parts(parts, body);
    let (answer, summary) = shared.gateway.exchange(&request, shared.clock.now());
    // The body is no longer needed: give its bytes back to the budget before answering.
    drop(request);
    drop(held);
    if shared.log_requests {
        eprintln!("{summary}");
    }
    let keep = Some(keep_alive);
    match answer {
        Answer::Response(response) => Ok(to_hyper(response, keep)),
        Answer::Delayed { delay, response } => {
            tokio::time::sleep(delay).await;
            Ok(to_hyper(response, keep))
        }
        Answer::Close => {
            conn.arm(Wire::Drop);
            Ok(throwaway())
        }
        Answer::CutMidBody(response) => {
            let mut bytes = head_bytes(&response, response.body().len());
            if !head_only {
                bytes.extend_from_slice(&response.body()[..response.body().len() / 2]);
            }
            conn.arm(Wire::Write {
                bytes,
                graceful: false,
            });
            Ok(throwaway())
        }
        Answer::Raw(bytes) => {
            conn.arm(Wire::Write {
                bytes,
                graceful: true,
            });
            Ok(throwaway())
        }
    }
}

/// The response hyper writes (and the tap swallows) when a byte-level fault is armed; it ends
/// the connection, so that the server gets the I/O back.
fn throwaway() -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::new()));
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `response` for hyper, with `Content-Length` (kept on `HEAD` answers too), `Server`, and a
/// `Connection` header when `keep_alive` says so (`None`: leave it to hyper).
fn to_hyper(response: Reply, keep_alive: Option<bool>) -> http::Response<Full<Bytes>> {
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    parts
        .headers
        .insert(header::SERVER, HeaderValue::from_static("chinaums-sandbox"));
    match keep_alive {
        Some(true) => {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        }
        Some(false) => {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        None => {}
    }
    http::Response::from_parts(parts, Full::new(Bytes::from(body)))
}

/// The raw writer: a status line and headers announcing `length` body bytes, then
/// `Connection: close` (every raw answer ends its connection).
fn head_bytes(response: &Reply, length: usize) -> Vec<u8> {
    let status = response.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Unknown")
    )
    .into_bytes();
    for (name, value) in response.headers() {
        if name == header::CONTENT_LENGTH || name == header::CONNECTION {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(
        format!(
            "content-length: {length}\r\nserver: chinaums-sandbox\r\nconnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::{JSON, reply};

    #[test]
    fn raw_heads_announce_the_length_and_close() {
        let mut r = reply(StatusCode::OK, JSON, b"{}".to_vec());
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(99));
        let head = String::from_utf8(head_bytes(&r, 10)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("content-type: application/json;charset=UTF-8\r\n"));
        assert!(head.contains("content-length: 10\r\n"));
        assert!(!head.contains("99"));
        assert!(head.ends_with("connection: close\r\n\r\n"));
    }

    #[test]
    fn the_clock_moves_forward_only_when_told() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
    }
}
