//! Which gateway a client talks to: production, the public test gateway, or a base URL of the
//! user's (the local sandbox, a proxy), checked once when it is made.

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigErrorKind, Error};

/// The production gateway.
pub const PRODUCTION_URL: &str = "https://api-mop.chinaums.com";
/// The public test gateway.
pub const TEST_URL: &str = "https://test-api-open.chinaums.com";

/// The environment variable [`Environment::from_env`] reads (the CLI reads it too).
pub const ENV_VAR: &str = "CHINAUMS_ENV";

/// Which gateway the client talks to.
///
/// Parse it from the words a configuration file or the `CHINAUMS_ENV` variable holds:
///
/// ```
/// use chinaums::Environment;
///
/// assert_eq!("production".parse::<Environment>()?, Environment::Production);
/// assert_eq!("test".parse::<Environment>()?, Environment::Test);
/// let local: Environment = "http://127.0.0.1:8080/".parse()?;
/// assert_eq!(local.base_url(), "http://127.0.0.1:8080");
/// // Checked when made, not when the first request is built.
/// assert!("not a url".parse::<Environment>().is_err());
/// # Ok::<(), chinaums::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://api-mop.chinaums.com`.
    Production,
    /// `https://test-api-open.chinaums.com`.
    Test,
    /// Another base URL (the local sandbox, a proxy); made by [`Environment::custom`] or
    /// [`FromStr`], so it is always valid.
    Custom(BaseUrl),
}

/// A checked base URL: `http` or `https`, a host, an optional path prefix, no query, fragment
/// or `user:password@`, no trailing `/`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks `url`. The error never repeats a `user:password@` part.
    pub fn parse(url: &str) -> Result<BaseUrl, Error> {
        let shown = redact_userinfo(url);
        let bad = |why: &str| {
            Error::config(
                ConfigErrorKind::BaseUrl,
                format!("base URL {shown:?} {why}"),
            )
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("is not a valid URL"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("must start with http:// or https://")),
        }
        let Some(authority) = uri.authority() else {
            return Err(bad("has no host"));
        };
        if authority.as_str().contains('@') {
            // The adapters would not send them, and they would end up in logs.
            return Err(bad(
                "must not carry a user or password (`user:password@host`)",
            ));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("must not have a query or fragment"));
        }
        Ok(BaseUrl(url.trim_end_matches('/').to_owned()))
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Environment {
    /// A custom base URL: `http` or `https`, a host, an optional path prefix, no query,
    /// fragment or `user:password@`. A trailing `/` is dropped.
    ///
    /// ```
    /// let sandbox = chinaums::Environment::custom("http://127.0.0.1:8080")?;
    /// assert_eq!(sandbox.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    pub fn custom(base_url: &str) -> Result<Environment, Error> {
        BaseUrl::parse(base_url).map(Environment::Custom)
    }

    /// The environment named by the `CHINAUMS_ENV` variable ([`ENV_VAR`]): `production`,
    /// `test` or a base URL. An [`Error::Config`] names the variable when it is missing or
    /// invalid.
    pub fn from_env() -> Result<Environment, Error> {
        Environment::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Environment::from_env`], reading variables through `lookup` (for tests, or a
    /// configuration source of your own).
    ///
    /// ```
    /// use chinaums::Environment;
    ///
    /// let env = Environment::from_lookup(|name| (name == "CHINAUMS_ENV").then(|| "test".to_owned()))?;
    /// assert_eq!(env, Environment::Test);
    /// assert!(Environment::from_lookup(|_| None).is_err());
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Environment, Error> {
        let value = lookup(ENV_VAR)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                Error::config(
                    ConfigErrorKind::BaseUrl,
                    format!("{ENV_VAR} is not set: set it to production, test or a base URL"),
                )
            })?;
        value.parse().map_err(|e| match e {
            Error::Config(e) => Error::config(e.kind, format!("{ENV_VAR}: {}", e.message)),
            other => other,
        })
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => PRODUCTION_URL,
            Environment::Test => TEST_URL,
            Environment::Custom(url) => url.as_str(),
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("Production"),
            Environment::Test => f.write_str("Test"),
            Environment::Custom(url) => f.debug_tuple("Custom").field(url).finish(),
        }
    }
}

/// `production`, `test`, or the base URL.
impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("production"),
            Environment::Test => f.write_str("test"),
            Environment::Custom(url) => fmt::Display::fmt(url, f),
        }
    }
}

/// `production` (or `prod`), `test`, or a base URL for [`Environment::custom`]; surrounding
/// whitespace is ignored.
impl FromStr for Environment {
    type Err = Error;

    fn from_str(s: &str) -> Result<Environment, Error> {
        match s.trim() {
            "production" | "prod" => Ok(Environment::Production),
            "test" => Ok(Environment::Test),
            url => Environment::custom(url).map_err(|e| match e {
                Error::Config(e) => Error::config(e.kind, format!(
                    "{}; expected `production`, `test` or a base URL like http://127.0.0.1:8080", e.message
                )),
                other => other,
            }),
        }
    }
}

/// `url` with any `user:password@` part replaced by `***@`, for messages and logs.
///
/// ```
/// use chinaums::redact_userinfo;
///
/// assert_eq!(redact_userinfo("http://user:PW@host:8080/x"), "http://***@host:8080/x");
/// assert_eq!(redact_userinfo("http://host/a@b"), "http://host/a@b");
/// ```
pub fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    // The authority ends at the first `/`, `?` or `#`; userinfo is what precedes its last `@`.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..after_scheme], &rest[at..]).into(),
        None => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_environments_are_checked() {
        assert_eq!(
            Environment::custom("http://127.0.0.1:8080/")
                .unwrap()
                .base_url(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            Environment::custom("https://proxy.example/ums")
                .unwrap()
                .base_url(),
            "https://proxy.example/ums"
        );
        for bad in [
            "",
            "127.0.0.1:8080",
            "ftp://x",
            "http://",
            "http://h/?a=1",
            "http://h/#top",
            "not a url",
            "http://user@host",
        ] {
            assert!(
                matches!(Environment::custom(bad), Err(Error::Config(ref e)) if e.kind == ConfigErrorKind::BaseUrl),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_password_in_a_base_url_is_refused_without_being_repeated() {
        for url in [
            "http://user:PW-SECRET@127.0.0.1:9",
            "https://u:PW-SECRET@h/x?q",
            "http://u:PW-SECRET@",
            "http://:PW-SECRET@h",
        ] {
            let error = Environment::custom(url).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("PW-SECRET"), "{shown}");
            assert!(shown.contains("***@"), "{shown}");
            let error = url.parse::<Environment>().unwrap_err();
            assert!(!format!("{error} {error:?}").contains("PW-SECRET"));
        }
    }

    #[test]
    fn parsed_from_words_and_shown_back() {
        assert_eq!(
            " prod ".parse::<Environment>().unwrap(),
            Environment::Production
        );
        for env in [
            Environment::Production,
            Environment::Test,
            Environment::custom("http://127.0.0.1:9").unwrap(),
        ] {
            assert_eq!(env.to_string().parse::<Environment>().unwrap(), env);
        }
        let e = "staging".parse::<Environment>().unwrap_err().to_string();
        assert!(e.contains("`production`, `test`"), "{e}");
    }

    #[test]
    fn from_lookup_names_the_variable() {
        let vars =
            |value: &'static str| move |name: &str| (name == ENV_VAR).then(|| value.to_owned());
        assert_eq!(
            Environment::from_lookup(vars("test")).unwrap(),
            Environment::Test
        );
        for missing in ["", "  "] {
            let e = Environment::from_lookup(vars(missing))
                .unwrap_err()
                .to_string();
            assert!(e.contains("CHINAUMS_ENV is not set"), "{e}");
        }
        let e = Environment::from_lookup(vars("staging"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("CHINAUMS_ENV"), "{e}");
    }

    #[test]
    fn redaction_keeps_everything_but_the_userinfo() {
        assert_eq!(redact_userinfo("http://a:b@h"), "http://***@h");
        assert_eq!(redact_userinfo("a:b@h/x"), "***@h/x");
        assert_eq!(redact_userinfo("http://h:1/p?x=a@b"), "http://h:1/p?x=a@b");
        assert_eq!(redact_userinfo("http://u:p@ss@h/"), "http://***@h/");
        assert_eq!(redact_userinfo(""), "");
    }
}
