//! `POST /v1/netpay/wx/unified-order`: a WeChat mini-program (`tradeType` `MINI`) or
//! official-account (`JSAPI`) order; the answer carries `miniPayRequest`, what
//! `wx.requestPayment` takes.

use chinaums::body_sig;
use http::StatusCode;
use serde::Serialize;

use super::creation::{self, Created, Style, hex};
use super::{Exchange, Fields, Reply, json};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::WxUnifiedOrder as chinaums::Operation>::PATH;

/// The unified order's own fields.
pub(crate) struct Own {
    sub_app_id: Option<String>,
}

/// `tradeType` (`MINI` or `JSAPI`), `subOpenId` (the payer's openid: required, at most 128
/// characters) and `subAppId` (optional here: the platform can use the merchant's configured
/// appid; at most 128).
fn read_own(fields: &Fields<'_>) -> Result<Own, String> {
    match fields.required_text("tradeType")? {
        "MINI" | "JSAPI" => {}
        other => return Err(format!("tradeType: must be MINI or JSAPI, got {other:?}")),
    }
    fields.required_text("subOpenId")?;
    fields.short_text("subOpenId", 128)?;
    Ok(Own {
        sub_app_id: fields
            .short_text("subAppId", 128)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    })
}

/// WeChat's six `requestPayment` keys.
#[derive(Serialize)]
pub(crate) struct MiniPayRequest {
    #[serde(rename = "appId")]
    pub app_id: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    pub package: String,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
    #[serde(rename = "signType")]
    pub sign_type: &'static str,
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
}

impl MiniPayRequest {
    /// Made-up but well-formed values: `package` is `prepay_id=wx…`, `timeStamp` the Unix
    /// time as a string, `paySign` a Base64 MAC of the other keys under a key of the
    /// sandbox's own (WeChat's RSA signature cannot be made without WeChat's key).
    pub fn new(app_id: &str, mer_order_id: &str, unix: u64) -> MiniPayRequest {
        let nonce_str = hex(&format!("{mer_order_id}/nonce"), 32);
        let package = format!("prepay_id=wx{}", hex(&format!("{mer_order_id}/prepay"), 32));
        let time_stamp = unix.to_string();
        let message = format!("{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n");
        MiniPayRequest {
            pay_sign: body_sig::signature("chinaums-sandbox-wechat", &message),
            app_id: app_id.to_owned(),
            nonce_str,
            package,
            sign_type: "RSA",
            time_stamp,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    #[serde(flatten)]
    created: Created<'a>,
    mini_pay_request: MiniPayRequest,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let new = match creation::create(exchange, PATH, Channel::WeChat, Style::Post, read_own) {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    let app_id = new
        .own
        .sub_app_id
        .clone()
        .unwrap_or_else(|| format!("wx{}", hex(&new.order.mid, 16)));
    let unix = exchange
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json(
        StatusCode::OK,
        &Answer {
            created: Created::of(&new, exchange),
            mini_pay_request: MiniPayRequest::new(&app_id, &new.order.mer_order_id, unix),
        },
    )
}
