//! `GET /v1/netpay/wxpay/h5-pay`: a WeChat H5 payment (outside WeChat), an OPEN-FORM-PARAM
//! URL the payer's browser opens. WeChat needs where it starts (`sceneType`) and the app or
//! site (`merAppName`, `merAppId`). A valid one creates the order (`NEW_ORDER`) and answers
//! `302` to the sandbox's cashier for it; a refusal is the gateway's JSON (`errCode`,
//! `errInfo`) with HTTP 4xx, and creates nothing.

use super::creation::{self, Style};
use super::{Exchange, Fields, Reply};
use crate::order::Channel;

/// The path, the core's own.
pub(crate) const PATH: &str = <chinaums::WxH5Pay as chinaums::Redirect>::PATH;

/// `sceneType` (`IOS_SDK`, `AND_SDK`, `IOS_WAP` or `AND_WAP`), `merAppName` and `merAppId`
/// (required, at most 128 characters).
fn read_own(fields: &Fields<'_>) -> Result<(), String> {
    match fields.required_text("sceneType")? {
        "IOS_SDK" | "AND_SDK" | "IOS_WAP" | "AND_WAP" => {}
        other => {
            return Err(format!(
                "sceneType: must be IOS_SDK, AND_SDK, IOS_WAP or AND_WAP, got {other:?}"
            ));
        }
    }
    for name in ["merAppName", "merAppId"] {
        fields.required_text(name)?;
        fields.short_text(name, 128)?;
    }
    Ok(())
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    match creation::create(exchange, PATH, Channel::WeChat, Style::Redirect, read_own) {
        Ok(new) => creation::to_cashier(exchange, &new.order, "wx.h5Pay"),
        Err(refusal) => refusal,
    }
}
