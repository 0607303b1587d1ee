//! `GET /sandbox/cashier`: the cashier page of one order, where the `302` of an H5 URL (or a
//! QR code) sends the browser; `POST /sandbox/cashier`: its three buttons, a plain form.
//!
//! The page shows the merchant, the order number, the amount in yuan and what was ordered.
//! "Pay" pays and then sends the browser to the order's `returnUrl` (`303`) with the signed
//! result parameters, or shows a "paid" page when it has none; "Decline" leaves the order unpaid and says so; "Let it expire"
//! closes it. Every value is escaped; the link's `sign` is checked and never shown.

use chinaums::notify::NotifyKey;
use http::{HeaderValue, StatusCode, header};

use super::html::{escape, page, yuan};
use super::{Action, ControlError, Form, act, sandbox_path, sign_matches};
use crate::Order;
use crate::endpoints::{Exchange, MER_NAME, Reply, reply};
use crate::notifications::return_url_with_result;
use crate::order::Channel;

/// The cashier's path.
pub(crate) const PATH: &str = "/sandbox/cashier";

/// The page: the order, and what can be done with it.
pub(crate) fn show(exchange: &mut Exchange<'_>) -> Reply {
    let query = Form::query(exchange.request);
    let (Some(mer_order_id), Some(mid), Some(msg_type), Some(sign)) = (
        query.get("merOrderId"),
        query.get("mid"),
        query.get("msgType"),
        query.get("sign"),
    ) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Incomplete cashier link",
            "<p>A cashier link names the order (<code>merOrderId</code>, <code>mid</code>, \
             <code>msgType</code>) and carries its <code>sign</code>; this one does not.</p>",
        );
    };
    if !sign_matches(mid, mer_order_id, msg_type, &exchange.config.app_key, sign) {
        return page(
            StatusCode::FORBIDDEN,
            "Wrong cashier link",
            "<p>The link's <code>sign</code> does not match the order it names: it was changed \
             after the platform made it.</p>",
        );
    }
    match exchange.state.book.get(mid, mer_order_id) {
        Some(order) => render(order),
        None => page(
            StatusCode::NOT_FOUND,
            "No such order",
            &format!("<p>No order {}.</p>", escape(mer_order_id)),
        ),
    }
}

/// The order's details as a table.
fn details(order: &Order) -> String {
    let mut rows = vec![
        ("Merchant", escape(MER_NAME)),
        (
            if order.bill.is_some() {
                "Bill number"
            } else {
                "Order number"
            },
            format!("<span id=\"order\">{}</span>", escape(&order.mer_order_id)),
        ),
        (
            "Amount",
            format!(
                "<strong id=\"amount\">{}</strong>",
                yuan(order.total_amount)
            ),
        ),
    ];
    if let Some(desc) = &order.order_desc {
        rows.push(("What", format!("<span id=\"desc\">{}</span>", escape(desc))));
    }
    if !order.goods.is_empty() {
        let lines: Vec<String> = order
            .goods
            .iter()
            .map(|g| {
                format!(
                    "<li>{} × {} @ {}</li>",
                    escape(&g.goods_name),
                    g.quantity,
                    yuan(g.price)
                )
            })
            .collect();
        rows.push(("Goods", format!("<ul id=\"goods\">{}</ul>", lines.concat())));
    }
    if let Some(channel) = order.channel {
        rows.push(("Pay with", escape(channel.label())));
    }
    rows.push((
        "Status",
        format!(
            "<code id=\"status\">{}</code> ({})",
            escape(order.status.as_str()),
            escape(order.status.describe())
        ),
    ));
    let rows: Vec<String> = rows
        .into_iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>"))
        .collect();
    format!("<table>{}</table>", rows.concat())
}

fn render(order: &Order) -> Reply {
    if order.is_open() {
        let wallet = if order.channel.is_none() {
            let options: Vec<String> = Channel::ALL
                .iter()
                .map(|c| {
                    format!(
                        "<option value=\"{}\">{}</option>",
                        c.key(),
                        escape(c.label())
                    )
                })
                .collect();
            format!(
                "<p><label>Pay with <select name=\"wallet\">{}</select></label></p>",
                options.concat()
            )
        } else {
            String::new()
        };
        let form = format!(
            "<form method=\"post\" action=\"{PATH}\">\
             <input type=\"hidden\" name=\"mid\" value=\"{}\">\
             <input type=\"hidden\" name=\"merOrderId\" value=\"{}\">{wallet}\
             <button type=\"submit\" id=\"pay\" name=\"action\" value=\"pay\">Pay</button>\
             <button type=\"submit\" id=\"decline\" name=\"action\" value=\"decline\">Decline</button>\
             <button type=\"submit\" id=\"expire\" name=\"action\" value=\"expire\">Let it expire</button>\
             </form>",
            escape(&order.mid),
            escape(&order.mer_order_id),
        );
        return page(
            StatusCode::OK,
            "Cashier",
            &format!("{}\n{form}", details(order)),
        );
    }
    let title = match order.status {
        chinaums::TradeStatus::TradeClosed => "This order is closed",
        _ => "This order is paid",
    };
    page(
        StatusCode::OK,
        title,
        &format!("{}{}", details(order), back_link(order)),
    )
}

/// A link back to the shop, when the order has a `returnUrl`.
fn back_link(order: &Order) -> String {
    order.return_url.as_deref().map_or(String::new(), |url| {
        format!(
            "<p><a id=\"return\" href=\"{}\">Back to the shop</a></p>",
            escape(url)
        )
    })
}

/// A button was pressed.
pub(crate) fn act_on(exchange: &mut Exchange<'_>) -> Reply {
    let form = Form::parse(exchange.request.body());
    let (Some(mid), Some(mer_order_id)) = (form.get("mid"), form.get("merOrderId")) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Incomplete form",
            "<p>The form names no order.</p>",
        );
    };
    let action = match form.get("action") {
        Some("pay") => Action::Pay(form.get("wallet").and_then(Channel::from_key)),
        Some("decline") => Action::Fail,
        Some("expire") => Action::Expire,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Unknown button",
                "<p>The buttons are Pay, Decline and Let it expire.</p>",
            );
        }
    };
    let done = act(
        &mut exchange.state.book,
        mer_order_id,
        Some(mid),
        action,
        exchange.now,
    );
    let order = match done {
        Ok(order) => order,
        Err(e) => return refused(&e),
    };
    match action {
        Action::Pay(_) => paid(&order, &exchange.config.notify_key),
        Action::Fail => page(
            StatusCode::OK,
            "Payment declined",
            &format!(
                "<p id=\"result\">The payment was declined: the order is still unpaid and can \
                 be paid later.</p>{}<p><a id=\"again\" href=\"{}\">Try again</a></p>",
                details(&order),
                escape(&again(&order)),
            ),
        ),
        Action::Expire => page(
            StatusCode::OK,
            "Order expired",
            &format!(
                "<p id=\"result\">The order expired unpaid: it can no longer be paid.</p>{}{}",
                details(&order),
                back_link(&order)
            ),
        ),
    }
}

/// After paying: to the `returnUrl` (`303`, so the browser GETs it) with the result
/// parameters signed with the notification key (`merOrderId`, `status`, `totalAmount`, …,
/// `signType=SHA256`, `sign`; see `notifications::return_url_with_result`), else a "paid" page.
fn paid(order: &Order, key: &NotifyKey) -> Reply {
    if let Some(url) = order.return_url.as_deref() {
        let url = return_url_with_result(url, order, key);
        if let Ok(location) = HeaderValue::from_str(&url) {
            let mut r = reply(
                StatusCode::SEE_OTHER,
                "text/plain; charset=utf-8",
                Vec::new(),
            );
            r.headers_mut().insert(header::LOCATION, location);
            return r;
        }
    }
    page(
        StatusCode::OK,
        "Paid",
        &format!("<p id=\"result\">Paid. Thank you.</p>{}", details(order)),
    )
}

/// The way back to the cashier of an order (through the control API's redirect, which makes
/// a fresh signed link).
fn again(order: &Order) -> String {
    format!(
        "{}?mid={}",
        sandbox_path(&format!(
            "orders/{}/cashier",
            chinaums::form_param::encode(&order.mer_order_id)
        )),
        chinaums::form_param::encode(&order.mid)
    )
}

fn refused(e: &ControlError) -> Reply {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::CONFLICT);
    page(
        status,
        "Not possible",
        &format!(
            "<p id=\"result\"><code>{}</code>: {}</p>",
            escape(e.code()),
            escape(&e.to_string())
        ),
    )
}
