//! `POST /v1/netpay/uac/app-order`: a UnionPay (云闪付) APP order; the answer's
//! `appPayRequest` carries the transaction number (`tn`) UnionPay's app SDK takes (the
//! platform does not document its keys: the sandbox's choice).

use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style, digits};
use super::{Exchange, Reply, json};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::UnionPayAppOrder as chinaums::Operation>::PATH;

#[derive(Serialize)]
struct PayRequest {
    tn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    app_pay_request: PayRequest,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::UnionPay, Style::Post, |_| Ok(())) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            app_pay_request: PayRequest {
                tn: digits(&format!("{}/tn", new.order.mer_order_id), 21),
            },
        },
    )
}
