//! The pages' HTML: one plain layout, and the escaping every value goes through.
//!
//! Escaping is these few lines rather than a crate: the pages put values only in element text
//! and in double-quoted attribute values, where escaping `& < > " '` is all that is needed.

use chinaums::Fen;
use http::{HeaderValue, StatusCode, header};

use crate::endpoints::{Reply, reply};

/// `s` safe in element text and in a quoted attribute value.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An amount for people: `¥12.34`.
pub(crate) fn yuan(fen: Fen) -> String {
    format!("¥{fen}")
}

/// A whole page: `title` (plain text, escaped here) and `body` (HTML whose values were
/// escaped by the caller). No script, no external resource; not cached.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Reply {
    let title = escape(title);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>{title}</title><style>\
         body{{font-family:sans-serif;max-width:48em;margin:2em auto;padding:0 1em}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}}\
         button{{font-size:1.1em;margin:.3em .3em 0 0}}.note{{color:#666;font-size:.9em}}\
         </style></head><body><p class=\"note\">chinaums-sandbox: a local emulator, no real money moves</p>\
         <h1>{title}</h1>\n{body}\n</body></html>\n"
    );
    let mut r = reply(status, "text/html; charset=utf-8", html.into_bytes());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_reads_as_markup() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
        assert_eq!(escape("咖啡 plain"), "咖啡 plain");
        assert_eq!(yuan(Fen(1234)), "¥12.34");
    }

    #[test]
    fn a_page_escapes_its_title_and_is_not_cached() {
        let r = page(StatusCode::OK, "<b>", "<p>x</p>");
        let body = String::from_utf8(r.body().clone()).unwrap();
        assert!(body.contains("<title>&lt;b&gt;</title>"));
        assert!(body.contains("<p>x</p>"));
        assert!(!body.contains("<script"));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
