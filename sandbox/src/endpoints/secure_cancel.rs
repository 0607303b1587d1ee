//! `POST /v1/netpay/secure-cancel`: give a guaranteed payment back to the payer, all of it.

use http::StatusCode;

use super::secure_complete::Secured;
use super::{Exchange, Reply, as_string, json, read_order_request};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::SecureCancel as chinaums::Operation>::PATH;

/// A second cancel is `HAS_CANCELLED` (the documented code); a completed guarantee cannot be
/// cancelled (`OPERATION_NOT_ALLOWED`).
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, ()) = match read_order_request(exchange, |_| Ok(())) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if request.order(exchange.state).is_none() {
        return request.refused(&Refusal::NoOrder, now);
    }
    let cancelled = exchange
        .state
        .book
        .secure_cancel(request.mid.as_str(), request.mer_order_id.as_str());
    match cancelled {
        Ok(order) => {
            let as_string = as_string(&order, exchange.config);
            let echo = request.echo("SUCCESS", String::new(), now);
            json(StatusCode::OK, &Secured::of(echo, &order, as_string))
        }
        Err(refusal) => request.refused(&refusal, now),
    }
}
