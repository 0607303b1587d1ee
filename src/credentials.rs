//! The appId and appKey a client signs with.

use std::fmt;

use crate::error::{ConfigErrorKind, Error};

/// The environment variable [`Credentials::from_env`] reads the appId from.
pub const APP_ID_VAR: &str = "CHINAUMS_APP_ID";
/// The environment variable [`Credentials::from_env`] reads the appKey from.
pub const APP_KEY_VAR: &str = "CHINAUMS_APP_KEY";

/// An appId and its appKey. `Debug` never shows the appKey.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    app_id: String,
    app_key: String,
}

impl Credentials {
    /// Credentials from the platform's developer console.
    pub fn new(app_id: impl Into<String>, app_key: impl Into<String>) -> Self {
        Credentials {
            app_id: app_id.into(),
            app_key: app_key.into(),
        }
    }

    /// The credentials in the `CHINAUMS_APP_ID` and `CHINAUMS_APP_KEY` variables (the names
    /// the `chinaums` command line reads). An [`Error::Config`] names each missing variable,
    /// never a value.
    pub fn from_env() -> Result<Credentials, Error> {
        Credentials::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], reading variables through `lookup` (for tests, or a
    /// configuration source of your own).
    ///
    /// ```
    /// use chinaums::Credentials;
    ///
    /// let vars = |name: &str| match name {
    ///     "CHINAUMS_APP_ID" => Some("my-app-id".to_owned()),
    ///     "CHINAUMS_APP_KEY" => Some("my-app-key".to_owned()),
    ///     _ => None,
    /// };
    /// let credentials = Credentials::from_lookup(vars)?;
    /// assert_eq!(credentials.app_id(), "my-app-id");
    /// assert!(!format!("{credentials:?}").contains("my-app-key"));
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, Error> {
        let read = |name: &str| lookup(name).filter(|v| !v.is_empty());
        match (read(APP_ID_VAR), read(APP_KEY_VAR)) {
            (Some(app_id), Some(app_key)) => {
                let credentials = Credentials::new(app_id, app_key);
                credentials.check()?;
                Ok(credentials)
            }
            (app_id, app_key) => {
                let missing: Vec<&str> = [
                    (app_id.is_none(), APP_ID_VAR),
                    (app_key.is_none(), APP_KEY_VAR),
                ]
                .into_iter()
                .filter_map(|(missing, name)| missing.then_some(name))
                .collect();
                Err(Error::config(
                    ConfigErrorKind::Credentials,
                    format!("{} not set", missing.join(" and ")),
                ))
            }
        }
    }

    /// The appId.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The appKey (secret: never log it).
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        // The appId goes into an `Authorization` header: the `AppId` rule, written once.
        if let Err(e) = crate::types::ids::AppId::new(self.app_id.as_str()) {
            return Err(Error::config(
                ConfigErrorKind::Credentials,
                format!("the appId {}", e.rule),
            ));
        }
        if self.app_key.is_empty() {
            return Err(Error::config(
                ConfigErrorKind::Credentials,
                "appKey must not be empty",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("app_id", &self.app_id)
            .field("app_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lookup_names_what_is_missing_and_never_shows_the_key() {
        let only_key = |name: &str| (name == APP_KEY_VAR).then(|| "SECRET-KEY".to_owned());
        let e = Credentials::from_lookup(only_key).unwrap_err().to_string();
        assert_eq!(e, "configuration error: CHINAUMS_APP_ID not set");
        let e = Credentials::from_lookup(|_| None).unwrap_err().to_string();
        assert!(
            e.contains("CHINAUMS_APP_ID and CHINAUMS_APP_KEY not set"),
            "{e}"
        );
        let bad_id = |name: &str| {
            Some(
                if name == APP_ID_VAR {
                    "a b"
                } else {
                    "SECRET-KEY"
                }
                .to_owned(),
            )
        };
        let e = Credentials::from_lookup(bad_id).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("SECRET-KEY"));
    }
}
