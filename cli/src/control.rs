//! The sandbox's control API (`POST /sandbox/orders/{merOrderId}/pay|fail|expire`), reached
//! over a plain HTTP/1.1 connection to a loopback address.
//!
//! Only a sandbox on this machine is ever called: the base URL must be `http://` on
//! `127.0.0.1` (any of 127.0.0.0/8), `localhost` or `[::1]`. The request goes out with ureq
//! (the HTTP client the blocking adapter is built on), without proxies or redirects: the
//! adapter itself only sends signed platform operations, and these are plain unsigned POSTs
//! with a query string (`?mid=`, `?wallet=`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use chinaums::Environment;

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
    /// `timeout` bounds the whole exchange.
    pub fn post(&self, path_and_query: &str, timeout: Duration) -> Result<(u16, Vec<u8>), Failure> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(timeout))
            .user_agent("chinaums-cli")
            .build()
            .into();
        let url = format!("http://{}{}{path_and_query}", self.host, self.base_path);
        let response = agent
            .post(&url)
            .header("Accept", "application/json")
            .send_empty()
            .map_err(|e| failure(&e, self.addr))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .into_with_config()
            .limit(MAX_ANSWER_BYTES as u64)
            .read_to_vec()
            .map_err(|e| Failure::MaybeSent(format!("reading the answer: {e}")))?;
        Ok((status, body))
    }
}

/// Whether a failed exchange may have reached the sandbox: only a refused or impossible
/// connection certainly did not.
fn failure(error: &ureq::Error, addr: SocketAddr) -> Failure {
    let refused = match error {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
        ),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        _ => false,
    };
    if refused {
        Failure::NotSent(format!("cannot connect to {addr}: {error}"))
    } else {
        Failure::MaybeSent(format!("{error}"))
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
}
