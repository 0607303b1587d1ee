//! Keeping URL passwords out of everything the command prints.
//!
//! Base URLs are redacted where they are formatted ([`chinaums::redact_userinfo`]);
//! [`urls`] is the last line of defence for text the command does not compose itself (clap's
//! messages and help, which repeat argument and environment values) and for every error.

use std::borrow::Cow;

/// `text` with the `user:password@` part of every `scheme://` URL in it replaced by `***@`.
///
/// A URL's authority ends at `/`, `?`, `#`, whitespace, a quote or an escape character (clap
/// quotes values and colours them), so `'http://u:p@h'` and `http://u:p@h/x?a=b@c` both keep
/// everything but `u:p`.
pub fn urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || "/?#'\"`<>[]\u{1b}".contains(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_replaced_everywhere_in_a_text() {
        assert_eq!(
            urls("invalid value 'http://u:PW@h:9' for '--env <ENV>'"),
            "invalid value 'http://***@h:9' for '--env <ENV>'"
        );
        assert_eq!(
            urls("[env: CHINAUMS_ENV=https://a:b@h/p] and http://c@d"),
            "[env: CHINAUMS_ENV=https://***@h/p] and http://***@d"
        );
        assert_eq!(urls("x http://u:p@ss@h/ y"), "x http://***@h/ y");
        assert_eq!(
            urls("\u{1b}[33mhttp://u:p@h\u{1b}[0m"),
            "\u{1b}[33mhttp://***@h\u{1b}[0m"
        );
    }

    #[test]
    fn everything_else_is_kept() {
        for text in [
            "",
            "no url",
            "mail a@b",
            "http://h/p?x=a@b",
            "http://h:1/a@b#c@d",
            "ends with ://",
            "http://h\nuser@host",
        ] {
            assert_eq!(urls(text), text);
        }
    }
}
