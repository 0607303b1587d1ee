//! Name resolution only when a connection is opened, and never a thread for an IP address.
//!
//! ureq 3.5 resolves the request's host before it looks in its pool, so on every request, even
//! one that reuses a pooled connection; and with a total timeout set (this crate always sets
//! one) its `DefaultResolver` runs that lookup on a new OS thread so that it can give up on
//! time: one `clone3` per request, measured at 300 threads for 300 requests. The time those
//! threads took also left connections idle longer between requests, so that under concurrency
//! more of them were dropped from ureq's small idle pool and reopened.
//!
//! [`LazyResolver`] answers ureq's per-request lookup without doing one: an IP address is
//! parsed where it stands (no system call, no thread), and a host name is answered with a
//! placeholder that means "not resolved yet". [`LazyConnector`], first in the connector chain,
//! runs only when ureq opens a new connection: it replaces the placeholder with a real lookup
//! (ureq's own `DefaultResolver`, on a thread bounded by what is left of the timeout, as
//! before) and takes the time the lookup took off the connect timeout, so the total timeout
//! still holds. A pooled connection is reused without any lookup, as with any pooled client.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::{Duration, Instant};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, Transport};

/// "Not resolved yet": the unspecified address with port 0, which no lookup returns and no
/// connection can be made to.
const DEFERRED: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct LazyResolver;

impl Resolver for LazyResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        match ip_literal(uri) {
            Some(addr) => addrs.push(addr),
            // A name (or anything unusual, which ureq's resolver will judge): looked up by
            // `LazyConnector` if a connection must be opened.
            None if uri.host().is_some_and(|h| !h.is_empty()) => addrs.push(DEFERRED),
            None => return DefaultResolver::default().resolve(uri, config, timeout),
        }
        Ok(addrs)
    }
}

/// The socket address of a URI whose host is an IP address (`http://127.0.0.1:8080`,
/// `https://[::1]`), with the scheme's default port.
fn ip_literal(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = match (uri.port_u16(), uri.scheme_str()) {
        (Some(port), _) => port,
        (None, Some("https")) => 443,
        (None, Some("http")) => 80,
        (None, _) => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The first link of the connector chain: resolves a deferred host, then hands the connection
/// details, with the addresses, to the rest of the chain (`inner`).
#[derive(Debug)]
pub(crate) struct LazyConnector<C>(pub(crate) C);

impl<C: Connector<(), Out = Box<dyn Transport>>> Connector<()> for LazyConnector<C> {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if details.addrs[..] != [DEFERRED] {
            return self.0.connect(details, chained);
        }
        let started = (details.current_time)();
        let addrs =
            DefaultResolver::default().resolve(details.uri, details.config, details.timeout)?;
        // What the lookup took comes off the time left to connect.
        let mut timeout = details.timeout;
        if let (Duration::Exact(left), Instant::Exact(start), Instant::Exact(now)) =
            (timeout.after, started, (details.current_time)())
        {
            timeout.after =
                Duration::Exact(left.saturating_sub(now.saturating_duration_since(start)));
        }
        let resolved = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        self.0.connect(&resolved, chained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(uri: &str) -> Vec<SocketAddr> {
        let config = ureq::Agent::config_builder().build();
        LazyResolver
            .resolve(&uri.parse().unwrap(), &config, NextTimeout::default())
            .unwrap()
            .to_vec()
    }

    #[test]
    fn ip_addresses_are_parsed_in_place() {
        assert_eq!(
            resolve("http://127.0.0.1:8080/x"),
            ["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolve("https://127.0.0.1/"),
            ["127.0.0.1:443".parse().unwrap()]
        );
        assert_eq!(resolve("http://[::1]/"), ["[::1]:80".parse().unwrap()]);
    }

    #[test]
    fn names_are_left_for_the_connector() {
        assert_eq!(resolve("https://test-api-open.chinaums.com/v1"), [DEFERRED]);
        assert_eq!(resolve("http://localhost:1/"), [DEFERRED]);
    }
}
