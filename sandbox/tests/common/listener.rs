//! A merchant's notification endpoint for tests: an HTTP/1.1 server on 127.0.0.1 (hyper, so
//! requests are read by their framing, whatever the reads), on its own thread and runtime. It
//! answers each request from a script and hands every request it read to the test through a
//! channel, to wait for with a generous bound.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// How long a test waits for a request that should come: far above what any delivery takes.
pub const BOUND: Duration = Duration::from_secs(20);

/// What the listener answers to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// This status and body (`text/plain`).
    Answer(u16, &'static str),
    /// Never answers (the connection stays open until the listener stops).
    Hang,
}

/// `200 SUCCESS`: the acknowledgement.
pub const SUCCESS: Reply = Reply::Answer(200, "SUCCESS");

/// A request as the listener read it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// 0 for the first request the listener got, 1 for the second, …
    pub index: usize,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

pub struct Listener {
    addr: SocketAddr,
    requests: Mutex<Receiver<Received>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Answers the n-th request with `script[n]`, and every request after the script with its
    /// last entry.
    pub fn start(script: Vec<Reply>) -> Listener {
        assert!(!script.is_empty(), "a script of at least one answer");
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let script = Arc::new(script);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(listener, script, tx, stop_rx));
        });
        Listener {
            addr,
            requests: Mutex::new(rx),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next request, waiting up to [`BOUND`]; panics if none comes.
    pub fn next(&self) -> Received {
        self.requests
            .lock()
            .unwrap()
            .recv_timeout(BOUND)
            .unwrap_or_else(|e| panic!("no request reached the listener within {BOUND:?}: {e}"))
    }

    /// A request received already, if any (no wait).
    pub fn try_next(&self) -> Option<Received> {
        self.requests.lock().unwrap().try_recv().ok()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    script: Arc<Vec<Reply>>,
    requests: Sender<Received>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => continue,
            },
        };
        let (script, requests, count) = (Arc::clone(&script), requests.clone(), Arc::clone(&count));
        tokio::spawn(async move {
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let (script, requests, count) =
                    (Arc::clone(&script), requests.clone(), Arc::clone(&count));
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes().to_vec())
                        .unwrap_or_default();
                    let index = count.fetch_add(1, Ordering::SeqCst);
                    let _ = requests.send(Received {
                        method: parts.method.to_string(),
                        target: parts
                            .uri
                            .path_and_query()
                            .map_or("/", |p| p.as_str())
                            .to_owned(),
                        content_type: parts
                            .headers
                            .get(http::header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                        body,
                        index,
                    });
                    let reply = script
                        .get(index)
                        .or_else(|| script.last())
                        .cloned()
                        .unwrap_or(SUCCESS);
                    match reply {
                        Reply::Answer(status, text) => {
                            let mut response =
                                http::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
                            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            response.headers_mut().insert(
                                http::header::CONTENT_TYPE,
                                http::HeaderValue::from_static("text/plain"),
                            );
                            Ok::<_, Infallible>(response)
                        }
                        Reply::Hang => std::future::pending().await,
                    }
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}
