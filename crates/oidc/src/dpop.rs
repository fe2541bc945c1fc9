//! DPoP proofs (RFC 9449 §4.3). The caller supplies the request's method
//! and its public URL (from configuration, never from `Host`: PROTOCOL.md
//! trap 6), remembers the returned `jti`, and issues the nonces.

use crate::Alg;
use crate::clock::MAX_FUTURE;
use crate::error::{ErrorCode, OAuthError};
use crate::jws::{Compact, PublicKey, sha256_b64};

/// Proofs older than this are refused (RFC 9449 §11.1: "a short window").
pub const MAX_AGE: i64 = 300;
pub const MAX_JTI_LEN: usize = 256;
/// The algorithms a proof may use: FAPI 2.0's, for every client.
pub const ALGS: [Alg; 3] = Alg::FAPI;

/// A checked proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

impl Proof {
    /// Until when the replay store must remember the `jti`.
    pub fn remember_until(&self) -> i64 {
        self.iat + MAX_AGE + MAX_FUTURE
    }
}

/// What the proof is checked against.
pub struct Expect<'a> {
    pub method: &'a str,
    /// The endpoint's public URL.
    pub url: &'a str,
    pub now: i64,
    /// For resource requests: the access token the proof must hash (`ath`).
    pub access_token: Option<&'a str>,
    /// Whether a nonce the server issued is valid; `None`: nonces not required.
    pub nonce_ok: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

fn invalid(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, format!("DPoP proof: {why}"))
}

/// `scheme://host[:port]/path` in RFC 3986 normal form, without query and
/// fragment.
pub fn normalize_htu(u: &str) -> Option<String> {
    let mut url = url::Url::parse(u).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    // `url` already lower-cases scheme and host, drops default ports and
    // normalizes percent-encoding and dot segments.
    Some(url.to_string())
}

pub fn check(proof: &str, expect: &Expect<'_>) -> Result<Proof, OAuthError> {
    let jws = Compact::parse(proof).map_err(|_| invalid("not a compact JWS"))?;
    if jws.typ() != Some("dpop+jwt") {
        return Err(invalid("typ must be dpop+jwt"));
    }
    let jwk = jws
        .header
        .get("jwk")
        .ok_or_else(|| invalid("jwk header is required"))?;
    let key = PublicKey::from_jwk(jwk).map_err(|e| invalid(&e.to_string()))?;
    if !ALGS.contains(&key.alg()) {
        return Err(invalid("algorithm not accepted"));
    }
    key.verify(&jws).map_err(|e| invalid(&e.to_string()))?;
    let jti = jws
        .claim_str("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| invalid("jti is required"))?;
    if jws.claim_str("htm") != Some(expect.method) {
        return Err(invalid("htm does not match the request method"));
    }
    let htu = jws
        .claim_str("htu")
        .and_then(normalize_htu)
        .ok_or_else(|| invalid("htu is missing or not a URL"))?;
    if Some(htu) != normalize_htu(expect.url) {
        return Err(invalid("htu does not match the request URL"));
    }
    let iat = jws
        .claim_i64("iat")
        .ok_or_else(|| invalid("iat is required"))?;
    if iat > expect.now + MAX_FUTURE || iat < expect.now - MAX_AGE {
        return Err(invalid("iat is outside the accepted window"));
    }
    match (expect.access_token, jws.claim_str("ath")) {
        (Some(at), Some(ath))
            if crate::pkce::subtle_eq(sha256_b64(at.as_bytes()).as_bytes(), ath.as_bytes()) => {}
        (Some(_), _) => return Err(invalid("ath does not match the access token")),
        (None, _) => {}
    }
    if let Some(nonce_ok) = expect.nonce_ok {
        match jws.claim_str("nonce") {
            Some(n) if nonce_ok(n) => {}
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UseDpopNonce,
                    "Authorization server requires nonce in DPoP proof",
                ));
            }
        }
    }
    Ok(Proof {
        jkt: key.thumbprint().to_owned(),
        jti: jti.to_owned(),
        iat,
    })
}

/// A DPoP proof, for tests and the example client.
pub fn make_proof(
    key: &crate::SigningKey,
    method: &str,
    url: &str,
    iat: i64,
    jti: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Result<String, crate::KeyError> {
    let mut claims = serde_json::json!({"jti": jti, "htm": method, "htu": url, "iat": iat});
    if let Some(at) = access_token {
        claims["ath"] = sha256_b64(at.as_bytes()).into();
    }
    if let Some(n) = nonce {
        claims["nonce"] = n.into();
    }
    key.sign_with_jwk("dpop+jwt", &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    const URL: &str = "https://propusk.example/oauth/token";

    fn expect(now: i64) -> Expect<'static> {
        Expect {
            method: "POST",
            url: URL,
            now,
            access_token: None,
            nonce_ok: None,
        }
    }

    #[test]
    fn a_good_proof_gives_the_key_thumbprint() {
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let now = 1_700_000_000;
        let p = make_proof(
            &key,
            "POST",
            "https://PROPUSK.example:443/oauth/token?x=1",
            now,
            "j",
            None,
            None,
        )
        .unwrap();
        let proof = check(&p, &expect(now)).unwrap();
        assert_eq!(proof.jkt, key.kid());
        assert_eq!(proof.jti, "j");
    }

    #[test]
    fn wrong_method_url_time_ath_and_nonce_are_refused() {
        let key = SigningKey::generate(Alg::EdDsa).unwrap();
        let now = 1_700_000_000;
        let code = |p: &str, e: &Expect<'_>| check(p, e).unwrap_err().code;
        let get = make_proof(&key, "GET", URL, now, "j", None, None).unwrap();
        assert_eq!(code(&get, &expect(now)), ErrorCode::InvalidDpopProof);
        let other = make_proof(
            &key,
            "POST",
            "https://propusk.example/oauth/par",
            now,
            "j",
            None,
            None,
        )
        .unwrap();
        assert_eq!(code(&other, &expect(now)), ErrorCode::InvalidDpopProof);
        let stale = make_proof(&key, "POST", URL, now - 301, "j", None, None).unwrap();
        assert_eq!(code(&stale, &expect(now)), ErrorCode::InvalidDpopProof);
        let future = make_proof(&key, "POST", URL, now + 61, "j", None, None).unwrap();
        assert_eq!(code(&future, &expect(now)), ErrorCode::InvalidDpopProof);
        let at = "token";
        let mut e = expect(now);
        e.access_token = Some(at);
        let wrong_ath = make_proof(&key, "POST", URL, now, "j", Some("other"), None).unwrap();
        assert_eq!(code(&wrong_ath, &e), ErrorCode::InvalidDpopProof);
        let no_ath = make_proof(&key, "POST", URL, now, "j", None, None).unwrap();
        assert_eq!(code(&no_ath, &e), ErrorCode::InvalidDpopProof);
        let good = make_proof(&key, "POST", URL, now, "j", Some(at), None).unwrap();
        assert!(check(&good, &e).is_ok());
        let ok = |n: &str| n == "n1";
        let mut e = expect(now);
        e.nonce_ok = Some(&ok);
        assert_eq!(code(&no_ath, &e), ErrorCode::UseDpopNonce);
        let with = make_proof(&key, "POST", URL, now, "j", None, Some("n1")).unwrap();
        assert!(check(&with, &e).is_ok());
        let stale_nonce = make_proof(&key, "POST", URL, now, "j", None, Some("n0")).unwrap();
        assert_eq!(code(&stale_nonce, &e), ErrorCode::UseDpopNonce);
    }

    #[test]
    fn private_members_symmetric_keys_and_rs256_are_refused() {
        let now = 1_700_000_000;
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let body = crate::jws::b64(
            serde_json::json!({"jti":"j","htm":"POST","htu":URL,"iat":now})
                .to_string()
                .as_bytes(),
        );
        let mut jwk = key.public_jwk().clone();
        jwk["d"] = "AAAA".into();
        let header = serde_json::json!({"typ":"dpop+jwt","alg":"ES256","jwk":jwk});
        let t = format!(
            "{}.{body}.AAAA",
            crate::jws::b64(header.to_string().as_bytes())
        );
        assert_eq!(
            check(&t, &expect(now)).unwrap_err().code,
            ErrorCode::InvalidDpopProof
        );
        let rsa = SigningKey::generate(Alg::Rs256).unwrap();
        let p = make_proof(&rsa, "POST", URL, now, "j", None, None).unwrap();
        assert!(check(&p, &expect(now)).is_err());
        let header =
            serde_json::json!({"typ":"dpop+jwt","alg":"HS256","jwk":{"kty":"oct","k":"c2VjcmV0"}});
        let t = format!(
            "{}.{body}.AAAA",
            crate::jws::b64(header.to_string().as_bytes())
        );
        assert!(check(&t, &expect(now)).is_err());
        let header = serde_json::json!({"typ":"JWT","alg":"ES256","jwk":key.public_jwk()});
        let t = format!(
            "{}.{body}.AAAA",
            crate::jws::b64(header.to_string().as_bytes())
        );
        assert!(check(&t, &expect(now)).is_err(), "typ");
    }
}
