//! `POST /v1/netpay/bills/close-qrcode`: retire a QR code, so that it can no longer be paid;
//! its bill closes (`CLOSED`) if unpaid. Closing it again answers the same (no harm).

use chinaums::QrCodeId;
use http::StatusCode;
use serde::Serialize;

use super::bill::{self, BillEcho, BillFields};
use super::{Exchange, Reply, json};
use crate::book::Refusal;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsCloseQrCode as chinaums::Operation>::PATH;

#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, qr_code_id) = match bill::read(exchange, |f| f.required::<QrCodeId>("qrCodeId")) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    let owned = exchange
        .state
        .book
        .code(request.mid.as_str(), qr_code_id.as_str())
        .is_ok_and(|(_, order)| request.owns(order));
    if !owned {
        return request.refuse(&Refusal::NoBill, now);
    }
    match exchange
        .state
        .book
        .close_code(request.mid.as_str(), qr_code_id.as_str())
    {
        Ok((_, order)) => json(
            StatusCode::OK,
            &Answer {
                echo: request.echo("SUCCESS", "", now),
                bill: BillFields::of(&order, exchange),
            },
        ),
        Err(refusal) => request.refuse(&refusal, now),
    }
}
