//! A `redis-server` of a test's own on 127.0.0.1 (Debian's package; `.ci/run` installs it), so
//! that the fleet test shares tokens through a real Redis. Stopped when dropped.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a started server may take to answer `PING`, looked at every `POLL`.
const START_LIMIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// A server on a free port, or `None` after printing `skipped: redis-server not installed`
    /// when there is none to run, outside CI. Under `CI=true` a missing server fails the test:
    /// there, these tests are mandatory.
    pub fn start_or_skip(test: &str) -> Option<RedisServer> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: redis-server is not installed, and CI=true makes this test mandatory \
                 (.ci/run installs it)"
            );
            println!("skipped: {test}: redis-server not installed (apt-get install redis-server)");
            return None;
        }
        for _ in 0..5 {
            let port = free_port();
            if let Some(server) = RedisServer::start_on(port) {
                return Some(server);
            }
        }
        panic!("{test}: redis-server did not start on any of 5 free ports");
    }

    /// A server on `port`, or `None` if it did not come up (the port was taken meanwhile).
    fn start_on(port: u16) -> Option<RedisServer> {
        let dir =
            std::env::temp_dir().join(format!("chinaums-e2e-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for redis-server");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
        };
        server.spawn().then_some(server)
    }

    /// Starts the server again on the same port after [`RedisServer::stop`], empty.
    pub fn restart(&mut self) {
        self.stop();
        assert!(self.spawn(), "redis-server restarts on port {}", self.port);
    }

    /// Starts `redis-server` on this port and waits until it answers.
    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        self.wait_until_up()
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server and waits for it to be gone; its port refuses connections after this.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_until_up(&mut self) -> bool {
        // Counted polls rather than a clock: the project reads time only through a `Clock`.
        for _ in 0..START_LIMIT.as_millis() / POLL.as_millis() {
            if let Some(child) = &mut self.child {
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                    return false; // exited: the port was taken
                }
            }
            if ping(self.port) {
                return true;
            }
            std::thread::sleep(POLL);
        }
        self.stop();
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `PING` answered with `+PONG` (read up to the line's end, however the bytes arrive).
fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line == "+PONG\r\n"
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    listener.local_addr().expect("its address").port()
}
