//! # chinaums-sandbox
//!
//! A local emulator of the ChinaUMS (银联商务) netpay gateway, for tests and for trying the SDK
//! without credentials. It is a real HTTP/1.1 server on `127.0.0.1` (optionally HTTPS) that:
//!
//! - verifies `OPEN-BODY-SIG` byte for byte with the core's own verifier (appId, timestamp
//!   freshness against the sandbox's adjustable clock, HMAC over the exact body bytes);
//! - issues access tokens (`POST /v1/token/access`) and accepts `OPEN-ACCESS-TOKEN`;
//! - answers `POST /v1/netpay/query` from an in-memory order book with the field set of the
//!   official example response (`NO_ORDER`, `BAD_REQUEST`, … for the error cases);
//! - refunds (partial, idempotent by `refundOrderId`, optionally `PROCESSING` first: see
//!   [`SandboxBuilder::refunds_pending_first`]), answers refund queries, closes unpaid
//!   orders, completes or cancels guaranteed payments and confirms split ones, with the
//!   transitions and refusals a merchant meets (see [`Order`] for building such orders);
//! - takes payments: order creation (mini-program, JSAPI, APP) with the pay request each
//!   channel's front end needs, the five H5 redirect URLs (`OPEN-FORM-PARAM`, checked with the
//!   core's `form_param`, answered with a `302` to the sandbox's own cashier page), and QR bills
//!   whose `billQRCode` opens that cashier too; the payer pays, declines or lets the order
//!   expire there, or through the control API (`POST /sandbox/orders/{merOrderId}/pay`, …) and
//!   [`Sandbox::pay`], [`Sandbox::fail`], [`Sandbox::expire`]; orders close by themselves at
//!   their `expireTime` on the sandbox clock; `GET /sandbox/` lists everything;
//! - notifies: when an order with a `notifyUrl` is paid or refunded (or a QR bill), it POSTs the
//!   signed form the platform sends (payment, refund and bill families, signed with the
//!   notification key, [`DEMO_NOTIFY_KEY`] by default), re-delivers on a schedule until the
//!   merchant answers `SUCCESS`, records every attempt ([`Sandbox::deliveries`],
//!   `GET /sandbox/notifications`), and can deliver duplicates or out of order
//!   ([`NotifyFault`]); the cashier signs the result parameters it adds to `returnUrl`;
//! - counts requests, token fetches and TCP connections, and injects [`Fault`]s;
//! - bounds what clients can make it hold: head and body sizes, the body bytes buffered by all
//!   connections together, and how many connections it serves at once (see [`SandboxBuilder`]).
//!
//! It runs on its own thread with its own runtime, so it can be used from tokio, async-std,
//! smol or plain threads alike. It stops when the [`Sandbox`] is dropped.
//!
//! Inside, a sans-IO [`Gateway`] answers requests (`http::Request` and a clock reading in, an
//! [`Answer`] out) and hyper serves it; tests can also drive a [`Gateway`] in memory, without a
//! socket. [`endpoints()`] lists what it serves.
//!
//! ```
//! use chinaums::{Client, Merchant, PaymentQuery};
//! use chinaums_sandbox::{Sandbox, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID};
//!
//! let sandbox = Sandbox::start_demo()?;
//! let client = Client::new(sandbox.credentials(), sandbox.environment());
//! let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID)?;
//! let query = PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse()?);
//! let request = client.prepare(&query)?; // send it with any HTTP client
//! assert!(request.uri().to_string().starts_with(&sandbox.base_url()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use chinaums::notify::NotifyKey;
use chinaums::{AppId, Credentials, Environment};

mod auth;
mod book;
mod cashier;
mod delivery;
mod endpoints;
mod gateway;
mod limits;
mod notifications;
mod order;
mod router;
mod server;
mod tls;

pub use cashier::ControlError;
pub use gateway::{Answer, Gateway};
pub use notifications::{
    DEFAULT_NOTIFY_SCHEDULE, DEFAULT_NOTIFY_TIMEOUT, DeliveryAttempt, MAX_DELIVERY_LOG,
    MAX_PENDING_NOTIFICATIONS, NOTIFY_CONTENT_TYPE, NotifyFamily, NotifyFault, OUT_OF_ORDER_HOLD,
    OutgoingNotification,
};
pub use order::{
    Bill, Channel, DEFAULT_ORDER_LIFETIME, GoodsLine, Guarantee, Order, OrderKind, RefundRecord,
    Split, SplitShare,
};
pub use router::{EndpointInfo, endpoints};

use server::{Clock, Shared};

/// The demo merchant number (`mid`) of the seeded orders.
pub const DEMO_MID: &str = "898201612345678";
/// The demo terminal number (`tid`) of the seeded orders.
pub const DEMO_TID: &str = "88880001";
/// The demo business type (`instMid`) of the seeded orders.
pub const DEMO_INST_MID: &str = "YUEDANDEFAULT";
/// A paid order: `TRADE_SUCCESS`, `totalAmount` 100, paid by WeChat Pay.
pub const DEMO_PAID_ORDER: &str = "3194DEMOPAID0001";
/// An unpaid order: `WAIT_BUYER_PAY`, `totalAmount` 2500.
pub const DEMO_UNPAID_ORDER: &str = "3194DEMOUNPAID0001";
/// A refunded order: `TRADE_REFUND`, `totalAmount` 880, fully refunded.
pub const DEMO_REFUNDED_ORDER: &str = "3194DEMOREFUND0001";
/// A closed order: `TRADE_CLOSED`, `totalAmount` 1200.
pub const DEMO_CLOSED_ORDER: &str = "3194DEMOCLOSED0001";
/// The refund of [`DEMO_REFUNDED_ORDER`] (`refundOrderId`): 880, `SUCCESS`.
pub const DEMO_REFUNDED_REFUND: &str = "3194DEMOREFUND0001R1";
/// A guaranteed order (`secureTransaction`): paid, `totalAmount` 100, nothing completed
/// (`secureStatus` `UNCOMPLETED`).
pub const DEMO_GUARANTEED_ORDER: &str = "3194DEMOSECURE0001";
/// A split order: paid, `totalAmount` 100, shared between the platform (10) and sub-merchant
/// [`DEMO_SUB_MID`] (90), not confirmed.
pub const DEMO_SPLIT_ORDER: &str = "3194DEMOSPLIT0001";
/// The sub-merchant (`mid`) of [`DEMO_SPLIT_ORDER`].
pub const DEMO_SUB_MID: &str = "898201612345679";
/// A partly refunded order: paid, `totalAmount` 100, one refund of 30 already made
/// ([`DEMO_PARTLY_REFUNDED_REFUND`]), so `TRADE_REFUND` with `refundAmount` 30 and 70 left to
/// refund.
pub const DEMO_PARTLY_REFUNDED_ORDER: &str = "3194DEMOPARTREF0001";
/// The refund already made on [`DEMO_PARTLY_REFUNDED_ORDER`] (`refundOrderId`): 30, `SUCCESS`.
pub const DEMO_PARTLY_REFUNDED_REFUND: &str = "3194DEMOPARTREF0001R1";
/// The appId the sandbox accepts unless told otherwise.
pub const DEFAULT_APP_ID: &str = "chinaums-sandbox-app-id";
/// The appKey the sandbox accepts unless told otherwise (not a secret: sandbox only).
pub const DEFAULT_APP_KEY: &str = "chinaums-sandbox-app-key-not-a-secret";
/// The notification key (通讯密钥) the sandbox signs notifications and `returnUrl` parameters
/// with unless told otherwise ([`SandboxBuilder::notify_key`]); verify them with
/// `chinaums::notify::NotifyKey::new(DEMO_NOTIFY_KEY)`. Not a secret: sandbox only.
pub const DEMO_NOTIFY_KEY: &str = "chinaums-sandbox-notify-key-not-a-secret";

/// The path of the payment-result query.
pub const QUERY_PATH: &str = <chinaums::PaymentQuery as chinaums::Operation>::PATH;
/// The path of the token endpoint.
pub const TOKEN_PATH: &str = chinaums::access_token::PATH;
/// How long an access token lives on the sandbox clock.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How many access tokens may be valid at once for one appId; one more evicts the oldest.
pub const MAX_TOKENS_PER_APP: usize = 10;
/// The largest request body accepted by default ([`SandboxBuilder::max_body_bytes`]); a larger
/// one gets HTTP 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest request head (request line and headers) accepted; a larger one gets HTTP 431.
/// Chunked trailers have the same limit of their own.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How many connections are served at once by default ([`SandboxBuilder::max_connections`]):
/// well above what a test opens, well below a process's usual 1024 file descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How many request-body bytes all connections together may hold by default
/// ([`SandboxBuilder::max_buffered_body_bytes`]): 32 bodies of the largest size.
pub const DEFAULT_MAX_BUFFERED_BODY_BYTES: usize = 32 * MAX_BODY_BYTES;

/// A misbehaviour to inject into the answer to a request (the request is read and handled
/// first: a faulted token request still issues its token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Read the request, then close the socket without answering.
    DropConnection,
    /// HTTP 500, `text/plain` body `Internal Server Error`.
    InternalServerError,
    /// HTTP 200, `application/json`, a body that is not JSON.
    Garbage,
    /// HTTP 200, a valid HTTP message whose JSON body (the normal answer) is cut in half.
    TruncatedJson,
    /// HTTP 200 announcing the full `Content-Length`, half the body, then the socket closes.
    CutConnectionMidBody,
    /// HTTP 200, a syntactically valid JSON body of about this many bytes (the normal answer
    /// padded with a `"padding"` string field).
    HugeBody(usize),
    /// These bytes instead of a response, whatever they are (a head with no body, a chunked
    /// body that never ends, not HTTP at all), then the connection closes.
    Raw(Vec<u8>),
    /// A redirect: this status (e.g. 302) with a `Location` header and an empty body. A status
    /// outside 200..=999 or a location that cannot be a header value gets a 500 instead.
    Redirect {
        /// The HTTP status.
        status: u16,
        /// The `Location` header, e.g. `/elsewhere` or `https://example.com/`.
        location: String,
    },
}

impl Fault {
    /// The variant's name, for the request log (never the raw bytes).
    fn name(&self) -> &'static str {
        match self {
            Fault::Delay(_) => "Delay",
            Fault::DropConnection => "DropConnection",
            Fault::InternalServerError => "InternalServerError",
            Fault::Garbage => "Garbage",
            Fault::TruncatedJson => "TruncatedJson",
            Fault::CutConnectionMidBody => "CutConnectionMidBody",
            Fault::HugeBody(_) => "HugeBody",
            Fault::Raw(_) => "Raw",
            Fault::Redirect { .. } => "Redirect",
        }
    }
}

/// Configures a [`Sandbox`] before it starts.
#[derive(Clone)]
pub struct SandboxBuilder {
    app_id: String,
    app_key: String,
    port: u16,
    seed_demo: bool,
    max_skew: Duration,
    tls: bool,
    log_requests: bool,
    max_connections: usize,
    max_body_bytes: usize,
    max_buffered_body_bytes: usize,
    amounts_as_strings: bool,
    refunds_pending_first: bool,
    bill_payment_as_string: bool,
    notify_key: String,
    md5_notifications: bool,
    notify_schedule: Vec<Duration>,
    notify_timeout: Duration,
}

impl fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("app_id", &self.app_id)
            .field("app_key", &"<redacted>")
            .field("port", &self.port)
            .field("seed_demo", &self.seed_demo)
            .field("max_skew", &self.max_skew)
            .field("tls", &self.tls)
            .field("log_requests", &self.log_requests)
            .field("max_connections", &self.max_connections)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_buffered_body_bytes", &self.max_buffered_body_bytes)
            .field("amounts_as_strings", &self.amounts_as_strings)
            .field("refunds_pending_first", &self.refunds_pending_first)
            .field("bill_payment_as_string", &self.bill_payment_as_string)
            .field("notify_key", &"<redacted>")
            .field("md5_notifications", &self.md5_notifications)
            .field("notify_schedule", &self.notify_schedule)
            .field("notify_timeout", &self.notify_timeout)
            .finish()
    }
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            app_id: DEFAULT_APP_ID.to_owned(),
            app_key: DEFAULT_APP_KEY.to_owned(),
            port: 0,
            seed_demo: false,
            max_skew: Duration::from_secs(600),
            tls: false,
            log_requests: false,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: MAX_BODY_BYTES,
            max_buffered_body_bytes: DEFAULT_MAX_BUFFERED_BODY_BYTES,
            amounts_as_strings: false,
            refunds_pending_first: false,
            bill_payment_as_string: false,
            notify_key: DEMO_NOTIFY_KEY.to_owned(),
            md5_notifications: false,
            notify_schedule: DEFAULT_NOTIFY_SCHEDULE.to_vec(),
            notify_timeout: DEFAULT_NOTIFY_TIMEOUT,
        }
    }
}

impl SandboxBuilder {
    /// The appId to accept (default [`DEFAULT_APP_ID`]).
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = id.into();
        self
    }

    /// The appKey to accept (default [`DEFAULT_APP_KEY`]).
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_key = key.into();
        self
    }

    /// The port on 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether to insert the demo orders (default false).
    pub fn seed_demo(mut self, yes: bool) -> Self {
        self.seed_demo = yes;
        self
    }

    /// How far a request's timestamps may be from the sandbox clock (default 10 minutes).
    pub fn max_skew(mut self, d: Duration) -> Self {
        self.max_skew = d;
        self
    }

    /// Serve HTTPS with a generated certificate for 127.0.0.1 and localhost (default false);
    /// trust [`Sandbox::ca_cert_pem`].
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// Print one line per request to stderr (method, path, status, errCode; never secrets).
    pub fn log_requests(mut self, yes: bool) -> Self {
        self.log_requests = yes;
        self
    }

    /// How many connections are served at once (default [`DEFAULT_MAX_CONNECTIONS`], at least
    /// 1). One more is answered `503` (`SERVICE_UNAVAILABLE`, `Connection: close`) without
    /// reading its request, then closed: a client sees an answer rather than a hang.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// The largest request body (default [`MAX_BODY_BYTES`]); a larger one gets `413` and the
    /// connection is closed.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// How many request-body bytes all connections together may hold (default
    /// [`DEFAULT_MAX_BUFFERED_BODY_BYTES`]), so that many slow uploads cannot exhaust memory.
    /// A request whose body would exceed it gets `503` and the connection is closed. A body
    /// larger than this whole budget could never be read, so it gets `413` like one over
    /// [`SandboxBuilder::max_body_bytes`].
    pub fn max_buffered_body_bytes(mut self, n: usize) -> Self {
        self.max_buffered_body_bytes = n;
        self
    }

    /// Answer every order's amounts as numeric JSON strings (`"totalAmount":"100"`), as the
    /// official documentation's example does, instead of JSON numbers (default false: real
    /// responses send numbers). `invoiceAmount` stays a number, as in that example. Clients
    /// must read both; this is how to test that they do.
    pub fn amounts_as_strings(mut self, yes: bool) -> Self {
        self.amounts_as_strings = yes;
        self
    }

    /// Answer every new refund `refundStatus: PROCESSING` (default false: `SUCCESS` at once),
    /// to test the unknown-outcome path. The refund is recorded (its amount can no longer be
    /// refunded again) but not settled: the order's `status` and `refundAmount` do not change
    /// yet, and the same `refundOrderId` again answers `PROCESSING` too. The first
    /// `refund-query` about it settles it and answers `SUCCESS`. Can be changed while running
    /// with [`Sandbox::set_refunds_pending_first`].
    pub fn refunds_pending_first(mut self, yes: bool) -> Self {
        self.refunds_pending_first = yes;
        self
    }

    /// Answer a bill query's `billPayment` (and `refundBillPayment`) as a string holding the
    /// object's JSON instead of the object (default false). The platform sends either; clients
    /// must read both, and this is how to test that they do.
    pub fn bill_payment_as_string(mut self, yes: bool) -> Self {
        self.bill_payment_as_string = yes;
        self
    }

    /// The notification key (通讯密钥) notifications and the cashier's `returnUrl` parameters
    /// are signed with (default [`DEMO_NOTIFY_KEY`]); not empty.
    pub fn notify_key(mut self, key: impl Into<String>) -> Self {
        self.notify_key = key.into();
        self
    }

    /// Sign every order's notifications with MD5 (`signType=MD5`), the legacy way, instead of
    /// SHA-256 (default false). One order can ask for it alone:
    /// [`Order::with_md5_notifications`]. `returnUrl` parameters stay SHA-256.
    pub fn md5_notifications(mut self, yes: bool) -> Self {
        self.md5_notifications = yes;
        self
    }

    /// The waits before each re-delivery of a notification that was not acknowledged (default
    /// [`DEFAULT_NOTIFY_SCHEDULE`]); there are as many re-deliveries as waits, and none with an
    /// empty schedule. Tests compress it to milliseconds.
    pub fn notify_schedule(mut self, waits: Vec<Duration>) -> Self {
        self.notify_schedule = waits;
        self
    }

    /// How long one delivery attempt may take, connecting included (default
    /// [`DEFAULT_NOTIFY_TIMEOUT`]); past it the attempt failed and is retried.
    pub fn notify_timeout(mut self, timeout: Duration) -> Self {
        self.notify_timeout = timeout;
        self
    }

    /// The gateway these settings describe, without a server: to answer requests in memory
    /// with [`Gateway::handle`] (the network settings do not apply).
    pub fn build_gateway(&self) -> std::io::Result<Gateway> {
        let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
        let app_id = AppId::new(self.app_id.as_str()).map_err(|e| invalid(e.to_string()))?;
        if self.app_key.is_empty() {
            return Err(invalid("appKey must not be empty".to_owned()));
        }
        if self.notify_key.is_empty() {
            return Err(invalid("the notification key must not be empty".to_owned()));
        }
        let gateway = Gateway::new(gateway::Config {
            app_id,
            app_key: self.app_key.clone(),
            max_skew: self.max_skew,
            amounts_as_strings: self.amounts_as_strings,
            bill_payment_as_string: self.bill_payment_as_string,
            notify_key: NotifyKey::new(self.notify_key.as_str()),
            md5_notifications: self.md5_notifications,
        });
        gateway.set_refunds_pending_first(self.refunds_pending_first);
        if self.seed_demo {
            for order in Order::demo_orders() {
                gateway.insert_order(order);
            }
        }
        Ok(gateway)
    }

    /// Binds 127.0.0.1 and starts serving on a background thread; returns once the listener
    /// is bound.
    pub fn start(self) -> std::io::Result<Sandbox> {
        let gateway = Arc::new(self.build_gateway()?);
        if self.max_connections == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "max_connections must be at least 1",
            ));
        }
        let tls = if self.tls {
            Some(tls::Identity::generate()?)
        } else {
            None
        };
        let shared = Arc::new(Shared {
            gateway: Arc::clone(&gateway),
            clock: Arc::new(Clock::default()),
            limits: limits::Limits::new(self.max_body_bytes, self.max_buffered_body_bytes),
            max_connections: self.max_connections,
            log_requests: self.log_requests,
            connections: AtomicUsize::new(0),
            delivery: Arc::new(delivery::Settings {
                schedule: self.notify_schedule.clone(),
                timeout: self.notify_timeout,
                log: self.log_requests,
            }),
        });
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let running = server::start(Arc::clone(&shared), self.port, tls)?;
        let scheme = if ca_pem.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{}", running.addr);
        gateway.set_base_url(base_url.clone());
        Ok(Sandbox {
            shared,
            addr: running.addr,
            base_url,
            ca_pem,
            running: Some(running),
        })
    }
}

/// A running sandbox gateway. Stops (closing every connection) when dropped.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    running: Option<server::Running>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("app_id", &self.gateway().app_id())
            .field("app_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A builder with the defaults: ephemeral port, default credentials, no orders, plain HTTP.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Ephemeral port on 127.0.0.1, default credentials, demo orders seeded.
    pub fn start_demo() -> std::io::Result<Sandbox> {
        Sandbox::builder().seed_demo(true).start()
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), without a trailing `/`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `Environment::custom(base_url)`.
    pub fn environment(&self) -> Environment {
        Environment::custom(&self.base_url).expect("http(s)://127.0.0.1:port is a valid base URL")
    }

    /// The accepted appId and appKey.
    pub fn credentials(&self) -> Credentials {
        self.gateway().credentials()
    }

    /// The accepted appId.
    pub fn app_id(&self) -> &str {
        self.gateway().app_id()
    }

    /// The accepted appKey.
    pub fn app_key(&self) -> &str {
        self.gateway().app_key()
    }

    /// The notification key notifications and `returnUrl` parameters are signed with
    /// ([`DEMO_NOTIFY_KEY`] unless [`SandboxBuilder::notify_key`] said otherwise).
    pub fn notify_key(&self) -> NotifyKey {
        self.gateway().notify_key()
    }

    /// Applies `fault` to the notifications made from now on, until set to `None` (see
    /// [`NotifyFault`] for exactly what each does).
    pub fn set_notify_fault(&self, fault: Option<NotifyFault>) {
        self.gateway().set_notify_fault(fault);
    }

    /// Every notification delivery attempt so far, oldest first (the last
    /// [`MAX_DELIVERY_LOG`]): notifyId, URL, attempt number, time, HTTP status or error,
    /// latency, the answer's first bytes. `GET /sandbox/notifications` answers the same as
    /// JSON.
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.gateway().deliveries()
    }

    /// The gateway it serves: the same order book, tokens, faults and counters, to drive in
    /// memory too.
    pub fn gateway(&self) -> &Gateway {
        &self.shared.gateway
    }

    /// Adds `order` to the order book, replacing any order with the same `mid` + `merOrderId`.
    pub fn insert_order(&self, order: Order) {
        self.gateway().insert_order(order);
    }

    /// The order with this `mid` and `merOrderId`, if any, as it is now on the sandbox clock
    /// (an unpaid order past its `expireTime` is closed).
    pub fn order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.gateway().expire_due(self.now());
        self.gateway().order(mid, mer_order_id)
    }

    /// Every order in the book, by `mid` then `merOrderId`, as they are now on the sandbox
    /// clock.
    pub fn orders(&self) -> Vec<Order> {
        self.gateway().expire_due(self.now());
        self.gateway().orders()
    }

    /// The payer pays order `mer_order_id` (as the cashier's "Pay" and `POST
    /// /sandbox/orders/{merOrderId}/pay` do): `TRADE_SUCCESS`, `payTime` now on the sandbox
    /// clock, the channel's `targetSys` (Alipay for a bill: see [`Sandbox::pay_with`]) and a
    /// `targetOrderId`. Refused for an unknown, paid or closed order, or a number several
    /// merchants use (see [`Gateway::pay`] to name the `mid`).
    ///
    /// ```
    /// use chinaums_sandbox::{ControlError, Sandbox, DEMO_PAID_ORDER, DEMO_UNPAID_ORDER};
    ///
    /// let sandbox = Sandbox::start_demo()?;
    /// let paid = sandbox.pay(DEMO_UNPAID_ORDER)?;
    /// assert_eq!(paid.status.as_str(), "TRADE_SUCCESS");
    /// assert!(matches!(sandbox.pay(DEMO_PAID_ORDER), Err(ControlError::AlreadyPaid(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pay(&self, mer_order_id: &str) -> Result<Order, ControlError> {
        self.gateway().pay(None, mer_order_id, None, self.now())
    }

    /// [`Sandbox::pay`] with this wallet, for an order that does not name one (a QR bill);
    /// an order made for one channel is paid with that channel whatever this says.
    pub fn pay_with(&self, mer_order_id: &str, wallet: Channel) -> Result<Order, ControlError> {
        self.gateway()
            .pay(None, mer_order_id, Some(wallet), self.now())
    }

    /// The payer's payment fails (the cashier's "Decline"): the order stays unpaid
    /// (`WAIT_BUYER_PAY`) and can still be paid. Refused for a paid or closed order.
    pub fn fail(&self, mer_order_id: &str) -> Result<Order, ControlError> {
        self.gateway().fail(None, mer_order_id, self.now())
    }

    /// The order expires unpaid (the cashier's "Let it expire"): `TRADE_CLOSED`. Refused for
    /// a paid or closed order. (Orders also expire by themselves at their `expireTime`:
    /// [`Sandbox::advance_clock`] past it.)
    pub fn expire(&self, mer_order_id: &str) -> Result<Order, ControlError> {
        self.gateway().expire(None, mer_order_id, self.now())
    }

    /// Removes an order; returns it if it was there.
    pub fn remove_order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.gateway().remove_order(mid, mer_order_id)
    }

    /// Injects `fault` into the answer to the next business request only (any request not
    /// to the token endpoint). Replaces a previously injected one-shot fault.
    pub fn inject_fault(&self, fault: Fault) {
        self.gateway().inject_fault(fault);
    }

    /// Injects `fault` into every business request until cleared with `None`. A one-shot
    /// fault from [`Sandbox::inject_fault`] takes precedence for its one request.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.gateway().set_fault(fault);
    }

    /// Like [`Sandbox::inject_fault`], for the next request to the token endpoint.
    pub fn inject_token_fault(&self, fault: Fault) {
        self.gateway().inject_token_fault(fault);
    }

    /// Like [`Sandbox::set_fault`], for requests to the token endpoint.
    pub fn set_token_fault(&self, fault: Option<Fault>) {
        self.gateway().set_token_fault(fault);
    }

    /// Turns [`SandboxBuilder::refunds_pending_first`] on or off for the refunds to come;
    /// refunds already `PROCESSING` still settle at their next refund query.
    pub fn set_refunds_pending_first(&self, yes: bool) {
        self.gateway().set_refunds_pending_first(yes);
    }

    /// Moves the sandbox's own clock forward (token expiry, timestamp freshness, orders
    /// expiring at their `expireTime`).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// "Now" on the sandbox's clock: the system clock plus every [`Sandbox::advance_clock`].
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    /// Business requests received (every request not to the token endpoint, any outcome,
    /// faulted ones included).
    pub fn request_count(&self) -> usize {
        self.gateway().request_count()
    }

    /// Successful `POST /v1/token/access` (tokens issued).
    pub fn token_fetch_count(&self) -> usize {
        self.gateway().token_fetch_count()
    }

    /// TCP connections accepted (to test connection reuse).
    pub fn connection_count(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many access tokens are valid right now (on the sandbox clock).
    pub fn valid_token_count(&self) -> usize {
        self.gateway().valid_token_count(self.now())
    }

    /// Invalidates every access token (as if the platform had revoked them).
    pub fn revoke_tokens(&self) {
        self.gateway().revoke_tokens();
    }

    /// The last request that reached the gateway (see [`Gateway::last_request`]): what a
    /// client sent, after HTTP framing.
    pub fn last_request(&self) -> Option<http::Request<Vec<u8>>> {
        self.gateway().last_request()
    }

    /// With TLS: the PEM of the generated CA certificate that signed the server certificate.
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// Stops the server and closes every connection; returns once the server thread ended.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
