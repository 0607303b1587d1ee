//! The sandbox under hostile or sloppy clients: HEAD answers, chunk framing, head and trailer
//! limits, and the configurable bounds on connections and buffered bodies. Limits are tested
//! with small configured values, never by measuring memory or time.
//!
//! HTTP parsing is hyper's: a head it cannot read is refused by hyper itself, with the status
//! alone (an empty body) and without reaching the gateway (so it is not counted); bodies it
//! cannot read are refused by the sandbox with a JSON `errCode`.

mod common;

use std::io::Write;

use chinaums_sandbox::{DEMO_PAID_ORDER, Sandbox};
use common::*;

/// A signed query sent with `chunked` framing: the head (up to its blank line) and the body.
fn chunked_query(sandbox: &Sandbox, version: &str) -> (String, Vec<u8>) {
    let request = signed_query(sandbox, DEMO_PAID_ORDER);
    let head = format!(
        "POST {PATH} {version}\r\nHost: x\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        request.headers()["authorization"].to_str().unwrap()
    );
    (head, request.body().clone())
}

/// Sends `bytes` on a new connection; the answer, after which the sandbox must have closed.
fn answered_then_closed(sandbox: &Sandbox, bytes: &[u8]) -> Raw {
    let mut conn = connect(sandbox);
    // The sandbox may answer and close before reading everything: a failed write is fine.
    let _ = conn.write_all(bytes);
    let raw = conn.read_response().unwrap();
    assert_eq!(raw.header("connection"), Some("close"), "{}", raw.status);
    assert!(conn.read_to_close().is_empty(), "{}", raw.status);
    raw
}

// ---------------------------------------------------------------------------------------
// Half-closed connections

/// A client that closes its writing half right after its request (as one-shot scripts do)
/// still gets its answer, also when the answer takes a while: the request is complete, so end
/// of input after it is no reason to drop it (hyper drops such a connection, answer pending,
/// unless `half_close(true)`; found by the `sandbox_wire` fuzz target).
#[test]
fn a_request_followed_by_a_half_close_is_answered() {
    let sandbox = Sandbox::start_demo().unwrap();
    // The answer is still being made when the end of input arrives.
    sandbox.set_fault(Some(chinaums_sandbox::Fault::Delay(
        std::time::Duration::from_millis(20),
    )));
    for attempt in 0..5 {
        let mut conn = connect(&sandbox);
        conn.write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
            .unwrap();
        conn.close_write();
        let raw = conn
            .read_response()
            .unwrap_or_else(|e| panic!("attempt {attempt}: no answer ({e})"));
        assert_eq!(raw.status, 200, "attempt {attempt}");
    }
}

// ---------------------------------------------------------------------------------------
// HEAD

#[test]
fn head_answers_carry_no_body() {
    let sandbox = Sandbox::start_demo().unwrap();
    let get = send_raw(&sandbox, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(get.status, 404);
    assert!(!get.body.is_empty());
    // Pipelined: if an answer carried a body, it would be read as the next one's head.
    let mut conn = connect(&sandbox);
    conn.write_all(
        b"HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n\
          HEAD /v1/netpay/query HTTP/1.1\r\nHost: x\r\n\r\n\
          HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n",
    )
    .unwrap();
    let unknown = conn.read_head_response().unwrap();
    // The same headers as for the GET, Content-Length included.
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.headers, get.headers);
    let head = conn.read_head_response().unwrap();
    assert_eq!(head.status, 405);
    assert_eq!(head.header("allow"), Some("POST"));
    assert_ne!(head.header("content-length"), Some("0"));
    // A framing error on a HEAD: refused without a body either.
    let refused = conn.read_head_response().unwrap();
    assert_eq!(refused.status, 400);
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(conn.read_to_close().is_empty(), "no body bytes follow");
}

// ---------------------------------------------------------------------------------------
// Chunk framing

#[test]
fn chunk_sizes_are_hex_digits_only() {
    let sandbox = Sandbox::start_demo().unwrap();
    let (head, body) = chunked_query(&sandbox, "HTTP/1.1");
    let with_size_line = |line: &str| {
        let mut bytes = head.clone().into_bytes();
        bytes.extend_from_slice(format!("{line}\r\n").as_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(b"\r\n0\r\n\r\n");
        bytes
    };
    let size = format!("{:x}", body.len());
    for good in [
        size.clone(),
        size.to_ascii_uppercase(),
        format!("00{size}"),
        format!("{size};ext=1"),
        format!("{size};a=\"quoted ; value\""),
        // RFC 9112 allows "bad whitespace" before the extension's `;`.
        format!("{size} ;ext"),
    ] {
        let raw = send_raw(&sandbox, &with_size_line(&good));
        assert_eq!(raw.err_code(), "SUCCESS", "{good:?}");
    }
    for bad in [
        format!("+{size}"),
        format!(" {size}"),
        format!("\t{size}"),
        format!("-{size}"),
        format!("0x{size}"),
        format!("{size}x"),
        ";ext".to_owned(),
    ] {
        let raw = answered_then_closed(&sandbox, &with_size_line(&bad));
        assert_eq!(raw.status, 400, "{bad:?}");
        assert_eq!(raw.err_code(), "BAD_REQUEST", "{bad:?}");
    }
    // hyper tolerates whitespace after the size and control bytes in an extension; the size
    // itself is still read strictly, so the body is framed as sent.
    for tolerated in [
        format!("{size} "),
        format!("{size}\t"),
        format!("{size};\x01"),
    ] {
        let raw = send_raw(&sandbox, &with_size_line(&tolerated));
        assert_eq!(raw.err_code(), "SUCCESS", "{tolerated:?}");
    }
}

#[test]
fn transfer_encoding_on_http_1_0_is_refused() {
    let sandbox = Sandbox::start_demo().unwrap();
    let (head, body) = chunked_query(&sandbox, "HTTP/1.0");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(b"\r\n0\r\n\r\n");
    let raw = answered_then_closed(&sandbox, &bytes);
    assert_eq!(raw.status, 400);
    assert!(raw.body.is_empty(), "refused by hyper, before the gateway");
    // Also with a Content-Length beside it, and for any coding.
    let raw = answered_then_closed(
        &sandbox,
        b"POST /v1/netpay/query HTTP/1.0\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(raw.status, 400);
    assert_eq!(
        sandbox.request_count(),
        0,
        "heads hyper refuses are not counted"
    );
    // The same request over HTTP/1.1 is fine.
    let (head, body) = chunked_query(&sandbox, "HTTP/1.1");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(send_raw(&sandbox, &bytes).err_code(), "SUCCESS");
}

/// A coding other than `chunked` cannot be framed: refused by hyper (it was a 501 before the
/// sandbox used hyper), and the connection closed.
#[test]
fn transfer_codings_other_than_chunked_are_refused() {
    let sandbox = Sandbox::start_demo().unwrap();
    for coding in ["gzip", "chunked, gzip", "identity"] {
        let raw = answered_then_closed(
            &sandbox,
            format!(
                "POST {PATH} HTTP/1.1\r\nTransfer-Encoding: {coding}\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(raw.status, 400, "{coding}");
    }
    assert_eq!(sandbox.request_count(), 0);
}

// ---------------------------------------------------------------------------------------
// Head and trailer limits

/// An unsigned POST whose head is `size` bytes long (padded with one header).
fn head_of_size(size: usize) -> Vec<u8> {
    let start = "POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 2\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = size - start.len() - end.len();
    let mut bytes = format!("{start}{}{end}", "a".repeat(pad)).into_bytes();
    assert_eq!(bytes.len(), size);
    bytes.extend_from_slice(b"{}");
    bytes
}

#[test]
fn a_head_over_64_kib_is_431_even_when_complete() {
    let sandbox = Sandbox::start_demo().unwrap();
    for size in [64 * 1024 + 1, 70_000, 80 * 1024, 200 * 1024] {
        let raw = answered_then_closed(&sandbox, &head_of_size(size));
        assert_eq!(raw.status, 431, "{size}");
        assert!(raw.body.is_empty(), "refused by hyper, before the gateway");
    }
    // Over 100 fields, however short.
    let mut many = b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 2\r\n".to_vec();
    many.extend_from_slice(&b"X: 1\r\n".repeat(100));
    many.extend_from_slice(b"\r\n{}");
    assert_eq!(answered_then_closed(&sandbox, &many).status, 431);
    assert_eq!(sandbox.request_count(), 0);
    // Exactly 64 KiB is read (and then fails authentication).
    let raw = send_raw(&sandbox, &head_of_size(64 * 1024));
    assert_eq!(raw.status, 401);
}

/// A chunked signed query whose last chunk is followed by `trailers`.
fn with_trailers(sandbox: &Sandbox, trailers: &str) -> Vec<u8> {
    let (head, body) = chunked_query(sandbox, "HTTP/1.1");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(format!("\r\n0\r\n{trailers}\r\n").as_bytes());
    bytes
}

#[test]
fn trailers_have_the_head_limits_of_their_own() {
    let sandbox = Sandbox::start_demo().unwrap();
    let raw = send_raw(&sandbox, &with_trailers(&sandbox, "T: 1\r\nU: 2\r\n"));
    assert_eq!(raw.err_code(), "SUCCESS");
    // 100 KB of trailer fields.
    let big = "T: ".to_owned() + &"v".repeat(1000) + "\r\n";
    let raw = answered_then_closed(&sandbox, &with_trailers(&sandbox, &big.repeat(100)));
    assert_eq!(raw.status, 431);
    assert_eq!(raw.err_code(), "HEADERS_TOO_LARGE");
    // One trailer line longer than the limit, its end not yet sent.
    let mut endless = with_trailers(&sandbox, "");
    endless.truncate(endless.len() - 2);
    endless.extend_from_slice(b"T: ");
    endless.extend(std::iter::repeat_n(b'v', 70 * 1024));
    let raw = answered_then_closed(&sandbox, &endless);
    assert_eq!(raw.status, 431);
    // Many small fields: more than the 100 a head may have.
    let raw = answered_then_closed(&sandbox, &with_trailers(&sandbox, &"T: 1\r\n".repeat(200)));
    assert_eq!(raw.status, 431);
    // A malformed trailer field.
    let raw = answered_then_closed(&sandbox, &with_trailers(&sandbox, "no colon\r\n"));
    assert_eq!(raw.status, 400);
}

// ---------------------------------------------------------------------------------------
// Connection and body limits

#[test]
fn connections_over_the_limit_get_503_and_are_closed() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .max_connections(2)
        .start()
        .unwrap();
    let mut first = connect(&sandbox);
    let mut second = connect(&sandbox);
    for conn in [&mut first, &mut second] {
        let raw = conn.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
        assert_eq!(raw.err_code(), "SUCCESS");
    }
    // Both are held open (keep-alive): a third is refused.
    let mut third = connect(&sandbox);
    let _ = third.write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)));
    let refused = third.read_response().unwrap();
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("connection"), Some("close"));
    assert_eq!(refused.err_code(), "SERVICE_UNAVAILABLE");
    assert!(third.read_to_close().is_empty());
    assert_eq!(
        sandbox.request_count(),
        2,
        "the refused request was not read"
    );
    assert_eq!(
        sandbox.connection_count(),
        3,
        "refused connections count as accepted"
    );
    // The held connections still work.
    let raw = first.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
    // Once one closes, a new connection is served (after the sandbox noticed the close).
    drop(second);
    let served = eventually(|| {
        let mut conn = connect(&sandbox);
        let bytes = request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER));
        conn.write_all(&bytes).is_ok() && conn.read_response().is_ok_and(|r| r.status == 200)
    });
    assert!(served, "the closed connection's slot was not freed");
}

#[test]
fn buffered_bodies_share_a_budget() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .max_buffered_body_bytes(1000)
        .start()
        .unwrap();
    // 800 bytes announced; the interim 100 Continue says the sandbox holds room for them.
    let mut holder = connect(&sandbox);
    holder
        .write_all(
            b"POST /v1/netpay/query HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 800\r\n\r\n",
        )
        .unwrap();
    assert_eq!(holder.read_message(false).unwrap().status, 100);
    // 300 more would exceed the budget: by Content-Length, or by chunks.
    let mut over = b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 300\r\n\r\n".to_vec();
    over.extend_from_slice(&[b' '; 300]);
    let raw = answered_then_closed(&sandbox, &over);
    assert_eq!(raw.status, 503);
    assert_eq!(raw.err_code(), "SERVICE_UNAVAILABLE");
    let mut chunked =
        b"POST /v1/netpay/query HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n".to_vec();
    chunked.extend_from_slice(&[b' '; 100]);
    chunked.extend_from_slice(b"\r\n12c\r\n");
    chunked.extend_from_slice(&[b' '; 300]);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let raw = answered_then_closed(&sandbox, &chunked);
    assert_eq!(raw.status, 503);
    // What still fits is read (and then fails authentication).
    let mut fits = b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 200\r\n\r\n".to_vec();
    fits.extend_from_slice(&[b' '; 200]);
    assert_eq!(send_raw(&sandbox, &fits).status, 401);
    // Once the held body is read and answered, its bytes are free again.
    holder.write_all(&[b' '; 800]).unwrap();
    assert_eq!(holder.read_response().unwrap().status, 401);
    assert_eq!(send_raw(&sandbox, &over).status, 401);
    // Ordinary traffic is unaffected: many requests in a row, more bytes than the budget.
    let mut conn = connect(&sandbox);
    for _ in 0..5 {
        let raw = conn.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
        assert_eq!(raw.err_code(), "SUCCESS");
    }
}

#[test]
fn the_body_cap_is_configurable() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .max_body_bytes(1000)
        .start()
        .unwrap();
    let raw = answered_then_closed(
        &sandbox,
        b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 1001\r\n\r\n",
    );
    assert_eq!(raw.status, 413);
    assert_eq!(raw.err_code(), "BODY_TOO_LARGE");
    let mut fits = b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 1000\r\n\r\n".to_vec();
    fits.extend_from_slice(&[b' '; 1000]);
    assert_eq!(send_raw(&sandbox, &fits).status, 401);
    assert_eq!(
        send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
}

#[test]
fn limits_are_checked_when_the_sandbox_starts() {
    assert!(Sandbox::builder().max_connections(0).start().is_err());
    // A budget smaller than the body cap is allowed: it caps bodies too.
    let sandbox = Sandbox::builder()
        .max_buffered_body_bytes(10)
        .start()
        .unwrap();
    let raw = answered_then_closed(
        &sandbox,
        b"POST /v1/netpay/query HTTP/1.1\r\nContent-Length: 11\r\n\r\n",
    );
    assert_eq!(raw.status, 413);
}
