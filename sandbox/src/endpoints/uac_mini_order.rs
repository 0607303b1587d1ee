//! `POST /v1/netpay/uac/mini-order`: a UnionPay (云闪付) mini-program order; the answer's
//! `miniPayRequest` is an object for the UnionPay front end.

use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style, digits};
use super::{Exchange, Fields, Reply, json};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::UnionPayMiniOrder as chinaums::Operation>::PATH;

/// `subOpenId` (the payer's UnionPay user id) and `subAppId`, at most 128 characters each,
/// optional.
fn read_own(fields: &Fields<'_>) -> Result<(), String> {
    fields.short_text("subOpenId", 128)?;
    fields.short_text("subAppId", 128)?;
    Ok(())
}

/// The platform does not document the keys of UnionPay's pay request; the sandbox answers
/// the transaction number (`tn`) that UnionPay's front-end SDKs take.
#[derive(Serialize)]
struct UnionPayRequest {
    tn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    mini_pay_request: UnionPayRequest,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::UnionPay, Style::Post, read_own) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            mini_pay_request: UnionPayRequest {
                tn: digits(&format!("{}/tn", new.order.mer_order_id), 21),
            },
        },
    )
}
