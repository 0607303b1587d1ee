//! H5 payments: signed GET URLs (OPEN-FORM-PARAM), the known-answer vector KAT-3 reproduced
//! through the typed operation, and a snapshot of every redirect.

mod support;

use chinaums::{
    AlipayH5Pay, Environment, Error, Fen, OrderFields, SceneType, UnionPayH5Pay, WebPay, WxH5Pay,
    WxH5ToMiniPay, form_param,
};
use support::*;

const KAT3_URL: &str = "https://test-api-open.chinaums.com/v1/netpay/trade/h5-pay?authorization=OPEN-FORM-PARAM&appId=10037e6f6a4e6da4016a670fd4530012&timestamp=20240101120000&nonce=0123456789abcdef0123456789abcdef&content=%7B%22requestTimestamp%22%3A%222024-01-01+12%3A00%3A00%22%2C%22merOrderId%22%3A%2231942024010112000000001234%22%2C%22mid%22%3A%22898201612345678%22%2C%22tid%22%3A%2288880001%22%2C%22instMid%22%3A%22H5DEFAULT%22%2C%22totalAmount%22%3A1%2C%22orderDesc%22%3A%22%E6%B5%8B%E8%AF%95+order%22%2C%22notifyUrl%22%3A%22https%3A%2F%2Fexample.com%2Fnotify%3Fa%3D1%26b%3D2%22%7D&signature=GX2YpqojK%2BHZop%2FvcUzk%2BwktDOUe0I5zGqj2lcopIDw%3D";

fn h5_merchant() -> chinaums::Merchant {
    chinaums::Merchant::new("898201612345678", "88880001", "H5DEFAULT").unwrap()
}

fn kat3_order() -> OrderFields {
    OrderFields::new(Fen(1))
        .order_desc("测试 order")
        .notify_url("https://example.com/notify?a=1&b=2".parse().unwrap())
}

/// The typed Alipay H5 payment, with the fixed clock and nonce, is KAT-3's URL byte for byte.
#[test]
fn kat3_through_the_client() {
    let client = fixed_client(Environment::Test);
    let url = client
        .redirect_url(&AlipayH5Pay::new(&h5_merchant(), order(), kat3_order()))
        .unwrap();
    assert_eq!(url.to_string(), KAT3_URL);
    // And a server reading it finds the content and a good signature.
    let parsed = form_param::parse_query(url.query().unwrap()).unwrap();
    assert!(form_param::verify(&parsed, APP_KEY));
}

#[test]
fn snapshots_of_every_redirect() {
    let client = fixed_client(Environment::Production);
    let fields = || {
        OrderFields::new(Fen(100))
            .order_desc("咖啡")
            .notify_url("https://shop.example/ums/notify".parse().unwrap())
            .return_url("https://shop.example/paid?order=1".parse().unwrap())
    };
    let urls = [
        (
            "h5_alipay",
            client.redirect_url(&AlipayH5Pay::new(&h5_merchant(), order(), fields())),
        ),
        (
            "h5_unionpay",
            client.redirect_url(&UnionPayH5Pay::new(&h5_merchant(), order(), fields())),
        ),
        (
            "h5_wechat_to_mini",
            client.redirect_url(&WxH5ToMiniPay::new(&h5_merchant(), order(), fields())),
        ),
        (
            "h5_wechat",
            client.redirect_url(&WxH5Pay::new(
                &h5_merchant(),
                order(),
                fields(),
                SceneType::AndWap,
                "咖啡商城",
                "https://shop.example",
            )),
        ),
        (
            "webpay",
            client.redirect_url(&WebPay::new(
                &h5_merchant().with_inst_mid("YUEDANDEFAULT".parse().unwrap()),
                order(),
                fields(),
            )),
        ),
    ];
    for (name, url) in urls {
        let url = url.unwrap();
        let parsed = form_param::parse_query(url.query().unwrap()).unwrap();
        assert!(form_param::verify(&parsed, APP_KEY), "{name}");
        snapshot(
            name,
            serde_json::json!({ "url": url.to_string(), "content": parsed.content }),
        );
    }
}

#[test]
fn wechat_needs_its_scene_and_app() {
    let client = fixed_client(Environment::Test);
    let field = |pay: WxH5Pay| match client.redirect_url(&pay) {
        Err(Error::InvalidField(e)) => e.field,
        other => panic!("{other:?}"),
    };
    let pay = |scene: SceneType, name: &str, id: &str| {
        WxH5Pay::new(
            &h5_merchant(),
            order(),
            OrderFields::new(Fen(1)),
            scene,
            name,
            id,
        )
    };
    assert_eq!(
        field(pay(SceneType::IosWap, "", "https://shop.example")),
        "merAppName"
    );
    assert_eq!(field(pay(SceneType::IosWap, "店", "")), "merAppId");
    assert_eq!(
        field(pay(SceneType::Other("PC".into()), "店", "x")),
        "sceneType"
    );
    assert_eq!(
        match client.redirect_url(&AlipayH5Pay::new(
            &h5_merchant(),
            order(),
            OrderFields::new(Fen(0))
        )) {
            Err(Error::InvalidField(e)) => e.field,
            other => panic!("{other:?}"),
        },
        "totalAmount"
    );
}
