//! `chinaums listen` as a child process: notifications POSTed to it are verified, told in one
//! line, forwarded byte for byte to a recording app (a small hyper server of the test's own,
//! which reads requests by their HTTP framing) and answered with the app's answer; and end to
//! end, the sandbox's own deliveries of a paid order (acknowledged, or retried while the app
//! fails).
//!
//! Every wait is bounded (a hang fails the test); no time is measured.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chinaums::notify::{self, Fields, NotifyKey, SignType};
use chinaums_sandbox::{DEMO_MID, DEMO_NOTIFY_KEY, DEMO_TID, NOTIFY_CONTENT_TYPE, Sandbox};
use common::{chinaums, free_port, no_panic};
use predicates::prelude::*;

const KEY: &str = "cli-listen-test-key-51c2";
const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";
/// The longest any single wait may last before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// One request the recording app received.
#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The merchant's app, played by a hyper server on 127.0.0.1: records every request and
/// answers each with the next of its scripted answers (then `200 SUCCESS`). Stopped on drop.
struct App {
    url: String,
    seen: Arc<(Mutex<Vec<Recorded>>, Condvar)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl App {
    fn start(answers: &[(u16, &'static str)]) -> App {
        use http_body_util::{BodyExt, Full};
        use hyper::body::Bytes;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let seen = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let answers = Arc::new(Mutex::new(answers.iter().copied().collect::<VecDeque<_>>()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let recorded = Arc::clone(&seen);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let listener = {
                let _context = runtime.enter();
                tokio::net::TcpListener::from_std(listener).unwrap()
            };
            runtime.spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (seen, answers) = (Arc::clone(&recorded), Arc::clone(&answers));
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(
                            move |request: hyper::Request<hyper::body::Incoming>| {
                                let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
                                async move {
                                    let method = request.method().to_string();
                                    let path = request.uri().to_string();
                                    let content_type =
                                        request.headers().get(hyper::header::CONTENT_TYPE).map(
                                            |v| String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                        );
                                    let body = request.into_body().collect().await?.to_bytes();
                                    let (status, text) = answers
                                        .lock()
                                        .unwrap()
                                        .pop_front()
                                        .unwrap_or((200, "SUCCESS"));
                                    let (list, added) = &*seen;
                                    list.lock().unwrap().push(Recorded {
                                        method,
                                        path,
                                        content_type,
                                        body: body.to_vec(),
                                    });
                                    added.notify_all();
                                    let mut response = hyper::Response::new(Full::new(
                                        Bytes::from_static(text.as_bytes()),
                                    ));
                                    *response.status_mut() =
                                        hyper::StatusCode::from_u16(status).unwrap();
                                    Ok::<_, hyper::Error>(response)
                                }
                            },
                        );
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            let _ = runtime.block_on(stopped);
        });
        App {
            url,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Waits until it has received `n` requests, and returns them all.
    fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let (list, added) = &*self.seen;
        let (list, timeout) = added
            .wait_timeout_while(list.lock().unwrap(), PATIENCE, |l| l.len() < n)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{} of {n} requests: {list:?}",
            list.len()
        );
        list.clone()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `chinaums listen` as a child process, its stdout read line by line on a thread; killed (by
/// its own id) when dropped if it still runs.
struct Listener {
    child: Child,
    /// The notifyUrl it printed first.
    url: String,
    banner: Vec<String>,
    lines: Receiver<String>,
}

impl Listener {
    fn start(args: &[&str], key: Option<&str>) -> Listener {
        let env: Vec<(String, String)> = key
            .map(|key| ("CHINAUMS_NOTIFY_KEY".to_owned(), key.to_owned()))
            .into_iter()
            .collect();
        Listener::start_with(args, &env)
    }

    fn start_with<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(String, String)]) -> Listener {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chinaums"));
        for var in common::VARS {
            command.env_remove(var);
        }
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .arg("listen")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut listener = Listener {
            child,
            url: String::new(),
            banner: Vec::new(),
            lines,
        };
        loop {
            let line = listener.next_line();
            let done = line == "Ctrl-C to stop.";
            listener.banner.push(line);
            if done {
                break;
            }
        }
        listener.url = listener.banner[0]
            .strip_prefix("chinaums listen on ")
            .unwrap_or_else(|| panic!("no URL in {:?}", listener.banner))
            .to_owned();
        listener
    }

    /// The next line it prints (bounded wait).
    fn next_line(&self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("no line from chinaums listen"),
            Err(RecvTimeoutError::Disconnected) => panic!("chinaums listen stopped"),
        }
    }

    /// Ctrl-C, and its exit status and stderr.
    #[cfg(unix)]
    fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                self.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                return (status, stderr);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("chinaums listen did not stop on SIGINT");
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// POSTs `body` to `url` as a notifier would; the answer's status and body.
fn post(url: &str, body: &[u8], content_type: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into();
    let mut request = agent.post(url);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn payment(key: &str, notify_id: &str) -> (Fields, Vec<u8>) {
    let fields: Fields = [
        ("mid", DEMO_MID),
        ("merOrderId", "3194LISTEN0001"),
        ("status", "TRADE_SUCCESS"),
        ("totalAmount", "1250"),
        ("notifyId", notify_id),
        ("signType", "SHA256"),
        ("Qx", "abcd"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let sign = notify::sign(&fields, &NotifyKey::new(key), SignType::Sha256);
    let body = format!("{}&sign={sign}", notify::encode_form(&fields));
    (fields, body.into_bytes())
}

fn sign_of(body: &[u8]) -> String {
    let text = String::from_utf8(body.to_vec()).unwrap();
    text.rsplit_once("sign=").unwrap().1.to_owned()
}

#[test]
fn without_an_app_it_answers_by_the_verdict() {
    let listener = Listener::start(&["--port", "0"], Some(KEY));
    assert!(
        listener.url.starts_with("http://127.0.0.1:") && listener.url.ends_with("/notify"),
        "{}",
        listener.url
    );
    assert!(
        listener
            .banner
            .iter()
            .any(|l| l.contains("verifying with the key in $CHINAUMS_NOTIFY_KEY")),
        "{:?}",
        listener.banner
    );
    let (_, body) = payment(KEY, "n-verified");
    assert_eq!(
        post(&listener.url, &body, Some(FORM)),
        (200, "SUCCESS".to_owned())
    );
    let line = listener.next_line();
    let (time, rest) = line.split_at(19);
    assert!(
        time.len() == 19 && time.as_bytes()[4] == b'-' && time.as_bytes()[13] == b':',
        "{line}"
    );
    assert_eq!(
        rest,
        "  notifyId=n-verified  merOrderId=3194LISTEN0001  state=paid (TRADE_SUCCESS)  \
         amount=12.50 yuan (1250 fen)  verified (SHA256)  answered SUCCESS"
    );
    assert!(!line.contains(&sign_of(&body)) && !line.contains(KEY));

    // Changed after signing: refused, the claimed ids told, the reason given.
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("totalAmount=1250", "totalAmount=1")
        .replace("n-verified", "n-tampered");
    assert_eq!(
        post(&listener.url, tampered.as_bytes(), Some(FORM)),
        (200, "FAILED".to_owned())
    );
    let line = listener.next_line();
    assert!(
        line.ends_with(
            "  notifyId=n-tampered  merOrderId=3194LISTEN0001  NOT VERIFIED: signature \
             mismatch  answered FAILED"
        ),
        "{line}"
    );
    // Another key's notification, a body without sign, one with a field twice.
    let (_, other) = payment("another-key", "n-other");
    assert_eq!(post(&listener.url, &other, None).1, "FAILED");
    assert!(
        listener
            .next_line()
            .contains("NOT VERIFIED: signature mismatch")
    );
    assert_eq!(post(&listener.url, b"a=1&b=2", None).1, "FAILED");
    assert!(listener.next_line().contains("NOT VERIFIED: no sign"));
    assert_eq!(post(&listener.url, b"a=1&a=2&sign=00", None).1, "FAILED");
    assert!(
        listener
            .next_line()
            .contains("NOT VERIFIED: duplicate field a")
    );
    // Any path is the notifyUrl; anything but POST is refused.
    let elsewhere = listener.url.replace("/notify", "/any/path?x=1");
    assert_eq!(post(&elsewhere, &body, Some(FORM)).1, "SUCCESS");
    assert!(listener.next_line().contains("verified (SHA256)"));
    let browser = common::browser_get(&listener.url);
    assert!(browser.starts_with("HTTP/1.1 405"), "{browser}");
    assert!(
        listener
            .next_line()
            .contains("GET /notify: not a notification")
    );
}

/// With an app: the exact bytes and Content-Type reach it (a verified body, an unverified one,
/// one sent chunked), and its answer is the sender's; an HTTP error from the app answers FAILED.
#[test]
fn with_an_app_the_exact_body_goes_there_and_its_answer_comes_back() {
    let app = App::start(&[
        (200, "SUCCESS"),
        (200, "FAILED"),
        (500, "SUCCESS"),
        (200, "SUCCESS"),
        (200, "SUCCESS"),
    ]);
    let listener = Listener::start(&["--forward-to", &app.url], Some(KEY));
    assert!(
        listener
            .banner
            .iter()
            .any(|l| l.contains(&format!("forwarding each notification to {}", app.url))),
        "{:?}",
        listener.banner
    );
    let (_, body) = payment(KEY, "n-1");
    assert_eq!(post(&listener.url, &body, Some(FORM)).1, "SUCCESS");
    assert!(
        listener
            .next_line()
            .ends_with("verified (SHA256)  app: HTTP 200 \"SUCCESS\"  answered SUCCESS")
    );
    // The app says FAILED: so does the listener, though the notification is genuine.
    assert_eq!(post(&listener.url, &body, Some(FORM)).1, "FAILED");
    assert!(
        listener
            .next_line()
            .ends_with("verified (SHA256)  app: HTTP 200 \"FAILED\"  answered FAILED")
    );
    // The app fails with HTTP 500 (whatever its body): FAILED, so the sender tries again.
    assert_eq!(
        post(&listener.url, &body, Some(FORM)),
        (200, "FAILED".into())
    );
    assert!(
        listener
            .next_line()
            .ends_with("app: HTTP 500 \"SUCCESS\"  answered FAILED")
    );
    // An unverified body is forwarded too (the app verifies it itself), without a type.
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("1250", "1")
        .into_bytes();
    assert_eq!(post(&listener.url, &tampered, None).1, "SUCCESS");
    assert!(
        listener
            .next_line()
            .contains("NOT VERIFIED: signature mismatch")
    );
    // A body sent chunked arrives whole.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(PATIENCE))
        .build()
        .into();
    let mut reader = std::io::Cursor::new(body.clone());
    let answer = agent
        .post(&listener.url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(ureq::SendBody::from_reader(&mut reader))
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(answer, "SUCCESS");
    assert!(listener.next_line().contains("verified (SHA256)"));

    let seen = app.wait_for(5);
    assert_eq!(seen.len(), 5, "{seen:?}");
    for (i, request) in seen.iter().enumerate() {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/notify")
        );
        let (expected, content_type) = match i {
            3 => (&tampered, None),
            4 => (&body, Some("application/x-www-form-urlencoded")),
            _ => (&body, Some(FORM)),
        };
        assert_eq!(&request.body, expected, "request {i}");
        assert_eq!(request.content_type.as_deref(), content_type, "request {i}");
    }
}

#[test]
fn an_app_that_cannot_be_reached_makes_the_answer_failed() {
    let closed = format!("http://127.0.0.1:{}/notify", free_port());
    let listener = Listener::start(
        &["--forward-to", &closed, "--forward-timeout", "5s"],
        Some(KEY),
    );
    let (_, body) = payment(KEY, "n-1");
    assert_eq!(
        post(&listener.url, &body, Some(FORM)),
        (200, "FAILED".into())
    );
    let line = listener.next_line();
    assert!(
        line.contains("verified (SHA256)  app: ") && line.ends_with("  answered FAILED"),
        "{line}"
    );
}

#[test]
fn settings_are_checked_before_listening() {
    // No key: exit 4, the variable named.
    for (args, var) in [
        (&[][..], "CHINAUMS_NOTIFY_KEY"),
        (&["--key-env", "SHOP_KEY"][..], "SHOP_KEY"),
    ] {
        chinaums()
            .arg("listen")
            .args(args)
            .assert()
            .code(4)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "missing notification key: {var} is not set"
            )))
            .stderr(no_panic());
    }
    // A forward target that is not http:// on this machine: exit 2, no password shown.
    for (url, why) in [
        ("https://localhost:3000/notify", "https is not supported"),
        ("http://203.0.113.7/notify", "not on this machine"),
        ("http://user:hunter2@localhost:3000/", "password"),
    ] {
        chinaums()
            .args(["listen", "--forward-to", url])
            .env("CHINAUMS_NOTIFY_KEY", KEY)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why))
            .stderr(predicate::str::contains("hunter2").not());
    }
    // A port that is taken: exit 1, the address named.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    chinaums()
        .args(["listen", "--port", &port])
        .env("CHINAUMS_NOTIFY_KEY", KEY)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot listen on 127.0.0.1:{port}"
        )));
    // No flag takes the key itself.
    chinaums().args(["listen", "--key", KEY]).assert().code(2);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_it_cleanly() {
    let port = free_port().to_string();
    let listener = Listener::start(&["--port", &port], Some(KEY));
    assert_eq!(listener.url, format!("http://127.0.0.1:{port}/notify"));
    let (status, stderr) = listener.interrupt();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopping the listener"), "{stderr}");
    assert!(no_panic().eval(&stderr), "{stderr}");
}

/// Creates a mini-program order on `sandbox` whose notifyUrl is `notify_url`, and pays it
/// through the sandbox's control API, both with the `chinaums` command.
fn create_and_pay(sandbox: &Sandbox, order: &str, notify_url: &str) {
    let base = sandbox.base_url();
    let settings = [
        "--env",
        &base,
        "--app-id",
        sandbox.app_id(),
        "--app-key",
        sandbox.app_key(),
        "--mid",
        DEMO_MID,
        "--tid",
        DEMO_TID,
    ];
    chinaums()
        .args(["order", "create", "mini", order, "--fen", "100"])
        .args(["--sub-app-id", "wx0123456789abcdef"])
        .args(["--sub-open-id", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"])
        .args(["--notify-url", notify_url])
        .args(settings)
        .assert()
        .success();
    chinaums()
        .args(["sandbox", "pay", order, "--env", &base])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"^status: +paid \(TRADE_SUCCESS\)\n").unwrap());
}

/// Waits until the sandbox has recorded `n` delivery attempts about `order`, and returns them.
fn deliveries(sandbox: &Sandbox, order: &str, n: usize) -> Vec<chinaums_sandbox::DeliveryAttempt> {
    for _ in 0..600 {
        let attempts: Vec<_> = sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d.mer_order_id == order)
            .collect();
        if attempts.len() >= n {
            return attempts;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "fewer than {n} deliveries about {order}: {:?}",
        sandbox.deliveries()
    );
}

/// The sandbox pays an order whose notifyUrl is the listener: the listener tells a verified
/// line with the order's id, the app receives the sandbox's body (verified with the sandbox's
/// key, its Content-Type), and the sandbox records the app's SUCCESS as the acknowledgement.
#[test]
fn a_paid_sandbox_order_is_heard_verified_forwarded_and_acknowledged() {
    let app = App::start(&[]);
    let listener = Listener::start(&["--forward-to", &app.url], Some(DEMO_NOTIFY_KEY));
    let sandbox = Sandbox::builder()
        .notify_schedule(vec![Duration::from_millis(20); 3])
        .start()
        .unwrap();
    create_and_pay(&sandbox, "3194LISTENPAY01", &listener.url);

    let line = listener.next_line();
    assert!(line.contains("  merOrderId=3194LISTENPAY01  "), "{line}");
    assert!(
        line.contains(
            "  state=paid (TRADE_SUCCESS)  amount=1.00 yuan (100 fen)  verified (SHA256)  \
             app: HTTP 200 \"SUCCESS\"  answered SUCCESS"
        ),
        "{line}"
    );
    let seen = app.wait_for(1);
    assert_eq!(seen[0].content_type.as_deref(), Some(NOTIFY_CONTENT_TYPE));
    let forwarded = notify::verify(
        &seen[0].body,
        Some(NOTIFY_CONTENT_TYPE),
        &sandbox.notify_key(),
    )
    .expect("the app gets the sandbox's signed body");
    assert_eq!(forwarded.mer_order_id(), Some("3194LISTENPAY01"));
    assert!(!line.contains(&sign_of(&seen[0].body)), "{line}");
    let notify_id = forwarded.notify_id().unwrap().to_owned();
    assert!(line.contains(&format!("notifyId={notify_id}  ")), "{line}");

    let attempts = deliveries(&sandbox, "3194LISTENPAY01", 1);
    let first = &attempts[0];
    assert_eq!(
        (
            first.notify_id.as_str(),
            first.attempt,
            first.status,
            first.answer.as_str(),
            first.acknowledged
        ),
        (notify_id.as_str(), 1, Some(200), "SUCCESS", true),
        "{first:?}"
    );
    assert_eq!(first.next_attempt_in, None);
}

/// The app fails twice with HTTP 500: the listener answers FAILED each time, the sandbox
/// delivers again (its schedule compressed), and the third attempt, answered SUCCESS by the
/// app, is the acknowledgement; the same body every time.
#[test]
fn a_failing_app_makes_the_sandbox_deliver_again() {
    let app = App::start(&[(500, "busy"), (500, "busy")]);
    let listener = Listener::start(&["--forward-to", &app.url], Some(DEMO_NOTIFY_KEY));
    let sandbox = Sandbox::builder()
        .notify_schedule(vec![Duration::from_millis(20); 5])
        .start()
        .unwrap();
    create_and_pay(&sandbox, "3194LISTENRETRY1", &listener.url);

    let lines: Vec<String> = (0..3).map(|_| listener.next_line()).collect();
    for line in &lines[..2] {
        assert!(
            line.contains("merOrderId=3194LISTENRETRY1")
                && line.ends_with("verified (SHA256)  app: HTTP 500 \"busy\"  answered FAILED"),
            "{line}"
        );
    }
    assert!(
        lines[2].ends_with("verified (SHA256)  app: HTTP 200 \"SUCCESS\"  answered SUCCESS"),
        "{}",
        lines[2]
    );
    let seen = app.wait_for(3);
    assert!(seen.iter().all(|r| r.body == seen[0].body), "{seen:?}");

    let attempts = deliveries(&sandbox, "3194LISTENRETRY1", 3);
    let summary: Vec<(u32, Option<u16>, &str, bool)> = attempts
        .iter()
        .map(|a| (a.attempt, a.status, a.answer.as_str(), a.acknowledged))
        .collect();
    assert_eq!(
        summary[..3],
        [
            (1, Some(200), "FAILED", false),
            (2, Some(200), "FAILED", false),
            (3, Some(200), "SUCCESS", true),
        ],
        "{attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .all(|a| a.notify_id == attempts[0].notify_id)
    );
}

const README: &str = include_str!("../README.md");
const WALK_THROUGH: &str = "### Receive notifications locally: a walk-through\n";

/// The `sh` blocks of the README's section under `heading`, each as its logical lines (`\`
/// continuations joined, spaces made one).
fn sh_blocks(heading: &str) -> Vec<Vec<String>> {
    let start = README.find(heading).expect("the section in the README");
    let section = &README[start + heading.len()..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("```").expect("a closed block");
        let joined = body[..close].replace("\\\n", " ");
        blocks.push(
            joined
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect(),
        );
        rest = &body[close + 3..];
    }
    blocks
}

/// A listener's line with its time and notifyId replaced by placeholders.
fn shape(line: &str) -> String {
    let rest = line.get(19..).unwrap_or_default();
    let (head, tail) = rest.split_once("notifyId=").unwrap_or((rest, ""));
    let tail = tail.split_once("  ").map_or("", |(_, t)| t);
    format!("TIME{head}notifyId=ID  {tail}")
}

/// The README's walk-through, run as written (on free ports instead of 8080, 9000 and 3000, the
/// app played by the recording app): the sandbox and the listener as child processes, the
/// third block's commands in order, each exiting 0; then the listener's lines are the README's
/// example lines (but for the time and notifyId), the app got both notifications, and the
/// sandbox's record shows both acknowledged.
#[cfg(unix)]
#[test]
fn the_readme_notification_walk_through_runs_as_written() {
    let blocks = sh_blocks(WALK_THROUGH);
    assert_eq!(blocks.len(), 3, "{blocks:?}");
    assert_eq!(blocks[0], ["chinaums sandbox --port 8080"]);
    let app = App::start(&[]);
    let app_port = app
        .url
        .rsplit_once(':')
        .unwrap()
        .1
        .trim_end_matches("/notify");
    let (sandbox_port, listen_port) = (free_port().to_string(), free_port().to_string());
    let local = |text: &str| {
        text.replace("8080", &sandbox_port)
            .replace("9000", &listen_port)
            .replace("3000", app_port)
    };
    let sandbox = common::ChildSandbox::start(&["--port", &sandbox_port]);

    let mut env: Vec<(String, String)> = Vec::new();
    let mut listener = None;
    for (i, block) in blocks[1..].iter().enumerate() {
        for line in block {
            if let Some(assignments) = line.strip_prefix("export ") {
                for assignment in assignments.split_whitespace() {
                    let (name, value) = assignment.split_once('=').expect("NAME=value");
                    env.push((name.to_owned(), local(value)));
                }
                continue;
            }
            let args: Vec<String> = line
                .strip_prefix("chinaums ")
                .unwrap_or_else(|| panic!("not a chinaums command: {line}"))
                .split_whitespace()
                .map(local)
                .collect();
            if i == 0 {
                assert_eq!(args[0], "listen", "{line}");
                listener = Some(Listener::start_with(&args[1..], &env));
                continue;
            }
            let out = chinaums()
                .args(&args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{line}\n{stderr}");
            assert!(no_panic().eval(&stderr), "{stderr}");
        }
    }
    let listener = listener.expect("the listener's block");
    assert_eq!(
        listener.url,
        format!("http://127.0.0.1:{listen_port}/notify")
    );

    // The README's example lines under `chinaums listen`, shaped like the real ones.
    let expected: Vec<String> = README
        .lines()
        .filter(|l| l.contains("  notifyId=") && l.contains("app: HTTP 200"))
        .map(shape)
        .collect();
    assert_eq!(expected.len(), 2, "{expected:?}");
    let heard: Vec<String> = (0..2).map(|_| shape(&listener.next_line())).collect();
    assert_eq!(heard, expected);

    let seen = app.wait_for(2);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let key = NotifyKey::new(DEMO_NOTIFY_KEY);
    for request in &seen {
        let n = notify::verify(&request.body, request.content_type.as_deref(), &key).unwrap();
        assert_eq!(n.mer_order_id(), Some("3194NOTIFY0001"));
    }

    // The sandbox's record: both acknowledged, each at its first attempt.
    let url = format!(
        "{}/sandbox/notifications?merOrderId=3194NOTIFY0001",
        sandbox.url
    );
    let mut record = serde_json::Value::Null;
    for _ in 0..600 {
        let text = ureq::get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        record = serde_json::from_str(&text).unwrap();
        if record["count"] == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let deliveries = record["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 2, "{record}");
    for d in deliveries {
        assert_eq!(
            (&d["attempt"], &d["answer"], &d["acknowledged"]),
            (
                &serde_json::Value::from(1),
                &serde_json::Value::from("SUCCESS"),
                &serde_json::Value::from(true)
            ),
            "{d}"
        );
    }
    drop(listener);
    assert_eq!(sandbox.interrupt().code(), Some(0));
}
