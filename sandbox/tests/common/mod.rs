//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream`, so that the sandbox is tested
//! at the byte level without any runtime adapter.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use chinaums::http;
use chinaums::netpay::PaymentQuery;
use chinaums::{Client, Credentials, FixedClock};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_TID, Sandbox};
use serde_json::Value;

/// A response as it came off the wire.
#[derive(Debug)]
pub struct Raw {
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

pub fn connect(sandbox: &Sandbox) -> TcpStream {
    let stream = TcpStream::connect(sandbox.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream
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

/// Reads bytes until the end of the response head; returns (head, extra bytes read).
fn read_head(stream: &mut impl Read) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(pos + 4);
            return Ok((buf, rest));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("closed after {} bytes", buf.len()),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_head(head: &[u8]) -> (u16, Vec<(String, String)>) {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let status = response.parse(head).expect("valid response head");
    assert!(status.is_complete());
    (
        response.code.unwrap(),
        response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect(),
    )
}

/// Reads one response framed by `Content-Length` (skipping `100 Continue`).
pub fn read_response(stream: &mut impl Read) -> io::Result<Raw> {
    let mut carry = Vec::new();
    loop {
        let (head, mut rest) = read_head(&mut ChainRead(&mut carry, stream))?;
        // Bytes of `carry` that `read_head` did not get to come after `rest`.
        rest.append(&mut carry);
        let (status, headers) = parse_head(&head);
        if status == 100 {
            carry = rest;
            continue;
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .expect("Content-Length");
        let mut body = rest;
        let mut chunk = vec![0u8; 64 * 1024];
        while body.len() < length {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("body cut at {} of {length} bytes", body.len()),
                ));
            }
            body.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(body.len(), length, "no bytes past the announced length");
        return Ok(Raw {
            status,
            headers,
            body,
        });
    }
}

/// Reads `carry` first, then the stream.
struct ChainRead<'a, R>(&'a mut Vec<u8>, &'a mut R);

impl<R: Read> Read for ChainRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.0.is_empty() {
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            return Ok(n);
        }
        self.1.read(buf)
    }
}

/// Reads everything until the peer closes.
pub fn read_to_close(stream: &mut impl Read) -> Vec<u8> {
    let mut all = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// Sends `request` on `stream` and reads the answer.
pub fn exchange(stream: &mut (impl Read + Write), request: &http::Request<Vec<u8>>) -> Raw {
    stream.write_all(&request_bytes(request)).unwrap();
    read_response(stream).unwrap()
}

/// Sends `request` on a new connection and reads the answer.
pub fn send(sandbox: &Sandbox, request: &http::Request<Vec<u8>>) -> Raw {
    exchange(&mut connect(sandbox), request)
}

/// Sends raw bytes on a new connection and reads one answer.
pub fn send_raw(sandbox: &Sandbox, bytes: &[u8]) -> Raw {
    let mut stream = connect(sandbox);
    stream.write_all(bytes).unwrap();
    read_response(&mut stream).unwrap()
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

/// A query for a demo-merchant order.
pub fn query(mer_order_id: &str) -> PaymentQuery {
    PaymentQuery::new(DEMO_MID, DEMO_TID, DEMO_INST_MID, mer_order_id)
}

/// A signed query request for a demo-merchant order.
pub fn signed_query(sandbox: &Sandbox, mer_order_id: &str) -> http::Request<Vec<u8>> {
    client(sandbox).prepare(&query(mer_order_id)).unwrap()
}

/// The body of a token request signed with `app_key`, at `now`.
pub fn token_body(app_id: &str, app_key: &str, now: SystemTime, nonce: &str) -> Vec<u8> {
    let timestamp = chinaums::types::time::auth_timestamp(now);
    let signature = chinaums::auth::token::signature(app_id, &timestamp, nonce, app_key);
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
    let raw = send(sandbox, &post(sandbox, chinaums::auth::token::PATH, body));
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
    let mut request = post(sandbox, chinaums::netpay::query::PATH, body);
    request.headers_mut().insert(
        "authorization",
        chinaums::auth::token::authorization_header(token)
            .parse()
            .unwrap(),
    );
    request
}

/// The monotonic clock, for the tests that wait or check that a delay happened.
#[allow(clippy::disallowed_methods)]
pub fn instant_now() -> std::time::Instant {
    std::time::Instant::now()
}
