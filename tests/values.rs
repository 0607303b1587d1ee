//! The validated values every operation is built from: no input makes a constructor panic, and
//! amounts written in yuan round-trip exactly.

use chinaums::{AppId, Fen, InstMid, MerOrderId, Merchant, Mid, MsgId, Nonce, RefundOrderId, Tid};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_string_makes_a_value_constructor_panic(s in any::<String>()) {
        for result in [
            Mid::new(s.clone()).map(drop),
            Tid::new(s.clone()).map(drop),
            InstMid::new(s.clone()).map(drop),
            MerOrderId::new(s.clone()).map(drop),
            RefundOrderId::new(s.clone()).map(drop),
            MsgId::new(s.clone()).map(drop),
            AppId::new(s.clone()).map(drop),
            Nonce::new(s.clone()).map(drop),
            Merchant::new(s.clone(), s.clone(), s.clone()).map(drop),
        ] {
            if let Err(e) = result {
                prop_assert!(!e.field.is_empty() && !e.rule.is_empty());
            }
        }
        let _ = Fen::from_yuan(&s);
    }

    #[test]
    fn yuan_round_trips_through_display(fen in 0u64..=u64::MAX / 100) {
        let shown = Fen(fen).to_string();
        prop_assert_eq!(Fen::from_yuan(&shown), Some(Fen(fen)));
    }

    #[test]
    fn yuan_strings_are_exact_or_refused(yuan in "[0-9]{1,6}(\\.[0-9]{0,3})?") {
        let parsed = Fen::from_yuan(&yuan);
        match yuan.split_once('.') {
            Some((_, fraction)) if fraction.is_empty() || fraction.len() > 2 => prop_assert_eq!(parsed, None),
            _ => {
                let cents = parsed.unwrap().get();
                let (whole, fraction) = yuan.split_once('.').unwrap_or((&yuan, ""));
                let expected = whole.parse::<u64>().unwrap() * 100 + format!("{fraction:0<2}").parse::<u64>().unwrap();
                prop_assert_eq!(cents, expected);
            }
        }
    }
}
