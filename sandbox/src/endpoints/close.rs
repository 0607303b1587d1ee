//! `POST /v1/netpay/close`: close an order nobody paid, so that it can no longer be paid.

use http::StatusCode;
use serde::Serialize;

use super::{Echo, Exchange, OrderFields, Reply, as_string, json, read_order_request};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::Close as chinaums::Operation>::PATH;

/// The answer: the echoed request and the order as it is now (`TRADE_CLOSED`).
#[derive(Serialize)]
struct Closed<'a> {
    #[serde(flatten)]
    echo: Echo<'a>,
    #[serde(flatten)]
    order: OrderFields<'a>,
}

/// Only `NEW_ORDER` and `WAIT_BUYER_PAY` close; anything else (paid, refunded, closed
/// already) is `OPERATION_NOT_ALLOWED`, which the platform also answers both for "closed
/// already" and "paid meanwhile": a client has to query to tell.
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, ()) = match read_order_request(exchange, |_| Ok(())) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let closed = exchange
        .state
        .book
        .close(request.mid.as_str(), request.mer_order_id.as_str());
    match closed {
        Ok(order) => json(
            StatusCode::OK,
            &Closed {
                echo: request.echo("SUCCESS", String::new(), now),
                order: OrderFields::of(&order, as_string(&order, exchange.config)),
            },
        ),
        Err(refusal) => request.refused(&refusal, now),
    }
}
