//! `POST /v1/netpay/trade/app-pre-order`: an Alipay APP order; the answer's `appPayRequest` is
//! `{"msgType":"trade.precreate","qrCode":…}`, with `qrCode` repeated at the top level. The
//! sandbox's `qrCode` is its own cashier for the order, so opening it in a browser pays it.

use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style};
use super::{Exchange, Reply, json};
use crate::cashier;
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::AlipayAppPreOrder as chinaums::Operation>::PATH;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayRequest {
    msg_type: &'static str,
    qr_code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    app_pay_request: PayRequest,
    qr_code: String,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::Alipay, Style::Post, |_| Ok(())) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    let qr_code = cashier::control::cashier_url(exchange.base_url, &new.order);
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            app_pay_request: PayRequest {
                msg_type: "trade.precreate",
                qr_code: qr_code.clone(),
            },
            qr_code,
        },
    )
}
