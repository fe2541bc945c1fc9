//! PKCE (RFC 7636) with S256 only: `plain` and an absent method (which
//! means `plain`) are refused (FAPI 2.0 §5.3.2.2-5).

use crate::error::OAuthError;
use crate::jws::sha256_b64;

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Checks `code_challenge` and `code_challenge_method` of an authorization
/// request; returns the challenge to store with the code.
pub fn challenge(challenge: Option<&str>, method: Option<&str>) -> Result<String, OAuthError> {
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::request("code_challenge is required (PKCE S256)"))?;
    match method {
        Some("S256") => {}
        Some("plain") | None => {
            return Err(OAuthError::request(
                "code_challenge_method must be S256; plain is not accepted",
            ));
        }
        Some(_) => return Err(OAuthError::request("unsupported code_challenge_method")),
    }
    // base64url of 32 bytes, no padding.
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(OAuthError::request(
            "code_challenge is not a base64url SHA-256",
        ));
    }
    Ok(challenge.to_owned())
}

/// Checks a `code_verifier` against the stored challenge (RFC 7636 §4.6).
pub fn verify(verifier: Option<&str>, challenge: &str) -> Result<(), OAuthError> {
    let verifier = verifier.ok_or_else(|| OAuthError::grant("code_verifier is required"))?;
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return Err(OAuthError::grant("code_verifier is malformed"));
    }
    let computed = sha256_b64(verifier.as_bytes());
    if subtle_eq(computed.as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(OAuthError::grant(
            "code_verifier does not match the code_challenge",
        ))
    }
}

/// Constant-time comparison of two byte strings of public length.
pub(crate) fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert_eq!(challenge(Some(CHALLENGE), Some("S256")).unwrap(), CHALLENGE);
        verify(Some(VERIFIER), CHALLENGE).unwrap();
    }

    #[test]
    fn plain_absent_and_wrong_are_refused() {
        assert!(challenge(Some(CHALLENGE), Some("plain")).is_err());
        assert!(challenge(Some(CHALLENGE), None).is_err());
        assert!(challenge(None, Some("S256")).is_err());
        assert!(challenge(Some("short"), Some("S256")).is_err());
        let mut wrong = VERIFIER.to_owned();
        wrong.replace_range(0..1, "e");
        assert!(verify(Some(&wrong), CHALLENGE).is_err());
        assert!(verify(None, CHALLENGE).is_err());
        assert!(verify(Some("short"), CHALLENGE).is_err());
        assert!(verify(Some(&format!("{VERIFIER}+")), CHALLENGE).is_err());
    }
}
