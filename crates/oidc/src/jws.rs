//! Compact JWS (RFC 7515 §7.1) over aws-lc-rs keys held parsed in memory.
//!
//! Why not jsonwebtoken here: it parses the private key again on every
//! signature (an EC PKCS#8 parse recomputes the public point) and takes RSA
//! keys only as PKCS#1, which aws-lc-rs does not export. The token endpoint
//! signs once per grant, so that parse would be a large share of its cost.
//! The compact form itself is three base64url parts; the cryptography is
//! aws-lc-rs's.
//!
//! Verification never lets the token pick its algorithm: a [`PublicKey`]
//! knows the one algorithm it verifies, and a header naming another is
//! refused (RFC 8725 §3.1; PROTOCOL.md trap 2).

use aws_lc_rs::signature::{
    self as sig, ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256,
    RSA_PSS_2048_8192_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::keys::Alg;

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// SHA-256, base64url: RFC 7638 thumbprints, PKCE, `ath`.
pub fn sha256_b64(data: &[u8]) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("the header or claims are not a JSON object")]
    NotJson,
    #[error("algorithm {0:?} is not accepted here")]
    Algorithm(String),
    #[error("the key is not usable: {0}")]
    Key(&'static str),
    #[error("the signature does not verify")]
    Signature,
}

/// A parsed, not yet verified, compact JWS.
#[derive(Debug, Clone)]
pub struct Compact<'a> {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// Tokens larger than this are refused before any parsing: nothing we accept
/// comes near it, and it bounds the work an attacker can ask for.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

impl<'a> Compact<'a> {
    pub fn parse(token: &'a str) -> Result<Compact<'a>, JwsError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JwsError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let object = |part: &str| -> Result<Map<String, Value>, JwsError> {
            let bytes = unb64(part).ok_or(JwsError::Malformed)?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(JwsError::NotJson),
            }
        };
        let header = object(h)?;
        let claims = object(c)?;
        let signature = unb64(s).ok_or(JwsError::Malformed)?;
        Ok(Compact {
            header,
            claims,
            signing_input: &token[..h.len() + 1 + c.len()],
            signature,
        })
    }

    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }
}

/// Members that only a private or symmetric key has (RFC 7517, RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 9] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "r"];

/// A public key that verifies exactly one algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    alg: Alg,
    /// EC: the uncompressed point; OKP: the 32 bytes; RSA: empty.
    raw: Vec<u8>,
    rsa: Option<(Vec<u8>, Vec<u8>)>,
    thumbprint: String,
    kid: Option<String>,
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, JwsError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(JwsError::Key(name))
}

fn bytes(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JwsError> {
    unb64(member(jwk, name)?).ok_or(JwsError::Key(name))
}

impl PublicKey {
    /// A key from a public JWK. Its algorithm comes from the key type (EC
    /// P-256: ES256; OKP Ed25519: EdDSA) or, for RSA, from its `alg` member
    /// (PS256 when absent); a JWK that says otherwise is refused. So are
    /// private or symmetric members, and RSA moduli under 2048 bits (FAPI 2.0
    /// §5.4.1-2).
    pub fn from_jwk(jwk: &Value) -> Result<PublicKey, JwsError> {
        let jwk = jwk.as_object().ok_or(JwsError::Key("not an object"))?;
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err(JwsError::Key("private or symmetric key members"));
        }
        if let Some(u) = jwk.get("use")
            && u.as_str() != Some("sig")
        {
            return Err(JwsError::Key("use is not sig"));
        }
        let stated = jwk.get("alg").and_then(Value::as_str);
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        let (alg, raw, rsa, canonical) = match (member(jwk, "kty")?, jwk.get("crv")) {
            ("EC", Some(Value::String(crv))) if crv == "P-256" => {
                let (x, y) = (bytes(jwk, "x")?, bytes(jwk, "y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwsError::Key("P-256 coordinates"));
                }
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let canonical = format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64(&x),
                    b64(&y)
                );
                (Alg::Es256, point, None, canonical)
            }
            ("OKP", Some(Value::String(crv))) if crv == "Ed25519" => {
                let x = bytes(jwk, "x")?;
                if x.len() != 32 {
                    return Err(JwsError::Key("Ed25519 key length"));
                }
                let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(&x));
                (Alg::EdDsa, x, None, canonical)
            }
            ("RSA", _) => {
                let (n, e) = (bytes(jwk, "n")?, bytes(jwk, "e")?);
                let n = strip_zeros(n);
                let e = strip_zeros(e);
                if n.len() < 256 {
                    return Err(JwsError::Key("RSA modulus under 2048 bits"));
                }
                let alg = match stated {
                    None | Some("PS256") => Alg::Ps256,
                    Some("RS256") => Alg::Rs256,
                    Some(other) => return Err(JwsError::Algorithm(other.to_owned())),
                };
                let canonical = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(&e), b64(&n));
                (alg, Vec::new(), Some((n, e)), canonical)
            }
            _ => return Err(JwsError::Key("unsupported key type or curve")),
        };
        if let Some(s) = stated
            && s != alg.as_str()
        {
            return Err(JwsError::Algorithm(s.to_owned()));
        }
        Ok(PublicKey {
            alg,
            raw,
            rsa,
            thumbprint: sha256_b64(canonical.as_bytes()),
            kid,
        })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RFC 7638 thumbprint (DPoP's `jkt`).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Checks the signature; the header's `alg` must be this key's.
    pub fn verify(&self, jws: &Compact<'_>) -> Result<(), JwsError> {
        let named = jws.alg().unwrap_or("");
        if named != self.alg.as_str() {
            return Err(JwsError::Algorithm(named.to_owned()));
        }
        let msg = jws.signing_input.as_bytes();
        let ok = match (self.alg, &self.rsa) {
            (Alg::Es256, _) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.raw)
                .verify(msg, &jws.signature)
                .is_ok(),
            (Alg::EdDsa, _) => UnparsedPublicKey::new(&ED25519, &self.raw)
                .verify(msg, &jws.signature)
                .is_ok(),
            (Alg::Ps256 | Alg::Rs256, Some((n, e))) => {
                let params: &sig::RsaParameters = if self.alg == Alg::Ps256 {
                    &RSA_PSS_2048_8192_SHA256
                } else {
                    &RSA_PKCS1_2048_8192_SHA256
                };
                sig::RsaPublicKeyComponents { n, e }
                    .verify(params, msg, &jws.signature)
                    .is_ok()
            }
            _ => false,
        };
        if ok { Ok(()) } else { Err(JwsError::Signature) }
    }
}

fn strip_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let lead = v.iter().take_while(|b| **b == 0).count();
    v.drain(..lead);
    v
}

/// A client's key set (inline `jwks` or fetched from its `jwks_uri`):
/// unusable keys are skipped, not fatal, so one odd key does not lock a
/// client out.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<PublicKey>,
}

impl KeySet {
    pub fn from_jwks(doc: &Value) -> KeySet {
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .map(|ks| {
                ks.iter()
                    .filter_map(|k| PublicKey::from_jwk(k).ok())
                    .collect()
            })
            .unwrap_or_default();
        KeySet { keys }
    }

    /// The key for this token: by `kid` when it names one, else the only
    /// key of the header's algorithm (FAPI 2.0 §5.4.3 disambiguation).
    pub fn find(&self, jws: &Compact<'_>) -> Option<&PublicKey> {
        let alg = jws.alg()?;
        let mut of_alg = self.keys.iter().filter(|k| k.alg.as_str() == alg);
        match jws.kid() {
            Some(kid) => of_alg.find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let first = of_alg.next()?;
                of_alg.next().is_none().then_some(first)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    #[test]
    fn every_algorithm_round_trips_and_refuses_tampering() {
        for alg in Alg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let token = key.sign("JWT", &serde_json::json!({"sub": "x"})).unwrap();
            let public = PublicKey::from_jwk(key.public_jwk()).unwrap();
            assert_eq!(public.alg(), alg);
            assert_eq!(public.thumbprint(), key.kid());
            let jws = Compact::parse(&token).unwrap();
            public.verify(&jws).unwrap();
            // Another claims part under the same signature.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = b64(br#"{"sub":"y"}"#);
            parts[1] = &forged;
            let forged = parts.join(".");
            assert_eq!(
                public.verify(&Compact::parse(&forged).unwrap()),
                Err(JwsError::Signature),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn the_header_cannot_choose_another_algorithm() {
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let public = PublicKey::from_jwk(key.public_jwk()).unwrap();
        for alg in ["none", "HS256", "ES384", "EdDSA", ""] {
            let header = b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes());
            let token = format!("{header}.{}.", b64(b"{}"));
            assert!(matches!(
                public.verify(&Compact::parse(&token).unwrap()),
                Err(JwsError::Algorithm(_))
            ));
        }
    }

    #[test]
    fn private_symmetric_and_weak_keys_are_refused() {
        let key = SigningKey::generate(Alg::Es256).unwrap();
        let mut jwk = key.public_jwk().clone();
        jwk["d"] = "AAAA".into();
        assert!(PublicKey::from_jwk(&jwk).is_err());
        assert!(PublicKey::from_jwk(&serde_json::json!({"kty":"oct","k":"c2VjcmV0"})).is_err());
        let mut wrong_alg = key.public_jwk().clone();
        wrong_alg["alg"] = "EdDSA".into();
        assert!(PublicKey::from_jwk(&wrong_alg).is_err());
        let small = serde_json::json!({"kty":"RSA","n": b64(&[0xc3; 128]), "e":"AQAB"});
        assert_eq!(
            PublicKey::from_jwk(&small),
            Err(JwsError::Key("RSA modulus under 2048 bits"))
        );
    }

    #[test]
    fn malformed_tokens_are_errors_not_panics() {
        for t in [
            "",
            ".",
            "..",
            "a.b.c",
            "e30.e30",
            "e30.e30.e30.e30",
            "W10.e30.",
            "e30.W10.",
        ] {
            assert!(Compact::parse(t).is_err(), "{t:?}");
        }
        assert!(Compact::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn key_sets_find_by_kid_or_by_a_lone_algorithm() {
        let a = SigningKey::generate(Alg::Es256).unwrap();
        let b = SigningKey::generate(Alg::Es256).unwrap();
        let set = KeySet::from_jwks(
            &serde_json::json!({"keys": [a.public_jwk(), b.public_jwk(), {"kty":"oct"}]}),
        );
        assert_eq!(set.keys.len(), 2);
        let token = b.sign("JWT", &serde_json::json!({})).unwrap();
        let jws = Compact::parse(&token).unwrap();
        assert_eq!(set.find(&jws).unwrap().kid(), Some(b.kid()));
        let header = b64(br#"{"alg":"ES256"}"#);
        let no_kid = format!("{header}.e30.");
        assert!(
            set.find(&Compact::parse(&no_kid).unwrap()).is_none(),
            "ambiguous"
        );
    }
}
