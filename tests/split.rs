//! `SubOrdersConfirm`: the signed request, the sum rule checked before signing, its answer. Data
//! under `tests/data/split/`.

mod support;

use chinaums::{Environment, Error, Fen, SubOrder, SubOrdersConfirm};
use support::*;

fn share(mid: &str, fen: u64) -> SubOrder {
    SubOrder::new(mid.parse().unwrap(), Fen(fen))
}

#[test]
fn snapshot_of_a_signed_confirmation() {
    let client = fixed_client(Environment::Test);
    let confirm = SubOrdersConfirm::new(
        &merchant(),
        order(),
        Fen(100),
        Fen(10),
        vec![
            share("898201612345679", 60),
            share("898201612345680", 30)
                .mer_order_id("31942024010112000000001235".parse().unwrap()),
        ],
    );
    snapshot(
        "sub_orders_confirm",
        describe(&client.prepare(&confirm).unwrap()),
    );
}

#[test]
fn shares_must_add_up_to_the_order() {
    let client = fixed_client(Environment::Test);
    let rule = |order_amount, platform, shares: Vec<SubOrder>| {
        let confirm = SubOrdersConfirm::new(
            &merchant(),
            order(),
            Fen(order_amount),
            Fen(platform),
            shares,
        );
        match client.prepare(&confirm) {
            Err(Error::InvalidField(e)) => Some((e.field, e.rule)),
            Ok(_) => None,
            Err(other) => panic!("{other}"),
        }
    };
    assert_eq!(rule(100, 10, vec![share("898201612345679", 90)]), None);
    let (field, why) = rule(100, 10, vec![share("898201612345679", 80)]).unwrap();
    assert_eq!(field, "subOrders");
    assert!(why.contains("100") && why.contains("90"), "{why}");
    assert_eq!(
        rule(100, 100, vec![]).unwrap().0,
        "subOrders",
        "at least one sub-order"
    );
    assert!(
        rule(5, u64::MAX, vec![share("898201612345679", 1)]).is_some(),
        "no overflow"
    );
}

#[test]
fn the_answer_is_read() {
    let client = fixed_client(Environment::Test);
    let answer = client
        .parse::<SubOrdersConfirm>(&ok(include_str!("data/split/confirmed.json")))
        .unwrap();
    assert_eq!(answer.platform_amount, Some(Fen(10)));
    assert_eq!(answer.order.total_amount, Some(Fen(100)));
    assert!(answer.extra["subOrders"].is_array());
}
