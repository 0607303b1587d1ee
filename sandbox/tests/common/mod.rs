//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream`, so that the sandbox is tested
//! at the byte level without any runtime adapter. Responses are read by HTTP framing (status
//! line and headers by `httparse`, then `Content-Length`, `chunked` or close-delimited
//! bodies); bytes that arrive past one response stay buffered for the next, since pipelined
//! answers can come in one read.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use chinaums::http;
use chinaums::{Client, Credentials, FixedClock, Merchant, Operation, PaymentQuery};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_TID, Sandbox};
use serde_json::Value;

/// The path of the payment-result query, the core's own.
pub const PATH: &str = PaymentQuery::PATH;

/// The generous upper bound on any single read or write, so that a broken server fails a test
/// instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response head the helper accepts (the sandbox's own are a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;

/// A response as it came off the wire.
#[derive(Debug)]
pub struct Raw {
    /// The status line and headers, byte for byte (with the blank line).
    pub head: Vec<u8>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn err_code(&self) -> String {
        self.json()["errCode"]
            .as_str()
            .unwrap_or("<none>")
            .to_owned()
    }

    /// As an `http::Response`, to feed the core's parser.
    pub fn to_http(&self) -> http::Response<Vec<u8>> {
        let mut builder = http::Response::builder().status(self.status);
        for (n, v) in &self.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        builder.body(self.body.clone()).unwrap()
    }
}

/// Every value of header `name`.
fn values<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// A client connection: the stream plus the bytes read past the last parsed response.
pub struct Conn<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S> Conn<S> {
    pub fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Bytes received but not yet returned as (part of) a response.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }
}

impl<S: Read> Conn<S> {
    /// Reads once more into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Fills until the buffer holds at least `n` bytes; `what` names them in the EOF error.
    fn fill_to(&mut self, n: usize, what: &str) -> io::Result<()> {
        while self.buf.len() < n {
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{what} cut at {} of {n} bytes", self.buf.len()),
                ));
            }
        }
        Ok(())
    }

    /// The next response, interim (1xx) ones included. `to_head` says the request was a
    /// `HEAD`, whose answer has no body whatever its headers announce.
    pub fn read_message(&mut self, to_head: bool) -> io::Result<Raw> {
        let (head_len, status, headers) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut slots);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or_default();
                    let headers = response
                        .headers
                        .iter()
                        .map(|h| {
                            let value = String::from_utf8(h.value.to_vec())
                                .map_err(|_| invalid(format!("header {} not UTF-8", h.name)))?;
                            Ok((h.name.to_owned(), value))
                        })
                        .collect::<io::Result<Vec<_>>>()?;
                    break (len, status, headers);
                }
                Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD => {
                    return Err(invalid("response head larger than 64 KiB"));
                }
                Ok(httparse::Status::Partial) => {
                    if self.fill()? == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("closed after {} bytes of a response head", self.buf.len()),
                        ));
                    }
                }
                Err(e) => {
                    return Err(invalid(format!(
                        "malformed response head ({e}): {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )));
                }
            }
        };
        let head: Vec<u8> = self.buf.drain(..head_len).collect();
        // RFC 9112 §6.3, in order.
        let body = if to_head || (100..200).contains(&status) || status == 204 || status == 304 {
            Vec::new()
        } else if let Some(te) = values(&headers, "transfer-encoding").last() {
            if te.rsplit(',').next().map(str::trim) == Some("chunked") {
                self.read_chunked()?
            } else {
                self.read_to_end()?
            }
        } else if let Some(length) = self.content_length(values(&headers, "content-length"))? {
            self.fill_to(length, "body")?;
            let rest = self.buf.split_off(length);
            std::mem::replace(&mut self.buf, rest)
        } else {
            self.read_to_end()?
        };
        Ok(Raw {
            head,
            status,
            headers,
            body,
        })
    }

    /// The one `Content-Length` value (repeats must agree), if any.
    fn content_length<'a>(
        &self,
        values: impl Iterator<Item = &'a str>,
    ) -> io::Result<Option<usize>> {
        let mut length = None;
        for value in values {
            let n: usize = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("bad Content-Length {value:?}")))?;
            if length.is_some_and(|l| l != n) {
                return Err(invalid("conflicting Content-Length values"));
            }
            length = Some(n);
        }
        Ok(length)
    }

    /// A `chunked` body: sizes by `httparse`, then the data and its CRLF, then trailers.
    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let (line, size) = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) => {
                        self.fill_to(self.buf.len() + 1, "chunk size")?
                    }
                    Err(_) => return Err(invalid("malformed chunk size")),
                }
            };
            let size = usize::try_from(size).map_err(|_| invalid("chunk too large"))?;
            self.buf.drain(..line);
            if size == 0 {
                loop {
                    let mut slots = [httparse::EMPTY_HEADER; 64];
                    match httparse::parse_headers(&self.buf, &mut slots) {
                        Ok(httparse::Status::Complete((len, _))) => {
                            self.buf.drain(..len);
                            return Ok(body);
                        }
                        Ok(httparse::Status::Partial) => {
                            self.fill_to(self.buf.len() + 1, "trailers")?
                        }
                        Err(e) => return Err(invalid(format!("malformed trailers: {e}"))),
                    }
                }
            }
            let end = size
                .checked_add(2)
                .ok_or_else(|| invalid("chunk too large"))?;
            self.fill_to(end, "chunk")?;
            if &self.buf[size..end] != b"\r\n" {
                return Err(invalid("chunk not followed by CRLF"));
            }
            body.extend(self.buf.drain(..end).take(size));
        }
    }

    /// Everything until the peer closes (a close-delimited body).
    fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while self.fill()? > 0 {}
        Ok(std::mem::take(&mut self.buf))
    }

    /// The next final response (interim `100 Continue`s are skipped).
    pub fn read_response(&mut self) -> io::Result<Raw> {
        loop {
            let raw = self.read_message(false)?;
            if !(100..200).contains(&raw.status) {
                return Ok(raw);
            }
        }
    }

    /// The answer to a `HEAD` request (no body, whatever `Content-Length` says).
    pub fn read_head_response(&mut self) -> io::Result<Raw> {
        self.read_message(true)
    }

    /// Everything still buffered or sent until the peer closes (a reset counts as a close).
    pub fn read_to_close(&mut self) -> Vec<u8> {
        loop {
            match self.fill() {
                Ok(0) => return std::mem::take(&mut self.buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    return std::mem::take(&mut self.buf);
                }
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }
}

impl<S: Read + Write> Conn<S> {
    /// Sends `request` and reads the answer.
    pub fn exchange(&mut self, request: &http::Request<Vec<u8>>) -> Raw {
        self.write_all(&request_bytes(request)).unwrap();
        self.read_response().unwrap()
    }
}

impl Conn<TcpStream> {
    /// Closes the writing half (`shutdown(Write)`): the peer reads end of input, and may
    /// still answer.
    pub fn close_write(&mut self) {
        self.stream.shutdown(std::net::Shutdown::Write).unwrap();
    }

    /// Whether nothing has arrived yet (checked without waiting).
    pub fn nothing_received_yet(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        self.stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let peeked = self.stream.peek(&mut byte);
        self.stream.set_nonblocking(false).unwrap();
        matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

impl<S: Write> Write for Conn<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Parses `bytes` as one complete response (e.g. all that came before the peer closed).
pub fn parse_response(bytes: &[u8]) -> io::Result<Raw> {
    Conn::new(bytes).read_response()
}

/// A plain TCP connection to the sandbox, with generous I/O timeouts.
pub fn connect(sandbox: &Sandbox) -> Conn<TcpStream> {
    let stream = TcpStream::connect(sandbox.addr()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    Conn::new(stream)
}

/// The wire bytes of a request built by the core (path only in the request line).
pub fn request_bytes(request: &http::Request<Vec<u8>>) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        request.method(),
        request.uri().path_and_query().map_or("/", |p| p.as_str()),
        request
            .uri()
            .authority()
            .map_or("localhost", |a| a.as_str()),
    );
    for (name, value) in request.headers() {
        out.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap()));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(request.body());
    bytes
}

/// Sends `request` on a new connection and reads the answer.
pub fn send(sandbox: &Sandbox, request: &http::Request<Vec<u8>>) -> Raw {
    connect(sandbox).exchange(request)
}

/// Sends raw bytes on a new connection and reads one answer.
pub fn send_raw(sandbox: &Sandbox, bytes: &[u8]) -> Raw {
    let mut conn = connect(sandbox);
    conn.write_all(bytes).unwrap();
    conn.read_response().unwrap()
}

/// Waits (polling, up to a generous deadline) until `done` holds; false if it never did.
pub fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = instant_now() + IO_TIMEOUT;
    while instant_now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

/// A core client with the sandbox's credentials and the system clock.
pub fn client(sandbox: &Sandbox) -> Client {
    Client::new(sandbox.credentials(), sandbox.environment())
}

/// A core client whose clock shows the sandbox clock's "now" (after `advance_clock`).
pub fn client_at_sandbox_time(sandbox: &Sandbox) -> Client {
    client_with(sandbox, sandbox.credentials(), sandbox.now())
}

pub fn client_with(sandbox: &Sandbox, credentials: Credentials, now: SystemTime) -> Client {
    Client::builder(credentials, sandbox.environment())
        .clock(FixedClock::new(now))
        .build()
}

/// The demo merchant.
pub fn demo_merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap()
}

/// A query for a demo-merchant order.
pub fn query(mer_order_id: &str) -> PaymentQuery {
    PaymentQuery::new(&demo_merchant(), mer_order_id.parse().unwrap())
}

/// A signed query request for a demo-merchant order.
pub fn signed_query(sandbox: &Sandbox, mer_order_id: &str) -> http::Request<Vec<u8>> {
    client(sandbox).prepare(&query(mer_order_id)).unwrap()
}

/// The body of a token request signed with `app_key`, at `now`.
pub fn token_body(app_id: &str, app_key: &str, now: SystemTime, nonce: &str) -> Vec<u8> {
    let timestamp = chinaums::timestamps::auth_timestamp(now);
    let signature = chinaums::access_token::signature(app_id, &timestamp, nonce, app_key);
    serde_json::to_vec(&serde_json::json!({
        "appId": app_id,
        "timestamp": timestamp,
        "nonce": nonce,
        "signMethod": "SHA256",
        "signature": signature,
    }))
    .unwrap()
}

/// A `POST` with no Authorization header.
pub fn post(sandbox: &Sandbox, path: &str, body: Vec<u8>) -> http::Request<Vec<u8>> {
    http::Request::post(format!("{}{path}", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

/// Fetches a token; panics unless the sandbox issues one.
pub fn fetch_token(sandbox: &Sandbox) -> String {
    let body = token_body(
        sandbox.app_id(),
        sandbox.app_key(),
        sandbox.now(),
        "0123456789abcdef0123456789abcdef",
    );
    let raw = send(sandbox, &post(sandbox, chinaums::access_token::PATH, body));
    assert_eq!(raw.status, 200);
    let json = raw.json();
    assert_eq!(json["errCode"], "0000", "{json}");
    json["accessToken"].as_str().unwrap().to_owned()
}

/// A query request for `mer_order_id` with an `OPEN-ACCESS-TOKEN` header.
pub fn token_query(sandbox: &Sandbox, token: &str, mer_order_id: &str) -> http::Request<Vec<u8>> {
    let body = client_at_sandbox_time(sandbox)
        .encode(&query(mer_order_id))
        .unwrap();
    let mut request = post(sandbox, PATH, body);
    request.headers_mut().insert(
        "authorization",
        chinaums::access_token::authorization_header(token)
            .parse()
            .unwrap(),
    );
    request
}

/// The monotonic clock, for deadlines (never for assertions).
#[allow(clippy::disallowed_methods)]
pub fn instant_now() -> std::time::Instant {
    std::time::Instant::now()
}

/// The keys of a JSON object in wire order.
pub fn keys_in_order(body: &[u8]) -> Vec<String> {
    // serde_json's Map sorts keys; read them in order with a streaming visitor instead.
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Keys>(body).unwrap().0
}

/// `body` signed (OPEN-BODY-SIG) for `path`, exactly as given: for requests the core would
/// refuse to build.
pub fn signed(sandbox: &Sandbox, path: &str, body: &Value) -> http::Request<Vec<u8>> {
    client(sandbox)
        .sign_request(path, serde_json::to_vec(body).unwrap())
        .unwrap()
}
