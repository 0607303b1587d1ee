//! `GET /sandbox/notifications`: every notification delivery attempt the sandbox recorded, as
//! JSON, oldest first (`?merOrderId=` or `?notifyId=` to keep one order's or one
//! notification's). Never a body nor a signature; a password in a URL is redacted.

use std::time::{Duration, SystemTime};

use chinaums::timestamps::request_timestamp;
use http::StatusCode;
use serde::Serialize;

use super::Form;
use crate::DeliveryAttempt;
use crate::endpoints::{Exchange, Reply, json};

/// The path.
pub(crate) const PATH: &str = "/sandbox/notifications";

/// One attempt, as JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    notify_id: &'a str,
    family: &'static str,
    mid: &'a str,
    mer_order_id: &'a str,
    url: &'a str,
    attempt: u32,
    duplicate: bool,
    /// `yyyy-MM-dd HH:mm:ss`, Beijing time, on the sandbox clock.
    time: String,
    /// The same instant in milliseconds since the Unix epoch.
    time_unix_ms: u64,
    status: Option<u16>,
    error: Option<&'a str>,
    answer: &'a str,
    acknowledged: bool,
    latency_ms: u64,
    next_attempt_in_ms: Option<u64>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<'a> Entry<'a> {
    fn of(a: &'a DeliveryAttempt) -> Entry<'a> {
        Entry {
            notify_id: &a.notify_id,
            family: a.family.as_str(),
            mid: &a.mid,
            mer_order_id: &a.mer_order_id,
            url: &a.url,
            attempt: a.attempt,
            duplicate: a.duplicate,
            time: request_timestamp(a.at),
            time_unix_ms: a
                .at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, millis),
            status: a.status,
            error: a.error.as_deref(),
            answer: &a.answer,
            acknowledged: a.acknowledged,
            latency_ms: millis(a.latency),
            next_attempt_in_ms: a.next_attempt_in.map(millis),
        }
    }
}

#[derive(Serialize)]
struct Log<'a> {
    count: usize,
    deliveries: Vec<Entry<'a>>,
}

pub(crate) fn handle(exchange: &mut Exchange<'_>) -> Reply {
    let query = Form::query(exchange.request);
    let (order, id) = (query.get("merOrderId"), query.get("notifyId"));
    let deliveries: Vec<Entry<'_>> = exchange
        .state
        .deliveries
        .iter()
        .filter(|a| order.is_none_or(|o| a.mer_order_id == o))
        .filter(|a| id.is_none_or(|i| a.notify_id == i))
        .map(Entry::of)
        .collect();
    json(
        StatusCode::OK,
        &Log {
            count: deliveries.len(),
            deliveries,
        },
    )
}
