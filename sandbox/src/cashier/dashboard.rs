//! `GET /sandbox/`: every order in the book with its state, refunds and links to its cashier,
//! as one HTML table, and the latest notification delivery attempts. Every value is escaped;
//! no secret is shown (no notification body, no signature, no password of a URL).

use chinaums::timestamps::request_timestamp;
use http::StatusCode;

use super::html::{escape, page, yuan};
use super::sandbox_path;
use crate::endpoints::{Exchange, Reply};
use crate::order::OrderKind;
use crate::{DeliveryAttempt, Order};

/// The dashboard's path.
pub(crate) const PATH: &str = "/sandbox/";

fn row(order: &Order) -> String {
    let id = match &order.bill {
        Some(bill) => format!(
            "{}<br><span class=\"note\">bill of {}, QR {}</span>",
            escape(&order.mer_order_id),
            escape(&bill.bill_date),
            escape(&bill.qr_code_id)
        ),
        None => escape(&order.mer_order_id),
    };
    let kind = match &order.kind {
        OrderKind::Direct => String::new(),
        OrderKind::Guaranteed(g) => format!("guaranteed ({})", g.status.as_str()),
        OrderKind::Split(s) => format!("split: platform {}", yuan(s.platform_amount)),
    };
    let refunds: Vec<String> = order
        .refunds
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                escape(&r.refund_order_id),
                yuan(r.amount),
                escape(r.status.as_str())
            )
        })
        .collect();
    let cashier = if order.is_open() {
        format!(
            "<a href=\"{}\">cashier</a>",
            escape(&format!(
                "{}?mid={}",
                sandbox_path(&format!(
                    "orders/{}/cashier",
                    chinaums::form_param::encode(&order.mer_order_id)
                )),
                chinaums::form_param::encode(&order.mid)
            ))
        )
    } else {
        String::new()
    };
    let cells = [
        escape(&order.mid),
        id,
        escape(&order.inst_mid),
        escape(order.created_by.unwrap_or("(inserted)")),
        escape(order.target_sys.as_deref().unwrap_or_default()),
        format!("<code>{}</code>", escape(order.status.as_str())),
        yuan(order.total_amount),
        order.refund_amount.map(yuan).unwrap_or_default(),
        refunds.join("<br>"),
        escape(&kind),
        order
            .expire_time
            .map(|at| escape(&request_timestamp(at)))
            .unwrap_or_default(),
        escape(order.order_desc.as_deref().unwrap_or_default()),
        cashier,
    ];
    format!("<tr><td>{}</td></tr>", cells.join("</td><td>"))
}

/// How many delivery attempts the dashboard shows (the newest; the JSON has them all).
const SHOWN_DELIVERIES: usize = 100;

/// One delivery attempt: never the body nor its signature.
fn delivery_row(a: &DeliveryAttempt) -> String {
    let result = match (&a.status, &a.error) {
        (_, Some(error)) => escape(error),
        (Some(status), None) => status.to_string(),
        (None, None) => String::new(),
    };
    let result = if a.acknowledged {
        format!("{result} acknowledged")
    } else {
        result
    };
    let cells = [
        escape(&request_timestamp(a.at)),
        escape(&a.mer_order_id),
        escape(a.family.as_str()),
        format!("<code>{}</code>", escape(&a.notify_id)),
        format!(
            "{}{}",
            a.attempt,
            if a.duplicate { " (duplicate)" } else { "" }
        ),
        escape(&a.url),
        result,
        format!("{} ms", a.latency.as_millis()),
        format!("<code>{}</code>", escape(&a.answer)),
        a.next_attempt_in
            .map(|d| escape(&format!("in {d:?}")))
            .unwrap_or_default(),
    ];
    format!("<tr><td>{}</td></tr>", cells.join("</td><td>"))
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let orders = exchange.state.book.all();
    let rows: Vec<String> = orders.iter().map(|o| row(o)).collect();
    let deliveries: Vec<String> = exchange
        .state
        .deliveries
        .iter()
        .rev()
        .take(SHOWN_DELIVERIES)
        .map(delivery_row)
        .collect();
    let body = format!(
        "<p>{} orders, on the sandbox clock at {} (Beijing time).</p>\
         <table id=\"orders\"><tr><th>mid</th><th>merOrderId</th><th>instMid</th>\
         <th>created by</th><th>targetSys</th><th>status</th><th>amount</th><th>refunded</th>\
         <th>refunds</th><th>kind</th><th>expires</th><th>what</th><th></th></tr>{}</table>\
         <h2>Notifications</h2><p>{} delivery attempts, newest first (at most {SHOWN_DELIVERIES} \
         here; all of them as <a href=\"{}\">JSON</a>).</p>\
         <table id=\"notifications\"><tr><th>sent</th><th>merOrderId</th><th>family</th>\
         <th>notifyId</th><th>attempt</th><th>notifyUrl</th><th>result</th><th>latency</th>\
         <th>answer</th><th>next</th></tr>{}</table>",
        orders.len(),
        escape(&request_timestamp(exchange.now)),
        rows.concat(),
        exchange.state.deliveries.len(),
        super::notifications::PATH,
        deliveries.concat(),
    );
    page(StatusCode::OK, "Sandbox orders", &body)
}
