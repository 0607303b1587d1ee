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
//! use chinaums::netpay::PaymentQuery;
//! use chinaums::{Client, Credentials, Environment, PaymentState};
//!
//! let client = Client::new(Credentials::new("my-app-id", "my-app-key"), Environment::Test);
//! let query = PaymentQuery::new("898201612345678", "88880001", "YUEDANDEFAULT", "3194202401011200000001");
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

pub mod auth;
pub mod call;
pub mod client;
pub mod clock;
pub mod credentials;
pub mod environment;
pub mod error;
pub mod netpay;
pub mod operation;
pub mod response;
pub mod transport;
pub mod types;

pub use auth::AuthScheme;
pub use auth::token::AccessToken;
pub use auth::token_cache::{StoredToken, TokenStore};
pub use call::{Call, Step, Wait};
pub use client::{Client, ClientBuilder};
pub use clock::{Clock, FixedClock, FixedNonce, NonceSource, RandomNonce, SystemClock};
pub use credentials::Credentials;
pub use environment::{BaseUrl, Environment};
pub use error::{
    DecodeError, Delivery, Error, ErrorClass, HttpError, InvalidField, PlatformError, TokenError,
    TransportError, TransportErrorKind,
};
pub use operation::{Operation, RawOperation, RawResponse, Reply};
pub use transport::TransportConfig;
pub use types::{
    AppId, Fen, InstMid, MerOrderId, Merchant, Mid, MsgId, MsgSrcId, Nonce, PaymentState,
    PlatformDate, PlatformTime, RefundOrderId, SrcReserve, Tid, TradeStatus,
};

pub use http;
/// The `time` crate, whose types appear in this API (a query's `requestTimestamp`, the
/// platform's dates), so callers need not depend on a matching version themselves.
pub use time;
pub use time::{Date, OffsetDateTime, PrimitiveDateTime};
