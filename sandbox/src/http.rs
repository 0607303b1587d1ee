//! A small HTTP/1.1 server-side framing layer over any async byte stream: request heads are
//! parsed by `httparse`, bodies are read by `Content-Length` or `chunked` framing, responses
//! are written by hand so that faults can cut them at an exact byte.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::MAX_HEAD_BYTES as MAX_HEAD;

/// The most header fields in one request (trailer fields included).
const MAX_HEADERS: usize = 100;
/// The longest chunk-size line (size and extensions).
const MAX_CHUNK_LINE: usize = 4096;
/// How long a connection may sit idle (or stall mid-request) before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// What one request may take: the body cap, and the body budget all connections share.
#[derive(Debug)]
pub struct Limits {
    /// The largest body; a larger one gets 413.
    pub max_body: usize,
    /// The budget of buffered body bytes, shared by every connection.
    pub budget: Arc<BodyBudget>,
}

impl Limits {
    /// A body cap of `max_body` (no more than the whole budget: a larger body could never be
    /// read) and a fresh budget of `budget` bytes.
    pub fn new(max_body: usize, budget: usize) -> Self {
        Limits {
            max_body: max_body.min(budget),
            budget: Arc::new(BodyBudget {
                limit: budget,
                used: AtomicUsize::new(0),
            }),
        }
    }
}

/// How many request-body bytes are held across connections, against a limit.
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    used: AtomicUsize,
}

/// Body bytes held against the budget until dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Reservation {
    fn new(budget: &Arc<BodyBudget>) -> Self {
        Reservation {
            budget: Arc::clone(budget),
            bytes: 0,
        }
    }

    /// Holds `n` more bytes; false (holding nothing more) if the budget cannot spare them.
    fn grow(&mut self, n: usize) -> bool {
        let limit = self.budget.limit;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|total| *total <= limit)
            });
        if taken.is_ok() {
            self.bytes += n;
        }
        taken.is_ok()
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// A request body, counted against the body budget for as long as it is kept.
#[derive(Debug)]
pub struct Body {
    /// The body bytes.
    pub bytes: Vec<u8>,
    _held: Reservation,
}

/// A parsed request head.
#[derive(Debug)]
pub struct Head {
    /// `POST`, `GET`, …
    pub method: String,
    /// The path without query string (absolute-form targets are reduced to their path).
    pub path: String,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor_version: u8,
    /// Header names as sent and raw values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The head's size in bytes; trailers may use what the head leaves of the limit.
    pub len: usize,
}

impl Head {
    /// Every value of header `name` (case-insensitive).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether any comma-separated token of header `name` equals `token` (case-insensitive).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.values(name).any(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    }

    /// Whether the connection may be reused after the response.
    pub fn keep_alive(&self) -> bool {
        if self.minor_version == 0 {
            self.has_token("connection", "keep-alive")
        } else {
            !self.has_token("connection", "close")
        }
    }

    /// Whether the answer is to a `HEAD`, which carries no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }

    /// Whether the client waits for `100 Continue` before sending the body.
    fn expects_continue(&self) -> bool {
        self.minor_version >= 1 && self.has_token("expect", "100-continue")
    }
}

/// How the request body is framed.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

/// Why a request could not be read; the connection is answered (when a status is given)
/// and closed.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection, stalled, or the socket failed: close silently.
    Closed,
    /// A framing or syntax problem to answer with this status and reason, then close.
    Reject(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

fn head_too_large() -> ReadError {
    ReadError::Reject(
        431,
        format!("request head (with trailers) larger than {MAX_HEAD} bytes"),
    )
}

fn too_many_fields() -> ReadError {
    ReadError::Reject(
        431,
        format!("more than {MAX_HEADERS} header and trailer fields"),
    )
}

/// One connection: the stream and the bytes read past the previous request.
pub struct Conn<S> {
    /// The stream.
    pub io: S,
    buf: Vec<u8>,
    limits: Arc<Limits>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wraps a freshly accepted stream.
    pub fn new(io: S, limits: Arc<Limits>) -> Self {
        Conn {
            io,
            buf: Vec::with_capacity(8192),
            limits,
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> Result<usize, ReadError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::time::timeout(IDLE_TIMEOUT, self.io.read(&mut chunk))
            .await
            .map_err(|_| ReadError::Closed)??;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The next request head, or `Ok(None)` when the peer closed the connection cleanly
    /// between requests.
    pub async fn read_head(&mut self) -> Result<Option<Head>, ReadError> {
        loop {
            // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
            let skip = self
                .buf
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            self.buf.drain(..skip);
            if !self.buf.is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut request = httparse::Request::new(&mut headers);
                match request.parse(&self.buf) {
                    // Whether or not its end has arrived, a head over the limit is refused.
                    Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
                        return Err(head_too_large());
                    }
                    Ok(httparse::Status::Complete(len)) => {
                        let head = Head {
                            method: request.method.unwrap_or_default().to_owned(),
                            path: path_of(request.path.unwrap_or("/")),
                            minor_version: request.version.unwrap_or(1),
                            headers: request
                                .headers
                                .iter()
                                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                                .collect(),
                            len,
                        };
                        self.buf.drain(..len);
                        return Ok(Some(head));
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.buf.len() > MAX_HEAD {
                            return Err(head_too_large());
                        }
                    }
                    Err(httparse::Error::TooManyHeaders) => return Err(too_many_fields()),
                    Err(e) => {
                        return Err(ReadError::Reject(
                            400,
                            format!("malformed request head: {e}"),
                        ));
                    }
                }
            }
            if self.fill().await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ReadError::Closed)
                };
            }
        }
    }

    /// Reads the body that `head` announces, sending `100 Continue` first when asked. The
    /// body is held against the shared budget before it is read, so that a refusal (413 over
    /// the cap, 503 over the budget) comes before the client sends it.
    pub async fn read_body(&mut self, head: &Head) -> Result<Body, ReadError> {
        let framing = framing(head)?;
        let mut held = Reservation::new(&self.limits.budget);
        if framing == Framing::Length(0) {
            return Ok(Body {
                bytes: Vec::new(),
                _held: held,
            });
        }
        if let Framing::Length(n) = framing {
            if n > self.limits.max_body {
                return Err(self.too_large());
            }
            if !held.grow(n) {
                return Err(self.busy());
            }
        }
        if head.expects_continue() && self.buf.is_empty() {
            self.io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            self.io.flush().await?;
        }
        let bytes = match framing {
            Framing::Length(n) => {
                while self.buf.len() < n {
                    if self.fill().await? == 0 {
                        return Err(ReadError::Closed);
                    }
                }
                let rest = self.buf.split_off(n);
                std::mem::replace(&mut self.buf, rest)
            }
            Framing::Chunked => self.read_chunked(head, &mut held).await?,
        };
        // A large chunked body leaves a large buffer behind; the budget no longer covers it.
        self.buf.shrink_to(16 * 1024);
        Ok(Body { bytes, _held: held })
    }

    fn too_large(&self) -> ReadError {
        ReadError::Reject(
            413,
            format!("request body larger than {} bytes", self.limits.max_body),
        )
    }

    fn busy(&self) -> ReadError {
        ReadError::Reject(
            503,
            format!(
                "the sandbox holds its limit of {} request-body bytes; try again",
                self.limits.budget.limit
            ),
        )
    }

    /// One CRLF-terminated line (returned without the CRLF) of at most `max` bytes with its
    /// CRLF; `too_long` otherwise, as soon as that is certain.
    async fn read_line(
        &mut self,
        max: usize,
        too_long: fn() -> ReadError,
    ) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                if pos + 2 > max {
                    return Err(too_long());
                }
                let line: Vec<u8> = self.buf.drain(..pos + 2).take(pos).collect();
                return Ok(line);
            }
            if self.buf.len() >= max {
                return Err(too_long());
            }
            if self.fill().await? == 0 {
                return Err(ReadError::Closed);
            }
        }
    }

    async fn read_chunked(
        &mut self,
        head: &Head,
        held: &mut Reservation,
    ) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self
                .read_line(MAX_CHUNK_LINE, || {
                    ReadError::Reject(400, "chunk-size line too long".into())
                })
                .await?;
            let size = parse_chunk_size(&line)
                .ok_or_else(|| ReadError::Reject(400, "malformed chunk size".into()))?;
            if size == 0 {
                self.read_trailers(head).await?;
                return Ok(body);
            }
            if body.len().saturating_add(size) > self.limits.max_body {
                return Err(self.too_large());
            }
            if !held.grow(size) {
                return Err(self.busy());
            }
            while self.buf.len() < size + 2 {
                if self.fill().await? == 0 {
                    return Err(ReadError::Closed);
                }
            }
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err(ReadError::Reject(400, "chunk not followed by CRLF".into()));
            }
            body.extend(self.buf.drain(..size + 2).take(size));
        }
    }

    /// The trailer section after the last chunk, up to its empty line: checked by `httparse`
    /// and ignored, within what the head left of the head limits (bytes and fields).
    async fn read_trailers(&mut self, head: &Head) -> Result<(), ReadError> {
        let mut room = MAX_HEAD.saturating_sub(head.len);
        let mut fields = MAX_HEADERS.saturating_sub(head.headers.len());
        let mut section = Vec::new();
        loop {
            let line = self.read_line(room, head_too_large).await?;
            room -= line.len() + 2;
            if line.is_empty() {
                break;
            }
            fields = fields.checked_sub(1).ok_or_else(too_many_fields)?;
            section.extend_from_slice(&line);
            section.extend_from_slice(b"\r\n");
        }
        section.extend_from_slice(b"\r\n");
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match httparse::parse_headers(&section, &mut slots) {
            Ok(httparse::Status::Complete(_)) => Ok(()),
            _ => Err(ReadError::Reject(400, "malformed trailer field".into())),
        }
    }

    /// After an error answer: stop writing, then read and discard what the client still
    /// sends for a moment, so that it sees the answer rather than a connection reset.
    pub async fn linger(&mut self) {
        let _ = self.io.shutdown().await;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        let mut discarded = 0usize;
        let mut chunk = [0u8; 16 * 1024];
        while discarded < 16 * crate::MAX_BODY_BYTES {
            match tokio::time::timeout_at(deadline, self.io.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => discarded += n,
                _ => break,
            }
        }
    }
}

/// The request target reduced to its path: no query, no scheme and authority.
fn path_of(target: &str) -> String {
    let target = match target.find("://") {
        Some(i) if target[..i].bytes().all(|b| b.is_ascii_alphabetic()) => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        _ => target,
    };
    target.split(['?', '#']).next().unwrap_or("/").to_owned()
}

fn framing(head: &Head) -> Result<Framing, ReadError> {
    let bad = |why: &str| ReadError::Reject(400, why.to_owned());
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means its framing is faulty
    // (a 1.0 intermediary may not have honoured it).
    if head.minor_version == 0 && head.values("transfer-encoding").next().is_some() {
        return Err(bad("Transfer-Encoding in an HTTP/1.0 request"));
    }
    let te: Vec<String> = head
        .values("transfer-encoding")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    let lengths: Vec<&[u8]> = head.values("content-length").collect();
    if !te.is_empty() {
        if !lengths.is_empty() {
            return Err(bad("both Transfer-Encoding and Content-Length"));
        }
        if te.last().map(String::as_str) != Some("chunked") || te.len() != 1 {
            return Err(ReadError::Reject(
                501,
                "only Transfer-Encoding: chunked is supported".into(),
            ));
        }
        return Ok(Framing::Chunked);
    }
    let mut length = None;
    for value in lengths {
        for part in String::from_utf8_lossy(value).split(',') {
            let part = part.trim();
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("malformed Content-Length"));
            }
            let n: usize = part.parse().map_err(|_| bad("malformed Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(bad("conflicting Content-Length values"));
            }
            length = Some(n);
        }
    }
    Ok(Framing::Length(length.unwrap_or(0)))
}

/// A chunk-size line: hex digits only (no sign, no surrounding whitespace), optionally
/// followed by `;` extensions, before which RFC 9112 allows whitespace. Written by hand:
/// `httparse::parse_chunk_size` reads an empty size as 0 and accepts trailing whitespace.
fn parse_chunk_size(line: &[u8]) -> Option<usize> {
    let (digits, extensions) = match line.iter().position(|b| *b == b';') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let digits = match extensions {
        Some(_) => {
            let end = digits
                .iter()
                .rposition(|b| *b != b' ' && *b != b'\t')
                .map_or(0, |i| i + 1);
            &digits[..end]
        }
        None => digits,
    };
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let control = |b: &u8| (*b < 0x20 && *b != b'\t') || *b == 0x7f;
    if extensions.is_some_and(|e| e.iter().any(control)) {
        return None;
    }
    usize::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// A complete response, ready to be written (or cut short by a fault).
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The content type of every JSON answer.
pub const JSON: &str = "application/json;charset=UTF-8";

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type: JSON,
            headers: Vec::new(),
            body,
        }
    }

    /// The status line and headers, with `Content-Length` = the body's length.
    pub fn head_bytes(&self, keep_alive: bool) -> Vec<u8> {
        self.head_bytes_with_length(self.body.len(), keep_alive)
    }

    /// The status line and headers with an explicit `Content-Length`.
    pub fn head_bytes_with_length(&self, length: usize, keep_alive: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nServer: chinaums-sandbox\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            length
        );
        for (name, value) in &self.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        head.into_bytes()
    }
}

/// The reason phrase for the statuses the sandbox sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(headers: &[(&str, &str)]) -> Head {
        Head {
            method: "POST".into(),
            path: "/".into(),
            minor_version: 1,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            len: 0,
        }
    }

    fn conn<S: AsyncRead + AsyncWrite + Unpin>(io: S) -> Conn<S> {
        Conn::new(
            io,
            Arc::new(Limits::new(
                crate::MAX_BODY_BYTES,
                crate::DEFAULT_MAX_BUFFERED_BODY_BYTES,
            )),
        )
    }

    #[test]
    fn paths_lose_query_and_authority() {
        assert_eq!(path_of("/v1/netpay/query?x=1"), "/v1/netpay/query");
        assert_eq!(path_of("http://127.0.0.1:8080/v1/a"), "/v1/a");
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
        assert_eq!(path_of("/a#frag"), "/a");
    }

    #[test]
    fn framing_rules() {
        assert_eq!(framing(&head(&[])).ok(), Some(Framing::Length(0)));
        assert_eq!(
            framing(&head(&[("Content-Length", "12")])).ok(),
            Some(Framing::Length(12))
        );
        assert_eq!(
            framing(&head(&[("content-length", "12"), ("Content-Length", "12")])).ok(),
            Some(Framing::Length(12))
        );
        assert_eq!(
            framing(&head(&[("Transfer-Encoding", "chunked")])).ok(),
            Some(Framing::Chunked)
        );
        for bad in [
            vec![("Content-Length", "12"), ("Content-Length", "13")],
            vec![("Content-Length", "-1")],
            vec![("Content-Length", "1e3")],
            vec![("Content-Length", "")],
            vec![("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
        ] {
            assert!(
                matches!(framing(&head(&bad)), Err(ReadError::Reject(400, _))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            framing(&head(&[("Transfer-Encoding", "gzip")])),
            Err(ReadError::Reject(501, _))
        ));
        let mut old = head(&[("Transfer-Encoding", "chunked")]);
        old.minor_version = 0;
        assert!(matches!(framing(&old), Err(ReadError::Reject(400, _))));
        old.headers.clear();
        assert_eq!(framing(&old).ok(), Some(Framing::Length(0)));
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"0"), Some(0));
        assert_eq!(parse_chunk_size(b"A;ext=1"), Some(10));
        assert_eq!(parse_chunk_size(b""), None);
        assert_eq!(parse_chunk_size(b"xyz"), None);
        assert_eq!(parse_chunk_size(b"ffffffffffffffffff"), None);
        assert_eq!(parse_chunk_size(b"8d ;x"), Some(0x8d));
        assert_eq!(parse_chunk_size(b"8d\t;x"), Some(0x8d));
        for bad in [
            &b"+8d"[..],
            b" 8d",
            b"\t8d",
            b"-1",
            b"8d ",
            b"8 d",
            b"0x8d",
            b";x",
            b" ;x",
            b"8d;\x01",
            b"8d;\n",
        ] {
            assert_eq!(parse_chunk_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let limits = Limits::new(100, 10);
        assert_eq!(limits.max_body, 10, "no body larger than the whole budget");
        let mut a = Reservation::new(&limits.budget);
        let mut b = Reservation::new(&limits.budget);
        assert!(a.grow(6));
        assert!(!b.grow(5));
        assert!(b.grow(4));
        assert!(!a.grow(1));
        assert!(!a.grow(usize::MAX), "no overflow");
        drop(a);
        assert!(b.grow(6));
        drop(b);
        assert_eq!(limits.budget.used.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn keep_alive_rules() {
        assert!(head(&[]).keep_alive());
        assert!(!head(&[("Connection", "close")]).keep_alive());
        assert!(!head(&[("connection", "Upgrade, Close")]).keep_alive());
        let mut old = head(&[]);
        old.minor_version = 0;
        assert!(!old.keep_alive());
        old.headers
            .push(("Connection".into(), b"keep-alive".to_vec()));
        assert!(old.keep_alive());
    }

    #[tokio::test]
    async fn reads_pipelined_requests_and_chunked_bodies() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let mut conn = conn(server);
        let mut client = client;
        client
            .write_all(
                b"\r\nPOST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
                  POST /b?q HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n1;e\r\nz\r\n0\r\nT: 1\r\n\r\n",
            )
            .await
            .unwrap();
        drop(client);
        let first = conn.read_head().await.unwrap().unwrap();
        assert_eq!(first.path, "/a");
        assert_eq!(conn.read_body(&first).await.unwrap().bytes, b"abc");
        let second = conn.read_head().await.unwrap().unwrap();
        assert_eq!(second.path, "/b");
        assert_eq!(conn.read_body(&second).await.unwrap().bytes, b"xyz");
        assert!(conn.read_head().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn rejects_oversized_bodies_before_reading_them() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut conn = conn(server);
        client
            .write_all(b"POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n")
            .await
            .unwrap();
        let head = conn.read_head().await.unwrap().unwrap();
        assert!(matches!(
            conn.read_body(&head).await,
            Err(ReadError::Reject(413, _))
        ));
    }

    #[tokio::test]
    async fn rejects_oversized_chunked_bodies() {
        let (mut client, server) = tokio::io::duplex(4 << 20);
        let mut conn = conn(server);
        let mut request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..2 {
            request.extend_from_slice(b"80000\r\n");
            request.extend(std::iter::repeat_n(b'a', 0x80000));
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"1\r\na\r\n0\r\n\r\n");
        client.write_all(&request).await.unwrap();
        let head = conn.read_head().await.unwrap().unwrap();
        assert!(matches!(
            conn.read_body(&head).await,
            Err(ReadError::Reject(413, _))
        ));
    }

    #[tokio::test]
    async fn malformed_heads_are_rejected() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut conn = conn(server);
        client
            .write_all(b"POST /\x01 HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        assert!(matches!(
            conn.read_head().await,
            Err(ReadError::Reject(400, _))
        ));
    }

    #[test]
    fn response_heads() {
        let r = Response::json(200, b"{}".to_vec());
        let head = String::from_utf8(r.head_bytes(true)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains("Content-Type: application/json;charset=UTF-8\r\n"));
        assert!(head.contains("Content-Length: 2\r\n"));
        assert!(head.ends_with("Connection: keep-alive\r\n\r\n"));
        let head = String::from_utf8(r.head_bytes_with_length(10, false)).unwrap();
        assert!(head.contains("Content-Length: 10\r\n"));
        assert!(head.ends_with("Connection: close\r\n\r\n"));
    }
}
