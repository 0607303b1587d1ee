//! # chinaums
//!
//! The sans-IO protocol core of a Rust SDK for the ChinaUMS (银联商务) "天满" open platform's
//! `netpay` APIs. A typed operation goes in, a fully signed `http::Request<Vec<u8>>` comes out;
//! an `http::Response<Vec<u8>>` goes in, a typed result or a precise [`Error`] comes out. This
//! crate never opens a socket, reads the clock or draws randomness by itself: a [`Clock`] and a
//! [`NonceSource`] are injected, so a signed request is reproducible byte for byte.
//!
//! Runtime adapters (`chinaums-tokio`, `chinaums-async-std`, `chinaums-ureq`) move the bytes,
//! all under one [`TransportConfig`] (timeout, response body cap, extra trusted roots).
//!
//! ```
//! use chinaums::{Merchant, PaymentQuery};
//! use chinaums::{Client, Credentials, Environment, PaymentState};
//!
//! let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
//! let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
//! let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
//!
//! // 1. Build the signed request and send it with any HTTP client.
//! let request: http::Request<Vec<u8>> = client.prepare(&query)?;
//!
//! // 2. Hand the response back.
//! let response = http::Response::new(
//!     br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":"100"}"#.to_vec(),
//! );
//! let answer = client.parse::<PaymentQuery>(&response)?;
//! assert!(answer.is_paid());
//! assert_eq!(answer.state(), PaymentState::Paid);
//! assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
//! # Ok::<(), chinaums::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod call;
mod client;
mod clock;
mod credentials;
mod environment;
mod error;
mod netpay;
pub mod notify;
mod operation;
mod response;
mod transport;
mod types;

// One path per item: everything a user touches is re-exported here.
pub use auth::AuthScheme;
pub use auth::token::AccessToken;
pub use auth::token_cache::MAX_TOKEN_LIFETIME;
pub use auth::token_store::{
    AsyncTokenStore, Lease, MemoryTokenStore, StoreAnswer, StoreError, StoreFuture, StoreOp,
    StoredToken, TokenStore,
};
pub use call::{Call, Step, Wait};
pub use client::{
    Client, ClientBuilder, DEFAULT_TOKEN_LEASE_TTL, DEFAULT_TOKEN_POLL_INTERVAL,
    DEFAULT_TOKEN_REFRESH_MARGIN,
};
pub use clock::{Clock, FixedClock, FixedNonce, NonceSource, RandomNonce, SystemClock};
pub use credentials::{APP_ID_VAR, APP_KEY_VAR, Credentials};
pub use environment::{BaseUrl, ENV_VAR, Environment, PRODUCTION_URL, TEST_URL, redact_userinfo};
pub use error::{
    ConfigError, ConfigErrorKind, DecodeError, Delivery, EXCERPT_LIMIT, Error, ErrorClass,
    HttpError, InvalidField, PlatformError, TokenError, TransportError, TransportErrorKind,
    Unresolved, classify, known_class,
};
pub use netpay::*;
pub use operation::{Operation, RawOperation, RawResponse, Redirect, Reply};
pub use response::Classifier;
pub use transport::{
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT, TransportConfig, error_chain,
    find_source,
};
pub use types::{
    AppId, BillNo, Fen, InstMid, MerOrderId, Merchant, Mid, MsgId, MsgSrcId, Nonce, NotifyUrl,
    PaymentState, PlatformDate, PlatformTime, QrCodeId, RefundOrderId, ReturnUrl, SrcReserve, Tid,
    TradeStatus,
};

/// OPEN-BODY-SIG as pure functions, every step public: compare them with another
/// implementation to debug a `BAD_SIGN`.
pub mod body_sig {
    pub use crate::auth::body_sig::*;
}

/// OPEN-ACCESS-TOKEN's pure pieces: the token request's signature and body, the business
/// `Authorization` header, the token answer. The client runs the flow itself; these are for
/// debugging and for servers (the sandbox).
pub mod access_token {
    pub use crate::auth::token::*;
}

/// OPEN-FORM-PARAM as pure functions: the signed GET URLs of the H5 cashier redirects
/// ([`Client::redirect_url`] builds them from an operation), and their check, for servers.
pub mod form_param {
    pub use crate::auth::form_param::*;
}

/// Beijing time (fixed UTC+8) and the platform's timestamp formats.
pub mod timestamps {
    pub use crate::types::time::{
        BEIJING, auth_timestamp, beijing, format_datetime, is_auth_timestamp, parse_auth_timestamp,
        request_timestamp,
    };
}

#[doc(hidden)]
/// Builds a response (for tests): `status` and `body`.
pub use response::response as test_response;

pub use http;
/// The `time` crate, whose types appear in this API (a query's `requestTimestamp`, the
/// platform's dates), so callers need not depend on a matching version themselves.
pub use time;
pub use time::{Date, OffsetDateTime, PrimitiveDateTime};
