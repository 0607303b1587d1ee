//! `POST /v1/netpay/bills/update-qrcode`: change a bill not paid yet (amount, description,
//! goods, expiry, URLs, split or guarantee); its code stays the same.

use http::StatusCode;
use serde::Serialize;

use super::bill::{self, BillEcho, BillFields};
use super::creation::Spec;
use super::{Exchange, Fields, Reply, json};

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::BillsUpdateQrCode as chinaums::Operation>::PATH;

struct Own {
    bill_no: chinaums::BillNo,
    bill_date: String,
    spec: Spec,
}

fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    let (bill_no, bill_date) = bill::read_name(fields)?;
    Ok(Own {
        bill_no,
        bill_date,
        spec: Spec::read(fields, "billDesc", 255)?,
    })
}

#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    echo: BillEcho<'a>,
    #[serde(flatten)]
    bill: BillFields<'a>,
}

/// The bill's fields become the request's (an absent `expireTime`, `notifyUrl` or `returnUrl`
/// keeps the bill's). A paid or closed bill is `OPERATION_NOT_ALLOWED`; an unknown one
/// `NO_BILL`.
pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let (request, own) = match bill::read(exchange, read_own) {
        Ok(read) => read,
        Err(rejection) => return rejection,
    };
    let now = exchange.now;
    if let Err(msg) = own.spec.check_expiry(now) {
        return super::business_error("BAD_REQUEST", msg, now);
    }
    if let Err(refusal) = bill::find(exchange, &request, own.bill_no.as_str(), &own.bill_date) {
        return request.refuse(&refusal, now);
    }
    let spec = own.spec;
    let updated = exchange.state.book.update_bill(
        request.mid.as_str(),
        own.bill_no.as_str(),
        &own.bill_date,
        |order| {
            order.total_amount = spec.total_amount;
            order.order_desc = spec.desc;
            order.goods = spec.goods;
            order.kind = spec.kind;
            order.attached_data = spec.attached_data;
            if let Some(at) = spec.expire_time {
                order.expire_time = Some(at);
            }
            if let Some(url) = spec.notify_url {
                order.notify_url = Some(url.as_str().to_owned());
            }
            if let Some(url) = spec.return_url {
                order.return_url = Some(url.as_str().to_owned());
            }
        },
    );
    match updated {
        Ok(order) => json(
            StatusCode::OK,
            &Answer {
                echo: request.echo("SUCCESS", "", now),
                bill: BillFields::of(&order, exchange),
            },
        ),
        Err(refusal) => request.refuse(&refusal, now),
    }
}
