//! Payment notifications: the platform POSTs a signed form to the order's `notifyUrl` when money
//! moves. [`verify`] checks the signature with the merchant's notification key and types the
//! notification; no I/O, so any web framework can call it.
//!
//! A notification is a hint, not proof. The recommended flow:
//!
//! 1. verify it ([`verify`]); an error means "not from the platform": answer
//!    [`acknowledgement(false)`](acknowledgement) and act on nothing;
//! 2. answer [`acknowledgement(true)`](acknowledgement) (`SUCCESS`) once recorded, so the platform
//!    stops re-sending (it re-sends the same `notifyId` until it gets `SUCCESS`: de-duplicate on
//!    it, or on `merOrderId` + state);
//! 3. before shipping, confirm with a [`PaymentQuery`](crate::PaymentQuery), and check that the
//!    amount and `merOrderId` are your order's.
//!
//! ```
//! use chinaums::notify::{self, Fields, Notification, NotifyKey, SignType};
//! use chinaums::{Fen, PaymentState};
//!
//! let key = NotifyKey::new("the-notification-key");
//! // A notification as the platform would send it (built here with the same rule).
//! let mut fields = Fields::new();
//! for (k, v) in [("merOrderId", "3194202401011200000001"), ("status", "TRADE_SUCCESS"),
//!                ("totalAmount", "100"), ("notifyId", "n-1"), ("signType", "SHA256"), ("Ru", "NcFv")] {
//!     fields.insert(k.into(), v.into());
//! }
//! let sign = notify::sign(&fields, &key, SignType::Sha256);
//! let body = format!("{}&sign={sign}", notify::encode_form(&fields));
//!
//! let notification = notify::verify(body.as_bytes(), Some("application/x-www-form-urlencoded"), &key)?;
//! assert_eq!(notification.state(), PaymentState::Paid);
//! let Notification::Payment(paid) = &notification else { unreachable!() };
//! assert_eq!(paid.total_amount, Some(Fen(100)));
//! let reply_body = notify::acknowledgement(true); // "SUCCESS": record it, then confirm by query
//! assert_eq!(reply_body, "SUCCESS");
//! # Ok::<(), chinaums::notify::NotifyError>(())
//! ```

mod types;
mod verify;

pub use types::{BillNotification, Notification, PaymentNotification, RefundNotification};
pub use verify::{
    Fields, NotifyError, NotifyKey, SignType, parse_form, parse_json, sign, string_to_sign,
    verify_fields,
};

/// The body to answer a notification with: `SUCCESS` once it is recorded, `FAILED` otherwise
/// (the platform then sends it again). Plain text, nothing else.
pub fn acknowledgement(processed: bool) -> &'static str {
    if processed { "SUCCESS" } else { "FAILED" }
}

/// Verifies a notification's raw POST body (never the notify URL's own query string, which is
/// not signed) and types it. A form body is decoded once (`+` is a space); a JSON object is
/// accepted too, under the same rule, when `content_type` says JSON (or, without a content type,
/// when the body is one).
pub fn verify(
    body: &[u8],
    content_type: Option<&str>,
    key: &NotifyKey,
) -> Result<Notification, NotifyError> {
    let json = match content_type {
        Some(ct) => ct.to_ascii_lowercase().contains("json"),
        None => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    let fields = if json {
        parse_json(body)?
    } else {
        parse_form(body)?
    };
    let sign_type = verify_fields(&fields, key)?;
    Ok(Notification::from_fields(fields, sign_type))
}

/// Verifies the parameters the cashier adds to `returnUrl` when it sends the payer back (the
/// query string, without `?`). For what the page shows only: never mark an order paid from it.
pub fn verify_return_url(query: &str, key: &NotifyKey) -> Result<Fields, NotifyError> {
    let fields = parse_form(query.as_bytes())?;
    verify_fields(&fields, key)?;
    Ok(fields)
}

/// `fields` as a form body (`k=v&…`, each encoded once), in byte order of the names; for tests
/// and for servers that send notifications (the sandbox).
pub fn encode_form(fields: &Fields) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    form.finish()
}
