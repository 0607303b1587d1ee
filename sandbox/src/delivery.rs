//! Delivering notifications: a task on the sandbox's runtime picks up what the gateway queued
//! and POSTs each notification to its `notifyUrl` (hyper's HTTP/1.1 client, one connection per
//! attempt, every attempt bounded by the timeout), re-delivers on the schedule until an
//! answer acknowledges it, and records every attempt in the gateway's delivery log.
//!
//! Order: the first attempts of the notifications about one order are made one after the
//! other, in the order the notifications were made (a refund's is not sent before the
//! payment's first attempt ended); notifications about different orders do not wait for each
//! other. Re-deliveries keep their own schedule. [`NotifyFault::OutOfOrder`] holds a
//! notification back until the next one about the same order had its first attempt.
//!
//! Nothing here blocks a request (the gateway only queues), and nothing outlives the runtime:
//! stopping the sandbox drops every pending delivery.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::gateway::Gateway;
use crate::notifications::{
    DeliveryAttempt, NOTIFY_CONTENT_TYPE, NotifyFault, OUT_OF_ORDER_HOLD, OutgoingNotification,
    redact_url,
};
use crate::server::Clock;

/// The largest answer body read from a merchant's server; a larger one is not an
/// acknowledgement.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How much of an answer the delivery log keeps.
const ANSWER_SHOWN_BYTES: usize = 64;

/// How notifications are delivered.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The wait before each re-delivery; its length is the number of re-deliveries.
    pub schedule: Vec<Duration>,
    /// The bound on one attempt, connecting included.
    pub timeout: Duration,
    /// Print one line per attempt to stderr (never the body or a password).
    pub log: bool,
}

/// What every delivery task shares.
#[derive(Clone)]
pub(crate) struct Deliverer {
    pub gateway: Arc<Gateway>,
    pub clock: Arc<Clock>,
    pub settings: Arc<Settings>,
}

/// The notifications about one order: who is last in line, and who is held back.
#[derive(Default)]
struct Lane {
    /// Becomes `true` once the last notification in line had its first attempt.
    last: Option<watch::Receiver<bool>>,
    /// A notification held back by [`NotifyFault::OutOfOrder`]: it is sent the signal of the
    /// next one, and goes once that one had its first attempt.
    held: Option<oneshot::Sender<watch::Receiver<bool>>>,
}

impl Lane {
    /// Whether anything in this lane may still make a later notification wait.
    fn busy(&self) -> bool {
        let waiting = self
            .last
            .as_ref()
            .is_some_and(|done| !*done.borrow() && done.has_changed().is_ok());
        waiting || self.held.as_ref().is_some_and(|h| !h.is_closed())
    }
}

/// Runs until the runtime stops: picks up queued notifications and starts their delivery.
pub(crate) async fn run(deliverer: Deliverer) {
    let mut lanes: HashMap<(String, String), Lane> = HashMap::new();
    loop {
        let batch = deliverer.gateway.take_notifications();
        if batch.is_empty() {
            // `notify_one` keeps a permit when nobody waits, so a notification queued between
            // the take and this wait is not missed.
            deliverer.gateway.outbox_ready().notified().await;
            continue;
        }
        lanes.retain(|_, lane| lane.busy());
        for notification in batch {
            dispatch(&mut lanes, notification, &deliverer);
        }
    }
}

/// Puts `notification` in its order's lane and starts its delivery task.
fn dispatch(
    lanes: &mut HashMap<(String, String), Lane>,
    notification: OutgoingNotification,
    deliverer: &Deliverer,
) {
    let key = (notification.mid.clone(), notification.mer_order_id.clone());
    let lane = lanes.entry(key).or_default();
    let (done_tx, done_rx) = watch::channel(false);
    let after = lane.last.clone();
    let mut hold = None;
    if let Some(release) = lane.held.take().filter(|h| !h.is_closed()) {
        // The held one goes after this one's first attempt.
        let _ = release.send(done_rx.clone());
        lane.last = Some(done_rx);
    } else if notification.fault == Some(NotifyFault::OutOfOrder) {
        // Held back, and not in line: the next one must not wait for it.
        let (release, held) = oneshot::channel();
        lane.held = Some(release);
        hold = Some(held);
    } else {
        lane.last = Some(done_rx);
    }
    tokio::spawn(deliver(
        deliverer.clone(),
        notification,
        after,
        hold,
        done_tx,
    ));
}

/// Delivers one notification: waits its turn, then attempts until acknowledged or the
/// schedule is over.
async fn deliver(
    deliverer: Deliverer,
    notification: OutgoingNotification,
    after: Option<watch::Receiver<bool>>,
    hold: Option<oneshot::Receiver<watch::Receiver<bool>>>,
    first_done: watch::Sender<bool>,
) {
    if let Some(hold) = hold {
        if let Ok(Ok(mut newer)) = tokio::time::timeout(OUT_OF_ORDER_HOLD, hold).await {
            let _ = newer.wait_for(|done| *done).await;
        }
    }
    if let Some(mut after) = after {
        // An error means that delivery was dropped: nothing to wait for.
        let _ = after.wait_for(|done| *done).await;
    }
    let schedule = &deliverer.settings.schedule;
    let mut attempt: u32 = 1;
    loop {
        let outcome = send(&deliverer, &notification).await;
        let next = if outcome.acknowledged || outcome.permanent {
            None
        } else {
            usize::try_from(attempt - 1)
                .ok()
                .and_then(|i| schedule.get(i))
                .copied()
        };
        let acknowledged = outcome.acknowledged;
        record(&deliverer, &notification, attempt, false, outcome, next);
        first_done.send_replace(true);
        if acknowledged && notification.fault == Some(NotifyFault::Duplicate) {
            let again = send(&deliverer, &notification).await;
            record(&deliverer, &notification, attempt + 1, true, again, None);
        }
        let Some(delay) = next else {
            return;
        };
        tokio::time::sleep(delay).await;
        attempt = attempt.saturating_add(1);
    }
}

/// What one attempt got.
struct Outcome {
    at: SystemTime,
    status: Option<u16>,
    error: Option<String>,
    answer: Vec<u8>,
    acknowledged: bool,
    latency: Duration,
    /// The URL can never be delivered to: no retry.
    permanent: bool,
}

fn record(
    deliverer: &Deliverer,
    notification: &OutgoingNotification,
    attempt: u32,
    duplicate: bool,
    outcome: Outcome,
    next_attempt_in: Option<Duration>,
) {
    let shown = &outcome.answer[..outcome.answer.len().min(ANSWER_SHOWN_BYTES)];
    let entry = DeliveryAttempt {
        notify_id: notification.notify_id.clone(),
        family: notification.family,
        mid: notification.mid.clone(),
        mer_order_id: notification.mer_order_id.clone(),
        url: redact_url(&notification.url),
        attempt,
        duplicate,
        at: outcome.at,
        status: outcome.status,
        error: outcome.error,
        answer: String::from_utf8_lossy(shown).into_owned(),
        acknowledged: outcome.acknowledged,
        latency: outcome.latency,
        next_attempt_in,
    };
    if deliverer.settings.log {
        let result = match (&entry.status, &entry.error) {
            (_, Some(error)) => error.clone(),
            (Some(status), None) => format!("{status} {:?}", entry.answer),
            (None, None) => String::new(),
        };
        let next = entry
            .next_attempt_in
            .map_or(String::new(), |d| format!(", again in {d:?}"));
        eprintln!(
            "notify {} {} {} #{}{} -> {}{}{next}",
            entry.family,
            entry.mer_order_id,
            entry.url,
            entry.attempt,
            if duplicate { " (duplicate)" } else { "" },
            result,
            if entry.acknowledged {
                " (acknowledged)"
            } else {
                ""
            },
        );
    }
    deliverer.gateway.record_delivery(entry);
}

/// Whether an answer acknowledges a notification: HTTP 200 and a body that is exactly
/// `SUCCESS` once leading and trailing ASCII whitespace (space, tab, CR, LF, form feed) is
/// removed. `success`, `"SUCCESS"`, JSON or anything else is not.
pub(crate) fn acknowledges(status: u16, body: &[u8]) -> bool {
    status == 200 && body.trim_ascii() == b"SUCCESS"
}

/// One attempt, bounded by the timeout.
async fn send(deliverer: &Deliverer, notification: &OutgoingNotification) -> Outcome {
    let at = deliverer.clock.now();
    // The runtime's monotonic clock, for the latency only.
    let started = tokio::time::Instant::now();
    let timeout = deliverer.settings.timeout;
    let mut outcome = Outcome {
        at,
        status: None,
        error: None,
        answer: Vec::new(),
        acknowledged: false,
        latency: Duration::ZERO,
        permanent: false,
    };
    match Target::parse(&notification.url) {
        Err(why) => {
            outcome.error = Some(why);
            outcome.permanent = true;
        }
        Ok(target) => {
            let post = post(&target, notification.body.clone());
            match tokio::time::timeout(timeout, post).await {
                Err(_) => outcome.error = Some(format!("no answer within {timeout:?}")),
                Ok(Err(why)) => outcome.error = Some(why),
                Ok(Ok((status, body))) => {
                    outcome.status = Some(status);
                    match body {
                        Ok(body) => {
                            outcome.acknowledged = acknowledges(status, &body);
                            outcome.answer = body;
                        }
                        Err(why) => outcome.error = Some(why),
                    }
                }
            }
        }
    }
    outcome.latency = started.elapsed();
    outcome
}

/// Where a notification goes.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// To connect to (an IPv6 address without its brackets).
    host: String,
    port: u16,
    /// `Host:` (the authority without user information).
    host_header: String,
    /// The request target: path and query.
    path: String,
}

impl Target {
    /// An `http://` URL; anything else can never be delivered to by the sandbox.
    fn parse(url: &str) -> Result<Target, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("the notifyUrl is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err("the sandbox delivers notifications over plain HTTP only: \
                     an https:// notifyUrl is never delivered"
                    .to_owned());
            }
            _ => return Err("the notifyUrl is not an http:// URL".to_owned()),
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "the notifyUrl has no host".to_owned())?;
        let port = uri.port_u16().unwrap_or(80);
        let host_header = match uri.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        Ok(Target {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            host_header,
            path,
        })
    }
}

/// Aborts the connection task when the attempt ends (or is dropped by its timeout).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// POSTs `body` to `target`: the answer's status and its body (or why the body could not be
/// read), or why there was no answer.
async fn post(target: &Target, body: String) -> Result<(u16, Result<Vec<u8>, String>), String> {
    let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path.as_str())
        .header(header::HOST, target.host_header.as_str())
        .header(header::CONTENT_TYPE, NOTIFY_CONTENT_TYPE)
        .header(header::USER_AGENT, "chinaums-sandbox")
        .header(header::CONNECTION, "close")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("no HTTP answer: {e}"))?;
    let status = response.status().as_u16();
    let body = match Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) => Err(format!("the answer's body could not be read: {e}")),
    };
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_success_under_200_acknowledges() {
        assert!(acknowledges(200, b"SUCCESS"));
        assert!(acknowledges(200, b" \r\nSUCCESS\n\t"));
        for (status, body) in [
            (200, &b"success"[..]),
            (200, b"\"SUCCESS\""),
            (200, b"FAILED"),
            (200, b""),
            (200, b"SUCCESS!"),
            (200, b"{\"code\":\"SUCCESS\"}"),
            (201, b"SUCCESS"),
            (500, b"SUCCESS"),
            (200, b"\xEF\xBB\xBFSUCCESS"),
        ] {
            assert!(!acknowledges(status, body), "{status} {body:?}");
        }
    }

    #[test]
    fn targets_are_plain_http_urls() {
        assert_eq!(
            Target::parse("http://127.0.0.1:8080/notify?shop=1").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 8080,
                host_header: "127.0.0.1:8080".into(),
                path: "/notify?shop=1".into(),
            }
        );
        let v6 = Target::parse("http://user:pw@[::1]/").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 80));
        assert_eq!(v6.host_header, "[::1]");
        assert_eq!(Target::parse("http://shop.test").unwrap().path, "/");
        assert!(
            Target::parse("https://shop.test/")
                .unwrap_err()
                .contains("plain HTTP")
        );
        assert!(Target::parse("ftp://shop.test/").is_err());
        assert!(Target::parse("not a url").is_err());
        assert!(Target::parse("/relative").is_err());
    }
}
