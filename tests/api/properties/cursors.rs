//! Cursor codecs: ours (connections) and the simulated Calendly's page tokens.

use bridgeboard::graphql::pagination::{decode_cursor, encode_cursor};
use bridgeboard::sandbox::calendly::pagination::PageToken;
use proptest::prelude::*;

proptest! {
    #[test]
    fn connection_cursors_round_trip(n in any::<i64>(), s in "\\PC{0,40}", list in "[a-z_]{1,12}") {
        prop_assert_eq!(decode_cursor::<i64>(&list, &encode_cursor(&list, &n)).ok(), Some(n));
        let key = (s.clone(), n);
        prop_assert_eq!(decode_cursor::<(String, i64)>(&list, &encode_cursor(&list, &key)).ok(), Some(key));
    }

    #[test]
    fn a_cursor_of_one_list_is_refused_by_another(n in any::<i64>(), a in "[a-z]{1,8}", b in "[a-z]{1,8}") {
        prop_assume!(a != b);
        prop_assert!(decode_cursor::<i64>(&b, &encode_cursor(&a, &n)).is_err());
    }

    #[test]
    fn junk_cursors_are_refused_without_panicking(s in "\\PC{0,80}") {
        let _ = decode_cursor::<i64>("tickets", &s);
        let _ = decode_cursor::<(String, i64)>("leads", &s);
    }

    #[test]
    fn calendly_page_tokens_round_trip(forward in any::<bool>(), key in "\\PC{0,60}", junk in "\\PC{0,60}") {
        let t = PageToken { forward, key };
        prop_assert_eq!(PageToken::decode(&t.encode()).ok(), Some(t));
        let _ = PageToken::decode(&junk);
    }
}
