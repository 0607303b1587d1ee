//! What the QR bill endpoints share (not an endpoint): the common fields of their requests,
//! finding a bill, and the bill's fields every answer carries.
//!
//! A bill is an order of the book whose `merOrderId` is the bill's `billNo` (also the
//! `merOrderId` of its payment, so the payment query and the control API find it too); it
//! carries its `billDate` and QR code. `NO_BILL` answers an unknown bill or code (or one under
//! another `instMid`, as for orders).

use std::time::SystemTime;

use chinaums::timestamps::request_timestamp;
use chinaums::{BillNo, InstMid, Mid, MsgId, PlatformDate, SrcReserve, Tid};
use http::StatusCode;
use serde::Serialize;

use super::{
    Amount, Exchange, Fields, MER_NAME, Reply, as_string, business_error, json, object,
    request_time,
};
use crate::Order;
use crate::auth::within;
use crate::book::Refusal;
use crate::router::SANDBOX_PREFIX;

/// The fields every bill request sends.
pub(crate) struct BillRequest {
    pub mid: Mid,
    pub tid: Tid,
    pub inst_mid: InstMid,
    pub msg_id: Option<MsgId>,
    pub src_reserve: Option<SrcReserve>,
}

impl BillRequest {
    /// The fields every answer about a bill starts with, with this `errCode` and `errMsg`.
    pub fn echo(&self, err_code: &'static str, err_msg: &str, now: SystemTime) -> BillEcho<'_> {
        BillEcho {
            err_code,
            err_msg: err_msg.to_owned(),
            response_timestamp: request_timestamp(now),
            mid: self.mid.as_str(),
            tid: self.tid.as_str(),
            inst_mid: self.inst_mid.as_str(),
            msg_id: self.msg_id.as_ref().map_or("", MsgId::as_str),
            src_reserve: self.src_reserve.as_ref().map_or("", SrcReserve::as_str),
        }
    }

    /// A business refusal that echoes the request.
    pub fn refuse(&self, refusal: &Refusal, now: SystemTime) -> Reply {
        json(
            StatusCode::OK,
            &self.echo(refusal.code(), &refusal.to_string(), now),
        )
    }

    /// Whether `order` was made under this request's `instMid` (another one does not find it).
    pub fn owns(&self, order: &Order) -> bool {
        order.inst_mid == self.inst_mid.as_str()
    }
}

/// The envelope and echoed fields of a bill answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BillEcho<'a> {
    pub err_code: &'static str,
    pub err_msg: String,
    pub response_timestamp: String,
    pub mid: &'a str,
    pub tid: &'a str,
    pub inst_mid: &'a str,
    pub msg_id: &'a str,
    pub src_reserve: &'a str,
}

/// Reads a bill request: the body as a JSON object, `requestTimestamp` (and its freshness),
/// `mid`, `tid`, `instMid`, `msgId`, `srcReserve`, then the operation's own (`own`).
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn read<T>(
    exchange: &Exchange<'_>,
    own: impl FnOnce(&Fields<'_>) -> Result<T, String>,
) -> Result<(BillRequest, T), Reply> {
    let now = exchange.now;
    let fields = object(exchange.request.body())?;
    let fields = Fields(&fields);
    let read = || -> Result<_, String> {
        let stamp = fields.required_text("requestTimestamp")?;
        let at = request_time(stamp).ok_or_else(|| {
            "requestTimestamp: must be yyyy-MM-dd HH:mm:ss (or yyyyMMddHHmmss)".to_owned()
        })?;
        let request = BillRequest {
            mid: fields.required("mid")?,
            tid: fields.required("tid")?,
            inst_mid: fields.required("instMid")?,
            msg_id: fields.optional("msgId")?,
            src_reserve: fields.optional("srcReserve")?,
        };
        Ok((at, request, own(&fields)?))
    };
    let (at, request, own) = read().map_err(|msg| business_error("BAD_REQUEST", msg, now))?;
    if !within(at, now, exchange.config.max_skew) {
        return Err(business_error(
            "ABNORMAL_REQUEST_TIME",
            "请求时间异常: requestTimestamp differs too much from the platform's time",
            now,
        ));
    }
    Ok((request, own))
}

/// `billNo` and `billDate` (`yyyy-MM-dd`), as a bill is named.
pub(crate) fn read_name(fields: &Fields<'_>) -> Result<(BillNo, String), String> {
    let bill_no = fields.required("billNo")?;
    let date = fields.required_text("billDate")?;
    let valid = date.len() == 10 && PlatformDate::from(date).to_date().is_some();
    if !valid {
        return Err("billDate: must be yyyy-MM-dd".to_owned());
    }
    Ok((bill_no, date.to_owned()))
}

/// The bill `bill_no` of `bill_date` under the request's merchant and `instMid`.
pub(crate) fn find<'s>(
    exchange: &'s Exchange<'_>,
    request: &BillRequest,
    bill_no: &str,
    bill_date: &str,
) -> Result<&'s Order, Refusal> {
    exchange
        .state
        .book
        .bill(request.mid.as_str(), bill_no, bill_date)
        .ok()
        .filter(|o| request.owns(o))
        .ok_or(Refusal::NoBill)
}

/// The URL a bill's QR code holds: the sandbox's page for the code, which sends a browser to
/// the bill's cashier.
pub(crate) fn qr_url(base_url: &str, qr_code_id: &str) -> String {
    format!("{base_url}{SANDBOX_PREFIX}qr/{qr_code_id}")
}

/// The bill's own fields, in every bill answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BillFields<'a> {
    pub bill_no: &'a str,
    pub bill_date: &'a str,
    #[serde(rename = "billQRCode")]
    pub bill_qr_code: String,
    pub qr_code_id: &'a str,
    pub bill_status: &'static str,
    pub bill_desc: &'a str,
    pub total_amount: Amount,
    pub mer_name: &'static str,
}

impl<'a> BillFields<'a> {
    /// The fields of `order` (a bill; an order without bill data gives empty bill fields).
    pub fn of(order: &'a Order, exchange: &Exchange<'_>) -> BillFields<'a> {
        let (bill_date, qr_code_id) = order
            .bill
            .as_ref()
            .map_or(("", ""), |b| (b.bill_date.as_str(), b.qr_code_id.as_str()));
        BillFields {
            bill_no: &order.mer_order_id,
            bill_date,
            bill_qr_code: qr_url(exchange.base_url, qr_code_id),
            qr_code_id,
            bill_status: order.bill_status(),
            bill_desc: order.order_desc.as_deref().unwrap_or_default(),
            total_amount: Amount::new(order.total_amount, as_string(order, exchange.config)),
            mer_name: MER_NAME,
        }
    }
}
