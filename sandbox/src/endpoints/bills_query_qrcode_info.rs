//! `POST /v1/netpay/bills/query-qrcode-info`: a QR code and the bill it shows.

use chinaums::QrCodeId;
use chinaums::timestamps::request_timestamp;
use http::StatusCode;
use serde::Serialize;

use super::bill::{self, BillEcho, BillFields};
use super::{Exchange, Reply, json};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsQueryQrCodeInfo as chinaums::Operation>::PATH;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
    /// `yyyy-MM-dd HH:mm:ss`, empty without one.
    expire_time: String,
    /// Whether the code was retired by `close-qrcode` (`CLOSED`) or not (`NORMAL`): a field of
    /// the sandbox's own, the platform's name for it is not documented.
    qr_code_status: &'static str,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, qr_code_id) = match bill::read(exchange, |f| f.required::<QrCodeId>("qrCodeId")) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    let found = exchange
        .state
        .book
        .code(request.mid.as_str(), qr_code_id.as_str())
        .ok()
        .filter(|(_, order)| request.owns(order));
    let Some((code, order)) = found else {
        return request.refuse(&Refusal::NoBill, now);
    };
    json(
        StatusCode::OK,
        &Answer {
            echo: request.echo("SUCCESS", "", now),
            bill: BillFields::of(order, exchange),
            expire_time: order.expire_time.map(request_timestamp).unwrap_or_default(),
            qr_code_status: if code.closed { "CLOSED" } else { "NORMAL" },
        },
    )
}
