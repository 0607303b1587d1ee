//! `GET /v1/netpay/trade/h5-pay`: an Alipay H5 payment, an OPEN-FORM-PARAM URL the payer's browser opens. A valid one
//! creates the order (`NEW_ORDER`) and answers `302` to the sandbox's cashier for it; a
//! refusal is the gateway's JSON (`errCode`, `errInfo`) with HTTP 4xx, and creates nothing.

use super::creation::{self, Style};
use super::{Exchange, Reply};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::AlipayH5Pay as chinaums::Redirect>::PATH;

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    match creation::create(exchange, PATH, Channel::Alipay, Style::Redirect, |_| Ok(())) {
        Ok(new) => creation::to_cashier(exchange, &new.order, "trade.h5Pay"),
        Err(refusal) => refusal,
    }
}
