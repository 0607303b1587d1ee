//! An H5 payment in a real browser: headless Chromium, driven over WebDriver (chromedriver,
//! started here on 127.0.0.1 with an ephemeral port; fantoccini as the client), opens an
//! `AlipayH5Pay` URL built by the SDK, lands on the sandbox's cashier, clicks "Pay" and is sent
//! to the shop's `returnUrl` (a tiny HTTP server of the test's own that records what it gets);
//! then the SDK's payment query says paid. A tampered URL shows the gateway's JSON error and
//! creates nothing.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `sandbox/ci/install-browser.sh` installs them). Without them the test
//! fails under `CI=true` and is skipped otherwise. Every wait is bounded (generously, to avoid
//! a hang) and polls; nothing is timed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use chinaums::{AlipayH5Pay, Client, Fen, Goods, Merchant, OrderFields, PaymentQuery, TradeStatus};
use chinaums_sandbox::{DEMO_MID, DEMO_TID, Sandbox};
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The bound on every wait: generous, so that a slow machine passes and a broken one fails
/// instead of hanging.
const BOUND: Duration = Duration::from_secs(60);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// Whether the browser is installed; under `CI=true` its absence is a failure.
fn browser_installed() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "the browser test needs {} (missing under CI=true): run sandbox/ci/install-browser.sh \
             (apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
    }
    println!("skipped: chromium not installed (apt-get install chromium chromium-driver)");
    false
}

/// chromedriver, started on an ephemeral port of 127.0.0.1; killed (by its own id) on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let mut child = Command::new(CHROMEDRIVER)
            .args(["--port=0", "--allowed-ips=127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // It prints "ChromeDriver was started successfully on port N."; keep reading (and
        // discarding) afterwards so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("on port ").nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    if let Ok(port) = digits.parse::<u16>() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let port = loop {
            match rx.recv_timeout(BOUND) {
                Ok(0) => continue,
                Ok(port) => break port,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("chromedriver did not say its port: {e}");
                }
            }
        };
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh `--user-data-dir`, removed on drop.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Profile {
        let dir = std::env::temp_dir().join(format!(
            "chinaums-sandbox-browser-{}-{}",
            std::process::id(),
            std::thread::current()
                .name()
                .unwrap_or("test")
                .replace("::", "-")
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a profile directory");
        Profile(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shop's own server on 127.0.0.1: answers every request with a small page and records
/// its request line.
struct Shop {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Shop {
    fn start() -> Shop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the shop");
        let port = listener.local_addr().expect("bound").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        // The thread ends with the test process; it holds nothing but the listener.
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                if let Some(line) = serve(stream) {
                    record.lock().unwrap_or_else(|p| p.into_inner()).push(line);
                }
            }
        });
        Shop { port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Reads one request head (bounded), answers a page; the request line.
fn serve(mut stream: TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(BOUND)).ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&byte[..n]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let body = "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head>\
                <body><h1 id=\"thanks\">Thank you for your order</h1></body></html>";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    Some(line)
}

/// A WebDriver session on headless Chromium.
async fn browser(driver: &Driver, profile: &Profile) -> fantoccini::Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.0.display()),
            ],
        },
    });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    };
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
    let address = format!("http://127.0.0.1:{}", driver.port);
    tokio::time::timeout(BOUND, builder.connect(&address))
        .await
        .expect("a WebDriver session within the bound")
        .expect("a WebDriver session on headless Chromium")
}

fn h5_merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, "H5DEFAULT").unwrap()
}

/// What the payer does in the browser, and what the shop and the SDK see after.
async fn scenario(browser: fantoccini::Client, sandbox: Arc<Sandbox>, shop: Arc<Shop>) {
    let client = Client::new(sandbox.credentials(), sandbox.environment());

    // A tampered URL: the gateway's JSON error, shown as it is; nothing created.
    let url = client
        .redirect_url(&AlipayH5Pay::new(
            &h5_merchant(),
            "3194BROWSERBAD01".parse().unwrap(),
            OrderFields::new(Fen(100)),
        ))
        .unwrap()
        .to_string();
    let tampered = url.replace("totalAmount%22%3A100", "totalAmount%22%3A1");
    assert_ne!(tampered, url);
    browser
        .goto(&tampered)
        .await
        .expect("the tampered URL opens");
    let source = browser.source().await.expect("the page source");
    assert!(
        source.contains("BAD_SIGN") && source.contains("errInfo"),
        "{source}"
    );
    assert!(sandbox.order(DEMO_MID, "3194BROWSERBAD01").is_none());

    // The real one: the cashier, "Pay", then the shop's returnUrl.
    let id = "3194BROWSERPAY01";
    let return_url = shop.url(&format!("/paid?order={id}"));
    let order = OrderFields::new(Fen(1234))
        .order_desc("<b>咖啡</b> & 茶")
        .return_url(return_url.parse().unwrap())
        .goods(vec![Goods::new("SKU-1", "咖啡", 2, Fen(617))]);
    let url = client
        .redirect_url(&AlipayH5Pay::new(
            &h5_merchant(),
            id.parse().unwrap(),
            order,
        ))
        .unwrap();
    browser
        .goto(&url.to_string())
        .await
        .expect("the H5 URL opens");
    let pay = browser
        .wait()
        .at_most(BOUND)
        .every(POLL)
        .for_element(Locator::Css("#pay"))
        .await
        .expect("the cashier's Pay button");
    let on_cashier = browser.current_url().await.expect("a URL");
    assert!(
        on_cashier
            .as_str()
            .starts_with(&format!("{}/sandbox/cashier?", sandbox.base_url())),
        "{on_cashier}"
    );
    let text = |css: &'static str| {
        let browser = browser.clone();
        async move {
            browser
                .find(Locator::Css(css))
                .await
                .expect(css)
                .text()
                .await
                .expect(css)
        }
    };
    assert_eq!(text("#amount").await, "¥12.34");
    assert_eq!(text("#order").await, id);
    assert_eq!(
        text("#desc").await,
        "<b>咖啡</b> & 茶",
        "escaped, so shown as text"
    );
    assert_eq!(text("#status").await, "NEW_ORDER");
    pay.click().await.expect("Pay clicks");

    let mut now_at = String::new();
    for _ in 0..(BOUND.as_millis() / POLL.as_millis()) {
        now_at = browser.current_url().await.expect("a URL").to_string();
        if now_at.starts_with(&return_url) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    // Back at the shop, with the result parameters signed with the notification key.
    assert!(
        now_at.starts_with(&format!("{return_url}&")),
        "the browser is back at the shop: {now_at}"
    );
    let (_, query) = now_at.split_once('?').unwrap();
    let result = chinaums::notify::verify_return_url(query, &sandbox.notify_key())
        .expect("the returnUrl parameters verify");
    assert_eq!(result["status"], "TRADE_SUCCESS");
    assert_eq!(
        result["order"], id,
        "the shop's own parameter is kept (and signed)"
    );
    assert!(
        shop.seen()
            .iter()
            .any(|line| line.starts_with(&format!("GET /paid?order={id}&"))),
        "{:?}",
        shop.seen()
    );
    let thanks = browser.find(Locator::Css("#thanks")).await;
    assert!(thanks.is_ok(), "the shop's page is shown");

    // The SDK's payment query, against the same gateway.
    let query = PaymentQuery::new(&h5_merchant(), id.parse().unwrap());
    let answer = client
        .call(&query)
        .unwrap()
        .run_blocking(Duration::from_secs(5), |request| {
            sandbox
                .gateway()
                .handle(request, sandbox.now())
                .into_result()
        })
        .unwrap();
    assert!(answer.is_paid(), "{answer:?}");
    assert_eq!(answer.status, Some(TradeStatus::TradeSuccess));
    assert_eq!(answer.target_sys.as_deref(), Some("Alipay 2.0"));
    assert_eq!(answer.total_amount, Some(Fen(1234)));
}

#[tokio::test]
async fn an_h5_payment_in_a_real_browser() {
    if !browser_installed() {
        return;
    }
    let sandbox = Arc::new(Sandbox::builder().start().unwrap());
    let shop = Arc::new(Shop::start());
    let driver = Driver::start();
    let profile = Profile::new();
    let browser = browser(&driver, &profile).await;
    // On its own task, so that a failed assertion still closes the browser before the test
    // reports it.
    let outcome = tokio::spawn(scenario(browser.clone(), sandbox, shop)).await;
    let _ = tokio::time::timeout(BOUND, browser.close()).await;
    drop(driver);
    if let Err(failed) = outcome {
        match failed.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the scenario did not finish: {e}"),
        }
    }
}
