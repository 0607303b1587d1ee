//! `GET /sandbox/`: every order in the book with its state, refunds and links to its cashier,
//! as one HTML table. Every value is escaped; no secret is shown.

use chinaums::timestamps::request_timestamp;
use http::StatusCode;

use super::html::{escape, page, yuan};
use super::sandbox_path;
use crate::Order;
use crate::endpoints::{Exchange, Reply};
use crate::order::OrderKind;

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

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let orders = exchange.state.book.all();
    let rows: Vec<String> = orders.iter().map(|o| row(o)).collect();
    let body = format!(
        "<p>{} orders, on the sandbox clock at {} (Beijing time).</p>\
         <table id=\"orders\"><tr><th>mid</th><th>merOrderId</th><th>instMid</th>\
         <th>created by</th><th>targetSys</th><th>status</th><th>amount</th><th>refunded</th>\
         <th>refunds</th><th>kind</th><th>expires</th><th>what</th><th></th></tr>{}</table>",
        orders.len(),
        escape(&request_timestamp(exchange.now)),
        rows.concat()
    );
    page(StatusCode::OK, "Sandbox orders", &body)
}
