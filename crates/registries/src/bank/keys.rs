//! The demo bank's keys and tokens. Its signing key is the provider's own
//! kind (`propusk_oidc::SigningKey`, ES256 made with aws-lc-rs, RFC 7638
//! `kid`), kept in memory: a restart rotates it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use propusk_oidc::{KeyError, SigningKey};

/// The bank's ES256 key.
pub fn new_signing_key() -> Result<SigningKey, KeyError> {
    SigningKey::generate(propusk_oidc::Alg::Es256)
}

/// Random URL-safe text of `bytes` random bytes (codes, tokens).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        // aws-lc's generator does not fail on a working system; if it ever
        // did, an empty token would be refused everywhere it is used.
        return String::new();
    }
    URL_SAFE_NO_PAD.encode(buf)
}

/// PKCE S256: base64url(SHA-256(verifier)).
pub fn s256(verifier: &str) -> String {
    propusk_oidc::jws::sha256_b64(verifier.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_and_tokens() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(random_token(32).len(), 43);
        assert_eq!(new_signing_key().unwrap().alg(), propusk_oidc::Alg::Es256);
    }
}
