//! `chinaums listen`: a notifyUrl on this machine. Each POST is verified with the notification
//! key and told in one line; with `--forward-to` it is passed on, byte for byte, to the
//! merchant's own app, whose answer goes back to the sender.
//!
//! The server is hyper's HTTP/1.1 (the requests are framed and parsed there, not here), on the
//! current-thread runtime that waits for Ctrl-C ([`Interrupt`]); forwarding is a blocking ureq
//! exchange on tokio's blocking pool, bounded by `--forward-timeout`. What one request does
//! (verify, decide the answer, write the line) is plain functions, tested without a socket.

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chinaums::notify::{self, Notification, NotifyError, NotifyKey};
use chinaums::timestamps::request_timestamp;
use chinaums::{Clock, SystemClock};
use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::commands::Run;
use crate::commands::notify::{
    KeyArgs, hash_name, moved_amount, reason, shown, sign_type, state_text,
};
use crate::common::parse_timeout;
use crate::exit::{Class, CliError};
use crate::interrupt::Interrupt;

/// `listen --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Receive payment notifications on this machine: a small HTTP server on 127.0.0.1 to give orders \
as their notifyUrl (--notify-url of `chinaums order create`), for the sandbox (or a tunnel) to \
POST to. Any path is accepted; --port 0 (the default) picks a free port, printed first.

For each POST it verifies the body with the notification key (--key-env, default \
CHINAUMS_NOTIFY_KEY, or --key-file) and prints one line: the time (Beijing), notifyId, \
merOrderId, the state in words, the amount in yuan and fen, and `verified (SHA256)` or why not; \
then what the app answered and what the sender was answered. Neither the key nor the sign is \
ever printed.

With --forward-to URL (an http:// URL on this machine: your app's notify handler) the exact \
body is POSTed there with its Content-Type, verified or not (your app must verify it too), and \
the app's answer body goes back to the sender, so that SUCCESS (stop re-sending) and anything \
else (send again later) keep their meaning; an app that answers with an HTTP error, cannot be \
reached or takes longer than --forward-timeout makes the answer FAILED, so the sender retries. \
Without --forward-to, a verified notification is answered SUCCESS and any other FAILED.

Runs until Ctrl-C.";

/// `listen --help`, at the end.
pub const AFTER_LONG_HELP: &str = "\
Examples:
  export CHINAUMS_NOTIFY_KEY=chinaums-sandbox-notify-key-not-a-secret     (the sandbox's)
  chinaums listen --port 9000 --forward-to http://localhost:3000/notify
  chinaums order create mini --amount 1.00 ... --notify-url http://127.0.0.1:9000/notify

Exit codes: 0 stopped by Ctrl-C; 1 the port cannot be bound; 2 a bad flag or --forward-to; \
4 no notification key (the variable is named).";

/// The largest body accepted: a notification is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest answer of the app passed back; a longer one answers FAILED.
pub const MAX_APP_ANSWER_BYTES: usize = 64 * 1024;
/// How long a client may take to send a request's head, or its body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 64;

/// `chinaums listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// The port on 127.0.0.1; 0 picks a free one (printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Pass each notification on to this URL (your app's notify handler: http:// on this
    /// machine) and answer the sender with the app's answer.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,

    /// How long the app may take to answer a forwarded notification, e.g. `10s`, `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub forward_timeout: Duration,

    /// The notification key's source.
    #[command(flatten)]
    pub key: KeyArgs,
}

impl Run for ListenArgs {
    fn run(&self) -> Result<String, CliError> {
        run(self).map(|()| String::new())
    }
}

/// The app's URL `--forward-to` names: `http://` on 127.0.0.1 (any of 127.0.0.0/8),
/// `localhost` or `[::1]`, without a password. Notifications are passed on only to this
/// machine, in plain HTTP (the HTTP client is built without TLS).
pub fn parse_forward(url: &str) -> Result<String, CliError> {
    let refuse = |why: String| {
        CliError::usage(format!(
            "--forward-to {}: {why}",
            shown(&chinaums::redact_userinfo(url))
        ))
        .hint("give your app's notify handler on this machine, e.g. http://localhost:3000/notify")
    };
    let uri: chinaums::http::Uri = url
        .trim()
        .parse()
        .map_err(|_| refuse("not a URL".to_owned()))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(refuse(
                "https is not supported: the app is on this machine, use http://".to_owned(),
            ));
        }
        _ => return Err(refuse("not an http:// URL".to_owned())),
    }
    let authority = uri
        .authority()
        .ok_or_else(|| refuse("no host".to_owned()))?;
    if authority.as_str().contains('@') {
        return Err(refuse(
            "a user or password in the URL is not supported".to_owned(),
        ));
    }
    let loopback = match authority.host() {
        "localhost" => true,
        "[::1]" => true,
        other => other.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    };
    if !loopback {
        return Err(refuse(
            "not on this machine (127.0.0.1, localhost or [::1])".to_owned(),
        ));
    }
    Ok(uri.to_string())
}

/// What the app answered a forwarded notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppAnswer {
    /// An HTTP answer: its status and body.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The body (at most [`MAX_APP_ANSWER_BYTES`]).
        body: Vec<u8>,
    },
    /// No usable answer: unreachable, too slow, too long, not HTTP.
    Failed(String),
}

/// The body to answer the sender with: without an app, `SUCCESS` for a verified notification
/// and `FAILED` otherwise; with one, the app's body when it answered 2xx, else `FAILED`.
pub fn answer_for(verified: bool, app: Option<&AppAnswer>) -> Vec<u8> {
    match app {
        None => notify::acknowledgement(verified).as_bytes().to_vec(),
        Some(AppAnswer::Answered { status, body }) if (200..300).contains(status) => body.clone(),
        Some(_) => notify::acknowledgement(false).as_bytes().to_vec(),
    }
}

/// The line told for one notification: time, notifyId, merOrderId, state, amount, verified or
/// why not, the app's answer, the answer sent. Values from an unverified body are shown as
/// claimed (escaped, cut at 64 characters); neither the sign nor the key ever appears.
pub fn line(
    time: &str,
    body: &[u8],
    content_type: Option<&str>,
    verdict: &Result<Notification, NotifyError>,
    app: Option<&AppAnswer>,
    answer: &[u8],
) -> String {
    let mut parts = vec![time.to_owned()];
    match verdict {
        Ok(notification) => {
            parts.push(format!(
                "notifyId={}",
                notification.notify_id().map_or("-".to_owned(), shown)
            ));
            parts.push(format!(
                "merOrderId={}",
                notification.mer_order_id().map_or("-".to_owned(), shown)
            ));
            if let Notification::Refund(refund) = notification {
                if let Some(id) = &refund.refund_order_id {
                    parts.push(format!("refundOrderId={}", shown(id)));
                }
            }
            parts.push(format!("state={}", state_text(notification)));
            if let Some((name, amount)) = moved_amount(notification) {
                parts.push(format!("{name}={amount}"));
            }
            parts.push(match sign_type(notification) {
                Some(hash) => format!("verified ({})", hash_name(hash)),
                None => "verified".to_owned(),
            });
        }
        Err(error) => {
            let claimed = claimed_fields(body, content_type);
            let field = |name: &str| {
                claimed
                    .as_ref()
                    .and_then(|fields| fields.get(name))
                    .map_or("-".to_owned(), |v| shown(v))
            };
            parts.push(format!("notifyId={}", field("notifyId")));
            parts.push(format!("merOrderId={}", field("merOrderId")));
            parts.push(format!("NOT VERIFIED: {}", reason(error)));
        }
    }
    match app {
        None => {}
        Some(AppAnswer::Answered { status, body }) => parts.push(format!(
            "app: HTTP {status} {:?}",
            shown(&String::from_utf8_lossy(body))
        )),
        Some(AppAnswer::Failed(why)) => parts.push(format!("app: {}", shown(why))),
    }
    parts.push(format!(
        "answered {}",
        shown(&String::from_utf8_lossy(answer))
    ));
    parts.join("  ")
}

/// The fields an unverified body claims, read as the core reads them; `None` when it cannot.
fn claimed_fields(body: &[u8], content_type: Option<&str>) -> Option<notify::Fields> {
    let json = match content_type {
        Some(ct) => ct.to_ascii_lowercase().contains("json"),
        None => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    if json {
        notify::parse_json(body).ok()
    } else {
        notify::parse_form(body).ok()
    }
}

/// What every connection shares.
struct State {
    key: NotifyKey,
    forward: Option<String>,
    agent: ureq::Agent,
}

/// Starts the server, prints where it listens, and serves until Ctrl-C.
pub fn run(args: &ListenArgs) -> Result<(), CliError> {
    let key = args.key.key()?;
    let forward = args.forward_to.as_deref().map(parse_forward).transpose()?;
    let mut interrupt = Interrupt::listen()?;
    let listener =
        std::net::TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| bind_error(&e, args.port))?;
    let addr = listener
        .local_addr()
        .map_err(|e| bind_error(&e, args.port))?;
    let listener = {
        let _context = interrupt.runtime().enter();
        tokio::net::TcpListener::from_std(listener).map_err(|e| bind_error(&e, args.port))?
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(args.forward_timeout))
        .user_agent("chinaums-listen")
        .build()
        .into();
    let state = Arc::new(State {
        key,
        forward,
        agent,
    });
    let mut out = std::io::stdout().lock();
    out.write_all(banner(addr, &args.key, state.forward.as_deref()).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(Class::Other, format!("cannot write to stdout: {e}")))?;
    drop(out);
    interrupt.runtime().spawn(serve(listener, state));
    interrupt.wait();
    eprintln!("stopping the listener");
    interrupt.shutdown(Duration::from_secs(1));
    Ok(())
}

fn bind_error(e: &std::io::Error, port: u16) -> CliError {
    let address = if port == 0 {
        "127.0.0.1 (any free port)".to_owned()
    } else {
        format!("127.0.0.1:{port}")
    };
    let error = CliError::new(Class::Other, format!("cannot listen on {address}: {e}"));
    if e.kind() == std::io::ErrorKind::AddrInUse {
        error.hint(
            "another program listens on that port: pick another --port, or --port 0 for a free one",
        )
    } else {
        error
    }
}

/// What is printed first: the URL to give orders, the key's source (never the key), where
/// notifications go.
fn banner(addr: SocketAddr, key: &KeyArgs, forward: Option<&str>) -> String {
    let url = format!("http://{addr}/notify");
    let source = match &key.key_file {
        Some(path) => format!("the key in {}", path.display()),
        None => format!("the key in ${}", key.key_env),
    };
    let forwarding = match forward {
        Some(app) => format!(
            "forwarding each notification to {app}; its answer goes back to the sender \
             (FAILED if it cannot be reached or answers an HTTP error)"
        ),
        None => "no --forward-to: answering SUCCESS to verified notifications, FAILED to others"
            .to_owned(),
    };
    format!(
        "chinaums listen on {url}\n\
         \x20 give it to orders as their notifyUrl (--notify-url {url}; any path is accepted)\n\
         \x20 verifying with {source}\n\
         \x20 {forwarding}\n\
         Ctrl-C to stop.\n"
    )
}

/// Accepts connections until the runtime stops, at most [`MAX_CONNECTIONS`] at once.
async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("warning: accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&state), request));
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

/// One request: a POST is verified, told, forwarded and answered; anything else is refused.
async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let time = request_timestamp(SystemClock.now());
    if request.method() != Method::POST {
        tell(&format!(
            "{time}  {} {}: not a notification (only POST), answered 405",
            request.method(),
            shown(&request.uri().to_string())
        ));
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "this is a notifyUrl: only POST\n",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return Ok(response);
    }
    let content_type = request.headers().get(CONTENT_TYPE).cloned();
    let body = match tokio::time::timeout(
        READ_TIMEOUT,
        Limited::new(request.into_body(), MAX_BODY_BYTES).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) => {
            let too_large = e.is::<http_body_util::LengthLimitError>();
            let (status, why) = if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("a body over {MAX_BODY_BYTES} bytes"),
                )
            } else {
                (StatusCode::BAD_REQUEST, format!("an unreadable body ({e})"))
            };
            tell(&format!(
                "{time}  refused {why}: answered {}",
                status.as_u16()
            ));
            return Ok(text(status, "FAILED"));
        }
        Err(_) => {
            tell(&format!(
                "{time}  the body did not arrive in time: answered 408"
            ));
            return Ok(text(StatusCode::REQUEST_TIMEOUT, "FAILED"));
        }
    };
    let content_type_text = content_type.as_ref().and_then(|v| v.to_str().ok());
    let verdict = notify::verify(&body, content_type_text, &state.key);
    let app = match &state.forward {
        None => None,
        Some(url) => {
            let (agent, url, body, content_type) = (
                state.agent.clone(),
                url.clone(),
                body.clone(),
                content_type.clone(),
            );
            Some(
                tokio::task::spawn_blocking(move || forward(&agent, &url, &body, content_type))
                    .await
                    .unwrap_or_else(|e| AppAnswer::Failed(format!("forwarding failed: {e}"))),
            )
        }
    };
    let answer = answer_for(verdict.is_ok(), app.as_ref());
    tell(&line(
        &time,
        &body,
        content_type_text,
        &verdict,
        app.as_ref(),
        &answer,
    ));
    Ok(text(StatusCode::OK, answer))
}

/// POSTs `body` to the app with the Content-Type it came with, and reads its answer.
fn forward(
    agent: &ureq::Agent,
    url: &str,
    body: &[u8],
    content_type: Option<HeaderValue>,
) -> AppAnswer {
    let mut request = agent.post(url);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    let response = match request.send(body) {
        Ok(response) => response,
        Err(e) => return AppAnswer::Failed(format!("{e}")),
    };
    let status = response.status().as_u16();
    match response
        .into_body()
        .into_with_config()
        .limit(MAX_APP_ANSWER_BYTES as u64)
        .read_to_vec()
    {
        Ok(body) => AppAnswer::Answered { status, body },
        Err(e) => AppAnswer::Failed(format!("HTTP {status}, reading the answer: {e}")),
    }
}

/// Prints one line on stdout at once; a closed stdout is not a reason to stop serving.
fn tell(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinaums::notify::{Fields, SignType};

    const KEY: &str = "unit-test-notify-key";

    fn signed(pairs: &[(&str, &str)], sign_type: SignType) -> Vec<u8> {
        let fields: Fields = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let sign = notify::sign(&fields, &NotifyKey::new(KEY), sign_type);
        format!("{}&sign={sign}", notify::encode_form(&fields)).into_bytes()
    }

    fn paid() -> Vec<u8> {
        signed(
            &[
                ("notifyId", "n-1"),
                ("merOrderId", "3194UNIT0001"),
                ("status", "TRADE_SUCCESS"),
                ("totalAmount", "250"),
                ("signType", "SHA256"),
            ],
            SignType::Sha256,
        )
    }

    fn verdict(body: &[u8]) -> Result<Notification, NotifyError> {
        notify::verify(body, None, &NotifyKey::new(KEY))
    }

    #[test]
    fn answers_follow_the_verdict_or_the_app() {
        assert_eq!(answer_for(true, None), b"SUCCESS");
        assert_eq!(answer_for(false, None), b"FAILED");
        let app = |status, body: &str| AppAnswer::Answered {
            status,
            body: body.as_bytes().to_vec(),
        };
        // The app's body passes through, whatever it says and whatever the verdict.
        assert_eq!(answer_for(false, Some(&app(200, "SUCCESS"))), b"SUCCESS");
        assert_eq!(answer_for(true, Some(&app(200, "FAILED"))), b"FAILED");
        assert_eq!(answer_for(true, Some(&app(204, ""))), b"");
        // An HTTP error or no answer: FAILED, so the sender tries again.
        assert_eq!(answer_for(true, Some(&app(500, "SUCCESS"))), b"FAILED");
        assert_eq!(
            answer_for(true, Some(&AppAnswer::Failed("refused".into()))),
            b"FAILED"
        );
    }

    #[test]
    fn a_verified_line_has_every_part_and_no_sign() {
        let body = paid();
        let v = verdict(&body);
        let answer = answer_for(v.is_ok(), None);
        let l = line("2024-01-01 12:00:05", &body, None, &v, None, &answer);
        assert_eq!(
            l,
            "2024-01-01 12:00:05  notifyId=n-1  merOrderId=3194UNIT0001  \
             state=paid (TRADE_SUCCESS)  amount=2.50 yuan (250 fen)  verified (SHA256)  \
             answered SUCCESS"
        );
        let sign = String::from_utf8(body).unwrap();
        let sign = sign.rsplit("sign=").next().unwrap();
        assert!(!l.contains(sign) && !l.contains(KEY), "{l}");
    }

    #[test]
    fn an_unverified_line_says_why_and_what_it_claims() {
        let body = String::from_utf8(paid())
            .unwrap()
            .replace("totalAmount=250", "totalAmount=1");
        let v = verdict(body.as_bytes());
        let app = AppAnswer::Answered {
            status: 500,
            body: b"oops\n".to_vec(),
        };
        let answer = answer_for(v.is_ok(), Some(&app));
        let l = line("t", body.as_bytes(), None, &v, Some(&app), &answer);
        assert_eq!(
            l,
            "t  notifyId=n-1  merOrderId=3194UNIT0001  NOT VERIFIED: signature mismatch  \
             app: HTTP 500 \"oops\\\\n\"  answered FAILED"
        );
        // A body that cannot even be read claims nothing.
        let v = verdict(b"a=1&a=2");
        let l = line("t", b"a=1&a=2", None, &v, None, b"FAILED");
        assert_eq!(
            l,
            "t  notifyId=-  merOrderId=-  NOT VERIFIED: duplicate field a  answered FAILED"
        );
    }

    #[test]
    fn refunds_tell_their_refund_and_its_amount() {
        let body = signed(
            &[
                ("notifyId", "n-2"),
                ("merOrderId", "3194UNIT0001"),
                ("status", "TRADE_REFUND"),
                ("refundOrderId", "3194UNIT0001R1"),
                ("refundAmount", "30"),
                ("totalAmount", "250"),
            ],
            SignType::Md5,
        );
        let v = verdict(&body);
        let l = line("t", &body, None, &v, None, b"SUCCESS");
        assert!(
            l.contains("refundOrderId=3194UNIT0001R1  state=paid, then refunded (TRADE_REFUND)  refundAmount=0.30 yuan (30 fen)  verified (MD5)"),
            "{l}"
        );
    }

    #[test]
    fn claimed_values_cannot_break_the_line() {
        let body = b"notifyId=a%0Ab%1B%5B2J&merOrderId=x&sign=00";
        let v = verdict(body);
        let l = line("t", body, None, &v, None, b"FAILED");
        assert_eq!(l.lines().count(), 1, "{l}");
        assert!(!l.contains('\u{1b}'), "{l}");
        assert!(l.contains(r"notifyId=a\nb\u{1b}[2J"), "{l}");
        let long = format!("notifyId={}&sign=00", "x".repeat(500));
        let v = verdict(long.as_bytes());
        let l = line("t", long.as_bytes(), None, &v, None, b"FAILED");
        assert!(l.len() < 200, "{l}");
    }

    #[test]
    fn forward_targets_are_http_on_this_machine() {
        for ok in [
            "http://localhost:3000/notify",
            "http://127.0.0.1:3000/",
            "http://127.9.9.9/x?y=1",
            "http://[::1]:8080/notify",
        ] {
            assert!(parse_forward(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("https://localhost:3000/notify", "https"),
            ("http://example.com/notify", "not on this machine"),
            ("http://10.0.0.1/notify", "not on this machine"),
            ("http://u:secret@localhost:3000/", "password"),
            ("ftp://localhost/", "http://"),
            ("localhost:3000", "http://"),
            ("", "URL"),
        ] {
            let e = parse_forward(bad).unwrap_err();
            assert_eq!(e.class, Class::Usage, "{bad}");
            assert!(e.message.contains(why), "{bad}: {}", e.message);
            assert!(!e.message.contains("secret"), "{}", e.message);
        }
    }
}
