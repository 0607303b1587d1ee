//! A real `redis-server` for the integration tests: started by the test itself on 127.0.0.1
//! with a free port, in a temporary directory, with no persistence, and killed on drop.
#![allow(dead_code)] // each test file uses a part of this

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use chinaums::{AccessToken, Lease, StoredToken};

/// How long a server may take to answer PING after it was started (a loaded CI machine).
const READY_WITHIN: Duration = Duration::from_secs(30);

/// What the test server should offer besides plain TCP.
#[derive(Default, Clone)]
pub struct Options {
    /// `--requirepass`.
    pub password: Option<String>,
    /// `--tls-port` with these PEM files (cert, key, CA), besides the plain port.
    pub tls: Option<(PathBuf, PathBuf, PathBuf)>,
    /// `--unixsocket` in the server's directory.
    pub unix_socket: bool,
}

pub struct RedisServer {
    child: Option<Child>,
    /// The plain TCP port (always open: the tests' own commands go through it).
    pub port: u16,
    /// The TLS port, with `Options::tls`.
    pub tls_port: Option<u16>,
    options: Options,
    dir: tempfile::TempDir,
}

/// A started server, or `None` (after printing `skipped: …`) when `redis-server` is not
/// installed. With `CI=true` a missing server fails the test instead: CI must run these.
pub fn redis_server(options: Options) -> Option<RedisServer> {
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("redis-server is not installed (CI=true): run redis/ci/install-redis.sh");
        }
        println!("skipped: redis-server not installed");
        return None;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut server = RedisServer {
        child: None,
        port: 0,
        tls_port: None,
        options,
        dir,
    };
    // A port picked by binding port 0 is free only until released: another process may take
    // it before redis-server binds it. Then redis-server exits, and a new port is tried.
    let mut failures = Vec::new();
    for _ in 0..10 {
        server.port = free_port();
        server.tls_port = server.options.tls.as_ref().map(|_| free_port());
        match server.spawn() {
            Ok(()) => return Some(server),
            Err(why) => failures.push(why),
        }
    }
    panic!("redis-server did not start: {failures:#?}");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

impl RedisServer {
    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts redis-server on `self.port` and waits (with a deadline) until it answers PING.
    fn spawn(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path());
        if let Some(password) = &self.options.password {
            command.args(["--requirepass", password]);
        }
        if let (Some((cert, key, ca)), Some(tls_port)) = (&self.options.tls, self.tls_port) {
            command
                .args(["--tls-port", &tls_port.to_string()])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key)
                .arg("--tls-ca-cert-file")
                .arg(ca)
                .args(["--tls-auth-clients", "no"]);
        }
        if self.options.unix_socket {
            command
                .arg("--unixsocket")
                .arg(self.socket_path())
                .args(["--unixsocketperm", "700"]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        self.child = Some(child);
        let deadline = now() + READY_WITHIN;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "redis-server exited ({status}) on port {}: {}",
                    self.port,
                    self.log()
                ));
            }
            if self.answers_ping() {
                return Ok(());
            }
            if now() > deadline {
                self.stop();
                return Err(format!(
                    "redis-server did not answer PING within {READY_WITHIN:?}: {}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
        if tcp.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0; 7];
        // "+PONG\r\n", or "-NOAUTH…" with a password: either way it is serving.
        tcp.read_exact(&mut reply[..5]).is_ok()
            && (reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAU"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Kills the server and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port(s), retrying while the port is taken.
    pub fn restart(&mut self) {
        let deadline = now() + READY_WITHIN;
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(why) if now() > deadline => panic!("no restart: {why}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// `redis://127.0.0.1:<port>` (no password, db 0).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A command of the test's own, over a fresh connection (authenticated if needed).
    pub fn command(&self, args: &[&str]) -> redis::Value {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis-server");
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut writer = tcp.try_clone().unwrap();
        let mut reader = BufReader::new(tcp);
        let mut parser = redis::Parser::new();
        let mut send = |parts: &[&str]| {
            let mut cmd = redis::cmd(parts[0]);
            for part in &parts[1..] {
                cmd.arg(*part);
            }
            writer.write_all(&cmd.get_packed_command()).unwrap();
            parser.parse_value(&mut reader).expect("a reply")
        };
        if let Some(password) = &self.options.password {
            assert_eq!(send(&["AUTH", password]), redis::Value::Okay);
        }
        send(args)
    }

    /// `GET key` as text, `None` for nil.
    pub fn get(&self, key: &str) -> Option<String> {
        match self.command(&["GET", key]) {
            redis::Value::Nil => None,
            redis::Value::BulkString(bytes) => Some(String::from_utf8(bytes).unwrap()),
            other => panic!("GET {key}: {other:?}"),
        }
    }

    /// An integer reply (`PTTL`, `PEXPIRETIME`, `EXISTS`…).
    pub fn int(&self, args: &[&str]) -> i64 {
        match self.command(args) {
            redis::Value::Int(n) => n,
            other => panic!("{args:?}: {other:?}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The tests' wall clock: tokens must expire in the future, or Redis drops them at once.
#[allow(clippy::disallowed_methods)]
pub fn wall_clock() -> SystemTime {
    SystemTime::now()
}

/// The tests' monotonic clock, for deadlines only (no test asserts a duration).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// Waits until `condition` holds, failing after a generous deadline.
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = now() + Duration::from_secs(30);
    while !condition() {
        assert!(now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A token issued now that expires in `secs` seconds (whole milliseconds, as stored).
pub fn token(value: &str, secs: u64) -> StoredToken {
    let issued_at = whole_millis(wall_clock());
    StoredToken {
        access_token: AccessToken::new(value),
        issued_at,
        expires_at: issued_at + Duration::from_secs(secs),
    }
}

pub fn whole_millis(at: SystemTime) -> SystemTime {
    let since = at.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_millis(since.as_millis() as u64)
}

pub fn unix_millis(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn lease(owner: &str) -> Lease {
    Lease {
        owner: owner.into(),
        ttl: Duration::from_secs(60),
    }
}
