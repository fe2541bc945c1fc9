//! The provider's signing keys. Each key pins one algorithm (a token never
//! chooses its own); keys are made with aws-lc-rs (STACK.md: the fastest
//! P-256 and Ed25519 here) and kept as PKCS#8, which the caller seals. The
//! `kid` is the RFC 7638 thumbprint of the public key.
//!
//! ES256 and EdDSA today, both allowed by FAPI 2.0. PS256, and RS256 for
//! plain-OIDC clients (Discovery asks for it), need RSA keys in PKCS#1 for
//! jsonwebtoken and come with the token endpoint.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// A signing algorithm the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Es256,
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 2] = [Alg::Es256, Alg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn jose(self) -> Algorithm {
        match self {
            Alg::Es256 => Algorithm::ES256,
            Alg::EdDsa => Algorithm::EdDSA,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("not a {0} PKCS#8 key")]
    Rejected(&'static str),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A private key with its public JWK.
pub struct SigningKey {
    alg: Alg,
    pkcs8: Vec<u8>,
    encoding: EncodingKey,
    kid: String,
    jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7638: SHA-256 over the required members in lexicographic order.
fn thumbprint(canonical: &str) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}

impl SigningKey {
    pub fn generate(alg: Alg) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let doc = match alg {
            Alg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
            Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| KeyError::Generate)?;
        SigningKey::from_pkcs8(alg, doc.as_ref())
    }

    /// The key from its stored PKCS#8 form.
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Result<SigningKey, KeyError> {
        let (kid, jwk, encoding) = match alg {
            Alg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| KeyError::Rejected("P-256"))?;
                let (x, y) = match pair.public_key().as_ref() {
                    [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
                    _ => return Err(KeyError::Rejected("P-256")),
                };
                let (x, y) = (b64(x), b64(y));
                let kid = thumbprint(&format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
                ));
                let jwk = serde_json::json!({
                    "kty": "EC", "crv": "P-256", "x": x, "y": y,
                    "kid": kid, "alg": "ES256", "use": "sig",
                });
                (kid, jwk, EncodingKey::from_ec_der(der))
            }
            Alg::EdDsa => {
                let pair =
                    Ed25519KeyPair::from_pkcs8(der).map_err(|_| KeyError::Rejected("Ed25519"))?;
                let x = b64(pair.public_key().as_ref());
                let kid = thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#));
                let jwk = serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": x,
                    "kid": kid, "alg": "EdDSA", "use": "sig",
                });
                (kid, jwk, EncodingKey::from_ed_der(der))
            }
        };
        Ok(SigningKey {
            alg,
            pkcs8: der.to_vec(),
            encoding,
            kid,
            jwk,
        })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (`kty`, `crv`, `x`[, `y`], `kid`, `alg`, `use`).
    pub fn public_jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// The private key, to be sealed before it is stored.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// A compact JWS over `claims` with this key's algorithm, `kid` and `typ`.
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
        let mut header = Header::new(self.alg.jose());
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn each_algorithm_signs_what_its_published_jwk_verifies() {
        for alg in Alg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let again = SigningKey::from_pkcs8(alg, key.pkcs8()).unwrap();
            assert_eq!(again.kid(), key.kid(), "the kid is a function of the key");
            let jwk: Jwk = serde_json::from_value(key.public_jwk().clone()).unwrap();
            assert!(
                key.public_jwk().get("d").is_none(),
                "no private part published"
            );
            let token = again
                .sign(
                    "JWT",
                    &serde_json::json!({ "sub": "x", "exp": 4_000_000_000u64 }),
                )
                .unwrap();
            let mut v = Validation::new(alg.jose());
            v.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_jwk(&jwk).unwrap(),
                &v,
            )
            .unwrap();
            assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
            assert_eq!(data.header.alg, alg.jose());
            assert_eq!(Alg::parse(alg.as_str()), Some(alg));
        }
        assert_eq!(Alg::parse("RS256"), None);
        assert_eq!(Alg::parse("none"), None);
    }

    #[test]
    fn a_key_of_one_kind_is_not_read_as_another() {
        let ec = SigningKey::generate(Alg::Es256).unwrap();
        assert!(SigningKey::from_pkcs8(Alg::EdDsa, ec.pkcs8()).is_err());
        assert!(SigningKey::from_pkcs8(Alg::Es256, b"junk").is_err());
    }

    /// RFC 7638 §3.1's example key gives its published thumbprint (RSA
    /// there; the same canonical form is what EC and OKP keys hash here).
    #[test]
    fn thumbprints_follow_rfc_7638() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let canonical = format!(r#"{{"e":"AQAB","kty":"RSA","n":"{n}"}}"#);
        assert_eq!(
            thumbprint(&canonical),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
