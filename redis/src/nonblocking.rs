//! One async connection: async-io sockets, futures-rustls over them. No deadline here: the
//! store races each whole operation against an async-io timer.

use std::io::{self, Read};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Instant;

use async_io::Async;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use redis::Value;
use rustls::pki_types::ServerName;

use crate::resp::{self, Command, MAX_REPLY_BYTES};
use crate::target::Address;
use crate::{Settings, now};

enum Stream {
    Tcp(Async<TcpStream>),
    Tls(Box<futures_rustls::client::TlsStream<Async<TcpStream>>>),
    #[cfg(unix)]
    Unix(Async<UnixStream>),
}

impl Stream {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(bytes).await,
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                // rustls holds the records until flushed.
                s.flush().await
            }
            #[cfg(unix)]
            Stream::Unix(s) => s.write_all(bytes).await,
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf).await,
        }
    }

    /// As in the blocking connection: an idle socket must have nothing to read. async-io's
    /// sockets are non-blocking already, so a plain read answers at once.
    fn idle_and_open(&self) -> bool {
        let outcome = match self {
            Stream::Tcp(s) => s.get_ref().read(&mut [0; 1]),
            Stream::Tls(s) => s.get_ref().0.get_ref().read(&mut [0; 1]),
            #[cfg(unix)]
            Stream::Unix(s) => s.get_ref().read(&mut [0; 1]),
        };
        matches!(outcome, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// An open, authenticated connection (see the blocking one).
pub(crate) struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pub(crate) idle_since: Instant,
}

impl Conn {
    /// Connects, completes TLS, authenticates and selects the database. Unbounded by itself:
    /// the caller races it against the connect timeout (dropping it closes the socket).
    pub(crate) async fn open(settings: &Settings) -> Result<Conn, String> {
        let stream = match &settings.target.address {
            Address::Tcp { host, port, tls } => {
                let tcp = connect_tcp(host, *port).await?;
                match (tls, &settings.tls) {
                    (true, Some(config)) => {
                        let name = ServerName::try_from(host.clone()).map_err(|e| {
                            format!("TLS: the host is not a valid server name: {e}")
                        })?;
                        let tls = futures_rustls::TlsConnector::from(Arc::clone(config))
                            .connect(name, tcp)
                            .await
                            .map_err(|e| format!("TLS handshake failed: {e}"))?;
                        Stream::Tls(Box::new(tls))
                    }
                    _ => Stream::Tcp(tcp),
                }
            }
            #[cfg(unix)]
            Address::Unix(path) => Stream::Unix(
                Async::<UnixStream>::connect(path)
                    .await
                    .map_err(|e| format!("cannot connect to the socket: {e}"))?,
            ),
            #[cfg(not(unix))]
            Address::Unix(_) => return Err("Unix sockets need a Unix system".into()),
        };
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
            idle_since: now(),
        };
        for (command, purpose) in resp::handshake(&settings.target) {
            let reply = conn.roundtrip(&command).await?;
            resp::ok(command.name, reply).map_err(|e| format!("{e} (while {purpose})"))?;
        }
        Ok(conn)
    }

    /// Sends `command` and reads its reply (see the blocking one). Unbounded by itself.
    pub(crate) async fn roundtrip(&mut self, command: &Command) -> Result<Value, String> {
        let failed =
            |what: &str, e: io::Error| format!("{} failed while {what}: {e}", command.name);
        self.stream
            .write_all(&command.bytes)
            .await
            .map_err(|e| failed("sending", e))?;
        let mut chunk = [0; 4096];
        loop {
            if let Some(len) = resp::frame_len(&self.buf)? {
                let value = resp::parse(&self.buf[..len]);
                self.buf.drain(..len);
                return value;
            }
            if self.buf.len() > MAX_REPLY_BYTES {
                return Err(format!("the reply to {} is too large", command.name));
            }
            match self.stream.read(&mut chunk).await {
                Ok(0) => {
                    return Err(format!(
                        "the server closed the connection during {}",
                        command.name
                    ));
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(failed("reading the reply", e)),
            }
        }
    }

    /// Whether this connection may serve another operation.
    pub(crate) fn reusable(&self) -> bool {
        self.buf.is_empty() && self.stream.idle_and_open()
    }
}

/// Looks the host up (async-net: on the `blocking` pool, not on the executor; an IP address
/// needs no lookup) and tries each address in turn.
async fn connect_tcp(host: &str, port: u16) -> Result<Async<TcpStream>, String> {
    let addresses = async_net::resolve((host, port))
        .await
        .map_err(|e| format!("cannot resolve the host: {e}"))?;
    let mut last = "the host has no address".to_owned();
    for address in addresses {
        match Async::<TcpStream>::connect(address).await {
            Ok(tcp) => {
                let _ = tcp.get_ref().set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = format!("cannot connect: {e}"),
        }
    }
    Err(last)
}
