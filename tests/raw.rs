//! `RawOperation`: any JSON body to any path, signed like a typed operation.

mod support;

use chinaums::{Environment, RawOperation};
use support::*;

fn snapshot(name: &str, value: serde_json::Value) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!(name, value);
    });
}

#[test]
fn snapshot_raw_operation() {
    let raw = RawOperation::new(
        "/v1/netpay/refund-query",
        serde_json::json!({"requestTimestamp": "2024-01-01 12:00:00", "mid": "898201612345678",
                           "tid": "88880001", "instMid": "YUEDANDEFAULT",
                           "merOrderId": "31942024010112000000001234"}),
    );
    let request = fixed_client(Environment::Test).prepare(&raw).unwrap();
    snapshot("raw_refund_query", describe(&request));
}
