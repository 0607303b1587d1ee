//! One blocking connection: std sockets with a deadline on every read and write, TLS with
//! rustls over them.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::resp::{self, Command, MAX_REPLY_BYTES};
use crate::target::Address;
use crate::{Settings, now};

enum Stream {
    Tcp(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Stream {
    fn set_timeouts(&self, limit: Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => set_tcp_timeouts(s, limit),
            Stream::Tls(s) => set_tcp_timeouts(&s.sock, limit),
            #[cfg(unix)]
            Stream::Unix(s) => {
                s.set_read_timeout(Some(limit))?;
                s.set_write_timeout(Some(limit))
            }
        }
    }

    /// Whether an idle connection is still usable: its socket has nothing to read (a closed
    /// connection reads as end of file, and an idle one should have received nothing). Whatever
    /// is read here is lost, but then the connection is dropped anyway.
    fn idle_and_open(&self) -> bool {
        fn probe(
            set_nonblocking: impl Fn(bool) -> io::Result<()>,
            read: impl FnOnce(&mut [u8]) -> io::Result<usize>,
        ) -> bool {
            if set_nonblocking(true).is_err() {
                return false;
            }
            let outcome = read(&mut [0; 1]);
            set_nonblocking(false).is_ok()
                && matches!(outcome, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
        }
        match self {
            Stream::Tcp(s) => probe(|on| s.set_nonblocking(on), |b| (&*s).read(b)),
            Stream::Tls(s) => probe(|on| s.sock.set_nonblocking(on), |b| (&s.sock).read(b)),
            #[cfg(unix)]
            Stream::Unix(s) => probe(|on| s.set_nonblocking(on), |b| (&*s).read(b)),
        }
    }
}

fn set_tcp_timeouts(s: &TcpStream, limit: Duration) -> io::Result<()> {
    s.set_read_timeout(Some(limit))?;
    s.set_write_timeout(Some(limit))
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// An open, authenticated connection and the bytes read past the last reply (none, unless the
/// server misbehaves).
pub(crate) struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pub(crate) idle_since: Instant,
}

impl Conn {
    /// Connects, completes TLS, authenticates and selects the database, all by `deadline`.
    pub(crate) fn open(settings: &Settings, deadline: Instant) -> Result<Conn, String> {
        let stream = match &settings.target.address {
            Address::Tcp { host, port, tls } => {
                let tcp = connect_tcp(host, *port, deadline)?;
                match (tls, &settings.tls) {
                    (true, Some(config)) => tls_handshake(tcp, host, config.clone(), deadline)?,
                    _ => Stream::Tcp(tcp),
                }
            }
            #[cfg(unix)]
            Address::Unix(path) => Stream::Unix(
                UnixStream::connect(path)
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
            let reply = conn.roundtrip(&command, deadline)?;
            resp::ok(command.name, reply).map_err(|e| format!("{e} (while {purpose})"))?;
        }
        Ok(conn)
    }

    /// Sends `command` and reads its reply by `deadline`. A `Value::ServerError` is a reply
    /// like any other; an `Err` means the connection is no longer usable.
    pub(crate) fn roundtrip(
        &mut self,
        command: &Command,
        deadline: Instant,
    ) -> Result<Value, String> {
        let failed = |what: &str, e: io::Error| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!("{} timed out", command.name)
            }
            _ => format!("{} failed while {what}: {e}", command.name),
        };
        let limit = remaining(deadline).ok_or_else(|| format!("{} timed out", command.name))?;
        self.stream
            .set_timeouts(limit)
            .map_err(|e| failed("setting timeouts", e))?;
        self.stream
            .write_all(&command.bytes)
            .and_then(|()| self.stream.flush())
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
            let limit = remaining(deadline).ok_or_else(|| format!("{} timed out", command.name))?;
            self.stream
                .set_timeouts(limit)
                .map_err(|e| failed("setting timeouts", e))?;
            match self.stream.read(&mut chunk) {
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

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(now())
        .filter(|d| !d.is_zero())
}

/// Tries each address of `host` in turn, each within what is left of the deadline. The name is
/// looked up with the system resolver first (not bounded by the deadline: no portable blocking
/// API bounds it; an IP address needs no lookup).
fn connect_tcp(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, String> {
    let addresses = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve the host: {e}"))?;
    let mut last = "the host has no address".to_owned();
    for address in addresses {
        let Some(limit) = remaining(deadline) else {
            return Err("connecting timed out".into());
        };
        match TcpStream::connect_timeout(&address, limit) {
            Ok(tcp) => {
                // A store command is one small write followed by a read: no Nagle delay.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => last = "connecting timed out".into(),
            Err(e) => last = format!("cannot connect: {e}"),
        }
    }
    Err(last)
}

fn tls_handshake(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    deadline: Instant,
) -> Result<Stream, String> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| format!("TLS: the host is not a valid server name: {e}"))?;
    let mut tls = ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
    let mut tcp = tcp;
    while tls.is_handshaking() {
        let limit = remaining(deadline).ok_or("TLS handshake timed out")?;
        set_tcp_timeouts(&tcp, limit).map_err(|e| format!("TLS: {e}"))?;
        match tls.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err("TLS handshake timed out".into());
            }
            Err(e) => return Err(format!("TLS handshake failed: {e}")),
        }
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(tls, tcp))))
}
