//! The one table of endpoints. Dispatch, the binary's banner, the README's list (checked by a
//! test) and the CLI's listing all read it, so a new endpoint is one line here and nothing
//! else can drift.

use std::fmt;

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

/// The endpoint at `path`, whatever the method.
pub(crate) fn find(path: &str) -> Option<&'static EndpointInfo> {
    ROUTES.iter().find(|e| e.path == path)
}

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

    #[test]
    fn paths_are_found_exactly() {
        assert_eq!(find("/v1/netpay/query").unwrap().access, Access::Business);
        assert_eq!(
            find("/v1/token/access").unwrap().access,
            Access::TokenIssuer
        );
        assert!(find("/v1/netpay/query/").is_none());
        assert!(find("/").is_none());
    }

    #[test]
    fn paths_are_unique_and_absolute() {
        for (i, e) in ROUTES.iter().enumerate() {
            assert!(e.path.starts_with('/'), "{e}");
            assert!(!ROUTES[..i].iter().any(|o| o.path == e.path), "{e} twice");
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
