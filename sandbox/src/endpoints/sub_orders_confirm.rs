//! `POST /v1/netpay/sub-orders-confirm`: confirm how a split payment is shared.

use chinaums::{Fen, SubOrder};
use http::StatusCode;
use serde::Serialize;

use super::{
    Amount, Echo, Exchange, Fields, OrderFields, Reply, as_string, json, read_order_request,
};
use crate::book::Refusal;
use crate::order::OrderKind;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::SubOrdersConfirm as chinaums::Operation>::PATH;

/// `platformAmount` and `subOrders` (`mid`, optional `merOrderId`, `totalAmount`), read into
/// the core's [`SubOrder`].
fn read_own(fields: &Fields<'_>) -> Result<(Fen, Vec<SubOrder>), String> {
    let platform = fields.amount("platformAmount")?;
    let sub_orders = fields.objects("subOrders", |sub| {
        Ok(SubOrder {
            mid: sub.required("mid")?,
            mer_order_id: sub.optional("merOrderId")?,
            total_amount: sub.amount("totalAmount")?,
        })
    })?;
    if sub_orders.is_empty() {
        return Err("subOrders: must name at least one sub-order".to_owned());
    }
    Ok((platform, sub_orders))
}

/// One sub-merchant's share, as the answer reports it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Share<'a> {
    mid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mer_order_id: Option<&'a str>,
    total_amount: Amount,
}

/// The answer: the echoed request, the order, and the shares as confirmed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Confirmed<'a> {
    #[serde(flatten)]
    echo: Echo<'a>,
    #[serde(flatten)]
    order: OrderFields<'a>,
    platform_amount: Amount,
    sub_orders: Vec<Share<'a>>,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let ((request, (platform, sub_orders)), now) = match read_order_request(exchange, read_own) {
        Ok(read) => (read, exchange.now),
        Err(rejection) => return rejection,
    };
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let confirmed = exchange.state.book.confirm_split(
        request.mid.as_str(),
        request.mer_order_id.as_str(),
        platform,
        &sub_orders,
    );
    let order = match confirmed {
        Ok(order) => order,
        Err(refusal) => return request.refused(&refusal, now),
    };
    let as_string = as_string(&order, exchange.config);
    let (platform_amount, shares) = match &order.kind {
        OrderKind::Split(split) => (split.platform_amount, split.sub_orders.as_slice()),
        _ => (platform, &[][..]),
    };
    json(
        StatusCode::OK,
        &Confirmed {
            echo: request.echo("SUCCESS", String::new(), now),
            order: OrderFields::of(&order, as_string),
            platform_amount: Amount::new(platform_amount, as_string),
            sub_orders: shares
                .iter()
                .map(|s| Share {
                    mid: &s.mid,
                    mer_order_id: s.mer_order_id.as_deref(),
                    total_amount: Amount::new(s.amount, as_string),
                })
                .collect(),
        },
    )
}
