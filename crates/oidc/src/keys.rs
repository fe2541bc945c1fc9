//! The provider's signing keys. Each key pins one algorithm (a token never
//! chooses its own); keys are made with aws-lc-rs (STACK.md: the fastest
//! P-256 and Ed25519 here), kept parsed in memory for signing, and stored
//! as PKCS#8, which the caller seals. The `kid` is the RFC 7638 thumbprint
//! of the public key.
//!
//! PS256, ES256 and EdDSA are the FAPI 2.0 algorithms; RS256 is made only
//! for plain-OIDC sandbox clients, because Discovery requires it.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RSA_PSS_SHA256, RsaKeyPair,
};
use serde::Serialize;

use crate::jws::{b64, sha256_b64};

/// A signing algorithm the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Es256,
    EdDsa,
    Ps256,
    Rs256,
}

impl Alg {
    pub const ALL: [Alg; 4] = [Alg::Es256, Alg::EdDsa, Alg::Ps256, Alg::Rs256];
    /// What FAPI 2.0 §5.4.1-1 allows.
    pub const FAPI: [Alg; 3] = [Alg::Ps256, Alg::Es256, Alg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
            Alg::Ps256 => "PS256",
            Alg::Rs256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn is_fapi(self) -> bool {
        Alg::FAPI.contains(&self)
    }

    /// The hash for `at_hash` (OIDC Core §3.1.3.6): SHA-256 for these,
    /// SHA-512 for Ed25519 (OpenID "Token Hash Algorithms").
    fn half_hash(self, data: &[u8]) -> String {
        use aws_lc_rs::digest::{SHA256, SHA512, digest};
        let d = match self {
            Alg::EdDsa => digest(&SHA512, data),
            _ => digest(&SHA256, data),
        };
        let bytes = d.as_ref();
        b64(&bytes[..bytes.len() / 2])
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

enum Pair {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private key with its public JWK. Cloning shares the parsed key.
#[derive(Clone)]
pub struct SigningKey {
    alg: Alg,
    pkcs8: Vec<u8>,
    pair: std::sync::Arc<Pair>,
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

/// RFC 7638: SHA-256 over the required members in lexicographic order.
fn thumbprint(canonical: &str) -> String {
    sha256_b64(canonical.as_bytes())
}

impl SigningKey {
    /// A new key. RSA keys are 2048 bits (FAPI 2.0 §5.4.1-2's minimum).
    pub fn generate(alg: Alg) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let der: Vec<u8> = match alg {
            Alg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
            Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
            Alg::Ps256 | Alg::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|k| k.as_der())
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec(),
        };
        SigningKey::from_pkcs8(alg, &der)
    }

    /// The key from its stored PKCS#8 form.
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Result<SigningKey, KeyError> {
        let (kid, jwk, pair) = match alg {
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
                (kid, jwk, Pair::Ec(pair))
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
                (kid, jwk, Pair::Ed(pair))
            }
            Alg::Ps256 | Alg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| KeyError::Rejected("RSA"))?;
                if pair.public_modulus_len() < 256 {
                    return Err(KeyError::Rejected("RSA of 2048 bits or more"));
                }
                let public = pair.public_key();
                let n = b64(public.modulus().big_endian_without_leading_zero());
                let e = b64(public.exponent().big_endian_without_leading_zero());
                let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
                let jwk = serde_json::json!({
                    "kty": "RSA", "n": n, "e": e,
                    "kid": kid, "alg": alg.as_str(), "use": "sig",
                });
                (kid, jwk, Pair::Rsa(pair))
            }
        };
        Ok(SigningKey {
            alg,
            pkcs8: der.to_vec(),
            pair: std::sync::Arc::new(pair),
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

    /// The public key as a JWK (`kty`, `crv`/`n`+`e`, `kid`, `alg`, `use`).
    pub fn public_jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// The private key, to be sealed before it is stored.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// `at_hash` of an access token signed beside a token of this key.
    pub fn at_hash(&self, access_token: &str) -> String {
        self.alg.half_hash(access_token.as_bytes())
    }

    /// A compact JWS over `claims` with this key's algorithm, `kid` and `typ`.
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'static str,
            kid: &'a str,
            typ: &'a str,
        }
        self.sign_parts(
            &Header {
                alg: self.alg.as_str(),
                kid: &self.kid,
                typ,
            },
            claims,
        )
    }

    /// A JWS carrying its own public key in the header (DPoP proofs).
    pub fn sign_with_jwk(&self, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'static str,
            typ: &'a str,
            jwk: &'a serde_json::Value,
        }
        self.sign_parts(
            &Header {
                alg: self.alg.as_str(),
                typ,
                jwk: &self.jwk,
            },
            claims,
        )
    }

    fn sign_parts(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, KeyError> {
        let header = serde_json::to_vec(header).map_err(|e| KeyError::Sign(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        let mut out = b64(&header);
        out.push('.');
        out.push_str(&b64(&claims));
        let sig = self.raw_sign(out.as_bytes())?;
        out.push('.');
        out.push_str(&b64(&sig));
        Ok(out)
    }

    fn raw_sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        let failed = |_| KeyError::Sign(format!("{} signature", self.alg.as_str()));
        Ok(match self.pair.as_ref() {
            Pair::Ec(p) => p.sign(&rng, msg).map_err(failed)?.as_ref().to_vec(),
            Pair::Ed(p) => p.sign(msg).as_ref().to_vec(),
            Pair::Rsa(p) => {
                let mut sig = vec![0; p.public_modulus_len()];
                let padding: &'static dyn aws_lc_rs::signature::RsaEncoding =
                    if self.alg == Alg::Ps256 {
                        &RSA_PSS_SHA256
                    } else {
                        &RSA_PKCS1_SHA256
                    };
                p.sign(padding, &rng, msg, &mut sig).map_err(failed)?;
                sig
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    fn jose(alg: Alg) -> Algorithm {
        match alg {
            Alg::Es256 => Algorithm::ES256,
            Alg::EdDsa => Algorithm::EdDSA,
            Alg::Ps256 => Algorithm::PS256,
            Alg::Rs256 => Algorithm::RS256,
        }
    }

    /// Checked against jsonwebtoken, an independent verifier.
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
            let mut v = Validation::new(jose(alg));
            v.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_jwk(&jwk).unwrap(),
                &v,
            )
            .unwrap();
            assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
            assert_eq!(data.header.alg, jose(alg));
            assert_eq!(Alg::parse(alg.as_str()), Some(alg));
        }
        assert_eq!(Alg::parse("RS256"), Some(Alg::Rs256));
        assert!(!Alg::Rs256.is_fapi());
        assert_eq!(Alg::parse("HS256"), None);
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
