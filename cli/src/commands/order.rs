//! `chinaums order create mini|jsapi`: create an order and get what the payer's front end
//! hands to the channel's pay call.
//!
//! `order` and `create` only group the kinds; each kind is an API command of its own, with the
//! shared arguments, the order's fields ([`OrderFieldArgs`]) and the channel's own flags. The order
//! number is the argument, or a fresh one generated from `--msg-src-id` and printed (second in
//! the summary, and on stderr). The answer is printed by the generic renderer, the pay request
//! first. A creation whose outcome is unknown (`DUP_ORDER`, a success without a pay request, a
//! lost answer) exits 6 and names the payment query to ask before creating it again.

use chinaums::{
    AlipayAppPreOrder, AlipayMiniOrder, AlipayMiniOrderResponse, AppPayResponse, BillNo,
    BillsGetQrCode, BillsGetQrCodeResponse, Date, InvalidField, MerOrderId, Merchant, Operation,
    OrderEcho, OrderFields, PlatformDate, QrCodeId, UnionPayAppOrder, UnionPayMiniOrder,
    UnionPayMiniOrderResponse, WxAppPreOrder, WxUnifiedOrder, WxUnifiedOrderResponse,
};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::args::EXIT_CODES_HELP;
use crate::commands::Run;
use crate::common::ApiArgs;
use crate::connect::{connect_with, output};
use crate::exit::{Class, CliError, FollowUpQuery, shell_word};
use crate::order::{
    OrderFieldArgs, announce_generated, bill_fields, format_date, invalid, new_id, parse_bill_date,
    sandbox_note, today,
};
use crate::render::Decision;

/// `order --help`, after the one-line summary.
pub const LONG_ABOUT: &str = "\
Create orders: `order create mini` (a mini-program: WeChat, Alipay or UnionPay), `order create \
jsapi` (a page inside WeChat), `order create app` (an app: WeChat, Alipay or UnionPay) and \
`order create qr` (a QR bill any wallet pays). The answer carries what the payer's front end \
hands to the channel's pay call, or the QR code to show. For a payment in a browser, see \
`chinaums h5-url`.";

/// `chinaums order`.
#[derive(Args, Debug)]
pub struct OrderArgs {
    /// `create`.
    #[command(subcommand)]
    pub command: OrderCommand,
}

/// The subcommands of `order`.
#[derive(Subcommand, Debug)]
pub enum OrderCommand {
    /// Create an order of one kind (mini, jsapi, app, qr).
    #[command(long_about = CREATE_LONG_ABOUT, subcommand_required = true)]
    Create(CreateArgs),
}

const CREATE_LONG_ABOUT: &str = "\
Create an order: `mini` for a mini-program (WeChat, Alipay or UnionPay), `jsapi` for a page \
inside WeChat, `app` for an app (WeChat, Alipay or UnionPay), `qr` for a QR bill.

Without a merOrderId argument a fresh one is generated (msgSrcId + time + random digits) from \
--msg-src-id (or CHINAUMS_MSG_SRC_ID), which is then required (under --sandbox the demo \
merchant's, 3194): it is printed on stderr and second in the summary: keep it, it is how the \
order is queried, refunded or closed.";

/// `chinaums order create`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The kind of order.
    #[command(subcommand)]
    pub kind: CreateKind,
}

/// The kinds of `order create`.
#[derive(Subcommand, Debug)]
pub enum CreateKind {
    /// A mini-program order (WeChat, Alipay or UnionPay): the answer carries the pay request
    /// for the mini-program.
    #[command(long_about = MINI_LONG_ABOUT, after_long_help = mini_after_long_help())]
    Mini(MiniArgs),

    /// An order paid in a page inside WeChat (JSAPI, official accounts).
    #[command(long_about = JSAPI_LONG_ABOUT, after_long_help = jsapi_after_long_help())]
    Jsapi(JsapiArgs),

    /// An order paid in the merchant's app (WeChat, Alipay or UnionPay): the answer carries
    /// the pay request for the channel's SDK.
    #[command(long_about = APP_LONG_ABOUT, after_long_help = app_after_long_help())]
    App(AppArgs),

    /// A QR bill (C扫B): the answer carries the QR code any wallet pays.
    #[command(long_about = QR_LONG_ABOUT, after_long_help = qr_after_long_help())]
    Qr(QrArgs),
}

impl CreateKind {
    fn inner(&mut self) -> &mut dyn Run {
        match self {
            CreateKind::Mini(args) => args,
            CreateKind::Jsapi(args) => args,
            CreateKind::App(args) => args,
            CreateKind::Qr(args) => args,
        }
    }
}

impl Run for OrderArgs {
    fn run(&self) -> Result<String, CliError> {
        let OrderCommand::Create(create) = &self.command;
        match &create.kind {
            CreateKind::Mini(args) => args.run(),
            CreateKind::Jsapi(args) => args.run(),
            CreateKind::App(args) => args.run(),
            CreateKind::Qr(args) => args.run(),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        let OrderCommand::Create(create) = &mut self.command;
        create.kind.inner().api()
    }
}

/// The business type (instMid) of a mini-program order, when none is given.
pub const MINI_INST_MID: &str = "MINIDEFAULT";
/// The business type of a JSAPI order (and of the official-account cashier).
pub const JSAPI_INST_MID: &str = "YUEDANDEFAULT";
/// The business type of an APP order.
pub const APP_INST_MID: &str = "APPDEFAULT";
/// The business type of a QR bill.
pub const QR_INST_MID: &str = "QRPAYDEFAULT";

const MINI_LONG_ABOUT: &str = "\
Create a mini-program order: WeChat (POST /v1/netpay/wx/unified-order, tradeType MINI), Alipay \
(POST /v1/netpay/trade/create) or UnionPay (POST /v1/netpay/uac/mini-order), by --channel.

--sub-open-id is the payer's user id in the channel (WeChat: the openid under the \
mini-program; Alipay: the user id); --sub-app-id the mini-program's appid (required for \
WeChat). The business type is --inst-mid (or CHINAUMS_INST_MID), else MINIDEFAULT.

Prints a summary, the pay request first (miniPayRequest: ready, and its fields, to hand to \
wx.requestPayment as they are; for Alipay the targetOrderId that my.tradePay takes), then the \
merOrderId, then every field of the answer; or, with --json, the typed answer as JSON. The \
order is then waiting for the payer (status NEW_ORDER): ask `chinaums query` for the payment.

Exit code 6 means the order may or may not exist (DUP_ORDER: this merOrderId was used before; \
a success without a pay request; a lost answer): the error names the payment query to ask \
before creating it again.";

fn mini_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums order create mini --sandbox --amount 25.00 --desc 咖啡 \\\n      \
        --sub-app-id wx0123456789abcdef --sub-open-id oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n  \
        chinaums order create mini --channel alipay 3194202401011200000001 --fen 2500 \\\n      \
        --sub-open-id 2088102146225135 --notify-url https://shop.example/ums/notify\n  \
        chinaums order create mini --json --msg-src-id 3194 --amount 1 --goods goods.json \\\n      \
        --sub-app-id wx0123456789abcdef --sub-open-id oUpF8u…     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

const JSAPI_LONG_ABOUT: &str = "\
Create an order paid in a page inside WeChat (POST /v1/netpay/wx/unified-order, tradeType \
JSAPI): --sub-app-id is the official account's appid, --sub-open-id the payer's openid under \
it. The business type is --inst-mid (or CHINAUMS_INST_MID), else YUEDANDEFAULT.

Prints a summary, the pay request first (miniPayRequest: ready, and its fields, to hand to \
WeixinJSBridge's getBrandWCPayRequest as they are), then the merOrderId, then every field of \
the answer; or, with --json, the typed answer as JSON. Exit code 6 means the order may or may \
not exist: the error names the payment query to ask before creating it again.";

fn jsapi_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums order create jsapi --sandbox --amount 25.00 \\\n      \
        --sub-app-id wx0123456789abcdef --sub-open-id oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// The channel of a mini-program order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MiniChannel {
    /// WeChat (`/v1/netpay/wx/unified-order`).
    Wechat,
    /// Alipay (`/v1/netpay/trade/create`).
    Alipay,
    /// UnionPay, 云闪付 (`/v1/netpay/uac/mini-order`).
    Unionpay,
}

/// `chinaums order create mini`.
#[derive(Args, Debug)]
pub struct MiniArgs {
    /// The new order's number (merOrderId, 6 to 32 characters, starting with the msgSrcId).
    /// Default: a fresh one from --msg-src-id.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: Option<String>,

    /// The payer's channel.
    #[arg(long, value_enum, default_value_t = MiniChannel::Wechat)]
    pub channel: MiniChannel,

    /// The mini-program's appid in the channel (subAppId); required for WeChat.
    #[arg(long, value_name = "ID")]
    pub sub_app_id: Option<String>,

    /// The payer's user id in the channel (subOpenId): WeChat's openid, Alipay's user id.
    #[arg(long, value_name = "ID", required = true)]
    pub sub_open_id: String,

    /// The order's fields.
    #[command(flatten)]
    pub order: OrderFieldArgs,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for MiniArgs {
    fn run(&self) -> Result<String, CliError> {
        let creation = Creation {
            api: &self.api,
            order: &self.order,
            mer_order_id: self.mer_order_id.as_deref(),
            inst_mid: MINI_INST_MID,
        };
        let open_id = self.sub_open_id.as_str();
        match self.channel {
            MiniChannel::Wechat => {
                let app_id = self.sub_app_id.as_deref().ok_or_else(|| {
                    CliError::usage("a WeChat mini-program order needs --sub-app-id")
                        .hint("give --sub-app-id: the mini-program's appid (wx…)")
                })?;
                creation.run(
                    |merchant, id, fields| {
                        WxUnifiedOrder::mini(merchant, id, fields, app_id, open_id)
                    },
                    |answer, id| wechat_decision(answer, id, "wx.requestPayment"),
                    |answer| &mut answer.order,
                )
            }
            MiniChannel::Alipay => creation.run(
                |merchant, id, fields| {
                    let order = AlipayMiniOrder::new(merchant, id, fields, open_id);
                    match &self.sub_app_id {
                        Some(app) => order.sub_app_id(app.as_str()),
                        None => order,
                    }
                },
                alipay_decision,
                |answer| &mut answer.order,
            ),
            MiniChannel::Unionpay => creation.run(
                |merchant, id, fields| {
                    let order = UnionPayMiniOrder::new(merchant, id, fields, open_id);
                    match &self.sub_app_id {
                        Some(app) => order.sub_app_id(app.as_str()),
                        None => order,
                    }
                },
                unionpay_decision,
                |answer| &mut answer.order,
            ),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `chinaums order create jsapi`.
#[derive(Args, Debug)]
pub struct JsapiArgs {
    /// The new order's number (merOrderId, 6 to 32 characters, starting with the msgSrcId).
    /// Default: a fresh one from --msg-src-id.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: Option<String>,

    /// The official account's appid (subAppId).
    #[arg(long, value_name = "ID", required = true)]
    pub sub_app_id: String,

    /// The payer's openid under that appid (subOpenId).
    #[arg(long, value_name = "ID", required = true)]
    pub sub_open_id: String,

    /// The order's fields.
    #[command(flatten)]
    pub order: OrderFieldArgs,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for JsapiArgs {
    fn run(&self) -> Result<String, CliError> {
        Creation {
            api: &self.api,
            order: &self.order,
            mer_order_id: self.mer_order_id.as_deref(),
            inst_mid: JSAPI_INST_MID,
        }
        .run(
            |merchant, id, fields| {
                WxUnifiedOrder::jsapi(merchant, id, fields, &self.sub_app_id, &self.sub_open_id)
            },
            |answer, id| wechat_decision(answer, id, "WeixinJSBridge's getBrandWCPayRequest"),
            |answer| &mut answer.order,
        )
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

const APP_LONG_ABOUT: &str = "\
Create an order paid in the merchant's app: WeChat (POST /v1/netpay/wx/app-pre-order, \
tradeType APP: --sub-app-id, the app's WeChat appid, is required), Alipay (POST \
/v1/netpay/trade/app-pre-order) or UnionPay (POST /v1/netpay/uac/app-order), by --channel. The \
business type is --inst-mid (or CHINAUMS_INST_MID), else APPDEFAULT.

Prints a summary, the pay request first (appPayRequest: ready, and its fields, to hand to the \
channel's SDK as they are: WeChat's OpenSDK PayReq, Alipay's qrCode, UnionPay's tn), then the \
merOrderId, then every field of the answer; or, with --json, the typed answer as JSON. Exit code \
6 means the order may or may not exist: the error names the payment query to ask before \
creating it again.";

fn app_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums order create app --sandbox --amount 30.00 --desc 会员月卡 --sub-app-id wx0123456789abcdef\n  \
        chinaums order create app --channel alipay 3194202401011200000001 --fen 3000     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// The channel of an APP order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppChannel {
    /// WeChat (`/v1/netpay/wx/app-pre-order`).
    Wechat,
    /// Alipay (`/v1/netpay/trade/app-pre-order`).
    Alipay,
    /// UnionPay, 云闪付 (`/v1/netpay/uac/app-order`).
    Unionpay,
}

/// `chinaums order create app`.
#[derive(Args, Debug)]
pub struct AppArgs {
    /// The new order's number (merOrderId, 6 to 32 characters, starting with the msgSrcId).
    /// Default: a fresh one from --msg-src-id.
    #[arg(value_name = "merOrderId")]
    pub mer_order_id: Option<String>,

    /// The payer's channel.
    #[arg(long, value_enum, default_value_t = AppChannel::Wechat)]
    pub channel: AppChannel,

    /// The app's WeChat appid (subAppId); WeChat only, and required there.
    #[arg(long, value_name = "ID")]
    pub sub_app_id: Option<String>,

    /// The order's fields.
    #[command(flatten)]
    pub order: OrderFieldArgs,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for AppArgs {
    fn run(&self) -> Result<String, CliError> {
        let creation = Creation {
            api: &self.api,
            order: &self.order,
            mer_order_id: self.mer_order_id.as_deref(),
            inst_mid: APP_INST_MID,
        };
        match (self.channel, &self.sub_app_id) {
            (AppChannel::Wechat, None) => {
                Err(CliError::usage("a WeChat APP order needs --sub-app-id")
                    .hint("give --sub-app-id: the app's WeChat appid (wx…)"))
            }
            (AppChannel::Wechat, Some(app_id)) => creation.run(
                |merchant, id, fields| WxAppPreOrder::new(merchant, id, fields, app_id.as_str()),
                |answer, _| app_decision(answer, "WeChat OpenSDK's PayReq"),
                |answer| &mut answer.order,
            ),
            (_, Some(_)) => Err(CliError::usage(
                "--sub-app-id applies to a WeChat APP order only (--channel wechat)",
            )
            .hint("leave --sub-app-id out")),
            (AppChannel::Alipay, None) => creation.run(
                AlipayAppPreOrder::new,
                |answer, _| app_decision(answer, "the Alipay SDK"),
                |answer| &mut answer.order,
            ),
            (AppChannel::Unionpay, None) => creation.run(
                UnionPayAppOrder::new,
                |answer, _| app_decision(answer, "the UnionPay SDK"),
                |answer| &mut answer.order,
            ),
        }
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// `appPayRequest: ready: hand it to … as it is`, its fields below.
pub fn app_decision(answer: &AppPayResponse, sdk: &str) -> Decision {
    let text = match answer.pay_request() {
        Some(_) => format!("ready: hand it to {sdk} as it is"),
        None => "missing: query the order before creating it again".to_owned(),
    };
    Decision::new("appPayRequest", text).with_value()
}

const QR_LONG_ABOUT: &str = "\
Create a QR bill (POST /v1/netpay/bills/get-qrcode): a code the customer scans with any wallet \
to pay the bill. A bill is named by its billNo and billDate: --bill-no (default: a fresh one \
from --msg-src-id, printed on stderr and in the summary: keep it) and --bill-date (yyyy-MM-dd, \
default: today in Beijing). --qr-code-id binds the bill to a fixed code instead of making a new \
one. --desc is the bill's description (billDesc). The business type is --inst-mid (or \
CHINAUMS_INST_MID), else QRPAYDEFAULT.

Prints a summary, the code first (billQRCode: the URL to show as a QR code), then the billNo \
and billDate, then every field of the answer; or, with --json, the typed answer as JSON. Ask \
where it stands with `chinaums bill query <billNo> --bill-date <date>`. Exit code 6 means the \
bill may or may not exist: the error names the bill query to ask before making it again.";

fn qr_after_long_help() -> String {
    format!(
        "Examples:\n  \
        chinaums order create qr --sandbox --amount 36.00 --desc 午餐\n  \
        chinaums order create qr --bill-no 31942024010112000000000042 --bill-date 2024-01-01 \\\n      \
        --fen 3600 --notify-url https://shop.example/ums/notify     (settings from CHINAUMS_*)\n\n\
        {EXIT_CODES_HELP}"
    )
}

/// `chinaums order create qr`.
#[derive(Args, Debug)]
pub struct QrArgs {
    /// The bill's number (billNo, 6 to 32 characters, starting with the msgSrcId). Default: a
    /// fresh one from --msg-src-id.
    #[arg(long, value_name = "BILL_NO")]
    pub bill_no: Option<String>,

    /// The bill's date (billDate), yyyy-MM-dd. Default: today in Beijing.
    #[arg(long, value_name = "DATE", value_parser = parse_bill_date)]
    pub bill_date: Option<Date>,

    /// Bind the bill to this fixed QR code (qrCodeId) instead of making a new one.
    #[arg(long, value_name = "ID")]
    pub qr_code_id: Option<String>,

    /// The bill's fields (--desc is its billDesc).
    #[command(flatten)]
    pub order: OrderFieldArgs,

    /// The shared API arguments.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl Run for QrArgs {
    fn run(&self) -> Result<String, CliError> {
        let (connection, merchant) = connect_with(&self.api, Some(QR_INST_MID))?;
        let fields = self.order.fields()?;
        let qr_code_id = self
            .qr_code_id
            .as_deref()
            .map(QrCodeId::new)
            .transpose()
            .map_err(|e| CliError::invalid(&e).hint("fix --qr-code-id"))?;
        let (bill_no, generated) = new_id(
            self.bill_no.as_deref(),
            "--bill-no",
            |s: &str| BillNo::new(s),
            || self.order.msg_src_id(self.api.connection.sandbox, "billNo"),
            &connection,
        )?;
        let date = self.bill_date.unwrap_or_else(today);
        let mut bill = bill_fields(fields, bill_no.clone(), date);
        if let Some(code) = qr_code_id {
            bill = bill.qr_code_id(code);
        }
        let operation = BillsGetQrCode::new(&merchant, bill);
        operation.validate().map_err(|e| bill_invalid(&e))?;
        if generated {
            announce_generated("billNo", bill_no.as_str());
        }
        let date_text = format_date(date);
        let chosen_inst_mid = self
            .api
            .merchant
            .inst_mid
            .as_deref()
            .is_none_or(str::is_empty)
            .then(|| merchant.inst_mid.to_string());
        let mut answer = connection
            .call(&operation)
            .map_err(|e| bill_creation_error(e, bill_no.as_str(), &date_text, chosen_inst_mid))?;
        if connection.sandbox.is_some() {
            sandbox_note("the billQRCode");
        }
        let decision = qr_decision(&answer)
            .and(
                "billNo",
                bill_line(bill_no.as_str(), generated, answer.bill.bill_no.as_deref()),
            )
            .and("billDate", date_text.clone());
        // A script reads the bill's name from the answer: the one sent, if it is not echoed.
        if answer.bill.bill_no.as_deref().is_none_or(str::is_empty) {
            answer.bill.bill_no = Some(bill_no.to_string());
        }
        if answer.bill.bill_date.is_none() {
            answer.bill.bill_date = Some(PlatformDate::from(date_text.as_str()));
        }
        output(&self.api, &answer, Some(&decision))
    }

    fn api(&mut self) -> Option<&mut ApiArgs> {
        Some(&mut self.api)
    }
}

/// A bill's field the core refused: `billNo` comes from `--bill-no` here.
fn bill_invalid(field: &InvalidField) -> CliError {
    match field.field {
        "billNo" => CliError::usage(format!("{field} (from --bill-no)")).hint("fix --bill-no"),
        _ => invalid(field),
    }
}

/// The `billNo` line: the one sent, `(generated: keep it)` when it was, and the one the answer
/// echoes if it differs.
fn bill_line(sent: &str, generated: bool, echoed: Option<&str>) -> String {
    match echoed.filter(|e| !e.is_empty() && *e != sent) {
        Some(echoed) => format!("{echoed} (sent: {sent})"),
        None if generated => format!("{sent} (generated: keep it)"),
        None => sent.to_owned(),
    }
}

/// `billQRCode: <the URL>`: what to show.
pub fn qr_decision(answer: &BillsGetQrCodeResponse) -> Decision {
    Decision::new(
        "billQRCode",
        answer
            .qr_code()
            .unwrap_or("missing: ask the bill query before making it again"),
    )
}

/// A bill creation that failed: when the outcome is unknown, the bill query to ask (the core
/// names none for bills) before making it again.
pub fn bill_creation_error(
    mut error: CliError,
    bill_no: &str,
    bill_date: &str,
    inst_mid: Option<String>,
) -> CliError {
    if error.class == Class::OutcomeUnknown {
        let mut query = FollowUpQuery::bill(bill_no, bill_date, None);
        query.inst_mid = inst_mid;
        let hint = format!(
            "the bill may or may not have been made: ask the bill query before making it again, \
             never under a new billNo (same settings): {}",
            query.command()
        );
        error.follow_up = Some(Box::new(query));
        return error.hint(hint);
    }
    if error.class == Class::Retryable {
        let hint = format!(
            "safe to retry, with the same --bill-no {}",
            shell_word(bill_no)
        );
        let hint = match &error.hint {
            Some(before) => format!("{before}; {hint}"),
            None => hint,
        };
        return error.hint(hint);
    }
    error
}

/// One order creation: the settings, the order's fields, the order number if given, and the
/// business type of the kind (used when none is given).
pub struct Creation<'a> {
    /// The shared API arguments.
    pub api: &'a ApiArgs,
    /// The order's fields.
    pub order: &'a OrderFieldArgs,
    /// The merOrderId argument.
    pub mer_order_id: Option<&'a str>,
    /// The kind's business type.
    pub inst_mid: &'static str,
}

/// The order number used, and whether it was generated.
pub struct UsedId {
    /// The merOrderId sent.
    pub id: MerOrderId,
    /// Whether the command generated it.
    pub generated: bool,
}

impl UsedId {
    /// The `merOrderId` line of the summary: the id sent, `(generated: keep it)` when it was,
    /// and the one the answer echoes if it differs.
    pub fn line(&self, echoed: Option<&str>) -> String {
        let sent = self.id.as_str();
        match echoed.filter(|e| !e.is_empty() && *e != sent) {
            Some(echoed) => format!("{echoed} (sent: {sent})"),
            None if self.generated => format!("{sent} (generated: keep it)"),
            None => sent.to_owned(),
        }
    }
}

impl Creation<'_> {
    /// Connects, builds the operation with `build` (the merchant, the order number given or
    /// generated, the order's fields), checks it (an error names the flag), sends it, and
    /// prints the answer with `decision` first; `echo` gives the answer's echoed order fields,
    /// where a missing merOrderId is filled in with the one sent.
    pub fn run<O>(
        &self,
        build: impl FnOnce(&Merchant, MerOrderId, OrderFields) -> O,
        decision: impl FnOnce(&O::Response, &UsedId) -> Decision,
        echo: impl FnOnce(&mut O::Response) -> &mut OrderEcho,
    ) -> Result<String, CliError>
    where
        O: Operation,
        O::Response: Serialize,
    {
        let (connection, merchant) = connect_with(self.api, Some(self.inst_mid))?;
        let fields = self.order.fields()?;
        let (id, generated) = new_id(
            self.mer_order_id,
            "the <merOrderId> argument",
            |s: &str| MerOrderId::new(s),
            || {
                self.order
                    .msg_src_id(self.api.connection.sandbox, "merOrderId")
            },
            &connection,
        )?;
        let operation = build(&merchant, id.clone(), fields);
        // The core checks again when sending; here its error names the flag.
        operation.validate().map_err(|e| invalid(&e))?;
        let used = UsedId { id, generated };
        if generated {
            announce_generated("merOrderId", used.id.as_str());
        }
        let chosen_inst_mid = self
            .api
            .merchant
            .inst_mid
            .as_deref()
            .is_none_or(str::is_empty)
            .then(|| merchant.inst_mid.to_string());
        let mut answer = connection
            .call(&operation)
            .map_err(|e| creation_error(e, &used, chosen_inst_mid))?;
        let decision = decision(&answer, &used);
        let echoed = echo(&mut answer);
        let decision = decision.and("merOrderId", used.line(echoed.mer_order_id.as_deref()));
        // A script reads the id from the answer: the one sent, if the platform left it out.
        if echoed.mer_order_id.as_deref().is_none_or(str::is_empty) {
            echoed.mer_order_id = Some(used.id.to_string());
        }
        output(self.api, &answer, Some(&decision))
    }
}

/// A creation that failed: when the outcome is unknown, the follow-up query (with the
/// business type when the command chose it) and a hint that says not to create the order
/// again before asking it; when certainly not sent, that retrying with the same merOrderId is
/// safe.
pub fn creation_error(mut error: CliError, used: &UsedId, inst_mid: Option<String>) -> CliError {
    if let Some(query) = error.follow_up.as_mut() {
        query.inst_mid = inst_mid;
        let hint = format!(
            "the order may or may not have been created: ask the payment query before creating \
             it again, never under a new merOrderId (same settings): {}",
            query.command()
        );
        return error.hint(hint);
    }
    if error.class == Class::Retryable {
        let hint = format!(
            "safe to retry, with the same merOrderId: {}",
            shell_word(used.id.as_str())
        );
        let hint = match &error.hint {
            Some(before) => format!("{before}; {hint}"),
            None => hint,
        };
        return error.hint(hint);
    }
    error
}

/// `miniPayRequest: ready: hand it to … as it is`, its fields below.
pub fn wechat_decision(answer: &WxUnifiedOrderResponse, _: &UsedId, call: &str) -> Decision {
    let text = match &answer.mini_pay_request {
        Some(_) => format!("ready: hand it to {call} as it is"),
        // Not reached: the core refuses a success without one (outcome unknown).
        None => "missing: query the order before creating it again".to_owned(),
    };
    Decision::new("miniPayRequest", text).with_value()
}

/// `targetOrderId: <trade number> (ready: my.tradePay's tradeNO)`.
pub fn alipay_decision(answer: &AlipayMiniOrderResponse, _: &UsedId) -> Decision {
    let text = match answer.pay_request() {
        Some(value) => format!(
            "{} (ready: pass it to my.tradePay as tradeNO)",
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned)
        ),
        None => "missing: query the order before creating it again".to_owned(),
    };
    Decision::new("targetOrderId", text)
}

/// `miniPayRequest: ready: hand it to the UnionPay pay call as it is`, its fields below.
pub fn unionpay_decision(answer: &UnionPayMiniOrderResponse, _: &UsedId) -> Decision {
    let text = match answer.pay_request() {
        Some(_) => "ready: hand it to the UnionPay mini-program's pay call as it is",
        None => "missing: query the order before creating it again",
    };
    Decision::new("miniPayRequest", text).with_value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::FollowUpQuery;
    use crate::render::summary;

    fn used(generated: bool) -> UsedId {
        UsedId {
            id: "3194ORDER0001".parse().unwrap(),
            generated,
        }
    }

    #[test]
    fn the_wechat_summary_shows_the_pay_request_first_then_the_order_number() {
        let answer: WxUnifiedOrderResponse = serde_json::from_str(
            r#"{"errCode":"SUCCESS","merOrderId":"3194ORDER0001","status":"NEW_ORDER",
                "totalAmount":2500,"miniPayRequest":{"appId":"wx01","nonceStr":"n",
                "package":"prepay_id=wx1","paySign":"sig","signType":"RSA","timeStamp":1704081600},
                "connectSys":"UNIONPAY"}"#,
        )
        .unwrap();
        let id = used(true);
        let d = wechat_decision(&answer, &id, "wx.requestPayment")
            .and("merOrderId", id.line(answer.order.mer_order_id.as_deref()));
        let s = summary(&answer, Some(&d)).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "miniPayRequest: ready: hand it to wx.requestPayment as it is"
        );
        assert_eq!(lines[1].trim_start(), "appId:     wx01");
        assert!(lines[1].starts_with("  "), "{s}");
        assert_eq!(lines[5].trim_start(), "signType:  RSA");
        assert_eq!(lines[6].trim_start(), "timeStamp: 1704081600");
        assert_eq!(
            lines[7],
            "merOrderId:     3194ORDER0001 (generated: keep it)"
        );
        assert_eq!(s.matches("miniPayRequest").count(), 1, "{s}");
        assert_eq!(s.matches("merOrderId").count(), 1, "{s}");
        assert!(
            s.contains("\ntotalAmount:    25.00 yuan (2500 fen)\n"),
            "{s}"
        );
        assert!(s.contains("\nstatus:         NEW_ORDER\n"), "{s}");
    }

    #[test]
    fn the_order_number_line() {
        assert_eq!(used(false).line(None), "3194ORDER0001");
        assert_eq!(
            used(true).line(Some("3194ORDER0001")),
            "3194ORDER0001 (generated: keep it)"
        );
        assert_eq!(
            used(false).line(Some("3194OTHER0001")),
            "3194OTHER0001 (sent: 3194ORDER0001)"
        );
    }

    #[test]
    fn alipay_and_unionpay_decisions() {
        let answer: AlipayMiniOrderResponse =
            serde_json::from_str(r#"{"errCode":"SUCCESS","targetOrderId":"2024010122001"}"#)
                .unwrap();
        let d = alipay_decision(&answer, &used(false));
        assert_eq!(d.field, "targetOrderId");
        assert_eq!(
            d.text,
            "2024010122001 (ready: pass it to my.tradePay as tradeNO)"
        );
        let answer: UnionPayMiniOrderResponse =
            serde_json::from_str(r#"{"errCode":"SUCCESS","miniPayRequest":{"tn":"6201234"}}"#)
                .unwrap();
        let s = summary(&answer, Some(&unionpay_decision(&answer, &used(false)))).unwrap();
        assert!(
            s.starts_with(
                "miniPayRequest: ready: hand it to the UnionPay mini-program's pay call as it is\n  tn: 6201234\n"
            ),
            "{s}"
        );
    }

    #[test]
    fn an_unknown_creation_names_the_query_with_the_chosen_business_type() {
        let mut e = CliError::new(Class::OutcomeUnknown, "DUP_ORDER");
        e.follow_up = Some(Box::new(FollowUpQuery {
            operation: "PaymentQuery",
            mer_order_id: "3194ORDER0001".into(),
            refund_order_id: None,
            inst_mid: None,
            bill_date: None,
        }));
        let e = creation_error(e, &used(true), Some("MINIDEFAULT".into()));
        let hint = e.hint.unwrap();
        assert!(
            hint.ends_with(": chinaums query 3194ORDER0001 --inst-mid MINIDEFAULT"),
            "{hint}"
        );
        assert!(hint.contains("never under a new merOrderId"), "{hint}");
        let e = creation_error(
            CliError::new(Class::Retryable, "refused").hint("check --env"),
            &used(true),
            None,
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("check --env; safe to retry, with the same merOrderId: 3194ORDER0001")
        );
        let e = creation_error(CliError::new(Class::NotFound, "x"), &used(true), None);
        assert_eq!(e.hint, None);
    }
}
