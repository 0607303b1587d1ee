//! Receiving payment notifications in a web app (axum on tokio): verify, acknowledge, then
//! confirm with a query before acting. Runs end to end against the embedded sandbox:
//!
//! ```sh
//! cargo run -p chinaums-tokio --example notify_axum
//! ```
//!
//! In production the sandbox is the platform, its demo notification key is the 通讯密钥 from
//! the merchant console, and `notify_url` is your public HTTPS address.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use chinaums_sandbox::{DEMO_MID, DEMO_TID, Sandbox};
use chinaums_tokio::chinaums::notify::{self, Notification, NotifyKey};
use chinaums_tokio::chinaums::{
    Fen, Merchant, OrderFields, PaymentQuery, PaymentState, WxUnifiedOrder,
};
use tokio::sync::mpsc;

/// What the notification handler shares.
#[derive(Clone)]
struct App {
    key: NotifyKey,
    /// `notifyId`s already recorded: the platform sends a notification again until it gets
    /// `SUCCESS`, and may send it twice anyway.
    seen: Arc<Mutex<HashSet<String>>>,
    /// Where verified, new notifications go (a real app would store them).
    recorded: mpsc::UnboundedSender<Notification>,
}

/// `POST /ums/notify`: verify the raw body, record it once, answer `SUCCESS` (or `FAILED`, and
/// act on nothing, when it does not verify).
async fn notified(State(app): State<App>, headers: HeaderMap, body: Bytes) -> &'static str {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match notify::verify(&body, content_type, &app.key) {
        Ok(notification) => {
            let id = notification.notify_id().unwrap_or_default().to_owned();
            let new = app
                .seen
                .lock()
                .map(|mut seen| seen.insert(id))
                .unwrap_or(true);
            if new {
                let _ = app.recorded.send(notification);
            }
            notify::acknowledgement(true)
        }
        Err(why) => {
            eprintln!("refused a notification: {why}");
            notify::acknowledgement(false)
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The platform: the embedded sandbox (started off the async runtime: it has its own).
    let sandbox = tokio::task::spawn_blocking(Sandbox::start_demo).await??;
    let sandbox = Arc::new(sandbox);

    // The merchant's web app.
    let (recorded, mut notifications) = mpsc::unbounded_channel();
    let app = App {
        key: sandbox.notify_key(),
        seen: Arc::default(),
        recorded,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let notify_url = format!("http://{}/ums/notify", listener.local_addr()?);
    let router = Router::new()
        .route("/ums/notify", post(notified))
        .with_state(app);
    tokio::spawn(async move { axum::serve(listener, router).await });

    // Take a payment whose notifications go to the app.
    let client =
        chinaums_tokio::Client::from_credentials(sandbox.credentials(), sandbox.environment())?;
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, "MINIDEFAULT")?;
    let order_id = client.core().new_mer_order_id(&"3194".parse()?)?;
    let order = OrderFields::new(Fen(2500))
        .order_desc("咖啡")
        .notify_url(notify_url.parse()?);
    client
        .execute(&WxUnifiedOrder::mini(
            &merchant,
            order_id.clone(),
            order,
            "wx0123456789abcdef",
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        ))
        .await?;
    let payer = Arc::clone(&sandbox);
    let paying = order_id.clone();
    tokio::task::spawn_blocking(move || payer.pay(paying.as_str())).await??;

    // The notification arrives: a hint, not proof.
    let notification = tokio::time::timeout(Duration::from_secs(10), notifications.recv())
        .await?
        .ok_or("the app stopped")?;
    println!(
        "notified: {} is {} (notifyId {})",
        notification.mer_order_id().unwrap_or("?"),
        notification.state().describe(),
        notification.notify_id().unwrap_or("?"),
    );

    // Before shipping: confirm with a query, and check it is this order and this amount.
    let answer = client
        .execute(&PaymentQuery::new(&merchant, order_id.clone()))
        .await?;
    let confirmed = answer.state() == PaymentState::Paid
        && answer.total_amount == Some(Fen(2500))
        && answer.mer_order_id.as_deref() == Some(order_id.as_str());
    println!(
        "confirmed by query: {}",
        if confirmed {
            "paid, ship it"
        } else {
            "not paid"
        }
    );
    if !confirmed {
        return Err("the query does not confirm the notification".into());
    }
    Ok(())
}
