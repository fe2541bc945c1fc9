//! `private_key_jwt` client assertions (RFC 7523 §3, OIDC Core §9, FAPI 2.0
//! §5.3.2.1-8). The caller finds the client's key and remembers the `jti`;
//! this checks the rest.
//!
//! `aud` must be the issuer identifier as a plain string and nothing else:
//! OIDC Core errata 3 says so and the FAPI conformance suite fails an
//! endpoint URL or an array (PROTOCOL.md trap 8).

use crate::clock::{EXP_LEEWAY, not_from_future};
use crate::error::OAuthError;
use crate::jws::{Compact, KeySet};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// An assertion valid for longer than this is refused as unreasonable.
pub const MAX_LIFETIME: i64 = 300;
pub const MAX_JTI_LEN: usize = 256;

/// What the replay store must remember: `jti` until `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub jti: String,
    pub exp: i64,
}

fn bad(why: &str) -> OAuthError {
    OAuthError::client(format!("client assertion: {why}"))
}

/// Verifies `token` as `client_id`'s assertion for `issuer` at `now`.
/// `allowed` says which algorithms the client's profile permits.
pub fn check(
    token: &str,
    client_id: &str,
    keys: &KeySet,
    allowed: &[crate::Alg],
    issuer: &str,
    now: i64,
) -> Result<Assertion, OAuthError> {
    let jws = Compact::parse(token).map_err(|_| bad("not a signed JWT"))?;
    check_parsed(&jws, client_id, keys, allowed, issuer, now)
}

/// [`check`] of an assertion the caller has parsed already (it read `iss`
/// to find the client): the token endpoint parses it once.
pub fn check_parsed(
    jws: &Compact<'_>,
    client_id: &str,
    keys: &KeySet,
    allowed: &[crate::Alg],
    issuer: &str,
    now: i64,
) -> Result<Assertion, OAuthError> {
    let key = keys
        .find(jws)
        .ok_or_else(|| bad("no registered key matches its kid and alg"))?;
    if !allowed.contains(&key.alg()) {
        return Err(bad("algorithm not allowed for this client"));
    }
    key.verify(jws)
        .map_err(|_| bad("signature does not verify"))?;
    if jws.claim_str("iss") != Some(client_id) || jws.claim_str("sub") != Some(client_id) {
        return Err(bad("iss and sub must be the client_id"));
    }
    match jws.claims.get("aud") {
        Some(serde_json::Value::String(a)) if a == issuer => {}
        _ => return Err(bad("aud must be the issuer identifier, as a string")),
    }
    let exp = jws.claim_i64("exp").ok_or_else(|| bad("exp is required"))?;
    if exp + EXP_LEEWAY < now {
        return Err(bad("expired"));
    }
    if exp > now + MAX_LIFETIME + crate::clock::MAX_FUTURE {
        return Err(bad("exp is too far in the future"));
    }
    if !not_from_future(jws.claim_i64("iat"), jws.claim_i64("nbf"), now) {
        return Err(bad("iat or nbf is in the future"));
    }
    let jti = jws
        .claim_str("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| bad("jti is required (at most 256 characters)"))?;
    Ok(Assertion {
        jti: jti.to_owned(),
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Alg, SigningKey};
    use serde_json::json;

    const ISS: &str = "https://propusk.example";

    fn setup(alg: Alg) -> (SigningKey, KeySet) {
        let key = SigningKey::generate(alg).unwrap();
        let set = KeySet::from_jwks(&json!({"keys": [key.public_jwk()]}));
        (key, set)
    }

    fn claims(now: i64) -> serde_json::Value {
        json!({"iss": "c1", "sub": "c1", "aud": ISS, "exp": now + 60, "iat": now, "jti": "j1"})
    }

    #[test]
    fn a_good_assertion_passes_and_each_fault_fails() {
        let now = 1_700_000_000;
        let (key, set) = setup(Alg::Es256);
        let ok = key.sign("JWT", &claims(now)).unwrap();
        assert_eq!(
            check(&ok, "c1", &set, &Alg::FAPI, ISS, now).unwrap(),
            Assertion {
                jti: "j1".into(),
                exp: now + 60
            }
        );
        assert!(
            check(&ok, "c2", &set, &Alg::FAPI, ISS, now).is_err(),
            "another client"
        );
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("aud endpoint", json!({"aud": format!("{ISS}/oauth/token")})),
            ("aud array", json!({"aud": [ISS]})),
            ("no exp", json!({"exp": null})),
            ("expired", json!({"exp": now - 30})),
            ("exp far", json!({"exp": now + 3600})),
            ("iat future", json!({"iat": now + 61})),
            ("no jti", json!({"jti": null})),
            ("long jti", json!({"jti": "x".repeat(300)})),
            ("iss", json!({"iss": "c2"})),
        ];
        for (name, patch) in cases {
            let mut c = claims(now);
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    c.as_object_mut().unwrap().remove(k);
                } else {
                    c[k] = v.clone();
                }
            }
            let t = key.sign("JWT", &c).unwrap();
            let e = check(&t, "c1", &set, &Alg::FAPI, ISS, now).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidClient, "{name}");
        }
        let mut soon = claims(now);
        soon["iat"] = json!(now + 10);
        let t = key.sign("JWT", &soon).unwrap();
        assert!(
            check(&t, "c1", &set, &Alg::FAPI, ISS, now).is_ok(),
            "10 s ahead is fine"
        );
    }

    #[test]
    fn rs256_is_refused_for_fapi_and_hs256_everywhere() {
        let now = 1_700_000_000;
        let (key, set) = setup(Alg::Rs256);
        let t = key.sign("JWT", &claims(now)).unwrap();
        assert!(check(&t, "c1", &set, &Alg::FAPI, ISS, now).is_err());
        assert!(check(&t, "c1", &set, &Alg::ALL, ISS, now).is_ok());
        // HS256 with the public key's bytes as the secret: no key matches.
        let (_, set) = setup(Alg::Es256);
        let header = crate::jws::b64(br#"{"alg":"HS256"}"#);
        let body = crate::jws::b64(claims(now).to_string().as_bytes());
        let t = format!("{header}.{body}.AAAA");
        assert!(check(&t, "c1", &set, &Alg::ALL, ISS, now).is_err());
        let header = crate::jws::b64(br#"{"alg":"none"}"#);
        let t = format!("{header}.{body}.");
        assert!(check(&t, "c1", &set, &Alg::ALL, ISS, now).is_err());
    }
}
