//! The control API: what a payer does, without a browser, for tests and the CLI.
//!
//! `POST /sandbox/orders/{merOrderId}/pay` (`?wallet=alipay|wechat|unionpay` for a bill),
//! `/fail` and `/expire`, each with an optional `?mid=` when several merchants use the same
//! number. The answer is JSON: `errCode` `SUCCESS` and the order's `status`, `totalAmount`,
//! `targetSys`, `targetOrderId`, `payTime`; or the refusal with `errCode` and `errInfo`, HTTP
//! 404 for an unknown order and 409 for one that is paid or closed already. `GET
//! /sandbox/orders/{merOrderId}/cashier` sends a browser to the order's cashier.

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::html::{escape, page};
use super::{Action, ControlError, Form, act, find, location, msg_type};
use crate::Order;
use crate::endpoints::{Amount, Exchange, Reply, as_string, json, reject, reply};
use crate::order::Channel;
use crate::router::SANDBOX_PREFIX;

/// `GET`: to the order's cashier.
pub(crate) const CASHIER_PATH: &str = "/sandbox/orders/{merOrderId}/cashier";
/// `POST`: the payer pays.
pub(crate) const PAY_PATH: &str = "/sandbox/orders/{merOrderId}/pay";
/// `POST`: the payment fails; the order stays unpaid.
pub(crate) const FAIL_PATH: &str = "/sandbox/orders/{merOrderId}/fail";
/// `POST`: the order expires unpaid.
pub(crate) const EXPIRE_PATH: &str = "/sandbox/orders/{merOrderId}/expire";

/// The sandbox URL that sends a browser to the cashier of `order`.
pub(crate) fn cashier_url(base_url: &str, order: &Order) -> String {
    format!(
        "{base_url}{SANDBOX_PREFIX}orders/{}/cashier?mid={}",
        chinaums::form_param::encode(&order.mer_order_id),
        chinaums::form_param::encode(&order.mid)
    )
}

/// The control API's success answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Done<'a> {
    err_code: &'static str,
    err_info: &'static str,
    mid: &'a str,
    mer_order_id: &'a str,
    status: &'a str,
    total_amount: Amount,
    target_sys: &'a str,
    target_order_id: &'a str,
    pay_time: &'a str,
}

fn answer(exchange: &mut Exchange<'_>, action: Action, what: &'static str) -> Reply {
    let mer_order_id = exchange.params.first().map_or("", String::as_str);
    let query = Form::query(exchange.request);
    let action = match action {
        Action::Pay(_) => match query.get("wallet") {
            None => Action::Pay(None),
            Some(key) => match Channel::from_key(key) {
                Some(channel) => Action::Pay(Some(channel)),
                None => {
                    return reject(
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST",
                        "wallet: must be alipay, wechat or unionpay",
                    );
                }
            },
        },
        other => other,
    };
    let done = act(
        &mut exchange.state.book,
        mer_order_id,
        query.get("mid"),
        action,
        exchange.now,
    );
    match done {
        Ok(order) => json(
            StatusCode::OK,
            &Done {
                err_code: "SUCCESS",
                err_info: what,
                mid: &order.mid,
                mer_order_id: &order.mer_order_id,
                status: order.status.as_str(),
                total_amount: Amount::new(order.total_amount, as_string(&order, exchange.config)),
                target_sys: order.target_sys.as_deref().unwrap_or_default(),
                target_order_id: order.target_order_id.as_deref().unwrap_or_default(),
                pay_time: order.pay_time.as_deref().unwrap_or_default(),
            },
        ),
        Err(e) => refused(&e),
    }
}

fn refused(e: &ControlError) -> Reply {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
    reject(status, e.code(), e.to_string())
}

pub(crate) fn pay(exchange: &mut Exchange<'_>) -> Reply {
    answer(exchange, Action::Pay(None), "paid")
}

pub(crate) fn fail(exchange: &mut Exchange<'_>) -> Reply {
    answer(exchange, Action::Fail, "declined: the order stays unpaid")
}

pub(crate) fn expire(exchange: &mut Exchange<'_>) -> Reply {
    answer(exchange, Action::Expire, "expired: the order is closed")
}

/// `302` to the order's cashier (a fresh signed link), or an HTML page saying why not.
pub(crate) fn cashier(exchange: &mut Exchange<'_>) -> Reply {
    let mer_order_id = exchange.params.first().map_or("", String::as_str);
    let query = Form::query(exchange.request);
    let order = match find(&exchange.state.book, mer_order_id, query.get("mid")) {
        Ok(order) => order,
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
            return page(
                status,
                "No cashier",
                &format!("<p>{}</p>", escape(&e.to_string())),
            );
        }
    };
    let to = location(
        exchange.base_url,
        &order.mid,
        &order.mer_order_id,
        msg_type(order),
        &exchange.config.app_key,
    );
    let mut r = reply(StatusCode::FOUND, "text/plain; charset=utf-8", Vec::new());
    if let Ok(value) = HeaderValue::from_str(&to) {
        r.headers_mut().insert(header::LOCATION, value);
    }
    r
}
