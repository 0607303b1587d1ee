//! Taking a payment end to end on every adapter against the sandbox: create an order, the payer
//! pays (the sandbox's control API stands in for the cashier), the query says paid, a refund,
//! the query says refunded; and creating the same order twice is an unknown outcome.

use chinaums::{
    ErrorClass, Fen, Merchant, OrderFields, PaymentState, Refund, RefundState, WxUnifiedOrder,
};
use chinaums_e2e::{Adapter, core, demo, on_every_adapter};
use chinaums_sandbox::{DEMO_MID, DEMO_TID};

fn mini_merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, "MINIDEFAULT").unwrap()
}

fn create(order_id: &str) -> WxUnifiedOrder {
    WxUnifiedOrder::mini(
        &mini_merchant(),
        order_id.parse().unwrap(),
        OrderFields::new(Fen(2500))
            .order_desc("咖啡")
            .notify_url("https://shop.example/ums/notify".parse().unwrap()),
        "wx0123456789abcdef",
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
}

fn create_pay_query_refund<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let created = client.run(&create("3194E2EORDER0001")).unwrap();
    let pay_request = created
        .mini_pay_request
        .expect("a pay request for the front end");
    assert!(pay_request.package.starts_with("prepay_id="));
    let query = chinaums::PaymentQuery::new(&mini_merchant(), "3194E2EORDER0001".parse().unwrap());
    assert_eq!(client.run(&query).unwrap().state(), PaymentState::NotPaid);

    sandbox.pay("3194E2EORDER0001").unwrap(); // the payer pays at the cashier

    let paid = client.run(&query).unwrap();
    assert!(paid.is_paid());
    assert_eq!(paid.total_amount, Some(Fen(2500)));
    let refund = Refund::new(
        &mini_merchant(),
        "3194E2EORDER0001".parse().unwrap(),
        "3194E2EREFUND0001".parse().unwrap(),
        Fen(2500),
    );
    assert_eq!(client.run(&refund).unwrap().state(), RefundState::Refunded);
    assert_eq!(client.run(&query).unwrap().state(), PaymentState::Refunded);
    // The demo orders' query still works alongside.
    assert!(
        client
            .run(&chinaums_e2e::query(chinaums_sandbox::DEMO_PAID_ORDER))
            .unwrap()
            .is_paid()
    );
}

fn creating_the_same_order_twice_is_an_unknown_outcome<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    client.run(&create("3194E2EORDER0002")).unwrap();
    let again = client.run(&create("3194E2EORDER0002")).unwrap_err();
    assert_eq!(again.err_code(), Some("DUP_ORDER"));
    assert_eq!(again.class(), ErrorClass::OutcomeUnknown, "{again}");
    let decide = again.follow_up().expect("the query to ask").payment_query();
    assert_eq!(client.run(&decide).unwrap().state(), PaymentState::NotPaid);
}

on_every_adapter!(
    create_pay_query_refund,
    creating_the_same_order_twice_is_an_unknown_outcome
);
