//! What every order creation shares (not an endpoint): reading the order fields with the
//! core's types, the checks, the new `NEW_ORDER` in the book (`DUP_ORDER` when its number
//! exists), the fields every creation answer carries, and the channel's made-up numbers.
//!
//! The POST endpoints answer refusals as business errors (HTTP 200, `errCode`/`errMsg`); the H5
//! redirects, which a browser opens, as the gateway's JSON (`errCode`/`errInfo`) with HTTP
//! 4xx: `400` for a malformed request, `409` for `DUP_ORDER` (the sandbox's choice; the
//! platform documents only that such failures are 4xx JSON with `errInfo`).

use std::time::{Duration, SystemTime};

use chinaums::timestamps::{beijing, request_timestamp};
use chinaums::{Fen, NotifyUrl, ReturnUrl, TradeStatus};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::{
    Echo, Exchange, Fields, OrderFields, OrderRequest, Reply, as_string, business_error,
    fingerprint, object, reject, reply, request_time, seq_id,
};
use crate::auth::within;
use crate::book::Refusal;
use crate::order::{Channel, DEFAULT_ORDER_LIFETIME, GoodsLine, OrderKind, Split, SplitShare};
use crate::{Order, cashier};

/// How a creation answers a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// A POST: business errors, HTTP 200.
    Post,
    /// An H5 redirect: the gateway's JSON with HTTP 4xx.
    Redirect,
}

impl Style {
    fn refuse(self, code: &str, msg: String, now: SystemTime) -> Reply {
        match self {
            Style::Post => business_error(code, msg, now),
            Style::Redirect => reject(StatusCode::BAD_REQUEST, code, msg),
        }
    }
}

/// The order fields every creation (and a bill) sends, read with the core's types.
pub(crate) struct Spec {
    pub total_amount: Fen,
    pub desc: Option<String>,
    pub notify_url: Option<NotifyUrl>,
    pub return_url: Option<ReturnUrl>,
    pub expire_time: Option<SystemTime>,
    pub goods: Vec<GoodsLine>,
    pub kind: OrderKind,
    pub attached_data: Option<String>,
}

impl Spec {
    /// `totalAmount` (more than zero), the description (`desc_field`, at most `max_desc`
    /// characters), `notifyUrl`, `returnUrl`, `expireTime` (`yyyy-MM-dd HH:mm:ss`, Beijing),
    /// `goods`, a split (`divisionFlag`, `platformAmount`, `subOrders`, adding up to the amount)
    /// or a guarantee (`secureTransaction`; not both), `attachedData`. Other documented fields
    /// (`clientIp`, `limitCreditCard`, the real-name fields, …) are accepted and not kept.
    pub fn read(fields: &Fields<'_>, desc_field: &str, max_desc: usize) -> Result<Spec, String> {
        let total_amount = fields.amount("totalAmount")?;
        if total_amount == Fen::ZERO {
            return Err(Refusal::ZeroAmount("totalAmount").to_string());
        }
        let desc = fields.short_text(desc_field, max_desc)?.map(str::to_owned);
        let notify_url = fields.optional("notifyUrl")?;
        let return_url = fields.optional("returnUrl")?;
        let expire_time = match fields.text("expireTime")? {
            None | Some("") => None,
            Some(text) => Some(
                request_time(text)
                    .ok_or_else(|| "expireTime: must be yyyy-MM-dd HH:mm:ss".to_owned())?,
            ),
        };
        let goods = fields.objects("goods", |g| {
            let goods_id = g.required_text("goodsId")?;
            if goods_id.chars().count() > 64 {
                return Err("goodsId: must be at most 64 characters".to_owned());
            }
            Ok(GoodsLine {
                goods_id: goods_id.to_owned(),
                goods_name: g
                    .short_text("goodsName", 128)?
                    .unwrap_or_default()
                    .to_owned(),
                quantity: g.count("quantity")?,
                price: g.amount("price")?,
            })
        })?;
        let guaranteed = fields.flag("secureTransaction")?;
        let platform_amount = fields.optional_amount("platformAmount")?;
        let sub_orders = fields.objects("subOrders", |sub| {
            Ok(SplitShare {
                mid: sub.required::<chinaums::Mid>("mid")?.as_str().to_owned(),
                mer_order_id: sub
                    .optional::<chinaums::MerOrderId>("merOrderId")?
                    .map(|id| id.as_str().to_owned()),
                amount: sub.amount("totalAmount")?,
                confirmed: false,
            })
        })?;
        let kind = if fields.flag("divisionFlag")? || !sub_orders.is_empty() {
            if guaranteed {
                return Err("secureTransaction: a guaranteed payment cannot also be split".into());
            }
            if sub_orders.is_empty() {
                return Err("subOrders: a split payment must name at least one sub-order".into());
            }
            let platform_amount = platform_amount.unwrap_or(Fen::ZERO);
            let sum = sub_orders
                .iter()
                .try_fold(platform_amount, |sum, s| sum.checked_add(s.amount))
                .ok_or_else(|| Refusal::Overflow("subOrders").to_string())?;
            if sum != total_amount {
                return Err(format!(
                    "subOrders: must add up to totalAmount with platformAmount ({} fen), got {} fen",
                    total_amount.get(),
                    sum.get()
                ));
            }
            OrderKind::Split(Split {
                platform_amount,
                sub_orders,
            })
        } else if guaranteed {
            Order::new("-", Fen::ZERO, TradeStatus::NewOrder)
                .guaranteed()
                .kind
        } else {
            OrderKind::Direct
        };
        Ok(Spec {
            total_amount,
            desc,
            notify_url,
            return_url,
            expire_time,
            goods,
            kind,
            attached_data: fields.short_text("attachedData", 255)?.map(str::to_owned),
        })
    }

    /// An `expireTime` that has passed already is refused.
    pub fn check_expiry(&self, now: SystemTime) -> Result<(), String> {
        match self.expire_time {
            Some(at) if at <= now => {
                Err("expireTime: must be later than now (on the platform's clock)".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// The new, unpaid order: `NEW_ORDER`, expiring at `expireTime` or after `default_life`.
    pub fn into_order(
        self,
        who: (&str, &str, &str),
        id: &str,
        channel: Option<Channel>,
        created_by: &'static str,
        now: SystemTime,
        default_life: Option<Duration>,
    ) -> Order {
        let (mid, tid, inst_mid) = who;
        Order {
            mid: mid.to_owned(),
            tid: tid.to_owned(),
            inst_mid: inst_mid.to_owned(),
            kind: self.kind,
            channel,
            target_sys: channel.map(|c| c.target_sys().to_owned()),
            created_by: Some(created_by),
            created_at: Some(now),
            order_desc: self.desc,
            goods: self.goods,
            notify_url: self.notify_url.map(|u| u.as_str().to_owned()),
            return_url: self.return_url.map(|u| u.as_str().to_owned()),
            expire_time: self
                .expire_time
                .or_else(|| default_life.and_then(|d| now.checked_add(d))),
            attached_data: self.attached_data,
            ..Order::new(id, self.total_amount, TradeStatus::NewOrder)
        }
    }
}

/// A new order, as created.
pub(crate) struct NewOrder<T> {
    pub request: OrderRequest,
    pub order: Order,
    pub own: T,
}

/// Reads an order creation (the common fields, the order fields, the endpoint's own with
/// `own`), checks it and adds the order to the book: the new order, or the answer refusing it.
/// `channel` is the wallet the endpoint is for.
#[expect(
    clippy::result_large_err,
    reason = "the rejection is the response itself, built at most once per request"
)]
pub(crate) fn create<T>(
    exchange: &mut Exchange<'_>,
    path: &'static str,
    channel: Channel,
    style: Style,
    own: impl FnOnce(&Fields<'_>) -> Result<T, String>,
) -> Result<NewOrder<T>, Reply> {
    let now = exchange.now;
    let body = match style {
        Style::Post => exchange.request.body().as_slice(),
        Style::Redirect => exchange.content.unwrap_or_default().as_bytes(),
    };
    let fields = object(body)?;
    let fields = Fields(&fields);
    let read = OrderRequest::read(&fields).and_then(|request| {
        let spec = Spec::read(&fields, "orderDesc", 256)?;
        Ok((request, spec, own(&fields)?))
    });
    let (request, spec, own) = read.map_err(|msg| style.refuse("BAD_REQUEST", msg, now))?;
    if !within(request.request_timestamp, now, exchange.config.max_skew) {
        return Err(style.refuse(
            "ABNORMAL_REQUEST_TIME",
            "请求时间异常: requestTimestamp differs too much from the platform's time".into(),
            now,
        ));
    }
    spec.check_expiry(now)
        .map_err(|msg| style.refuse("BAD_REQUEST", msg, now))?;
    let order = spec.into_order(
        (
            request.mid.as_str(),
            request.tid.as_str(),
            request.inst_mid.as_str(),
        ),
        request.mer_order_id.as_str(),
        Some(channel),
        path,
        now,
        Some(DEFAULT_ORDER_LIFETIME),
    );
    let order = match exchange.state.book.create(order) {
        Ok(order) => order,
        Err(refusal) => {
            return Err(match style {
                Style::Post => request.refused(&refusal, now),
                Style::Redirect => {
                    reject(StatusCode::CONFLICT, refusal.code(), refusal.to_string())
                }
            });
        }
    };
    Ok(NewOrder {
        request,
        order,
        own,
    })
}

/// What every creation answer carries: the echo, the order's fields (`status` `NEW_ORDER`,
/// `totalAmount`, `targetSys`, …) and the fields of the real answers (`settleRefId`,
/// `targetMid`, `connectSys`, `delegatedFlag`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Created<'a> {
    #[serde(flatten)]
    echo: Echo<'a>,
    #[serde(flatten)]
    order: OrderFields<'a>,
    settle_ref_id: String,
    target_mid: String,
    connect_sys: &'static str,
    delegated_flag: &'static str,
}

impl<'a> Created<'a> {
    pub fn of<T>(new: &'a NewOrder<T>, exchange: &Exchange<'_>) -> Created<'a> {
        let order = &new.order;
        Created {
            echo: new.request.echo("SUCCESS", String::new(), exchange.now),
            order: OrderFields::of(order, as_string(order, exchange.config)),
            settle_ref_id: seq_id(&order.mer_order_id),
            target_mid: format!("{:010}", fingerprint(&order.mid) % 10_000_000_000),
            connect_sys: "UNIONPAY",
            delegated_flag: "N",
        }
    }
}

/// Digits made up from `seed`, `n` of them (at most 19 per call, repeated as needed).
pub(crate) fn digits(seed: &str, n: usize) -> String {
    let mut out = String::new();
    let mut round = 0u32;
    while out.len() < n {
        let fp = fingerprint(&format!("{seed}#{round}"));
        out.push_str(&format!("{:019}", fp % 10_000_000_000_000_000_000));
        round += 1;
    }
    out.truncate(n);
    out
}

/// Hex made up from `seed`, `n` characters.
pub(crate) fn hex(seed: &str, n: usize) -> String {
    let mut out = String::new();
    let mut round = 0u32;
    while out.len() < n {
        out.push_str(&format!("{:016x}", fingerprint(&format!("{seed}#{round}"))));
        round += 1;
    }
    out.truncate(n);
    out
}

/// The channel's number for a payment, in the channel's own shape: WeChat's 28 digits starting
/// `4200`, Alipay's 28 starting with the date, UnionPay's 21 starting with the time.
pub(crate) fn target_order_id(channel: Option<Channel>, seed: &str, now: SystemTime) -> String {
    let at = beijing(now);
    let date = format!("{:04}{:02}{:02}", at.year(), u8::from(at.month()), at.day());
    match channel {
        Some(Channel::Alipay) => format!("{date}22001{}", digits(seed, 15)),
        Some(Channel::UnionPay) => format!(
            "{date}{:02}{:02}{:02}{}",
            at.hour(),
            at.minute(),
            at.second(),
            digits(seed, 7)
        ),
        Some(Channel::WeChat) | None => format!("4200{}", digits(seed, 24)),
    }
}

/// `payTime` for a payment at `now`.
pub(crate) fn pay_time(now: SystemTime) -> String {
    request_timestamp(now)
}

/// The answer of an H5 URL that created its order: `302` to the sandbox's cashier for it, the
/// `Location` carrying `merOrderId`, `msgType` and a `sign`, as the platform's does.
pub(crate) fn to_cashier(exchange: &Exchange<'_>, order: &Order, msg_type: &str) -> Reply {
    let location = cashier::location(
        exchange.base_url,
        &order.mid,
        &order.mer_order_id,
        msg_type,
        &exchange.config.app_key,
    );
    let mut r = reply(StatusCode::FOUND, "text/plain; charset=utf-8", Vec::new());
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            r.headers_mut().insert(header::LOCATION, value);
            r
        }
        // The ids are printable ASCII and the base URL the sandbox's own: cannot happen.
        Err(_) => reject(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "the cashier URL is not a header value",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_numbers_have_the_channels_shapes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_081_600); // 2024-01-01 12:00 Beijing
        let wx = target_order_id(Some(Channel::WeChat), "a", now);
        assert!(wx.starts_with("4200") && wx.len() == 28, "{wx}");
        let ali = target_order_id(Some(Channel::Alipay), "a", now);
        assert!(ali.starts_with("2024010122001") && ali.len() == 28, "{ali}");
        let uac = target_order_id(Some(Channel::UnionPay), "a", now);
        assert!(
            uac.starts_with("20240101120000") && uac.len() == 21,
            "{uac}"
        );
        assert!(wx.bytes().chain(ali.bytes()).all(|b| b.is_ascii_digit()));
        assert_ne!(digits("a", 40), digits("b", 40));
        assert_eq!(digits("a", 40).len(), 40);
        assert_eq!(hex("a", 33).len(), 33);
    }
}
