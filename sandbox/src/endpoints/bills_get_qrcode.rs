//! `POST /v1/netpay/bills/get-qrcode`: the QR code of a new bill (`billNo` + `billDate`), or the
//! bill bound to a fixed code (`qrCodeId`). The answer's `billQRCode` is a URL of the sandbox
//! (`/sandbox/qr/{qrCodeId}`): opened in a browser, it lands on the bill's cashier.

use chinaums::QrCodeId;
use http::StatusCode;
use serde::Serialize;

use super::bill::{self, BillEcho, BillFields};
use super::creation::{Spec, digits};
use super::{Exchange, Fields, Reply, json};
use crate::order::{Bill, DEFAULT_ORDER_LIFETIME};

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsGetQrCode as chinaums::Operation>::PATH;

struct Own {
    bill_no: chinaums::BillNo,
    bill_date: String,
    spec: Spec,
    qr_code_id: Option<QrCodeId>,
}

/// `billNo`, `billDate`, the bill's fields (as an order's, with `billDesc`) and `qrCodeId`.
fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    let (bill_no, bill_date) = bill::read_name(fields)?;
    Ok(Own {
        bill_no,
        bill_date,
        spec: Spec::read(fields, "billDesc", 255)?,
        qr_code_id: fields.optional("qrCodeId")?,
    })
}

#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
}

/// A new bill is `UNPAID`; a one-time code expires with the bill (30 minutes without
/// `expireTime`), a bill on a fixed code only at its `expireTime`. The same `billNo` again is
/// `DUP_ORDER`.
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, own) = match bill::read(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if let Err(msg) = own.spec.check_expiry(now) {
        return super::business_error("BAD_REQUEST", msg, now);
    }
    let fixed = own.qr_code_id.is_some();
    let qr_code_id = match &own.qr_code_id {
        Some(id) => id.as_str().to_owned(),
        None => {
            let seed = format!("{}/{}/{}", request.mid, own.bill_no, own.bill_date);
            let prefix: String = own.bill_no.as_str().chars().take(4).collect();
            format!("{prefix}{}", digits(&seed, 25))
        }
    };
    let mut order = own.spec.into_order(
        (
            request.mid.as_str(),
            request.tid.as_str(),
            request.inst_mid.as_str(),
        ),
        own.bill_no.as_str(),
        None,
        PATH,
        now,
        (!fixed).then_some(DEFAULT_ORDER_LIFETIME),
    );
    order.bill = Some(Bill {
        bill_date: own.bill_date,
        qr_code_id,
        fixed_code: fixed,
    });
    let order = match exchange.state.book.create(order) {
        Ok(order) => order,
        Err(refusal) => return request.refuse(&refusal, now),
    };
    json(
        StatusCode::OK,
        &Answer {
            echo: request.echo("SUCCESS", "查询二维码成功", now),
            bill: BillFields::of(&order, exchange),
        },
    )
}
