//! The gateway itself, sans I/O: a request and a clock reading in, an [`Answer`] out.
//!
//! The server feeds it what it read off a socket; tests can feed it what the core built, in
//! memory (see [`Answer::into_result`]), with the same state, counters and faults.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use chinaums::notify::NotifyKey;
use chinaums::{AppId, Credentials, TransportError};
use http::{HeaderValue, StatusCode, header};

use crate::auth::{Tokens, authenticate, authenticate_form};
use crate::book::Book;
use crate::cashier::{self, Action, ControlError};
use crate::endpoints::{Exchange, Reply, reject, reply};
use crate::notifications::{
    self, DeliveryAttempt, MAX_DELIVERY_LOG, MAX_PENDING_NOTIFICATIONS, NotifyFault,
    OutgoingNotification,
};
use crate::order::Channel;
use crate::router::{self, Access, Miss, Routed};
use crate::{Fault, Order};

/// What the gateway does with one request: a response, or a fault that only a socket can
/// perform.
pub enum Answer {
    /// Send this response. Faults that are still well-formed HTTP (a 500, garbage JSON, a
    /// redirect, a huge or truncated body) are responses too.
    Response(http::Response<Vec<u8>>),
    /// [`Fault::Delay`]: wait, then send the response.
    Delayed {
        /// How long to wait first.
        delay: Duration,
        /// What to send then.
        response: http::Response<Vec<u8>>,
    },
    /// [`Fault::DropConnection`]: close the connection without a byte.
    Close,
    /// [`Fault::CutConnectionMidBody`]: the response's head (announcing its full length) and
    /// the first half of its body, then close.
    CutMidBody(http::Response<Vec<u8>>),
    /// [`Fault::Raw`]: these bytes instead of a response, then close.
    Raw(Vec<u8>),
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Status and size only: bodies can hold tokens.
        let response = |f: &mut fmt::Formatter<'_>, name: &str, r: &Reply| {
            f.debug_struct(name)
                .field("status", &r.status())
                .field("body_len", &r.body().len())
                .finish()
        };
        match self {
            Answer::Response(r) => response(f, "Response", r),
            Answer::Delayed { delay, response: r } => f
                .debug_struct("Delayed")
                .field("delay", delay)
                .field("status", &r.status())
                .field("body_len", &r.body().len())
                .finish(),
            Answer::Close => f.write_str("Close"),
            Answer::CutMidBody(r) => response(f, "CutMidBody", r),
            Answer::Raw(bytes) => f.debug_struct("Raw").field("len", &bytes.len()).finish(),
        }
    }
}

impl Answer {
    /// What a client that sent the request in memory gets: the response (a delay is not
    /// waited for), or for a fault only a socket can perform, the transport error a careful
    /// adapter reports for it: the request reached the gateway, so
    /// [`Delivery::MaybeSent`](chinaums::Delivery::MaybeSent).
    ///
    /// Lets a test answer a [`chinaums::Call`]'s steps with [`Gateway::handle`], no socket.
    pub fn into_result(self) -> Result<http::Response<Vec<u8>>, TransportError> {
        use chinaums::{Delivery, TransportErrorKind};
        let error =
            |kind, message: &str| Err(TransportError::new(Delivery::MaybeSent, kind, message));
        match self {
            Answer::Response(response) | Answer::Delayed { response, .. } => Ok(response),
            Answer::Close => error(
                TransportErrorKind::Io,
                "the connection closed without an answer",
            ),
            Answer::CutMidBody(_) => error(
                TransportErrorKind::Io,
                "the connection closed in the middle of the response body",
            ),
            Answer::Raw(_) => error(
                TransportErrorKind::Protocol,
                "the server sent bytes that are not an HTTP response",
            ),
        }
    }
}

/// What the gateway was configured with.
pub(crate) struct Config {
    pub app_id: AppId,
    pub app_key: String,
    pub max_skew: Duration,
    /// Answer amounts as numeric strings for every order.
    pub amounts_as_strings: bool,
    /// Answer a bill query's `billPayment` as a string holding its JSON, not an object.
    pub bill_payment_as_string: bool,
    /// The key notifications and `returnUrl` parameters are signed with.
    pub notify_key: NotifyKey,
    /// Every order's notifications are signed with MD5.
    pub md5_notifications: bool,
}

/// The faults waiting for the next request of each kind.
#[derive(Debug, Default)]
struct Faults {
    next: Option<Fault>,
    every: Option<Fault>,
    next_token: Option<Fault>,
    every_token: Option<Fault>,
}

impl Faults {
    /// The fault for this request: the one-shot one (consumed) or the persistent one.
    fn take(&mut self, access: Access) -> Option<Fault> {
        match access {
            Access::TokenIssuer => self.next_token.take().or_else(|| self.every_token.clone()),
            Access::Business | Access::FormParam => self.next.take().or_else(|| self.every.clone()),
            Access::Sandbox => None,
        }
    }
}

/// The mutable part, behind one lock held for a whole exchange (never across I/O). No
/// `Debug`: it holds tokens and the last request's `Authorization`.
#[derive(Default)]
pub(crate) struct State {
    pub book: Book,
    pub tokens: Tokens,
    faults: Faults,
    /// Business requests (any request not to the token endpoint).
    pub requests: usize,
    /// Tokens issued.
    pub token_fetches: usize,
    /// The last request handled, as the gateway saw it.
    last: Option<http::Request<Vec<u8>>>,
    /// New refunds answer `PROCESSING` and settle at their first refund query.
    pub refunds_pending_first: bool,
    /// The fault applied to the notifications made from now on.
    notify_fault: Option<NotifyFault>,
    /// Notifications made and not yet picked up for delivery, oldest first.
    outbox: VecDeque<OutgoingNotification>,
    /// The delivery attempts, oldest first (at most [`MAX_DELIVERY_LOG`]).
    pub deliveries: VecDeque<DeliveryAttempt>,
}

/// The emulated gateway: configuration, order book, tokens, faults and counters, without a
/// socket or a clock of its own. A [`crate::Sandbox`] serves one over HTTP
/// ([`crate::Sandbox::gateway`]); [`crate::SandboxBuilder::build_gateway`] makes one to use in
/// memory:
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use chinaums::{Client, Environment, FixedClock, Merchant, PaymentQuery};
/// use chinaums_sandbox::{Sandbox, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID};
///
/// let gateway = Sandbox::builder().seed_demo(true).build_gateway()?;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let client = Client::builder(gateway.credentials(), Environment::custom("http://gateway.test")?)
///     .clock(FixedClock::new(now))
///     .build();
/// let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID)?;
/// let query = PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse()?);
/// let answer = client
///     .call(&query)?
///     .run_blocking(Duration::from_secs(5), |request| gateway.handle(request, now).into_result())?;
/// assert!(answer.is_paid());
/// assert_eq!(gateway.request_count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Gateway {
    config: Config,
    state: Mutex<State>,
    /// Where a started sandbox serves (`http://127.0.0.1:PORT`).
    base_url: OnceLock<String>,
    /// Woken when a notification is queued (a started sandbox's delivery task waits on it).
    outbox_ready: tokio::sync::Notify,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("app_id", &self.config.app_id)
            .field("app_key", &"<redacted>")
            .field("max_skew", &self.config.max_skew)
            .field("amounts_as_strings", &self.config.amounts_as_strings)
            .finish_non_exhaustive()
    }
}

/// One line about an exchange, for the request log: never a secret.
pub(crate) struct Summary {
    method: String,
    path: String,
    status: u16,
    err_code: String,
    fault: Option<&'static str>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {} {}",
            self.method, self.path, self.status, self.err_code
        )?;
        match self.fault {
            Some(fault) => write!(f, " (fault: {fault})"),
            None => Ok(()),
        }
    }
}

impl Summary {
    pub(crate) fn new(
        method: &str,
        path: &str,
        response: &Reply,
        fault: Option<&Fault>,
    ) -> Summary {
        let err_code = serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .and_then(|v| v.get("errCode").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_default();
        Summary {
            method: method.to_owned(),
            path: path.to_owned(),
            status: response.status().as_u16(),
            err_code,
            fault: fault.map(Fault::name),
        }
    }
}

impl Gateway {
    pub(crate) fn new(config: Config) -> Gateway {
        Gateway {
            config,
            state: Mutex::new(State::default()),
            base_url: OnceLock::new(),
            outbox_ready: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters to a test gateway; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers one request (method, URI with path and query, headers, body) at `now` on the
    /// gateway's clock: routing, authentication, the endpoint, then any injected fault.
    pub fn handle(&self, request: http::Request<Vec<u8>>, now: SystemTime) -> Answer {
        self.exchange(&request, now).0
    }

    /// [`Gateway::handle`], with the line the request log shows.
    pub(crate) fn exchange(
        &self,
        request: &http::Request<Vec<u8>>,
        now: SystemTime,
    ) -> (Answer, Summary) {
        let path = request.uri().path();
        let access = router::access(path);
        let mut state = self.lock();
        // Orders close by themselves once their expireTime has passed on the sandbox clock.
        state.book.expire_due(now);
        if matches!(access, Access::Business | Access::FormParam) {
            state.requests += 1;
        }
        let fault = match access {
            Access::Sandbox => None,
            _ => state.faults.take(access),
        };
        let response = match router::route(request.method().as_str(), path) {
            Err(Miss::NotFound) => reject(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("服务不存在: no such service {path}"),
            ),
            Err(Miss::Method(allowed)) => {
                let allowed = allowed.join(", ");
                let mut r = reject(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    format!("only {allowed} is allowed, not {}", request.method()),
                );
                if let Ok(value) = HeaderValue::from_str(&allowed) {
                    r.headers_mut().insert(header::ALLOW, value);
                }
                r
            }
            Ok(Routed { endpoint, params }) => {
                let base_url = self.base_url_for(request);
                let authorized = match endpoint.access {
                    Access::TokenIssuer | Access::Sandbox => Ok(None),
                    Access::Business => {
                        authenticate(&self.config, &state.tokens, request, now).map(|()| None)
                    }
                    Access::FormParam => authenticate_form(&self.config, request, now).map(Some),
                };
                let response = match authorized {
                    Err(rejection) => rejection,
                    Ok(content) => (endpoint.handler)(&mut Exchange {
                        request,
                        now,
                        config: &self.config,
                        state: &mut state,
                        params: &params,
                        content: content.as_deref(),
                        base_url: &base_url,
                    }),
                };
                self.queue_notifications(&mut state, &base_url, now);
                response
            }
        };
        if access != Access::Sandbox {
            state.last = Some(request.clone());
        }
        drop(state);
        let summary = Summary::new(request.method().as_str(), path, &response, fault.as_ref());
        let answer = match fault {
            None => Answer::Response(response),
            Some(fault) => apply(fault, response),
        };
        (answer, summary)
    }

    /// The sandbox's own URL, for the links it hands out (`billQRCode`, the cashier): the
    /// address it serves on; in memory, the scheme and host the request was sent to.
    fn base_url_for(&self, request: &http::Request<Vec<u8>>) -> String {
        if let Some(base) = self.base_url.get() {
            return base.clone();
        }
        let uri = request.uri();
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            return format!("{scheme}://{authority}");
        }
        match request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        {
            Some(host) => format!("http://{host}"),
            None => "http://127.0.0.1".to_owned(),
        }
    }

    /// Sets the address the sandbox serves on (once, when it starts).
    pub(crate) fn set_base_url(&self, base_url: String) {
        let _ = self.base_url.set(base_url);
    }

    /// Counts a request the HTTP layer refused after reading its head (a body over a limit, or
    /// badly framed), and builds the refusal.
    pub(crate) fn refused(&self, path: &str, status: StatusCode, code: &str, why: &str) -> Reply {
        if matches!(router::access(path), Access::Business | Access::FormParam) {
            self.lock().requests += 1;
        }
        reject(status, code, why)
    }

    /// The appId and appKey it accepts.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.config.app_id.as_str(), self.config.app_key.clone())
    }

    /// The accepted appId.
    pub fn app_id(&self) -> &str {
        self.config.app_id.as_str()
    }

    /// The accepted appKey.
    pub fn app_key(&self) -> &str {
        &self.config.app_key
    }

    /// Adds `order`, replacing any order with the same `mid` + `merOrderId`.
    pub fn insert_order(&self, order: Order) {
        self.lock().book.insert(order);
    }

    /// The order with this `mid` and `merOrderId`, if any.
    pub fn order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.lock().book.get(mid, mer_order_id).cloned()
    }

    /// Every order, by `mid` then `merOrderId`, as the book holds them.
    pub fn orders(&self) -> Vec<Order> {
        self.lock().book.all().into_iter().cloned().collect()
    }

    /// Closes every unpaid order whose `expireTime` is not after `now` (every request does
    /// this first).
    pub fn expire_due(&self, now: SystemTime) {
        self.lock().book.expire_due(now);
    }

    /// The payer pays order `mer_order_id` (of merchant `mid`, or of the only merchant that
    /// has that number) at `now`, with `wallet` when the order does not name a channel. See
    /// [`crate::Sandbox::pay`].
    pub fn pay(
        &self,
        mid: Option<&str>,
        mer_order_id: &str,
        wallet: Option<Channel>,
        now: SystemTime,
    ) -> Result<Order, ControlError> {
        self.control(mid, mer_order_id, Action::Pay(wallet), now)
    }

    /// The payer's payment fails: see [`crate::Sandbox::fail`].
    pub fn fail(
        &self,
        mid: Option<&str>,
        mer_order_id: &str,
        now: SystemTime,
    ) -> Result<Order, ControlError> {
        self.control(mid, mer_order_id, Action::Fail, now)
    }

    /// The order expires unpaid: see [`crate::Sandbox::expire`].
    pub fn expire(
        &self,
        mid: Option<&str>,
        mer_order_id: &str,
        now: SystemTime,
    ) -> Result<Order, ControlError> {
        self.control(mid, mer_order_id, Action::Expire, now)
    }

    fn control(
        &self,
        mid: Option<&str>,
        mer_order_id: &str,
        action: Action,
        now: SystemTime,
    ) -> Result<Order, ControlError> {
        let mut state = self.lock();
        state.book.expire_due(now);
        let done = cashier::act(&mut state.book, mer_order_id, mid, action, now);
        let base_url = self
            .base_url
            .get()
            .map_or("http://127.0.0.1", String::as_str);
        self.queue_notifications(&mut state, base_url, now);
        done
    }

    /// Turns the order book's events into signed notifications for the orders that have a
    /// `notifyUrl`, queued for delivery (and wakes the delivery task).
    fn queue_notifications(&self, state: &mut State, base_url: &str, now: SystemTime) {
        let events = state.book.take_events();
        if events.is_empty() {
            return;
        }
        let cx = notifications::Context {
            key: &self.config.notify_key,
            md5_everywhere: self.config.md5_notifications,
            base_url,
            now,
            amounts_as_strings: self.config.amounts_as_strings,
            fault: state.notify_fault,
        };
        let mut queued = false;
        for event in &events {
            if let Some(notification) = notifications::make(event, &cx) {
                if state.outbox.len() >= MAX_PENDING_NOTIFICATIONS {
                    state.outbox.pop_front();
                }
                state.outbox.push_back(notification);
                queued = true;
            }
        }
        if queued {
            self.outbox_ready.notify_one();
        }
    }

    /// The notifications made and not yet picked up, oldest first, taken out of the queue. A
    /// started sandbox delivers them itself as soon as they are made (so this is mostly empty
    /// there); a gateway used in memory keeps them (at most
    /// [`MAX_PENDING_NOTIFICATIONS`](crate::MAX_PENDING_NOTIFICATIONS)) for a test to read:
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use chinaums::{Fen, TradeStatus, notify};
    /// use chinaums_sandbox::{Order, Sandbox, DEMO_NOTIFY_KEY};
    ///
    /// let gateway = Sandbox::builder().build_gateway()?;
    /// gateway.insert_order(Order {
    ///     notify_url: Some("https://shop.test/notify".into()),
    ///     ..Order::new("3194NOTICE000001", Fen(100), TradeStatus::WaitBuyerPay)
    /// });
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_081_600);
    /// gateway.pay(None, "3194NOTICE000001", None, now)?;
    /// let sent = gateway.take_notifications();
    /// assert_eq!(sent.len(), 1);
    /// let key = notify::NotifyKey::new(DEMO_NOTIFY_KEY);
    /// let paid = notify::verify(sent[0].body().as_bytes(), None, &key)?;
    /// assert_eq!(paid.notify_id(), Some(sent[0].notify_id()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_notifications(&self) -> Vec<OutgoingNotification> {
        self.lock().outbox.drain(..).collect()
    }

    /// Wakes when a notification was queued.
    pub(crate) fn outbox_ready(&self) -> &tokio::sync::Notify {
        &self.outbox_ready
    }

    /// The key notifications and `returnUrl` parameters are signed with.
    pub fn notify_key(&self) -> NotifyKey {
        self.config.notify_key.clone()
    }

    /// Applies `fault` to the notifications made from now on (`None`: clean deliveries). See
    /// [`NotifyFault`].
    pub fn set_notify_fault(&self, fault: Option<NotifyFault>) {
        self.lock().notify_fault = fault;
    }

    /// Every delivery attempt recorded, oldest first (the last
    /// [`MAX_DELIVERY_LOG`](crate::MAX_DELIVERY_LOG)).
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.lock().deliveries.iter().cloned().collect()
    }

    /// Records a delivery attempt.
    pub(crate) fn record_delivery(&self, attempt: DeliveryAttempt) {
        let mut state = self.lock();
        if state.deliveries.len() >= MAX_DELIVERY_LOG {
            state.deliveries.pop_front();
        }
        state.deliveries.push_back(attempt);
    }

    /// Removes an order; returns it if it was there.
    pub fn remove_order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.lock().book.remove(mid, mer_order_id)
    }

    /// See [`crate::SandboxBuilder::refunds_pending_first`]: new refunds answer `PROCESSING`
    /// and settle at their first refund query. Refunds already `PROCESSING` stay so until then,
    /// whatever this is set to later.
    pub fn set_refunds_pending_first(&self, yes: bool) {
        self.lock().refunds_pending_first = yes;
    }

    /// Injects `fault` into the answer to the next business request only (any request not to
    /// the token endpoint). Replaces a previously injected one-shot fault.
    pub fn inject_fault(&self, fault: Fault) {
        self.lock().faults.next = Some(fault);
    }

    /// Injects `fault` into every business request until cleared with `None`. A one-shot
    /// fault from [`Gateway::inject_fault`] takes precedence for its one request.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.lock().faults.every = fault;
    }

    /// Like [`Gateway::inject_fault`], for the next request to the token endpoint.
    pub fn inject_token_fault(&self, fault: Fault) {
        self.lock().faults.next_token = Some(fault);
    }

    /// Like [`Gateway::set_fault`], for requests to the token endpoint.
    pub fn set_token_fault(&self, fault: Option<Fault>) {
        self.lock().faults.every_token = fault;
    }

    /// Business requests received (every request not to the token endpoint, any outcome,
    /// faulted ones included).
    pub fn request_count(&self) -> usize {
        self.lock().requests
    }

    /// Tokens issued by the token endpoint.
    pub fn token_fetch_count(&self) -> usize {
        self.lock().token_fetches
    }

    /// How many access tokens of the accepted appId are valid at `now`.
    pub fn valid_token_count(&self, now: SystemTime) -> usize {
        self.lock()
            .tokens
            .valid_count(self.config.app_id.as_str(), now)
    }

    /// Invalidates every access token (as if the platform had revoked them).
    pub fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// The last request the gateway handled (any endpoint, any outcome), as it saw it: method,
    /// URI (path and query), headers, body. For tests of what a client sends; it holds that
    /// request's `Authorization`, so print it only where a signature may show.
    pub fn last_request(&self) -> Option<http::Request<Vec<u8>>> {
        self.lock().last.clone()
    }
}

/// `response` with `fault` applied.
fn apply(fault: Fault, response: Reply) -> Answer {
    match fault {
        Fault::Delay(delay) => Answer::Delayed { delay, response },
        Fault::DropConnection => Answer::Close,
        Fault::InternalServerError => Answer::Response(reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            b"Internal Server Error".to_vec(),
        )),
        Fault::Garbage => Answer::Response(reply(
            StatusCode::OK,
            crate::endpoints::JSON,
            b"<html><body><h1>502 Bad Gateway</h1>not JSON</body></html>".to_vec(),
        )),
        Fault::TruncatedJson => {
            let mut r = as_ok(response);
            let half = char_floor(r.body(), r.body().len() / 2);
            r.body_mut().truncate(half);
            Answer::Response(r)
        }
        Fault::CutConnectionMidBody => Answer::CutMidBody(as_ok(response)),
        Fault::HugeBody(size) => Answer::Response(pad(as_ok(response), size)),
        Fault::Raw(bytes) => Answer::Raw(bytes),
        Fault::Redirect { status, location } => Answer::Response(redirect(status, &location)),
    }
}

/// A redirect to `location`, or a 500 saying why it cannot be one.
fn redirect(status: u16, location: &str) -> Reply {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| !s.is_informational());
    match (status, HeaderValue::from_str(location)) {
        (Some(status), Ok(location)) => {
            let mut r = reply(status, "text/plain", Vec::new());
            r.headers_mut().insert(header::LOCATION, location);
            r
        }
        _ => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            b"Fault::Redirect needs a status of 200..=999 and a header-safe location".to_vec(),
        ),
    }
}

/// The response as an HTTP 200 with its body and content type (faults that mangle the body
/// always say 200).
fn as_ok(response: Reply) -> Reply {
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let mut r = http::Response::new(response.into_body());
    if let Some(content_type) = content_type {
        r.headers_mut().insert(header::CONTENT_TYPE, content_type);
    }
    r
}

/// The largest index ≤ `at` that does not split a UTF-8 sequence.
fn char_floor(body: &[u8], at: usize) -> usize {
    let mut i = at.min(body.len());
    while i > 0 && i < body.len() && (body[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// The JSON object in `response` grown to about `size` bytes with a `"padding"` field.
fn pad(mut response: Reply, size: usize) -> Reply {
    let body = response.body_mut();
    if body.last() != Some(&b'}') || body.len() < 2 {
        *body = b"{}".to_vec();
    }
    let comma = body.len() > 2;
    // `,"padding":""` is 13 bytes (12 without the comma).
    let needed = size.saturating_sub(body.len() + 12 + usize::from(comma));
    body.pop();
    if comma {
        body.push(b',');
    }
    body.extend_from_slice(b"\"padding\":\"");
    body.extend(std::iter::repeat_n(b'x', needed));
    body.extend_from_slice(b"\"}");
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::JSON;

    fn gateway() -> Gateway {
        Gateway::new(Config {
            app_id: AppId::new("app").unwrap(),
            app_key: "key".into(),
            max_skew: Duration::from_secs(600),
            amounts_as_strings: false,
            bill_payment_as_string: false,
            notify_key: NotifyKey::new("notify"),
            md5_notifications: false,
        })
    }

    fn json_reply(body: &[u8]) -> Reply {
        reply(StatusCode::OK, JSON, body.to_vec())
    }

    #[test]
    fn padding_keeps_json_valid_and_reaches_the_size() {
        let r = pad(json_reply(br#"{"errCode":"SUCCESS"}"#), 5000);
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["errCode"], "SUCCESS");
        assert_eq!(r.body().len(), 5000);
        let r = pad(json_reply(b"{}"), 100);
        assert!(serde_json::from_slice::<serde_json::Value>(r.body()).is_ok());
        assert_eq!(r.body().len(), 100);
        // Smaller than the answer: the answer stays whole, with an empty padding.
        let r = pad(json_reply(br#"{"a":1}"#), 1);
        assert_eq!(r.body(), br#"{"a":1,"padding":""}"#);
    }

    #[test]
    fn cuts_on_char_boundaries() {
        let s = "ab订单".as_bytes();
        assert_eq!(char_floor(s, 3), 2);
        assert_eq!(char_floor(s, 5), 5);
        assert_eq!(char_floor(s, 100), s.len());
        assert_eq!(char_floor(s, 0), 0);
    }

    #[test]
    fn one_shot_faults_come_first_and_are_consumed() {
        let mut faults = Faults {
            every: Some(Fault::Garbage),
            next: Some(Fault::DropConnection),
            ..Faults::default()
        };
        assert_eq!(faults.take(Access::Business), Some(Fault::DropConnection));
        assert_eq!(faults.take(Access::Business), Some(Fault::Garbage));
        assert_eq!(faults.take(Access::TokenIssuer), None);
    }

    #[test]
    fn redirects_carry_a_location_and_bad_ones_are_a_500() {
        let r = redirect(302, "/elsewhere?a=1");
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()[header::LOCATION], "/elsewhere?a=1");
        assert!(r.body().is_empty());
        assert_eq!(redirect(99, "/x").status(), 500);
        assert_eq!(redirect(101, "/x").status(), 500);
        assert_eq!(redirect(302, "/x\ny").status(), 500);
    }

    #[test]
    fn unknown_paths_count_and_take_the_business_fault() {
        let g = gateway();
        g.inject_fault(Fault::InternalServerError);
        let request = http::Request::get("/nope?x=1").body(Vec::new()).unwrap();
        let now = SystemTime::UNIX_EPOCH;
        match g.handle(request, now) {
            Answer::Response(r) => assert_eq!(r.status(), 500),
            other => panic!("{other:?}"),
        }
        let request = http::Request::get("/nope").body(Vec::new()).unwrap();
        match g.handle(request, now) {
            Answer::Response(r) => assert_eq!(r.status(), 404),
            other => panic!("{other:?}"),
        }
        assert_eq!(g.request_count(), 2);
    }

    #[test]
    fn byte_level_faults_become_transport_errors_in_memory() {
        use chinaums::{Delivery, TransportErrorKind};
        let e = Answer::Close.into_result().unwrap_err();
        assert_eq!(
            (e.delivery, e.kind),
            (Delivery::MaybeSent, TransportErrorKind::Io)
        );
        let e = Answer::Raw(b"SSH-2.0".to_vec()).into_result().unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Protocol);
        let ok = Answer::Delayed {
            delay: Duration::from_secs(1),
            response: json_reply(b"{}"),
        };
        assert_eq!(ok.into_result().unwrap().body(), b"{}");
    }

    #[test]
    fn debug_hides_the_key_and_bodies() {
        let g = gateway();
        assert!(!format!("{g:?}").contains("\"key\""));
        let a = Answer::Response(json_reply(br#"{"accessToken":"secret"}"#));
        assert!(!format!("{a:?}").contains("secret"));
    }
}
