//! `chinaums h5-url alipay|wechat|unionpay|wechat-mini|webpay`: the signed URL of an H5
//! payment (OPEN-FORM-PARAM), for the payer's browser.
//!
//! Nothing is sent: the core signs the URL ([`chinaums::Client::redirect_url`]) and the
//! command prints it, alone on stdout so that it can be piped; `--open` also hands it to the
//! default browser. The platform answers the URL with a `302` to its cashier, where the order
//! is created when the payer opens it.

use std::process::{Command, Stdio};

use chinaums::{
    AlipayH5Pay, MerOrderId, Merchant, OrderFields, Redirect, SceneType, UnionPayH5Pay, WebPay,
    WxH5Pay, WxH5ToMiniPay,
};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::common::{ApiArgs, AuthArg};
use crate::connect::connect_with;
use crate::exit::{CliError, describe};
use crate::order::{OrderFieldArgs, announce_generated, invalid, new_id, sandbox_note};
use crate::render;

/// The environment variable naming a program to open the URL with instead of the system's.
pub const BROWSER_VAR: &str = "CHINAUMS_BROWSER";

/// `h5-url --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Print the signed URL of an H5 payment, for the payer's browser (OPEN-FORM-PARAM; nothing is \
sent). The platform answers it with a redirect to its cashier, where the payer pays.

Kinds: alipay (GET /v1/netpay/trade/h5-pay), wechat (WeChat outside WeChat, GET \
/v1/netpay/wxpay/h5-pay: needs --scene-type, --mer-app-name, --mer-app-id), unionpay (GET \
/v1/netpay/uac/order), wechat-mini (from a page into a WeChat mini-program, GET \
/v1/netpay/wxpay/h5-to-minipay), all with the business type H5DEFAULT unless --inst-mid (or \
CHINAUMS_INST_MID) says otherwise; webpay (the official-account cashier, GET \
/v1/netpay/webpay/pay, YUEDANDEFAULT).

The URL is printed alone on stdout (pipe it anywhere); with --json, {\"url\": …, \"merOrderId\": \
…}. Without a merOrderId argument a fresh one is generated from --msg-src-id (or \
CHINAUMS_MSG_SRC_ID), which is then required (under --sandbox the demo merchant's, 3194), and \
printed on stderr: keep it, it is how the payment is queried. --open also opens the URL in the \
default browser (xdg-open, open, or Windows' URL handler; CHINAUMS_BROWSER names another \
program); failing to open it is only a warning.

The URL is signed with the credentials and the clock: it is good for a few minutes. Under \
--sandbox it points at an in-process sandbox that stops when the command exits: to pay in a \
browser, run `chinaums sandbox --port 8080` and use --env http://127.0.0.1:8080 instead.";

/// `h5-url --help`, at the end.
pub fn after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums h5-url alipay --msg-src-id 3194 --amount 25.00 --return-url https://shop.example/paid\n  \
        chinaums h5-url wechat 3194202401011200000001 --fen 2500 --scene-type IOS_WAP \\\n      \
        --mer-app-name 咖啡商城 --mer-app-id https://shop.example\n  \
        chinaums h5-url unionpay --json --msg-src-id 3194 --amount 1 | jq -r .url\n  \
        chinaums h5-url webpay --env http://127.0.0.1:8080 --msg-src-id 3194 --amount 1 --open\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// The kinds of H5 payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum H5Kind {
    /// Alipay H5 (`/v1/netpay/trade/h5-pay`).
    Alipay,
    /// WeChat H5, outside WeChat (`/v1/netpay/wxpay/h5-pay`).
    Wechat,
    /// UnionPay, 云闪付 (`/v1/netpay/uac/order`).
    Unionpay,
    /// From a page into a WeChat mini-program (`/v1/netpay/wxpay/h5-to-minipay`).
    WechatMini,
    /// The official-account cashier (`/v1/netpay/webpay/pay`).
    Webpay,
}

impl H5Kind {
    /// The business type of the kind, when none is given.
    pub fn inst_mid(self) -> &'static str {
        match self {
            H5Kind::Webpay => "YUEDANDEFAULT",
            _ => "H5DEFAULT",
        }
    }
}

/// `sceneType` of a WeChat H5 payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SceneArg {
    /// An iOS app.
    IosSdk,
    /// An Android app.
    AndSdk,
    /// A mobile site on iOS.
    IosWap,
    /// A mobile site on Android.
    AndWap,
}

impl From<SceneArg> for SceneType {
    fn from(scene: SceneArg) -> Self {
        match scene {
            SceneArg::IosSdk => SceneType::IosSdk,
            SceneArg::AndSdk => SceneType::AndSdk,
            SceneArg::IosWap => SceneType::IosWap,
            SceneArg::AndWap => SceneType::AndWap,
        }
    }
}

/// `chinaums h5-url`.
#[derive(Args, Debug)]
pub struct H5UrlArgs {
    /// The kind of H5 payment.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: H5Kind,

    /// The new order's number (merOrderId, 6 to 32 characters, starting with the msgSrcId).
    /// Default: a fresh one from --msg-src-id.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: Option<String>,

    /// WeChat only: where the payment starts (sceneType).
    #[arg(long, value_enum, value_name = "SCENE")]
    pub scene_type: Option<SceneArg>,

    /// WeChat only: the app's or site's name (merAppName).
    #[arg(long, value_name = "NAME")]
    pub mer_app_name: Option<String>,

    /// WeChat only: the app's bundle id or package name, or the site's URL (merAppId).
    #[arg(long, value_name = "ID")]
    pub mer_app_id: Option<String>,

    /// Also open the URL in the default browser (or CHINAUMS_BROWSER).
    #[arg(long)]
    pub open: bool,

    /// The order's fields.
    #[command(flatten)]
    pub order: OrderFieldArgs,

    /// The shared API arguments (no request is sent: --timeout plays no part).
    #[command(flatten)]
    pub api: ApiArgs,
}

/// What `--json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Printed<'a> {
    url: &'a str,
    mer_order_id: &'a str,
}

impl Run for H5UrlArgs {
    fn run(&self) -> Result<String, CliError> {
        if self.api.connection.auth == Some(AuthArg::Token) {
            return Err(CliError::usage(
                "--auth token does not apply to h5-url: a payment URL is always signed with \
                 OPEN-FORM-PARAM",
            )
            .hint("leave --auth out"));
        }
        self.check_wechat_flags()?;
        let (connection, merchant) = connect_with(&self.api, Some(self.kind.inst_mid()))?;
        let fields = self.order.fields()?;
        let (id, generated) = new_id(
            self.mer_order_id.as_deref(),
            "the <merOrderId> argument",
            |s: &str| MerOrderId::new(s),
            || {
                self.order
                    .msg_src_id(self.api.connection.sandbox, "merOrderId")
            },
            &connection,
        )?;
        let core = connection.client.core();
        let sign = |url: Result<chinaums::http::Uri, chinaums::Error>| {
            url.map_err(|e| match e {
                chinaums::Error::InvalidField(field) => invalid(&field),
                other => describe(&other, &connection.base_url),
            })
        };
        let url = match self.kind {
            H5Kind::Alipay => {
                sign(core.redirect_url(&self.build(AlipayH5Pay::new, &merchant, &id, fields)?))
            }
            H5Kind::Unionpay => {
                sign(core.redirect_url(&self.build(UnionPayH5Pay::new, &merchant, &id, fields)?))
            }
            H5Kind::WechatMini => {
                sign(core.redirect_url(&self.build(WxH5ToMiniPay::new, &merchant, &id, fields)?))
            }
            H5Kind::Webpay => {
                sign(core.redirect_url(&self.build(WebPay::new, &merchant, &id, fields)?))
            }
            H5Kind::Wechat => {
                let pay = WxH5Pay::new(
                    &merchant,
                    id.clone(),
                    fields,
                    self.scene_type
                        .map(SceneType::from)
                        .unwrap_or(SceneType::IosWap),
                    self.mer_app_name.clone().unwrap_or_default(),
                    self.mer_app_id.clone().unwrap_or_default(),
                );
                pay.validate().map_err(|e| invalid(&e))?;
                sign(core.redirect_url(&pay))
            }
        }?
        .to_string();
        if generated {
            announce_generated("merOrderId", id.as_str());
        }
        if connection.sandbox.is_some() {
            sandbox_note("this URL");
        }
        if self.open {
            if let Err(why) = open_in_browser(&url) {
                eprintln!("warning: could not open a browser ({why}); open the URL yourself");
            }
        }
        if self.api.json {
            render::json(&Printed {
                url: &url,
                mer_order_id: id.as_str(),
            })
        } else {
            Ok(format!("{url}\n"))
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

impl H5UrlArgs {
    /// `--scene-type`, `--mer-app-name` and `--mer-app-id`: all three for `wechat`, none for
    /// the other kinds (which would not send them).
    fn check_wechat_flags(&self) -> Result<(), CliError> {
        let given = [
            ("--scene-type", self.scene_type.is_some()),
            ("--mer-app-name", self.mer_app_name.is_some()),
            ("--mer-app-id", self.mer_app_id.is_some()),
        ];
        if self.kind == H5Kind::Wechat {
            let missing: Vec<&str> = given
                .iter()
                .filter(|(_, set)| !set)
                .map(|(flag, _)| *flag)
                .collect();
            if !missing.is_empty() {
                return Err(CliError::usage(format!(
                    "a WeChat H5 payment needs {} (WeChat requires where it starts and the app \
                     or site)",
                    missing.join(", ")
                ))
                .hint(
                    "e.g. --scene-type IOS_WAP --mer-app-name 咖啡商城 --mer-app-id \
                     https://shop.example",
                ));
            }
        } else if let Some((flag, _)) = given.iter().find(|(_, set)| *set) {
            return Err(CliError::usage(format!(
                "{flag} applies to `h5-url wechat` only, not to `h5-url {}`",
                self.kind
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned())
                    .unwrap_or_default()
            ))
            .hint(format!("leave {flag} out")));
        }
        Ok(())
    }

    /// An H5 payment of a kind that takes only the order's fields, checked (an error names
    /// the flag).
    fn build<R: Redirect>(
        &self,
        new: fn(&Merchant, MerOrderId, OrderFields) -> R,
        merchant: &Merchant,
        id: &MerOrderId,
        fields: OrderFields,
    ) -> Result<R, CliError> {
        let pay = new(merchant, id.clone(), fields);
        pay.validate().map_err(|e| invalid(&e))?;
        Ok(pay)
    }
}

/// Hands `url` to the default browser (or to the program `CHINAUMS_BROWSER` names), without
/// waiting for it: `xdg-open` on Linux and the BSDs, `open` on macOS, Windows' URL handler
/// (`rundll32 url.dll,FileProtocolHandler`, which, unlike `cmd /c start`, takes the URL as one
/// argument whatever `&` it holds). Its output goes nowhere: stdout is the URL's alone.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    let mut command = match std::env::var_os(BROWSER_VAR).filter(|v| !v.is_empty()) {
        Some(program) => Command::new(program),
        None if cfg!(target_os = "macos") => Command::new("open"),
        None if cfg!(windows) => {
            let mut command = Command::new("rundll32");
            command.arg("url.dll,FileProtocolHandler");
            command
        }
        None => Command::new("xdg-open"),
    };
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("{program}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_business_type() {
        assert_eq!(H5Kind::Alipay.inst_mid(), "H5DEFAULT");
        assert_eq!(H5Kind::Wechat.inst_mid(), "H5DEFAULT");
        assert_eq!(H5Kind::WechatMini.inst_mid(), "H5DEFAULT");
        assert_eq!(H5Kind::Unionpay.inst_mid(), "H5DEFAULT");
        assert_eq!(H5Kind::Webpay.inst_mid(), "YUEDANDEFAULT");
    }

    #[test]
    fn scene_types_are_the_cores() {
        for (arg, wire) in [
            (SceneArg::IosSdk, "IOS_SDK"),
            (SceneArg::AndSdk, "AND_SDK"),
            (SceneArg::IosWap, "IOS_WAP"),
            (SceneArg::AndWap, "AND_WAP"),
        ] {
            assert_eq!(SceneType::from(arg).as_str(), wire);
            assert_eq!(arg.to_possible_value().unwrap().get_name(), wire);
        }
    }
}
