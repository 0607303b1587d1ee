//! What the commands that take a payment share (`order create …`, `h5-url …`): the order's
//! fields as flags ([`OrderFieldArgs`]: the amount, `--desc`, `--notify-url`, `--return-url`,
//! `--expire-time`, `--goods FILE.json`, …), the order number given or generated
//! ([`new_id`]), the `--goods` file ([`parse_goods`]), and which flag a field the core refuses
//! came from ([`flag_of`]).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chinaums::{
    BillFields, BillNo, Clock, Date, Fen, Goods, InvalidField, Mid, MsgSrcId, NotifyUrl,
    OrderFields, PlatformDate, PlatformTime, PrimitiveDateTime, ReturnUrl, SystemClock,
};
use clap::Args;
use serde_json::Value;

use crate::common::AmountArgs;
use crate::connect::Connection;
use crate::exit::{CliError, describe};

/// The environment variable of `--msg-src-id`.
pub const MSG_SRC_ID_VAR: &str = "CHINAUMS_MSG_SRC_ID";

/// The largest `--goods` file read, in bytes: far more than any order's list of goods.
pub const MAX_GOODS_FILE_BYTES: u64 = 1024 * 1024;

/// The order's own fields, shared by every command that creates an order or a payment URL.
#[derive(Args, Debug)]
pub struct OrderFieldArgs {
    /// What the payer pays (totalAmount).
    #[command(flatten)]
    pub amount: AmountArgs,

    /// What the payer sees (orderDesc): at most 128 bytes of UTF-8 for WeChat, 256 for the
    /// others.
    #[arg(long, value_name = "TEXT")]
    pub desc: Option<String>,

    /// Where the platform POSTs the payment notification (notifyUrl): an absolute http(s) URL.
    #[arg(long, value_name = "URL", value_parser = parse_notify_url)]
    pub notify_url: Option<NotifyUrl>,

    /// Where the cashier sends the browser after paying (returnUrl): an absolute http(s) URL.
    #[arg(long, value_name = "URL", value_parser = parse_return_url)]
    pub return_url: Option<ReturnUrl>,

    /// When the order can no longer be paid (expireTime), Beijing time, "yyyy-MM-dd HH:mm:ss".
    #[arg(long, value_name = "TIME", value_parser = parse_expire_time)]
    pub expire_time: Option<PrimitiveDateTime>,

    /// A JSON file with what is sold: an array of objects with goodsId, goodsName, quantity
    /// and price (in fen), and optionally goodsCategory, body, unit, discount (fen),
    /// subMerchantId.
    #[arg(long, value_name = "FILE.json")]
    pub goods: Option<PathBuf>,

    /// The merchant's own data, returned in notifications (attachedData), at most 255
    /// characters.
    #[arg(long, value_name = "TEXT")]
    pub attached_data: Option<String>,

    /// The payer's IP address (clientIp).
    #[arg(long, value_name = "IP")]
    pub client_ip: Option<IpAddr>,

    /// A guaranteed payment (secureTransaction): held until `secure complete` or `secure
    /// cancel`.
    #[arg(long)]
    pub guaranteed: bool,

    /// Refuse credit cards (limitCreditCard).
    #[arg(long)]
    pub no_credit_cards: bool,

    /// The merchant's msgSrcId (4 characters) a generated order number starts with; needed
    /// when no order number is given (under --sandbox: the demo merchant's, 3194).
    #[arg(long, env = MSG_SRC_ID_VAR, value_name = "ID")]
    pub msg_src_id: Option<String>,
}

impl OrderFieldArgs {
    /// The core's [`OrderFields`] of the flags, the `--goods` file read and checked. The
    /// rules the types cannot carry are the core's, checked with the operation
    /// ([`invalid`] names the flag).
    pub fn fields(&self) -> Result<OrderFields, CliError> {
        let mut fields = OrderFields::new(self.amount.get());
        if let Some(desc) = &self.desc {
            fields = fields.order_desc(desc.as_str());
        }
        if let Some(url) = &self.notify_url {
            fields = fields.notify_url(url.clone());
        }
        if let Some(url) = &self.return_url {
            fields = fields.return_url(url.clone());
        }
        if let Some(at) = self.expire_time {
            fields = fields.expire_time(at);
        }
        if let Some(path) = &self.goods {
            fields = fields.goods(read_goods(path)?);
        }
        if let Some(data) = &self.attached_data {
            fields = fields.attached_data(data.as_str());
        }
        if let Some(ip) = self.client_ip {
            fields = fields.client_ip(ip);
        }
        if self.guaranteed {
            fields = fields.guaranteed();
        }
        if self.no_credit_cards {
            fields = fields.no_credit_cards();
        }
        Ok(fields)
    }

    /// The msgSrcId to generate an id with: `--msg-src-id` (or its variable), else the demo
    /// merchant's under `--sandbox`; `what` names the id (`merOrderId`, `billNo`) in the error.
    pub fn msg_src_id(&self, sandbox: bool, what: &str) -> Result<MsgSrcId, CliError> {
        match self.msg_src_id.as_deref().filter(|s| !s.is_empty()) {
            Some(given) => MsgSrcId::new(given).map_err(|e| {
                CliError::invalid(&e).hint(format!("fix --msg-src-id (or {MSG_SRC_ID_VAR})"))
            }),
            None if sandbox => demo_msg_src_id(),
            None => Err(CliError::usage(format!(
                "no {what} given, and no --msg-src-id (or {MSG_SRC_ID_VAR}) to generate one with"
            ))
            .hint(format!(
                "give the {what} as the argument, or set --msg-src-id (or {MSG_SRC_ID_VAR}) to \
                 the 4-character msgSrcId the platform gave the merchant: a fresh {what} is then \
                 generated and printed"
            ))),
        }
    }
}

/// The demo merchant's msgSrcId: the prefix of the sandbox's demo order numbers (`3194`).
pub fn demo_msg_src_id() -> Result<MsgSrcId, CliError> {
    let prefix: String = chinaums_sandbox::DEMO_PAID_ORDER.chars().take(4).collect();
    MsgSrcId::new(prefix).map_err(|e| {
        CliError::usage(format!("the sandbox has no demo msgSrcId ({e})"))
            .hint(format!("give --msg-src-id (or {MSG_SRC_ID_VAR})"))
    })
}

/// An id given on the command line, or a fresh one from the core client
/// ([`chinaums::Client::new_mer_order_id`]), and whether it was generated. `check` is the id
/// type's own rule; its error says to fix `source` (`the <merOrderId> argument`, `--bill-no`).
pub fn new_id<T>(
    given: Option<&str>,
    source: &str,
    check: impl Fn(&str) -> Result<T, InvalidField>,
    msg_src_id: impl FnOnce() -> Result<MsgSrcId, CliError>,
    connection: &Connection,
) -> Result<(T, bool), CliError> {
    if let Some(given) = given {
        return check(given)
            .map(|id| (id, false))
            .map_err(|e| CliError::invalid(&e).hint(format!("fix {source}")));
    }
    let fresh = connection
        .client
        .core()
        .new_mer_order_id(&msg_src_id()?)
        .map_err(|e| describe(&e, &connection.base_url))?;
    check(fresh.as_str())
        .map(|id| (id, true))
        .map_err(|e| CliError::invalid(&e))
}

/// Tells on stderr which id was generated, so that it is known even when the command fails
/// or prints JSON.
pub fn announce_generated(name: &str, id: &str) {
    eprintln!("{name}: {id} (generated: keep it)");
}

/// Under `--sandbox`, on stderr: `what` (a URL for a browser) points at a sandbox that stops
/// with the command, and how to run one that stays.
pub fn sandbox_note(what: &str) {
    eprintln!(
        "note: {what} points at an in-process sandbox that stops when this command exits, so a \
         browser cannot open it; to pay at the sandbox's cashier, run `chinaums sandbox --port \
         8080` in another terminal and give --env http://127.0.0.1:8080 with its credentials \
         (the `export` lines it prints) instead of --sandbox"
    );
}

/// The flag a field of an order comes from, by its wire name.
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "totalAmount" => "--amount (or --fen)",
        "orderDesc" => "--desc",
        "notifyUrl" => "--notify-url",
        "returnUrl" => "--return-url",
        "expireTime" => "--expire-time",
        "attachedData" => "--attached-data",
        "clientIp" => "--client-ip",
        "secureTransaction" => "--guaranteed",
        "subAppId" => "--sub-app-id",
        "subOpenId" => "--sub-open-id",
        "sceneType" => "--scene-type",
        "merAppName" => "--mer-app-name",
        "merAppId" => "--mer-app-id",
        "billDate" => "--bill-date",
        "billDesc" => "--desc",
        "billNo" => "the <billNo> argument",
        "qrCodeId" => "--qr-code-id",
        "refundAmount" => "--amount (or --fen)",
        "refundDesc" => "--desc",
        "merOrderId" => "the <merOrderId> argument",
        field if field.starts_with("goods") => "--goods",
        _ => return None,
    })
}

/// A field the core refused before anything was sent: a usage error (exit 2) whose message
/// and hint name the flag it came from.
pub fn invalid(field: &InvalidField) -> CliError {
    match flag_of(field.field) {
        Some(flag) => CliError::usage(format!("{field} (from {flag})")).hint(format!("fix {flag}")),
        None => CliError::invalid(field),
    }
}

/// `--notify-url`: the core's rule ([`NotifyUrl`]).
pub fn parse_notify_url(s: &str) -> Result<NotifyUrl, String> {
    NotifyUrl::new(s).map_err(|e| e.rule)
}

/// `--return-url`: the core's rule ([`ReturnUrl`]).
pub fn parse_return_url(s: &str) -> Result<ReturnUrl, String> {
    ReturnUrl::new(s).map_err(|e| e.rule)
}

/// `--expire-time`: exactly `yyyy-MM-dd HH:mm:ss`, a valid Beijing date and time (read by the
/// core's own format, [`PlatformTime`]).
pub fn parse_expire_time(s: &str) -> Result<PrimitiveDateTime, String> {
    let s = s.trim();
    let parsed = (s.len() == 19)
        .then(|| PlatformTime::from(s).to_offset_date_time())
        .flatten();
    match parsed {
        Some(at) => Ok(PrimitiveDateTime::new(at.date(), at.time())),
        None => Err(
            "expected \"yyyy-MM-dd HH:mm:ss\", a valid Beijing date and time, \
                     e.g. \"2024-01-01 12:30:00\""
                .to_owned(),
        ),
    }
}

/// `--bill-date`: exactly `yyyy-MM-dd`, a valid date (read by the core's own format,
/// [`PlatformDate`]).
pub fn parse_bill_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    (s.len() == 10)
        .then(|| PlatformDate::from(s).to_date())
        .flatten()
        .ok_or_else(|| "expected yyyy-MM-dd, a valid date, e.g. 2024-01-01".to_owned())
}

/// `yyyy-MM-dd`, as the platform writes a date.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Today in Beijing, on the system clock: a new bill's default `billDate`.
pub fn today() -> Date {
    chinaums::timestamps::beijing(SystemClock.now()).date()
}

/// A QR bill of the order's fields: `orderDesc` becomes `billDesc`, and the rest what a bill
/// has of them.
pub fn bill_fields(fields: OrderFields, bill_no: BillNo, bill_date: Date) -> BillFields {
    let mut bill = BillFields::new(bill_no, bill_date, fields.total_amount).goods(fields.goods);
    if let Some(desc) = fields.order_desc {
        bill = bill.bill_desc(desc);
    }
    if let Some(url) = fields.notify_url {
        bill = bill.notify_url(url);
    }
    if let Some(url) = fields.return_url {
        bill = bill.return_url(url);
    }
    if let Some(at) = fields.expire_time {
        bill = bill.expire_time(at);
    }
    if fields.secure_transaction == Some(true) {
        bill = bill.guaranteed();
    }
    if fields.limit_credit_card == Some(true) {
        bill = bill.no_credit_cards();
    }
    if let Some(ip) = fields.client_ip {
        bill = bill.client_ip(ip);
    }
    if let Some(data) = fields.attached_data {
        bill = bill.attached_data(data);
    }
    bill
}

/// Reads and checks the `--goods` file; the error (exit 2) names the file and the problem.
pub fn read_goods(path: &Path) -> Result<Vec<Goods>, CliError> {
    let shown = path.display();
    let refuse = |why: String| {
        CliError::usage(format!("--goods {shown}: {why}")).hint(
            "--goods takes a JSON array of goods objects, e.g. \
             [{\"goodsId\":\"SKU-1\",\"goodsName\":\"咖啡\",\"quantity\":2,\"price\":600}] \
             (price in fen)",
        )
    };
    let file = std::fs::File::open(path).map_err(|e| refuse(format!("cannot read it: {e}")))?;
    let mut bytes = Vec::new();
    use std::io::Read as _;
    file.take(MAX_GOODS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_GOODS_FILE_BYTES {
        return Err(refuse(format!(
            "larger than {MAX_GOODS_FILE_BYTES} bytes: not a list of goods"
        )));
    }
    parse_goods(&bytes).map_err(refuse)
}

/// The goods in `bytes`: a JSON array of objects, each with `goodsId` and `goodsName`
/// (strings), `quantity` (a whole number, more than zero) and `price` (a whole number of fen),
/// and optionally `goodsCategory`, `body`, `unit` (strings), `discount` (fen) and
/// `subMerchantId` (a merchant number). Unknown and repeated keys are refused (a misspelt key
/// would otherwise be left out silently); the text rules are the core's, checked with the
/// order. The error says where and what, never panics.
pub fn parse_goods(bytes: &[u8]) -> Result<Vec<Goods>, String> {
    // A byte-order mark, as some editors write one, is not part of the JSON.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let items: Vec<Object> =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON array of objects: {e}"))?;
    if items.is_empty() {
        return Err("an empty list: leave --goods out instead".to_owned());
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| goods(item).map_err(|why| format!("item {}: {why}", i + 1)))
        .collect()
}

/// One goods object, its keys in order; a repeated key is refused while reading.
struct Object(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a goods object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Object, A::Error> {
                let mut fields: Vec<(String, Value)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Value = map.next_value()?;
                    if fields.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "`{key}` appears more than once in an item"
                        )));
                    }
                    fields.push((key, value));
                }
                Ok(Object(fields))
            }
        }
        d.deserialize_map(Visitor)
    }
}

const GOODS_KEYS: [&str; 9] = [
    "goodsId",
    "goodsName",
    "quantity",
    "price",
    "goodsCategory",
    "body",
    "unit",
    "discount",
    "subMerchantId",
];

fn goods(Object(fields): Object) -> Result<Goods, String> {
    if let Some((key, _)) = fields
        .iter()
        .find(|(k, _)| !GOODS_KEYS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown key `{}` (known: {})",
            key.escape_debug(),
            GOODS_KEYS.join(", ")
        ));
    }
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("`{key}` must be a string, got {}", kind(other))),
        }
    };
    let whole = |key: &str, what: &str| -> Result<Option<u64>, String> {
        match get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                format!("`{key}` must be a whole number of {what} (0 or more), got {n}")
            }),
            Some(other) => Err(format!(
                "`{key}` must be a whole number of {what}, got {}",
                kind(other)
            )),
        }
    };
    let required = |key: &str, value: Option<String>| {
        value.ok_or_else(|| format!("`{key}` is missing (a string)"))
    };
    let goods_id = required("goodsId", text("goodsId")?)?;
    let goods_name = required("goodsName", text("goodsName")?)?;
    let quantity = whole("quantity", "items")?.ok_or("`quantity` is missing (a whole number)")?;
    if quantity == 0 {
        return Err("`quantity` must be more than zero".to_owned());
    }
    let price = whole("price", "fen")?.ok_or("`price` is missing (a whole number of fen)")?;
    let mut goods = Goods::new(goods_id, goods_name, quantity, Fen(price));
    goods.goods_category = text("goodsCategory")?;
    goods.body = text("body")?;
    goods.unit = text("unit")?;
    goods.discount = whole("discount", "fen")?.map(Fen);
    goods.sub_merchant_id = match text("subMerchantId")? {
        None => None,
        Some(mid) => Some(Mid::new(mid).map_err(|e| format!("`subMerchantId` {}", e.rule))?),
    };
    Ok(goods)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goods_are_read_with_every_field() {
        let goods = parse_goods(
            r#"[{"goodsId":"SKU-1","goodsName":"咖啡","quantity":2,"price":600},
                {"goodsId":"SKU-2","goodsName":"蛋糕","quantity":1,"price":1800,
                 "goodsCategory":"food","body":"芝士","unit":"块","discount":100,
                 "subMerchantId":"898201612345679"}]"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(goods.len(), 2);
        assert_eq!(goods[0], Goods::new("SKU-1", "咖啡", 2, Fen(600)));
        let second = &goods[1];
        assert_eq!(
            (second.price, second.discount, second.unit.as_deref()),
            (Fen(1800), Some(Fen(100)), Some("块"))
        );
        assert_eq!(
            second.sub_merchant_id.as_ref().map(Mid::as_str),
            Some("898201612345679")
        );
        // What is sent: the core's own serialization.
        let json = serde_json::to_value(&goods[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"goodsId":"SKU-1","goodsName":"咖啡","quantity":2,"price":600})
        );
    }

    #[test]
    fn malformed_goods_say_where_and_what() {
        let cases: [(&str, &str); 17] = [
            ("", "not a JSON array of objects"),
            ("{}", "not a JSON array of objects"),
            ("[1]", "not a JSON array of objects"),
            ("[]", "an empty list"),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1}]"#,
                "item 1: `price` is missing",
            ),
            (
                r#"[{"goodsName":"B","quantity":1,"price":1}]"#,
                "item 1: `goodsId` is missing",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":1},
                   {"goodsId":"A","goodsName":"B","quantity":1,"price":1.5}]"#,
                "item 2: `price` must be a whole number of fen (0 or more), got 1.5",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":-1}]"#,
                "`price` must be a whole number of fen",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":"600"}]"#,
                "`price` must be a whole number of fen, got a string",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":0,"price":1}]"#,
                "`quantity` must be more than zero",
            ),
            (
                r#"[{"goodsId":1,"goodsName":"B","quantity":1,"price":1}]"#,
                "`goodsId` must be a string, got a number",
            ),
            (
                r#"[{"goodsId":"A","goodsname":"B","quantity":1,"price":1}]"#,
                "unknown key `goodsname`",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":1,"price":2}]"#,
                "`price` appears more than once",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":1,"subMerchantId":"1"}]"#,
                "`subMerchantId` must be",
            ),
            (
                r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":18446744073709551616}]"#,
                "`price` must be a whole number of fen",
            ),
            ("[{\"goodsId\":\"A\"", "not a JSON array of objects"),
            ("\u{feff}[]", "an empty list"),
        ];
        for (input, expected) in cases {
            let e = parse_goods(input.as_bytes()).unwrap_err();
            assert!(e.contains(expected), "{input:?}: {e}");
        }
        // Not UTF-8, and nested too deep for any goods list.
        assert!(parse_goods(b"[\xff]").is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_goods(deep.as_bytes()).is_err());
    }

    /// No input makes the goods parser panic: every sequence of up to 4 tokens from an
    /// alphabet of JSON pieces and hostile characters, then 20 000 longer pseudo-random ones
    /// (a fixed xorshift sequence, so failures repeat); some of them are goods.
    #[test]
    fn no_input_panics_the_goods_parser() {
        const ALPHABET: [&str; 24] = [
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "\"goodsId\"",
            "\"goodsName\"",
            "\"quantity\"",
            "\"price\"",
            "\"discount\"",
            "\"subMerchantId\"",
            "\"x\"",
            "\"898201612345679\"",
            "1",
            "0",
            "-1",
            "1.5",
            "1e400",
            "null",
            "\"\\u0000\"",
            "测",
            "\u{0}",
            "\"\\ud800\"",
        ];
        let mut inputs = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = last
                .iter()
                .flat_map(|prefix| ALPHABET.iter().map(move |s| format!("{prefix}{s}")))
                .collect();
            inputs.extend(next.iter().cloned());
            last = next;
        }
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut random = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Goods lists, some of them spoilt by a token inserted anywhere.
        const VALUES: [&str; 8] = ["1", "0", "600", "-1", "1.5", "null", "\"7\"", "1e3"];
        for _ in 0..20_000 {
            let items: Vec<String> = (0..1 + random() % 4)
                .map(|_| {
                    let quantity = VALUES[(random() % 8) as usize];
                    let price = VALUES[(random() % 8) as usize];
                    format!(
                        r#"{{"goodsId":"A","goodsName":"咖啡","quantity":{quantity},"price":{price}}}"#
                    )
                })
                .collect();
            let mut input = format!("[{}]", items.join(","));
            if random() % 2 == 0 {
                let boundaries: Vec<usize> = (0..=input.len())
                    .filter(|i| input.is_char_boundary(*i))
                    .collect();
                let at = boundaries[(random() % boundaries.len() as u64) as usize];
                input.insert_str(at, ALPHABET[(random() % ALPHABET.len() as u64) as usize]);
            }
            inputs.push(input);
        }
        let mut accepted = 0;
        for input in &inputs {
            if let Ok(goods) = parse_goods(input.as_bytes()) {
                assert!(!goods.is_empty(), "{input:?}");
                assert!(goods.iter().all(|g| g.quantity > 0), "{input:?}");
                accepted += 1;
            }
        }
        // Random bytes, not only text.
        for _ in 0..2_000 {
            let len = (random() % 50) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| random() as u8).collect();
            let _ = parse_goods(&bytes);
        }
        assert!(accepted > 10, "only {accepted} inputs were goods");
    }

    #[test]
    fn expire_times_are_beijing_date_times() {
        let at = parse_expire_time("2024-01-01 12:30:00").unwrap();
        assert_eq!(
            chinaums::timestamps::format_datetime(at),
            "2024-01-01 12:30:00"
        );
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01T12:30:00",
            "2024-13-01 12:30:00",
            "2024-02-30 12:30:00",
            "20240101123000",
            "2024-01-01 12:30:00 ",
            "+2024-01-01 12:30:0",
        ] {
            if bad.trim() == "2024-01-01 12:30:00" {
                continue;
            }
            assert!(parse_expire_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bill_dates_are_dates() {
        let date = parse_bill_date("2024-02-29").unwrap();
        assert_eq!(format_date(date), "2024-02-29");
        for bad in [
            "",
            "2023-02-29",
            "2024-1-1",
            "20240101",
            "2024-01-01 00:00:00",
            "x",
        ] {
            assert!(parse_bill_date(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_date(today()).len(), 10);
    }

    #[test]
    fn a_bill_keeps_the_orders_fields() {
        let fields = OrderFields::new(Fen(3600))
            .order_desc("午餐")
            .notify_url("https://shop.example/n".parse().unwrap())
            .return_url("https://shop.example/r".parse().unwrap())
            .goods(vec![Goods::new("A", "B", 1, Fen(3600))])
            .guaranteed()
            .no_credit_cards()
            .attached_data("x")
            .client_ip("10.0.0.1".parse().unwrap());
        let date = parse_bill_date("2024-01-01").unwrap();
        let bill = bill_fields(fields.clone(), "3194BILL0001".parse().unwrap(), date);
        let json = serde_json::to_value(&bill).unwrap();
        assert_eq!(json["billNo"], "3194BILL0001");
        assert_eq!(json["billDate"], "2024-01-01");
        assert_eq!(json["totalAmount"], 3600);
        assert_eq!(json["billDesc"], "午餐");
        assert_eq!(json["notifyUrl"], "https://shop.example/n");
        assert_eq!(json["returnUrl"], "https://shop.example/r");
        assert_eq!(json["goods"], serde_json::to_value(&fields.goods).unwrap());
        assert_eq!(json["secureTransaction"], true);
        assert_eq!(json["limitCreditCard"], true);
        assert_eq!(json["attachedData"], "x");
        assert_eq!(json["clientIp"], "10.0.0.1");
    }

    #[test]
    fn urls_follow_the_core() {
        assert!(parse_notify_url("https://shop.example/notify").is_ok());
        assert_eq!(
            parse_notify_url("shop.example/notify").unwrap_err(),
            NotifyUrl::new("shop.example/notify").unwrap_err().rule
        );
        assert!(parse_return_url("ftp://shop.example/").is_err());
    }

    #[test]
    fn fields_name_their_flag() {
        for (field, flag) in [
            ("totalAmount", "--amount (or --fen)"),
            ("orderDesc", "--desc"),
            ("goods.goodsName", "--goods"),
            ("subOpenId", "--sub-open-id"),
            ("merAppId", "--mer-app-id"),
        ] {
            assert_eq!(flag_of(field), Some(flag));
            let e = invalid(&InvalidField::new(field, "is bad"));
            assert_eq!(e.class, crate::Class::Usage);
            assert!(e.message.contains(flag), "{}", e.message);
            assert_eq!(e.hint.as_deref(), Some(format!("fix {flag}").as_str()));
        }
        assert_eq!(flag_of("mid"), None);
        assert_eq!(
            invalid(&InvalidField::new("mid", "is bad")).hint.as_deref(),
            Some("fix --mid (or CHINAUMS_MID)")
        );
    }

    #[test]
    fn the_demo_msg_src_id_is_the_demo_orders_prefix() {
        assert_eq!(demo_msg_src_id().unwrap(), "3194");
    }
}
