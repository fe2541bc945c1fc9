//! The tokens the provider issues: ID tokens (OIDC Core §2), JWT access
//! tokens (RFC 9068), logout tokens (Back-Channel Logout §2.4), and the
//! check a resource server makes of an access token.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, OAuthError};
use crate::jws::{Compact, KeySet};

/// Access and ID tokens live this long (the issue: ≤ 10 minutes).
pub const ACCESS_TOKEN_TTL: i64 = 600;
pub const ID_TOKEN_TTL: i64 = 600;
/// FAPI 2.0 §5.3.2.1-12: codes live at most 60 s.
pub const CODE_TTL: i64 = 60;
/// FAPI 2.0 §5.3.2.2-12: under 600 s; node-oidc-provider uses 60.
pub const REQUEST_URI_TTL: i64 = 90;
/// Once the browser has opened a request, how long (from the push) the
/// person has to sign in, read the screen and decide: FAPI's short
/// lifetime is for an unopened `request_uri`, not for a person typing an
/// SMS code.
pub const INTERACTION_TTL: i64 = 30 * 60;
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

pub const TYP_ACCESS: &str = "at+jwt";
pub const TYP_LOGOUT: &str = "logout+jwt";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cnf {
    Jkt { jkt: String },
}

/// RFC 9068 §2.2, with `cnf` (RFC 9449 §6.1) and our grant id, so that
/// revoking a grant stops its access tokens at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Cnf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The grant behind the token; absent for `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// RFC 9396 §9.1: what the grant's `authorization_details` granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
}

impl AccessClaims {
    pub fn jkt(&self) -> Option<&str> {
        match &self.cnf {
            Some(Cnf::Jkt { jkt }) => Some(jkt),
            None => None,
        }
    }

    pub fn has_scope(&self, s: &str) -> bool {
        self.scope.split(' ').any(|x| x == s)
    }
}

/// Checks an access token as a resource server must (RFC 9068 §4): `typ`,
/// signature by one of the provider's keys, `iss`, `aud`, `exp`.
pub fn verify_access(
    token: &str,
    keys: &KeySet,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<AccessClaims, OAuthError> {
    let bad = |why: &str| OAuthError::new(ErrorCode::InvalidToken, why.to_owned());
    let jws = Compact::parse(token).map_err(|_| bad("malformed access token"))?;
    if !matches!(jws.typ(), Some("at+jwt") | Some("application/at+jwt")) {
        return Err(bad("not an access token"));
    }
    let key = keys.find(&jws).ok_or_else(|| bad("unknown signing key"))?;
    key.verify(&jws).map_err(|_| bad("bad signature"))?;
    let claims: AccessClaims = serde_json::from_value(serde_json::Value::Object(jws.claims))
        .map_err(|_| bad("malformed claims"))?;
    if claims.iss != issuer || claims.aud != audience {
        return Err(bad("wrong issuer or audience"));
    }
    if claims.exp <= now {
        return Err(bad("expired"));
    }
    Ok(claims)
}

/// A random token of 256 bits, base64url (FAPI 2.0 §5.4.1-4 asks ≥ 128).
pub fn random_token() -> Result<String, crate::KeyError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| crate::KeyError::Generate)?;
    Ok(crate::jws::b64(&b))
}

/// The stored form of a secret token: its SHA-256, so a database reader
/// cannot use what it sees.
pub fn token_hash(token: &str) -> String {
    crate::jws::sha256_b64(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Alg, SigningKey};

    #[test]
    fn access_tokens_verify_only_as_access_tokens() {
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let keys = KeySet::from_jwks(&serde_json::json!({"keys": [key.public_jwk()]}));
        let claims = AccessClaims {
            iss: "https://p".into(),
            sub: "s".into(),
            aud: "https://p".into(),
            client_id: "c".into(),
            exp: 2000,
            iat: 1000,
            jti: "j".into(),
            scope: "openid".into(),
            cnf: Some(Cnf::Jkt { jkt: "t".into() }),
            auth_time: None,
            acr: None,
            gid: None,
            authorization_details: Vec::new(),
        };
        let at = key.sign(TYP_ACCESS, &claims).unwrap();
        let got = verify_access(&at, &keys, "https://p", "https://p", 1500).unwrap();
        assert_eq!(got.jkt(), Some("t"));
        assert!(
            verify_access(&at, &keys, "https://p", "https://p", 2000).is_err(),
            "expired"
        );
        assert!(verify_access(&at, &keys, "https://q", "https://p", 1500).is_err());
        let id_like = key.sign("JWT", &claims).unwrap();
        assert!(
            verify_access(&id_like, &keys, "https://p", "https://p", 1500).is_err(),
            "typ"
        );
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
    }
}
