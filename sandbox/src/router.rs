//! The one table of endpoints. Dispatch, the binary's banner, the README's list (checked by a
//! test) and the CLI's listing all read it, so a new endpoint is one line here and nothing
//! else can drift.

use std::fmt;

use crate::cashier;
use crate::endpoints::{self, Exchange, Reply};

/// Who may call an endpoint, and how its requests are counted and faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// The token endpoint: no `Authorization`; its own fault slot and counter
    /// ([`crate::Sandbox::inject_token_fault`], [`crate::Sandbox::token_fetch_count`]).
    TokenIssuer,
    /// A business endpoint: `OPEN-BODY-SIG` or `OPEN-ACCESS-TOKEN`, counted by
    /// [`crate::Sandbox::request_count`].
    Business,
    /// A browser redirect (H5): `OPEN-FORM-PARAM` in the query string instead of a header;
    /// otherwise a business request (counted, faulted).
    FormParam,
    /// The sandbox's own pages and control API (cashier, QR codes, dashboard): no
    /// authentication, not counted, never faulted, not kept as the last request.
    Sandbox,
}

type Handler = fn(&mut Exchange<'_>) -> Reply;

/// An endpoint the sandbox serves: its method, path and a few words on what it does.
///
/// `Display` gives `POST /v1/netpay/query`.
#[derive(Clone, Copy)]
pub struct EndpointInfo {
    /// The HTTP method, e.g. `POST`.
    pub method: &'static str,
    /// The path, e.g. `/v1/netpay/query`.
    pub path: &'static str,
    /// What it does, in a few words.
    pub what: &'static str,
    pub(crate) access: Access,
    pub(crate) handler: Handler,
}

impl fmt::Debug for EndpointInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointInfo")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl PartialEq for EndpointInfo {
    fn eq(&self, other: &Self) -> bool {
        (self.method, self.path, self.what) == (other.method, other.path, other.what)
    }
}

impl Eq for EndpointInfo {}

impl fmt::Display for EndpointInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// The table. Order is the order of every listing.
static ROUTES: &[EndpointInfo] = &[
    EndpointInfo {
        method: "POST",
        path: endpoints::token::PATH,
        what: "issue an OPEN-ACCESS-TOKEN access token (1 hour, at most 10 per appId)",
        access: Access::TokenIssuer,
        handler: endpoints::token::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::query::PATH,
        what: "payment result of one order, from the order book",
        access: Access::Business,
        handler: endpoints::query::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::refund::PATH,
        what: "refund a paid order in part or in full; the same refundOrderId returns the same refund",
        access: Access::Business,
        handler: endpoints::refund::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::refund_query::PATH,
        what: "one refund of an order (by refundOrderId, else the latest); settles a PROCESSING refund",
        access: Access::Business,
        handler: endpoints::refund_query::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::close::PATH,
        what: "close an unpaid order",
        access: Access::Business,
        handler: endpoints::close::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::secure_complete::PATH,
        what: "release all or part of a guaranteed payment; the rest goes back to the payer",
        access: Access::Business,
        handler: endpoints::secure_complete::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::secure_cancel::PATH,
        what: "give a guaranteed payment back to the payer",
        access: Access::Business,
        handler: endpoints::secure_cancel::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::sub_orders_confirm::PATH,
        what: "confirm the shares of a split payment, once per sub-order",
        access: Access::Business,
        handler: endpoints::sub_orders_confirm::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::wx_unified_order::PATH,
        what: "create a WeChat mini-program (MINI) or official-account (JSAPI) order; answers miniPayRequest",
        access: Access::Business,
        handler: endpoints::wx_unified_order::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::trade_create::PATH,
        what: "create an Alipay mini-program order; answers targetOrderId",
        access: Access::Business,
        handler: endpoints::trade_create::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::uac_mini_order::PATH,
        what: "create a UnionPay mini-program order; answers miniPayRequest",
        access: Access::Business,
        handler: endpoints::uac_mini_order::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::wx_app_pre_order::PATH,
        what: "create a WeChat APP order; answers appPayRequest",
        access: Access::Business,
        handler: endpoints::wx_app_pre_order::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::trade_app_pre_order::PATH,
        what: "create an Alipay APP order; answers appPayRequest and qrCode",
        access: Access::Business,
        handler: endpoints::trade_app_pre_order::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::uac_app_order::PATH,
        what: "create a UnionPay APP order; answers appPayRequest",
        access: Access::Business,
        handler: endpoints::uac_app_order::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::wx_app_pre_close::PATH,
        what: "close an unpaid WeChat APP order",
        access: Access::Business,
        handler: endpoints::wx_app_pre_close::handle,
    },
    EndpointInfo {
        method: "GET",
        path: endpoints::h5_trade_pay::PATH,
        what: "Alipay H5 payment (OPEN-FORM-PARAM URL): creates the order, 302 to the cashier",
        access: Access::FormParam,
        handler: endpoints::h5_trade_pay::handle,
    },
    EndpointInfo {
        method: "GET",
        path: endpoints::h5_wxpay::PATH,
        what: "WeChat H5 payment (OPEN-FORM-PARAM URL): creates the order, 302 to the cashier",
        access: Access::FormParam,
        handler: endpoints::h5_wxpay::handle,
    },
    EndpointInfo {
        method: "GET",
        path: endpoints::h5_uac_order::PATH,
        what: "UnionPay H5 payment (OPEN-FORM-PARAM URL): creates the order, 302 to the cashier",
        access: Access::FormParam,
        handler: endpoints::h5_uac_order::handle,
    },
    EndpointInfo {
        method: "GET",
        path: endpoints::h5_wx_to_minipay::PATH,
        what: "from a web page into a WeChat mini-program (OPEN-FORM-PARAM URL): creates the order, 302 to the cashier",
        access: Access::FormParam,
        handler: endpoints::h5_wx_to_minipay::handle,
    },
    EndpointInfo {
        method: "GET",
        path: endpoints::webpay::PATH,
        what: "the official-account cashier (OPEN-FORM-PARAM URL): creates the order, 302 to the cashier",
        access: Access::FormParam,
        handler: endpoints::webpay::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_get_qrcode::PATH,
        what: "make the QR code of a bill (or bind it to a fixed code); answers billQRCode, a sandbox URL",
        access: Access::Business,
        handler: endpoints::bills_get_qrcode::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_update_qrcode::PATH,
        what: "change an unpaid bill (amount, description, goods, expiry); its code stays",
        access: Access::Business,
        handler: endpoints::bills_update_qrcode::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_close_qrcode::PATH,
        what: "retire a QR code; its unpaid bill closes (again: no harm)",
        access: Access::Business,
        handler: endpoints::bills_close_qrcode::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_query::PATH,
        what: "where a bill stands: billStatus, billPayment once paid, refundBillPayment by refundOrderId",
        access: Access::Business,
        handler: endpoints::bills_query::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_refund::PATH,
        what: "refund a paid bill in part or in full; the same refundOrderId returns the same refund",
        access: Access::Business,
        handler: endpoints::bills_refund::handle,
    },
    EndpointInfo {
        method: "POST",
        path: endpoints::bills_query_qrcode_info::PATH,
        what: "a QR code and the bill bound to it",
        access: Access::Business,
        handler: endpoints::bills_query_qrcode_info::handle,
    },
    EndpointInfo {
        method: "GET",
        path: cashier::dashboard::PATH,
        what: "the dashboard: every order, its refunds and states (HTML)",
        access: Access::Sandbox,
        handler: cashier::dashboard::handle,
    },
    EndpointInfo {
        method: "GET",
        path: cashier::notifications::PATH,
        what: "every notification delivery attempt: notifyId, URL, attempt, time, HTTP status or error, latency, the answer's first bytes (JSON; may be filtered by merOrderId or notifyId in the query)",
        access: Access::Sandbox,
        handler: cashier::notifications::handle,
    },
    EndpointInfo {
        method: "GET",
        path: cashier::page::PATH,
        what: "the cashier page of an order, reached by the 302 of an H5 URL (HTML; Pay, Decline, Let it expire)",
        access: Access::Sandbox,
        handler: cashier::page::show,
    },
    EndpointInfo {
        method: "POST",
        path: cashier::page::PATH,
        what: "the cashier's buttons (a plain form); after paying, 303 to the order's returnUrl with the signed result parameters",
        access: Access::Sandbox,
        handler: cashier::page::act_on,
    },
    EndpointInfo {
        method: "GET",
        path: cashier::qr::PATH,
        what: "a bill's QR code opened in a browser: 302 to that bill's cashier",
        access: Access::Sandbox,
        handler: cashier::qr::handle,
    },
    EndpointInfo {
        method: "GET",
        path: cashier::control::CASHIER_PATH,
        what: "302 to the order's cashier (optional ?mid=)",
        access: Access::Sandbox,
        handler: cashier::control::cashier,
    },
    EndpointInfo {
        method: "POST",
        path: cashier::control::PAY_PATH,
        what: "control API: the payer pays (JSON; optional ?mid=, and ?wallet=alipay, wechat or unionpay for a bill)",
        access: Access::Sandbox,
        handler: cashier::control::pay,
    },
    EndpointInfo {
        method: "POST",
        path: cashier::control::FAIL_PATH,
        what: "control API: the payment fails, the order stays unpaid (JSON)",
        access: Access::Sandbox,
        handler: cashier::control::fail,
    },
    EndpointInfo {
        method: "POST",
        path: cashier::control::EXPIRE_PATH,
        what: "control API: the order expires unpaid, TRADE_CLOSED (JSON)",
        access: Access::Sandbox,
        handler: cashier::control::expire,
    },
];

/// Every endpoint the sandbox serves, in the order its listings use; for the CLI's and
/// other tools' lists.
///
/// ```
/// let paths: Vec<String> = chinaums_sandbox::endpoints().iter().map(|e| e.to_string()).collect();
/// assert!(paths.contains(&"POST /v1/netpay/query".to_owned()));
/// ```
pub fn endpoints() -> &'static [EndpointInfo] {
    ROUTES
}

/// Where a request goes: its route and the values of the route's `{…}` segments.
pub(crate) struct Routed {
    pub endpoint: &'static EndpointInfo,
    pub params: Vec<String>,
}

/// Why no route takes a request.
pub(crate) enum Miss {
    /// No route has this path.
    NotFound,
    /// Routes have this path, for these methods only.
    Method(Vec<&'static str>),
}

/// The values of `pattern`'s `{…}` segments in `path`, if `path` has its shape (a `{…}`
/// segment matches one non-empty segment).
fn matches(pattern: &str, path: &str) -> Option<Vec<String>> {
    if !pattern.contains('{') {
        return (pattern == path).then(Vec::new);
    }
    let (mut want, mut got) = (pattern.split('/'), path.split('/'));
    let mut params = Vec::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.push(percent_decode(g));
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// A path segment with its `%XX` escapes decoded (a `+` stays a `+`; a broken escape stays as
/// it is).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The route for `method` and `path`.
pub(crate) fn route(method: &str, path: &str) -> Result<Routed, Miss> {
    let mut allowed = Vec::new();
    for endpoint in ROUTES {
        if let Some(params) = matches(endpoint.path, path) {
            if endpoint.method == method {
                return Ok(Routed { endpoint, params });
            }
            allowed.push(endpoint.method);
        }
    }
    if allowed.is_empty() {
        Err(Miss::NotFound)
    } else {
        Err(Miss::Method(allowed))
    }
}

/// How requests to `path` are counted and faulted: the access of its routes; an unknown path
/// is a business request, except under `/sandbox/` (the sandbox's own pages).
pub(crate) fn access(path: &str) -> Access {
    match ROUTES.iter().find(|e| matches(e.path, path).is_some()) {
        Some(e) => e.access,
        None if path.starts_with(SANDBOX_PREFIX) => Access::Sandbox,
        None => Access::Business,
    }
}

/// Where the sandbox's own pages live.
pub(crate) const SANDBOX_PREFIX: &str = "/sandbox/";

/// The endpoints as a Markdown table, exactly as the README lists them.
#[cfg(test)]
fn markdown_table() -> String {
    let mut table = String::from("| Method | Path | What |\n|---|---|---|\n");
    for e in ROUTES {
        table.push_str(&format!("| `{}` | `{}` | {} |\n", e.method, e.path, e.what));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: &str, path: &str) -> Option<(&'static str, Vec<String>)> {
        route(method, path)
            .ok()
            .map(|r| (r.endpoint.path, r.params))
    }

    #[test]
    fn paths_are_found_exactly() {
        assert_eq!(access("/v1/netpay/query"), Access::Business);
        assert_eq!(access("/v1/token/access"), Access::TokenIssuer);
        assert_eq!(access("/v1/netpay/trade/h5-pay"), Access::FormParam);
        assert_eq!(access("/sandbox/no-such-page"), Access::Sandbox);
        assert_eq!(access("/nope"), Access::Business);
        assert!(found("POST", "/v1/netpay/query/").is_none());
        assert!(found("GET", "/").is_none());
        assert!(matches!(route("GET", "/v1/netpay/query"), Err(Miss::Method(m)) if m == ["POST"]));
        assert!(matches!(route("GET", "/nope"), Err(Miss::NotFound)));
    }

    #[test]
    fn segments_in_braces_take_one_non_empty_segment() {
        assert_eq!(
            found("POST", "/sandbox/orders/3194ABC/pay"),
            Some((
                "/sandbox/orders/{merOrderId}/pay",
                vec!["3194ABC".to_owned()]
            ))
        );
        assert!(found("POST", "/sandbox/orders//pay").is_none());
        assert_eq!(
            found("POST", "/sandbox/orders/a%2Bb+c%zz%/pay").map(|f| f.1),
            Some(vec!["a+b+c%zz%".to_owned()])
        );
        assert!(found("POST", "/sandbox/orders/a/b/pay").is_none());
        assert!(found("POST", "/sandbox/orders/3194ABC/pay/").is_none());
        // One path, two methods.
        assert!(found("GET", "/sandbox/cashier").is_some());
        assert!(found("POST", "/sandbox/cashier").is_some());
        assert!(
            matches!(route("PUT", "/sandbox/cashier"), Err(Miss::Method(m)) if m == ["GET", "POST"])
        );
    }

    #[test]
    fn routes_are_unique_and_absolute() {
        for (i, e) in ROUTES.iter().enumerate() {
            assert!(e.path.starts_with('/'), "{e}");
            assert!(
                !ROUTES[..i]
                    .iter()
                    .any(|o| o.path == e.path && o.method == e.method),
                "{e} twice"
            );
            // A path is under /sandbox/ exactly when it is one of the sandbox's own.
            assert_eq!(
                e.path.starts_with(SANDBOX_PREFIX),
                e.access == Access::Sandbox,
                "{e}"
            );
        }
    }

    /// The README's endpoint list is the table, between its markers, and nothing else.
    #[test]
    fn the_readme_lists_exactly_the_routes() {
        let readme = include_str!("../README.md");
        let start = "<!-- endpoints: begin -->\n";
        let end = "<!-- endpoints: end -->";
        let from = readme.find(start).expect("the README has the begin marker") + start.len();
        let to = readme[from..]
            .find(end)
            .expect("the README has the end marker")
            + from;
        assert_eq!(
            &readme[from..to],
            markdown_table(),
            "sandbox/README.md's endpoint list drifted from the route table; paste the table \
             that router::markdown_table() builds between the markers"
        );
    }
}
