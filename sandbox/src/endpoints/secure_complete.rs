//! `POST /v1/netpay/secure-complete`: release all or part of a guaranteed payment to the
//! merchant; the rest goes back to the payer.

use chinaums::{Fen, SecureStatus};
use http::StatusCode;
use serde::Serialize;

use super::{Amount, Echo, Exchange, OrderFields, Reply, as_string, json, read_order_request};
use crate::Order;
use crate::book::Refusal;
use crate::order::OrderKind;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::SecureComplete as chinaums::Operation>::PATH;

/// The answer to a completion or a cancel: the echoed request, the order as it is now,
/// `secureStatus` and `completedAmount` (0 after a cancel).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Secured<'a> {
    #[serde(flatten)]
    pub echo: Echo<'a>,
    #[serde(flatten)]
    pub order: OrderFields<'a>,
    pub secure_status: &'a str,
    pub completed_amount: Amount,
}

impl<'a> Secured<'a> {
    /// The success answer about `order`, a guaranteed order.
    pub fn of(echo: Echo<'a>, order: &'a Order, as_string: bool) -> Secured<'a> {
        let (status, completed) = match &order.kind {
            OrderKind::Guaranteed(g) => (&g.status, g.completed_amount),
            _ => (&SecureStatus::Uncompleted, Fen::ZERO),
        };
        Secured {
            echo,
            order: OrderFields::of(order, as_string),
            secure_status: status.as_str(),
            completed_amount: Amount::new(completed, as_string),
        }
    }
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let read = read_order_request(exchange, |fields| {
        let amount = fields.amount("completedAmount")?;
        if amount == Fen::ZERO {
            return Err(Refusal::ZeroAmount("completedAmount").to_string());
        }
        Ok(amount)
    });
    let (request, amount) = match read {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let completed = exchange.state.book.secure_complete(
        request.mid.as_str(),
        request.mer_order_id.as_str(),
        amount,
    );
    match completed {
        Ok(order) => {
            let as_string = as_string(&order, exchange.config);
            let echo = request.echo("SUCCESS", String::new(), now);
            json(StatusCode::OK, &Secured::of(echo, &order, as_string))
        }
        Err(refusal) => request.refused(&refusal, now),
    }
}
