//! `POST /v1/netpay/wx/app-pre-close`: close an unpaid WeChat APP order. The same transition
//! and answer as `close` (the core reads both with the same answer type).

use super::{Exchange, Reply, close};

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::WxAppPreClose as chinaums::Operation>::PATH;

/// As [`close::handle`]: `NEW_ORDER`/`WAIT_BUYER_PAY` → `TRADE_CLOSED`, anything else
/// `OPERATION_NOT_ALLOWED`.
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    close::handle(exchange)
}
