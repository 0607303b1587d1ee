//! `GET /sandbox/qr/{qrCodeId}`: what a bill's `billQRCode` holds. Opened in a browser (as a
//! wallet would after scanning), it sends the payer to the cashier of the bill the code shows.

use http::{HeaderValue, StatusCode, header};

use super::html::{escape, page};
use super::location;
use crate::endpoints::{Exchange, Reply, reply};

/// The path of a QR code.
pub(crate) const PATH: &str = "/sandbox/qr/{qrCodeId}";

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let qr_code_id = exchange.params.first().map_or("", String::as_str);
    let Some((code, bill)) = exchange.state.book.code_by_id(qr_code_id) else {
        return page(
            StatusCode::NOT_FOUND,
            "No such QR code",
            &format!("<p>No QR code {}.</p>", escape(qr_code_id)),
        );
    };
    if code.closed {
        return page(
            StatusCode::GONE,
            "This QR code was closed",
            "<p>The merchant closed this QR code: it can no longer be paid.</p>",
        );
    }
    let Some(bill) = bill else {
        return page(
            StatusCode::NOT_FOUND,
            "No bill",
            "<p>The code shows no bill.</p>",
        );
    };
    let to = location(
        exchange.base_url,
        &bill.mid,
        &bill.mer_order_id,
        super::msg_type(bill),
        &exchange.config.app_key,
    );
    let mut r = reply(StatusCode::FOUND, "text/plain; charset=utf-8", Vec::new());
    if let Ok(value) = HeaderValue::from_str(&to) {
        r.headers_mut().insert(header::LOCATION, value);
    }
    r
}
