//! The key-append signature of notifications and `returnUrl` parameters.

use std::collections::BTreeMap;
use std::fmt;

use md5::Md5;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The merchant's notification key (通讯密钥, "md5Key"): not the appKey. `Debug` never shows it.
///
/// ```
/// let key = chinaums::notify::NotifyKey::new("the-key-from-the-console");
/// assert_eq!(format!("{key:?}"), "NotifyKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyKey(String);

impl NotifyKey {
    /// Wraps the key.
    pub fn new(key: impl Into<String>) -> Self {
        NotifyKey(key.into())
    }

    /// The key itself (secret: never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NotifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NotifyKey(<redacted>)")
    }
}

/// Why a notification (or `returnUrl` query) was not accepted. Each cause is its own variant;
/// a wrong key and a changed value cannot be told apart (both are a signature that does not
/// match), by design of any signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The body is neither a form (`application/x-www-form-urlencoded`) nor a JSON object.
    #[error("the body is neither a form nor a JSON object: {0}")]
    Malformed(String),
    /// A field's name or value is not UTF-8 once decoded.
    #[error("`{0}` is not UTF-8 once decoded")]
    NotUtf8(String),
    /// A field appears more than once: the body cannot say which value was signed.
    #[error("`{0}` appears more than once")]
    DuplicateField(String),
    /// There is no `sign` field.
    #[error("there is no `sign` field")]
    MissingSign,
    /// `signType` names a hash this SDK does not know.
    #[error("unknown signType {0:?}: expected SHA256 or MD5")]
    UnknownSignType(String),
    /// The signature does not match: a wrong key, or a value changed after signing.
    #[error("the signature does not match (a wrong notification key, or a changed value)")]
    SignatureMismatch,
}

/// The hash a notification was signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignType {
    /// `SHA256`: every recent notification.
    Sha256,
    /// `MD5`: older notifications.
    Md5,
}

/// The fields of a verified body, decoded once, in byte order of their names; `sign` removed.
pub type Fields = BTreeMap<String, String>;

/// Decodes an `application/x-www-form-urlencoded` body exactly once (`+` is a space), refusing
/// non-UTF-8 and repeated names.
pub fn parse_form(body: &[u8]) -> Result<Fields, NotifyError> {
    let mut fields = Fields::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(name, None)?;
        let value = decode_component(value, Some(&name))?;
        if fields.insert(name.clone(), value).is_some() {
            return Err(NotifyError::DuplicateField(name));
        }
    }
    Ok(fields)
}

fn decode_component(raw: &[u8], name: Option<&str>) -> Result<String, NotifyError> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|e| {
        let shown = match name {
            Some(name) => name.to_owned(),
            None => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        NotifyError::NotUtf8(shown)
    })
}

/// Reads a JSON-object body (an older delivery format some merchants still receive) under the
/// same rule: strings as they are, other values as their JSON text, repeated names refused.
pub fn parse_json(body: &[u8]) -> Result<Fields, NotifyError> {
    use serde::de::{Deserializer as _, MapAccess, Visitor};

    struct Object;
    impl<'de> Visitor<'de> for Object {
        type Value = Result<Fields, NotifyError>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut fields = Fields::new();
            let mut repeated = None;
            while let Some(name) = map.next_key::<String>()? {
                let raw: Box<serde_json::value::RawValue> = map.next_value()?;
                let text = match serde_json::from_str::<String>(raw.get()) {
                    Ok(s) => s,
                    Err(_) => raw.get().to_owned(),
                };
                if fields.insert(name.clone(), text).is_some() {
                    repeated.get_or_insert(name);
                }
            }
            Ok(match repeated {
                Some(name) => Err(NotifyError::DuplicateField(name)),
                None => Ok(fields),
            })
        }
    }
    let text = std::str::from_utf8(body).map_err(|_| NotifyError::NotUtf8("body".into()))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = de
        .deserialize_map(Object)
        .map_err(|e| NotifyError::Malformed(e.to_string()))??;
    de.end()
        .map_err(|e| NotifyError::Malformed(e.to_string()))?;
    Ok(fields)
}

/// The string that is hashed: every field but `sign` whose value is not empty, sorted by name
/// in byte order, `k=v` joined with `&`, then the key appended with no separator.
pub fn string_to_sign(fields: &Fields, key: &NotifyKey) -> String {
    let mut joined = fields
        .iter()
        .filter(|(k, v)| k.as_str() != "sign" && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    joined.push_str(key.expose());
    joined
}

/// The signature of `fields` under `sign_type`: uppercase hex of the hash of
/// [`string_to_sign`]. For building test notifications and for servers (the sandbox).
pub fn sign(fields: &Fields, key: &NotifyKey, sign_type: SignType) -> String {
    hex_upper(&digest(&string_to_sign(fields, key), sign_type))
}

fn digest(text: &str, sign_type: SignType) -> Vec<u8> {
    match sign_type {
        SignType::Sha256 => Sha256::digest(text.as_bytes()).to_vec(),
        SignType::Md5 => Md5::digest(text.as_bytes()).to_vec(),
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Checks `fields` (with their `sign`) against `key`: by the declared `signType`, or, when there
/// is none, under SHA-256 or MD5 (older notifications default to MD5, the `returnUrl` text to
/// SHA-256; either match is accepted). Hex case is ignored; the comparison is constant-time.
/// Returns the hash that matched.
pub fn verify_fields(fields: &Fields, key: &NotifyKey) -> Result<SignType, NotifyError> {
    let given = fields.get("sign").ok_or(NotifyError::MissingSign)?;
    let candidates: &[SignType] = match fields.get("signType").map(String::as_str) {
        Some("SHA256") => &[SignType::Sha256],
        Some("MD5") => &[SignType::Md5],
        Some(other) => return Err(NotifyError::UnknownSignType(other.to_owned())),
        None => &[SignType::Sha256, SignType::Md5],
    };
    let given = decode_hex(given).ok_or(NotifyError::SignatureMismatch)?;
    let signed = string_to_sign(fields, key);
    for &sign_type in candidates {
        let expected = digest(&signed, sign_type);
        if expected.len() == given.len() && bool::from(expected.ct_eq(&given)) {
            return Ok(sign_type);
        }
    }
    Err(NotifyError::SignatureMismatch)
}

/// Hex digits only, in pairs. Not `u8::from_str_radix`, which also takes a leading `+`: it
/// would read `+a` as `0a`, accepting a `sign` text that is not the signature.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks_exact(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from(high << 4 | low).ok()
        })
        .collect()
}
