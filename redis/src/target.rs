//! Where the store connects and as whom: the URL, read once when the store is built.

use std::borrow::Cow;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// The port Redis listens on unless told otherwise.
const DEFAULT_PORT: u16 = 6379;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    Tcp { host: String, port: u16, tls: bool },
    Unix(PathBuf),
}

/// A parsed store URL. `shown` is rebuilt from the parts that are not secret (never the user
/// name, password or query), so messages and `Debug` can print it as it is.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) address: Address,
    pub(crate) db: i64,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) shown: String,
}

impl Target {
    /// Reads `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) and
    /// `redis+unix:///path[?db=N&user=U&pass=P]` (also `unix:///path`).
    pub(crate) fn parse(input: &str) -> Result<Target, String> {
        // The input is never echoed: a URL that did not parse may hold a password anywhere.
        let url = url::Url::parse(input).map_err(|e| format!("invalid Redis URL: {e}"))?;
        match url.scheme() {
            "redis" | "rediss" => Self::tcp(&url),
            "redis+unix" | "unix" => Self::unix(&url),
            other => Err(format!(
                "invalid Redis URL: scheme `{other}` (expected redis://, rediss:// or redis+unix://)"
            )),
        }
    }

    fn tcp(url: &url::Url) -> Result<Target, String> {
        if url.fragment().is_some() {
            return Err(
                "invalid Redis URL: no `#` part is supported (`rediss://…#insecure` \
                        is not: certificates are always verified; add a private CA with \
                        `add_root_certificate_pem`)"
                    .into(),
            );
        }
        if url.query().is_some() {
            return Err(
                "invalid Redis URL: no `?` options are supported for redis:// and \
                        rediss:// (set timeouts and credentials on the builder)"
                    .into(),
            );
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err("invalid Redis URL: no host".into()),
        };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        let db = match url.path().trim_matches('/') {
            "" => 0,
            db => parse_db(db)?,
        };
        let tls = url.scheme() == "rediss";
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        Ok(Target {
            shown: format!("{}://{shown_host}:{port}/{db}", url.scheme()),
            address: Address::Tcp { host, port, tls },
            db,
            username: decoded(url.username(), "user name")?,
            password: url
                .password()
                .map(|p| decoded(p, "password"))
                .transpose()?
                .flatten(),
        })
    }

    fn unix(url: &url::Url) -> Result<Target, String> {
        if url.fragment().is_some() {
            return Err("invalid Redis URL: no `#` part is supported".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "invalid Redis URL: give a socket's credentials as `?user=…&pass=…` \
                        or on the builder"
                    .into(),
            );
        }
        let path = url
            .to_file_path()
            .map_err(|()| "invalid Redis URL: no socket path".to_owned())?;
        let (mut db, mut username, mut password) = (0, None, None);
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "db" => db = parse_db(&value)?,
                "user" => username = Some(value.into_owned()),
                "pass" => password = Some(value.into_owned()),
                // The name only: the value may be a password given under a misspelt name.
                other => {
                    return Err(format!(
                        "invalid Redis URL: unsupported option `{other}` (db, user and pass are)"
                    ));
                }
            }
        }
        Ok(Target {
            shown: format!("redis+unix://{}?db={db}", path.display()),
            address: Address::Unix(path),
            db,
            username,
            password,
        })
    }

    /// `message`, prefixed with where the store connects (`shown` holds no secret), with the
    /// password (if any) masked should the server or the OS ever have echoed it.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> String {
        let message = message.to_string();
        let message = match self.password.as_deref() {
            Some(password) if !password.is_empty() && message.contains(password) => {
                message.replace(password, "***")
            }
            _ => message,
        };
        format!("{}: {message}", self.shown)
    }
}

fn parse_db(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .ok()
        .filter(|db| *db >= 0)
        .ok_or_else(|| "invalid Redis URL: the database must be a number (`/0`)".to_owned())
}

/// A percent-decoded part of the URL; `None` when empty.
fn decoded(part: &str, what: &str) -> Result<Option<String>, String> {
    if part.is_empty() {
        return Ok(None);
    }
    percent_decode_str(part)
        .decode_utf8()
        .map(Cow::into_owned)
        .map(Some)
        .map_err(|_| format!("invalid Redis URL: the {what} is not UTF-8 once decoded"))
}
