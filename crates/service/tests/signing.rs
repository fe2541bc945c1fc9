//! The provider's signing keys on both databases: made once, rotated with
//! the old keys still published (tokens they signed keep verifying), and
//! dropped a day later.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::services;
use propusk_oidc::Alg;
use propusk_testkit::both_backends;
use time::Duration;

fn kids(jwks: &serde_json::Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Verifies `token` against the JWKS the way a partner would: by `kid`.
fn verifies(token: &str, jwks: &serde_json::Value) -> bool {
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let Some(jwk) = set.find(header.kid.as_deref().unwrap()) else {
        return false;
    };
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &v,
    )
    .is_ok()
}

both_backends! {
    async fn keys_are_made_rotated_and_retired_in_time(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        assert_eq!(s.ensure_signing_keys().await.unwrap(), 4, "ES256, EdDSA, PS256, RS256");
        assert_eq!(s.ensure_signing_keys().await.unwrap(), 0, "once");
        let first = kids(&s.jwks().await.unwrap());
        assert_eq!(first.len(), 4);
        let claims = serde_json::json!({ "sub": "x", "exp": 4_000_000_000u64 });
        let old_es = s.signing_key(Alg::Es256).await.unwrap().sign("JWT", &claims).unwrap();
        let old_ed = s.signing_key(Alg::EdDsa).await.unwrap().sign("JWT", &claims).unwrap();

        let made = s.rotate_signing_keys().await.unwrap();
        assert_eq!(made.len(), 4);
        let jwks = s.jwks().await.unwrap();
        assert_eq!(kids(&jwks).len(), 8, "old keys stay published");
        assert!(jwks.to_string().find("\"d\"").is_none(), "no private key material");
        assert!(verifies(&old_es, &jwks) && verifies(&old_ed, &jwks), "old tokens still verify");
        let now_es = s.signing_key(Alg::Es256).await.unwrap();
        assert_eq!(now_es.kid(), made[0].1, "the new key signs");
        assert!(!first.contains(&now_es.kid().to_owned()));
        assert!(verifies(&now_es.sign("JWT", &claims).unwrap(), &jwks));

        clock.advance(Duration::hours(25));
        let jwks = s.jwks().await.unwrap();
        assert_eq!(kids(&jwks).len(), 4, "retired keys leave the JWKS after a day");
        assert!(!verifies(&old_es, &jwks));
        let report = s.housekeeping().await.unwrap();
        assert_eq!(report.signing_keys_purged, 4);
        assert_eq!(s.ensure_signing_keys().await.unwrap(), 0, "the new keys are active");
    }
}
