//! Webhook signature checks: Monday's JWT and Calendly's HMAC header.

use bridgeboard::upstream::calendly::signature as calendly;
use bridgeboard::upstream::monday::signature as monday;
use hmac::{Hmac, Mac};
use jsonwebtoken::{EncodingKey, Header, encode};
use proptest::prelude::*;
use serde_json::json;
use sha2::Sha256;

const AUD: &str = "http://127.0.0.1:8080/webhooks/monday";

fn jwt(secret: &[u8], aud: &str, exp_offset: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    encode(
        &Header::default(),
        &json!({ "aud": aud, "exp": now + exp_offset, "iat": now }),
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn calendly_header(key: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn monday_tokens_verify_only_with_the_secret_and_audience(
        secret in proptest::collection::vec(any::<u8>(), 16..64),
        other in proptest::collection::vec(any::<u8>(), 16..64),
        bearer in any::<bool>(),
    ) {
        let token = jwt(&secret, AUD, 60);
        let header = if bearer { format!("Bearer {token}") } else { token.clone() };
        prop_assert!(monday::verify(Some(&header), &secret, AUD).is_ok());
        if other != secret {
            prop_assert!(monday::verify(Some(&header), &other, AUD).is_err());
        }
        prop_assert!(monday::verify(Some(&header), &secret, "http://elsewhere/").is_err());
        let expired = jwt(&secret, AUD, -3600);
        prop_assert!(monday::verify(Some(&expired), &secret, AUD).is_err());
        // Any change to the token breaks it.
        let mut tampered = token.into_bytes();
        let i = tampered.len() / 2;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        prop_assert!(monday::verify(Some(&tampered), &secret, AUD).is_err());
    }

    #[test]
    fn no_monday_header_verifies_by_chance(header in "\\PC{0,300}") {
        prop_assert!(monday::verify(Some(&header), b"a-secret-nobody-signs-with", AUD).is_err());
    }

    #[test]
    fn calendly_signatures_bind_key_time_and_body(
        key in proptest::collection::vec(any::<u8>(), 1..64),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        flip in any::<usize>(),
        skew in -180i64..=180,
    ) {
        let now = 1_800_000_000;
        let t = now + skew;
        let header = calendly_header(&key, t, &body);
        prop_assert!(calendly::verify(&header, &key, &body, now, 180).is_ok());
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = flip % changed.len();
            changed[i] ^= 0x01;
            prop_assert_eq!(calendly::verify(&header, &key, &changed, now, 180), Err(calendly::SignatureError::Mismatch));
        }
        let stale = calendly_header(&key, now - 181, &body);
        prop_assert!(calendly::verify(&stale, &key, &body, now, 180).is_err());
    }

    #[test]
    fn no_calendly_header_verifies_by_chance(header in "\\PC{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert!(calendly::verify(&header, b"key", &body, 1_800_000_000, 180).is_err());
    }
}
