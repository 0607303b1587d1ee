//! Signs notification fields with a key, changes one byte of the body, and verifies again.
//!
//! The input, read from its front: the hash (`0` SHA256 declared, `1` MD5 declared, `2` none
//! declared and SHA256 used, `3` none and MD5), the encoding (even: a form, odd: JSON), whether
//! to send a content type, the key's length and bytes, the change (position: 4 bytes, kind:
//! flip / delete / insert, byte), then the fields, one `name=value` line each (a form's or
//! the test vectors' fields, written plainly).
//!
//! Invariants:
//! - the body as signed verifies, under the hash used, and decides only what its fields say;
//!   the core's signature is the reference hash of the reference string;
//! - the same body with another key never verifies;
//! - the changed body verifies only if the verifier computed the same signature over it: the
//!   reference string of its fields is the original's and its `sign` is the same bytes (the
//!   change was in the case of a hex digit, or in an empty field the rule leaves out).
#![no_main]

use chinaums::notify::{self, Fields, NotifyError, NotifyKey, SignType};
use chinaums_fuzz::{
    Cursor, check_decision, field, form_fields, hex_decode, json_fields, notify_digest,
    notify_signed_string,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let mode = input.byte() % 4;
    let json = input.byte() % 2 == 1;
    let with_content_type = input.byte().is_multiple_of(2);
    let key_len = usize::from(input.byte() % 33);
    let key: String = (0..key_len).map(|_| char::from(input.byte())).collect();
    let position = input.u32() as usize;
    let kind = input.byte() % 3;
    let value = input.byte();

    let mut fields = Fields::new();
    for line in input.rest().split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let (name, value) = line.split_once('=').unwrap_or((&line, ""));
        if name.is_empty() || name == "sign" || name == "signType" {
            continue;
        }
        fields.insert(name.to_owned(), value.to_owned());
    }
    let (declared, hash) = match mode {
        0 => (Some("SHA256"), SignType::Sha256),
        1 => (Some("MD5"), SignType::Md5),
        2 => (None, SignType::Sha256),
        _ => (None, SignType::Md5),
    };
    if let Some(declared) = declared {
        fields.insert("signType".into(), declared.into());
    }
    let key = NotifyKey::new(key);

    // The core signs what the reference signs.
    let pairs: Vec<(String, String)> = fields.clone().into_iter().collect();
    let signed = notify_signed_string(&pairs, key.expose());
    assert_eq!(notify::string_to_sign(&fields, &key), signed);
    let sign = notify::sign(&fields, &key, hash);
    assert_eq!(
        hex_decode(&sign),
        Some(notify_digest(&signed, hash == SignType::Md5)),
        "the core's signature is not the reference's"
    );

    let body = if json {
        let mut object = serde_json::Map::new();
        for (k, v) in &fields {
            object.insert(k.clone(), v.clone().into());
        }
        object.insert("sign".into(), sign.clone().into());
        serde_json::to_vec(&object).expect("strings serialize")
    } else {
        format!("{}&sign={sign}", notify::encode_form(&fields)).into_bytes()
    };
    let content_type = match (with_content_type, json) {
        (false, _) => None,
        (true, true) => Some("application/json; charset=utf-8"),
        (true, false) => Some("application/x-www-form-urlencoded"),
    };
    // Without a content type, a form whose first field's name starts with `{` reads as JSON;
    // nothing to check then.
    if content_type.is_none() && !json && body.first() == Some(&b'{') {
        return;
    }
    let read = |body: &[u8]| {
        if json {
            json_fields(body)
        } else {
            form_fields(body)
        }
    };

    // As signed: verified, under that hash, deciding what the fields say.
    let notification = notify::verify(&body, content_type, &key)
        .unwrap_or_else(|e| panic!("a body signed by the rule is refused: {e}"));
    let original = read(&body).expect("the reference reads what was built");
    check_decision(&notification, &original);
    assert_eq!(
        notify::verify_fields(&fields_with_sign(&fields, &sign), &key),
        Ok(hash)
    );

    // Another key: never.
    let other = NotifyKey::new(format!("{}x", key.expose()));
    assert_eq!(
        notify::verify(&body, content_type, &other).err(),
        Some(NotifyError::SignatureMismatch),
        "verified with another key"
    );

    // One byte changed.
    let mut changed = body.clone();
    match kind {
        0 => {
            let at = position % changed.len();
            changed[at] ^= value.max(1);
        }
        1 => {
            changed.remove(position % changed.len());
        }
        _ => changed.insert(position % (changed.len() + 1), value),
    }
    if let Ok(accepted) = notify::verify(&changed, content_type, &key) {
        let fields = read(&changed).expect("accepted what the reference cannot read");
        assert_eq!(
            notify_signed_string(&fields, key.expose()),
            signed,
            "accepted a changed body whose signed string changed"
        );
        assert_eq!(
            field(&fields, "sign").and_then(hex_decode),
            hex_decode(&sign),
            "accepted a changed sign"
        );
        check_decision(&accepted, &fields);
    }
});

fn fields_with_sign(fields: &Fields, sign: &str) -> Fields {
    let mut with = fields.clone();
    with.insert("sign".into(), sign.into());
    with
}
