//! `POST /v1/netpay/wx/app-pre-order`: a WeChat APP order; the answer's `appPayRequest` has
//! the seven keys of WeChat OpenSDK's `PayReq`.

use chinaums::body_sig;
use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style, digits, hex};
use super::{Exchange, Fields, Reply, json};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::WxAppPreOrder as chinaums::Operation>::PATH;

/// `tradeType` (`APP` when sent) and `subAppId` (the app's WeChat appid: required, at most 128
/// characters).
fn read_own(fields: &Fields<'_>) -> Result<String, String> {
    match fields.text("tradeType")? {
        None | Some("APP") => {}
        Some(other) => return Err(format!("tradeType: must be APP, got {other:?}")),
    }
    fields.required_text("subAppId")?;
    Ok(fields
        .short_text("subAppId", 128)?
        .unwrap_or_default()
        .to_owned())
}

/// WeChat's `PayReq`, with WeChat's own key names.
#[derive(Serialize)]
struct PayReq {
    appid: String,
    partnerid: String,
    prepayid: String,
    package: &'static str,
    noncestr: String,
    timestamp: String,
    sign: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    app_pay_request: PayReq,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::WeChat, Style::Post, read_own) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    let id = &new.order.mer_order_id;
    let timestamp = exchange
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let appid = new.own.clone();
    let partnerid = digits(&format!("{}/partner", new.order.mid), 10);
    let prepayid = format!("wx{}", hex(&format!("{id}/prepay"), 32));
    let noncestr = hex(&format!("{id}/nonce"), 32);
    // A MAC under a key of the sandbox's own: WeChat's signature needs WeChat's key.
    let sign = body_sig::signature(
        "chinaums-sandbox-wechat",
        &format!("{appid}\n{partnerid}\n{prepayid}\n{noncestr}\n{timestamp}\n"),
    );
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            app_pay_request: PayReq {
                appid,
                partnerid,
                prepayid,
                package: "Sign=WXPay",
                noncestr,
                timestamp,
                sign,
            },
        },
    )
}
