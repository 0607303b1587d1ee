//! `POST /v1/netpay/trade/create`: an Alipay mini-program order; the answer's `targetOrderId`
//! is the Alipay trade number `my.tradePay` takes (the order keeps it: the payment's
//! `targetOrderId` is the same).

use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style, target_order_id};
use super::{Exchange, Fields, Reply, json};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::AlipayMiniOrder as chinaums::Operation>::PATH;

/// `subOpenId` (the payer's Alipay user id) and `subAppId`, at most 128 characters each, both
/// optional here: the platform's page for this endpoint was not available, so the sandbox
/// refuses nothing it cannot be sure of.
fn read_own(fields: &Fields<'_>) -> Result<(), String> {
    fields.short_text("subOpenId", 128)?;
    fields.short_text("subAppId", 128)?;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    target_order_id: String,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::Alipay, Style::Post, read_own) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    let trade_no = target_order_id(Some(Channel::Alipay), &new.order.mer_order_id, exchange.now);
    let (mid, id) = (new.order.mid.clone(), new.order.mer_order_id.clone());
    exchange
        .state
        .book
        .set_target_order_id(&mid, &id, &trade_no);
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            target_order_id: trade_no,
        },
    )
}
