//! The sandbox's control API (`POST /sandbox/orders/{merOrderId}/pay|fail|expire`), reached
//! over a plain HTTP/1.1 connection to a loopback address.
//!
//! Only a sandbox on this machine is ever called: the base URL must be `http://` on
//! `127.0.0.1` (any of 127.0.0.0/8), `localhost` or `[::1]`, so the connection needs neither
//! TLS nor name resolution, and the few lines of HTTP/1.1 here (one request, `Connection:
//! close`, an answer framed by `Content-Length`, chunks or the end of the connection) are the
//! whole client. The blocking adapter's HTTP client (ureq) is not reachable from here without
//! a new direct dependency (and a change to the workspace's lock file), and the adapter itself
//! only sends signed platform operations, whose paths take no query string (`?mid=`,
//! `?wallet=`).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use chinaums::{Clock, Environment, SystemClock};

use crate::common::parse_environment;
use crate::exit::{Class, CliError};

/// The largest answer read: a control answer is a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A sandbox on this machine, from a base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loopback {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `Host` header.
    pub host: String,
    /// The base URL's path, without a trailing `/` (usually empty).
    pub base_path: String,
    /// The base URL, for messages.
    pub base_url: String,
}

/// Why [`Loopback::post`] failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing was sent (the connection could not be made).
    NotSent(String),
    /// The request may have been sent; no usable answer came back.
    MaybeSent(String),
}

impl Loopback {
    /// The sandbox `env` names (`--env`): an `http://` base URL on a loopback address, else a
    /// usage error (exit 2) that says why.
    pub fn parse(env: &str) -> Result<Loopback, CliError> {
        let refuse = |why: String| {
            CliError::usage(format!(
                "the control API is only called on a local sandbox: {why}"
            ))
            .hint(
                "run `chinaums sandbox --port 8080` and give --env http://127.0.0.1:8080 (or \
                 CHINAUMS_ENV)",
            )
        };
        let environment = parse_environment(env.trim())
            .map_err(|why| CliError::usage(format!("invalid --env (or CHINAUMS_ENV): {why}")))?;
        let which = match &environment {
            Environment::Custom(_) => None,
            Environment::Production => Some("production"),
            Environment::Test => Some("test"),
        };
        if let Some(which) = which {
            return Err(refuse(format!(
                "--env names the platform's {which} gateway ({}), not a sandbox",
                environment.base_url()
            )));
        }
        let base_url = environment.base_url().to_owned();
        let uri: chinaums::http::Uri = base_url
            .parse()
            .map_err(|_| refuse(format!("{base_url} is not a URL")))?;
        let host = uri.host().unwrap_or_default();
        let ip = match host {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            "[::1]" => IpAddr::V6(Ipv6Addr::LOCALHOST),
            other => match other.parse::<IpAddr>() {
                Ok(ip) if ip.is_loopback() => ip,
                _ => {
                    return Err(refuse(format!(
                        "{base_url} is not on this machine (127.0.0.1, localhost or [::1])"
                    )));
                }
            },
        };
        if uri.scheme_str() != Some("http") {
            return Err(refuse(format!(
                "{base_url} is not http:// (the sandbox `chinaums sandbox` runs speaks plain \
                 HTTP)"
            )));
        }
        let port = uri.port_u16().unwrap_or(80);
        Ok(Loopback {
            addr: SocketAddr::new(ip, port),
            host: uri
                .authority()
                .map_or_else(|| host.to_owned(), |a| a.as_str().to_owned()),
            base_path: uri.path().trim_end_matches('/').to_owned(),
            base_url,
        })
    }

    /// `POST {base path}{path_and_query}` with an empty body; the answer's status and body.
    /// `timeout` bounds the whole exchange, read on the system clock (the SDK's [`Clock`]).
    pub fn post(&self, path_and_query: &str, timeout: Duration) -> Result<(u16, Vec<u8>), Failure> {
        let clock = SystemClock;
        // At most an hour away (`--timeout`'s limit): no overflow, but never a panic either.
        let deadline = clock.now().checked_add(timeout);
        let mut stream = TcpStream::connect_timeout(&self.addr, timeout)
            .map_err(|e| Failure::NotSent(format!("cannot connect to {}: {e}", self.addr)))?;
        let request = format!(
            "POST {}{path_and_query} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\
             Accept: application/json\r\nUser-Agent: chinaums-cli\r\nConnection: close\r\n\r\n",
            self.base_path, self.host
        );
        let lost = |what: &str, e: std::io::Error| Failure::MaybeSent(format!("{what}: {e}"));
        stream
            .set_write_timeout(Some(timeout))
            .and_then(|()| stream.write_all(request.as_bytes()))
            .and_then(|()| stream.flush())
            .map_err(|e| lost("sending the request", e))?;
        let mut received = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            if let Some(answer) = parse_answer(&received, false)? {
                return Ok(answer);
            }
            let left = deadline
                .and_then(|d| d.duration_since(clock.now()).ok())
                .unwrap_or(Duration::ZERO);
            if left.is_zero() {
                return Err(Failure::MaybeSent(format!(
                    "no complete answer within {}",
                    humantime::format_duration(timeout)
                )));
            }
            stream
                .set_read_timeout(Some(left))
                .map_err(|e| lost("reading the answer", e))?;
            match stream.read(&mut buffer) {
                Ok(0) => {
                    return parse_answer(&received, true)?.ok_or_else(|| {
                        Failure::MaybeSent("the connection closed before a whole answer".into())
                    });
                }
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if received.len() > MAX_ANSWER_BYTES {
                        return Err(Failure::MaybeSent(format!(
                            "an answer of more than {MAX_ANSWER_BYTES} bytes"
                        )));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(lost("reading the answer", e)),
            }
        }
    }
}

/// The status and body of a whole HTTP/1.1 answer in `bytes`; `None` while incomplete.
/// `ended`: the connection closed, which ends a body framed by neither length nor chunks.
pub fn parse_answer(bytes: &[u8], ended: bool) -> Result<Option<(u16, Vec<u8>)>, Failure> {
    let bad = |why: &str| Failure::MaybeSent(format!("not an HTTP answer: {why}"));
    let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if ended {
            Err(bad("no end of the head"))
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(&bytes[..head_end]).map_err(|_| bad("a head not in UTF-8"))?;
    let body = &bytes[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next(), parts.next());
    if !version.is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(bad("no HTTP/1.x status line"));
    }
    let status = code
        .filter(|c| c.len() == 3)
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| (100..=999).contains(c))
        .ok_or_else(|| bad("no status code"))?;
    if (100..200).contains(&status) {
        // An interim answer (100 Continue): the real one follows it.
        return parse_answer(body, ended);
    }
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad("a header line without `:`"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad("a bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
            if !chunked {
                return Err(bad("a transfer coding other than chunked"));
            }
        }
    }
    if chunked {
        return dechunk(body)
            .map(|b| b.map(|b| (status, b)))
            .or_else(|e| if ended { Err(e) } else { Ok(None) });
    }
    match length {
        Some(n) if body.len() >= n => Ok(Some((status, body[..n].to_vec()))),
        Some(_) if ended => Err(bad("the connection closed before the whole body")),
        Some(_) => Ok(None),
        None if ended || status == 204 || status == 304 => Ok(Some((status, body.to_vec()))),
        None => Ok(None),
    }
}

/// A chunked body: `Ok(None)` while incomplete, an error when malformed (or incomplete when
/// nothing more can come: the caller decides).
fn dechunk(mut body: &[u8]) -> Result<Option<Vec<u8>>, Failure> {
    let bad = |why: &str| Failure::MaybeSent(format!("not an HTTP answer: {why}"));
    let mut out = Vec::new();
    loop {
        let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") else {
            return Err(bad("an unfinished chunk"));
        };
        let size_text = std::str::from_utf8(&body[..line_end]).map_err(|_| bad("a chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("a chunk size"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            // Trailers, if any, end with an empty line; they are not read.
            return if body.windows(2).any(|w| w == b"\r\n") {
                Ok(Some(out))
            } else {
                Err(bad("an unfinished chunk"))
            };
        }
        let Some(end) = size.checked_add(2).filter(|end| *end <= body.len()) else {
            return Err(bad("an unfinished chunk"));
        };
        if &body[size..end] != b"\r\n" {
            return Err(bad("a chunk without its line end"));
        }
        out.extend_from_slice(&body[..size]);
        if out.len() > MAX_ANSWER_BYTES {
            return Err(bad("too large"));
        }
        body = &body[end..];
    }
}

/// A transport failure described for the command line: not sent → exit 5; maybe sent →
/// exit 6, with `after` saying what to ask then.
pub fn described(failure: Failure, base_url: &str, after: &str) -> CliError {
    match failure {
        Failure::NotSent(why) => CliError::new(
            Class::Retryable,
            format!("cannot reach the sandbox at {base_url}: {why} (nothing was sent)"),
        )
        .hint("is `chinaums sandbox` running on that port? Check --env (or CHINAUMS_ENV)"),
        Failure::MaybeSent(why) => CliError::new(
            Class::OutcomeUnknown,
            format!("no usable answer from the sandbox at {base_url}: {why}"),
        )
        .hint(after.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_sandboxes() {
        let ok = Loopback::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(ok.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            (ok.host.as_str(), ok.base_path.as_str()),
            ("127.0.0.1:8080", "")
        );
        let ok = Loopback::parse("http://localhost:9/base/").unwrap();
        assert_eq!(ok.addr, "127.0.0.1:9".parse().unwrap());
        assert_eq!(ok.base_path, "/base");
        assert_eq!(
            Loopback::parse("http://[::1]:7").unwrap().addr,
            "[::1]:7".parse().unwrap()
        );
        assert_eq!(
            Loopback::parse("http://127.1.2.3").unwrap().addr,
            "127.1.2.3:80".parse().unwrap()
        );
        for (bad, why) in [
            ("production", "production"),
            ("test", "test gateway"),
            ("https://127.0.0.1:8080", "not http://"),
            ("http://10.0.0.1:8080", "not on this machine"),
            ("http://example.com:8080", "not on this machine"),
            ("http://127.0.0.1.example.com", "not on this machine"),
            ("http://0.0.0.0:8080", "not on this machine"),
        ] {
            let e = Loopback::parse(bad).unwrap_err();
            assert_eq!(e.class, Class::Usage, "{bad}");
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
        let e = Loopback::parse("http://user:PW@127.0.0.1:9").unwrap_err();
        assert!(!e.message.contains("PW"), "{}", e.message);
        assert!(Loopback::parse("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn answers_framed_every_way() {
        let by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(
            parse_answer(by_length, false).unwrap(),
            Some((200, b"{}".to_vec()))
        );
        assert_eq!(
            parse_answer(&by_length[..by_length.len() - 1], false).unwrap(),
            None
        );
        assert!(parse_answer(&by_length[..by_length.len() - 1], true).is_err());
        let chunked =
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n1;x\r\n \r\n0\r\n\r\n";
        assert_eq!(
            parse_answer(chunked, false).unwrap(),
            Some((404, b"{} ".to_vec()))
        );
        assert_eq!(parse_answer(&chunked[..60], false).unwrap(), None);
        let to_the_end = b"HTTP/1.0 200 OK\r\n\r\n{\"a\":1}";
        assert_eq!(parse_answer(to_the_end, false).unwrap(), None);
        assert_eq!(
            parse_answer(to_the_end, true).unwrap(),
            Some((200, b"{\"a\":1}".to_vec()))
        );
        let interim =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 409 Conflict\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            parse_answer(interim, false).unwrap(),
            Some((409, Vec::new()))
        );
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            assert!(parse_answer(bad, true).is_err(), "{bad:?}");
        }
    }

    /// No bytes make the answer parser panic: every prefix of real answers, and 20 000
    /// pseudo-random mixes of their pieces (a fixed xorshift sequence, so failures repeat).
    #[test]
    fn no_input_panics_the_answer_parser() {
        const PIECES: [&[u8]; 14] = [
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"Content-Length: 5\r\n",
            b"Content-Length: 99999999999999999999999\r\n",
            b"Transfer-Encoding: chunked\r\n",
            b"\r\n",
            b"ffffffffffffffff\r\n",
            b"5\r\n",
            b"0\r\n\r\n",
            b"{\"errCode\":\"SUCCESS\"}",
            b"\xff\xfe",
            b":",
            b" ",
            b"\0",
        ];
        let mut state: u64 = 0x1234_5678_9abc_def1;
        let mut random = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut complete = 0;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            for _ in 0..random() % 12 {
                input.extend_from_slice(PIECES[(random() % PIECES.len() as u64) as usize]);
            }
            for ended in [false, true] {
                if let Ok(Some(_)) = parse_answer(&input, ended) {
                    complete += 1;
                }
            }
        }
        assert!(complete > 100, "only {complete} complete answers");
    }
}
