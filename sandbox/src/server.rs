//! The server: a background thread with a current-thread tokio runtime, an accept loop, and
//! one task per connection that reads requests, answers them and applies faults.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::Fault;
use crate::gateway::{Route, framing_error};
use crate::http::{Conn, ReadError, Response};
use crate::state::Shared;
use crate::tls::Identity;

/// A started server; [`Running::stop`] ends it.
pub(crate) struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, drops every connection, and waits for the thread to end.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds 127.0.0.1:`port` and serves on a new thread.
pub(crate) fn start(shared: Arc<Shared>, port: u16, tls: Option<Identity>) -> io::Result<Running> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
    let thread = std::thread::Builder::new()
        .name(format!("chinaums-sandbox-{}", addr.port()))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                accept_loop(listener, shared, tls.map(|t| t.acceptor), stop_rx).await;
            });
            // Dropping the runtime here drops every connection task and closes its socket.
            drop(runtime);
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Running {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(io::Error::other("the sandbox thread ended before serving"))
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    // One permit per connection being served; a task holds its permit until it ends.
    let slots = Arc::new(Semaphore::new(
        shared.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, _peer) = match accepted {
            Ok(pair) => pair,
            Err(_) => {
                // E.g. too many open files: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = tcp.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let permit = Arc::clone(&slots).try_acquire_owned().ok();
        match &tls {
            None => {
                tokio::spawn(serve_or_refuse(
                    Conn::new(tcp, Arc::clone(&shared.limits)),
                    shared,
                    permit,
                ));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
                    if let Ok(Ok(stream)) = handshake {
                        let conn = Conn::new(stream, Arc::clone(&shared.limits));
                        serve_or_refuse(conn, shared, permit).await;
                    }
                });
            }
        }
    }
}

/// Serves the connection if it got a slot; else answers 503 without reading a request (the
/// client sees an answer, not a hang or a reset) and closes it.
async fn serve_or_refuse<S: AsyncRead + AsyncWrite + Unpin>(
    mut conn: Conn<S>,
    shared: Arc<Shared>,
    permit: Option<OwnedSemaphorePermit>,
) {
    match permit {
        Some(_permit) => serve(conn, shared).await,
        None => {
            let why = format!(
                "the sandbox serves at most {} connections at once; try again",
                shared.max_connections
            );
            refuse(&mut conn, &shared, "-", "-", 503, &why, false).await;
        }
    }
}

/// Serves requests on one connection until it closes or must be closed.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut conn: Conn<S>, shared: Arc<Shared>) {
    loop {
        let head = match conn.read_head().await {
            Ok(Some(head)) => head,
            Ok(None) | Err(ReadError::Closed) => return,
            Err(ReadError::Reject(status, why)) => {
                refuse(&mut conn, &shared, "-", "-", status, &why, false).await;
                return;
            }
        };
        let route = Route::of(&head.path);
        let token_endpoint = route == Route::Token;
        if !token_endpoint {
            shared.requests.fetch_add(1, Ordering::SeqCst);
        }
        let head_only = head.is_head();
        let body = match conn.read_body(&head).await {
            Ok(body) => body,
            Err(ReadError::Closed) => return,
            Err(ReadError::Reject(status, why)) => {
                let (method, path) = (&head.method, &head.path);
                refuse(&mut conn, &shared, method, path, status, &why, head_only).await;
                return;
            }
        };
        let fault = shared.take_fault(token_endpoint);
        if let Some(Fault::Delay(d)) = &fault {
            tokio::time::sleep(*d).await;
        }
        let keep_alive = head.keep_alive();
        let response = shared.handle(&head, route, &body.bytes);
        // The body is no longer needed: give its bytes back to the budget before writing.
        drop(body);
        if shared.log_requests {
            log(&head.method, &head.path, &response, fault.as_ref());
        }
        let written = match fault {
            None | Some(Fault::Delay(_)) => {
                write(&mut conn, &response, keep_alive, head_only).await
            }
            Some(Fault::DropConnection) => return,
            Some(Fault::InternalServerError) => {
                let r = Response {
                    status: 500,
                    content_type: "text/plain",
                    headers: Vec::new(),
                    body: b"Internal Server Error".to_vec(),
                };
                write(&mut conn, &r, keep_alive, head_only).await
            }
            Some(Fault::Garbage) => {
                let r = Response::json(
                    200,
                    b"<html><body><h1>502 Bad Gateway</h1>not JSON</body></html>".to_vec(),
                );
                write(&mut conn, &r, keep_alive, head_only).await
            }
            Some(Fault::TruncatedJson) => {
                let mut r = as_ok(response);
                let half = char_floor(&r.body, r.body.len() / 2);
                r.body.truncate(half);
                write(&mut conn, &r, keep_alive, head_only).await
            }
            Some(Fault::CutConnectionMidBody) => {
                let r = as_ok(response);
                let half = r.body.len() / 2;
                let mut bytes = r.head_bytes(false);
                if !head_only {
                    bytes.extend_from_slice(&r.body[..half]);
                }
                let _ = conn.io.write_all(&bytes).await;
                let _ = conn.io.flush().await;
                // Dropping the stream closes the socket (for TLS: without close_notify).
                return;
            }
            Some(Fault::HugeBody(size)) => {
                let r = pad(as_ok(response), size);
                write(&mut conn, &r, keep_alive, head_only).await
            }
        };
        if written.is_err() {
            return;
        }
        if !keep_alive {
            let _ = conn.io.shutdown().await;
            return;
        }
    }
}

/// Answers a request that could not be read (or a connection over the limit), then closes
/// the connection gracefully.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    shared: &Shared,
    method: &str,
    path: &str,
    status: u16,
    why: &str,
    head_only: bool,
) {
    let response = framing_error(status, why);
    if shared.log_requests {
        log(method, path, &response, None);
    }
    if write(conn, &response, false, head_only).await.is_ok() {
        conn.linger().await;
    }
}

/// Writes `response`; for a `HEAD` (`head_only`), its head alone, `Content-Length` and all.
async fn write<S: AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    response: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut bytes = response.head_bytes(keep_alive);
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    conn.io.write_all(&bytes).await?;
    conn.io.flush().await
}

/// The response as an HTTP 200 (faults that mangle the body always say 200).
fn as_ok(mut response: Response) -> Response {
    response.status = 200;
    response.headers.clear();
    response
}

/// The largest index ≤ `at` that does not split a UTF-8 sequence.
fn char_floor(body: &[u8], at: usize) -> usize {
    let mut i = at.min(body.len());
    while i > 0 && i < body.len() && (body[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// The JSON object in `response` grown to about `size` bytes with a `"padding"` field.
fn pad(mut response: Response, size: usize) -> Response {
    let body = &mut response.body;
    if body.last() != Some(&b'}') || body.len() < 2 {
        *body = b"{}".to_vec();
    }
    let comma = body.len() > 2;
    // `,"padding":""` is 13 bytes (12 without the comma).
    let needed = size.saturating_sub(body.len() + 12 + usize::from(comma));
    body.pop();
    if comma {
        body.push(b',');
    }
    body.extend_from_slice(b"\"padding\":\"");
    body.extend(std::iter::repeat_n(b'x', needed));
    body.extend_from_slice(b"\"}");
    response
}

fn log(method: &str, path: &str, response: &Response, fault: Option<&Fault>) {
    let code = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("errCode").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_default();
    match fault {
        Some(fault) => eprintln!(
            "{method} {path} -> {} {code} (fault: {fault:?})",
            response.status
        ),
        None => eprintln!("{method} {path} -> {} {code}", response.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_keeps_json_valid_and_reaches_the_size() {
        let r = pad(
            Response::json(200, br#"{"errCode":"SUCCESS"}"#.to_vec()),
            5000,
        );
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["errCode"], "SUCCESS");
        assert_eq!(r.body.len(), 5000);
        let r = pad(Response::json(200, b"{}".to_vec()), 100);
        assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
        assert_eq!(r.body.len(), 100);
        // Smaller than the answer: the answer stays whole, with an empty padding.
        let r = pad(Response::json(200, br#"{"a":1}"#.to_vec()), 1);
        assert_eq!(r.body, br#"{"a":1,"padding":""}"#);
    }

    #[test]
    fn cuts_on_char_boundaries() {
        let s = "ab订单".as_bytes();
        assert_eq!(char_floor(s, 3), 2);
        assert_eq!(char_floor(s, 5), 5);
        assert_eq!(char_floor(s, 100), s.len());
        assert_eq!(char_floor(s, 0), 0);
    }
}
