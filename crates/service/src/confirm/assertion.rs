//! The bank's identity assertion: a JWS (typ `identity-assertion+jwt`) in
//! which the bank says who its customer is. Checked here without I/O:
//! signature with the bank's published key (the algorithm comes from the
//! key, never from the token alone), type, issuer, audience, expiry, nonce
//! and subject; then its data is compared with the person's profile.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use propusk_core::account::{Profile, same_name};
pub use propusk_registries::bank::IdentityAssertion;

pub const TYP: &str = "identity-assertion+jwt";

/// How far the bank's clock may be off from ours.
const LEEWAY_SECONDS: u64 = 30;
/// An assertion issued further ahead than this is refused.
const MAX_FUTURE_IAT_SECONDS: i64 = 60;

/// What the assertion must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// The ID token's `sub`: both tokens must speak of the same customer.
    pub subject: &'a str,
    pub now: i64,
}

/// Why an assertion was refused; `code()` is the message code people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("no identity assertion in the token response")]
    Missing,
    #[error("not a well-formed JWS")]
    Malformed,
    #[error("signed with a key the bank does not publish")]
    UnknownKey,
    #[error("signature does not verify")]
    Signature,
    #[error("wrong type")]
    Type,
    #[error("issued by someone else")]
    Issuer,
    #[error("meant for another client")]
    Audience,
    #[error("expired")]
    Expired,
    #[error("issued in the future")]
    NotYetValid,
    #[error("nonce does not match")]
    Nonce,
    #[error("about another customer than the ID token")]
    Subject,
}

impl AssertionError {
    pub fn code(self) -> &'static str {
        match self {
            AssertionError::Missing => "assertion_missing",
            AssertionError::Malformed => "assertion_malformed",
            AssertionError::UnknownKey => "assertion_unknown_key",
            AssertionError::Signature => "assertion_signature",
            AssertionError::Type => "assertion_type",
            AssertionError::Issuer => "assertion_issuer",
            AssertionError::Audience => "assertion_audience",
            AssertionError::Expired => "assertion_expired",
            AssertionError::NotYetValid => "assertion_not_yet_valid",
            AssertionError::Nonce => "assertion_nonce",
            AssertionError::Subject => "assertion_subject",
        }
    }
}

/// The algorithm a key is for: its `alg`, or the one its curve implies.
fn algorithm_of(key: &Jwk) -> Option<Algorithm> {
    match (&key.common.key_algorithm, &key.algorithm) {
        (Some(KeyAlgorithm::ES256), _) => Some(Algorithm::ES256),
        (Some(KeyAlgorithm::ES384), _) => Some(Algorithm::ES384),
        (Some(KeyAlgorithm::PS256), _) => Some(Algorithm::PS256),
        (Some(KeyAlgorithm::RS256), _) => Some(Algorithm::RS256),
        (Some(KeyAlgorithm::EdDSA), _) => Some(Algorithm::EdDSA),
        (Some(_), _) => None,
        (None, AlgorithmParameters::EllipticCurve(ec)) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        (None, AlgorithmParameters::OctetKeyPair(_)) => Some(Algorithm::EdDSA),
        (None, _) => None,
    }
}

pub fn verify(
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<IdentityAssertion, AssertionError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AssertionError::Malformed)?;
    if header.typ.as_deref() != Some(TYP) {
        return Err(AssertionError::Type);
    }
    let key = match header.kid.as_deref() {
        Some(kid) => keys.find(kid),
        // Without a kid, only a bank with a single key is unambiguous.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(AssertionError::UnknownKey)?;
    let algorithm = algorithm_of(key).ok_or(AssertionError::UnknownKey)?;
    let decoding = DecodingKey::from_jwk(key).map_err(|_| AssertionError::UnknownKey)?;
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub", "jti"]);
    let data =
        jsonwebtoken::decode::<IdentityAssertion>(token, &decoding, &validation).map_err(|e| {
            match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => {
                    AssertionError::Signature
                }
                ErrorKind::ExpiredSignature => AssertionError::Expired,
                ErrorKind::ImmatureSignature => AssertionError::NotYetValid,
                ErrorKind::InvalidIssuer => AssertionError::Issuer,
                ErrorKind::InvalidAudience => AssertionError::Audience,
                _ => AssertionError::Malformed,
            }
        })?;
    let a = data.claims;
    if a.iat > expected.now + MAX_FUTURE_IAT_SECONDS {
        return Err(AssertionError::NotYetValid);
    }
    if a.nonce.as_deref() != Some(expected.nonce) {
        return Err(AssertionError::Nonce);
    }
    if a.sub != expected.subject {
        return Err(AssertionError::Subject);
    }
    Ok(a)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The profile fields the bank's data disagrees with (field names, no
/// values). A field the profile lacks counts as a disagreement: the person
/// must have entered, and the registries checked, what the bank vouches for.
pub fn mismatches(a: &IdentityAssertion, p: &Profile) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !same_name(&a.family_name, p.name.last.as_str()) {
        out.push("last_name");
    }
    if !same_name(&a.given_name, p.name.first.as_str()) {
        out.push("first_name");
    }
    let middle = p.name.middle.as_ref().map_or("", |m| m.as_str());
    if !same_name(&a.middle_name, middle) {
        out.push("middle_name");
    }
    if p.birth_date.as_deref() != Some(a.birthdate.as_str()) {
        out.push("birth_date");
    }
    let passport = p.passport.as_ref();
    let typed = passport.map(|d| digits(&d.number)).unwrap_or_default();
    if typed != digits(&format!("{}{}", a.passport.series, a.passport.number)) {
        out.push("passport");
    }
    if passport.map(|d| d.issue_date.as_str()) != Some(a.passport.issue_date.as_str()) {
        out.push("passport_issue_date");
    }
    if p.snils.as_deref().map(digits) != Some(digits(&a.snils)) {
        out.push("snils");
    }
    // The INN is compared when both know it (ФНС may not have given one yet).
    if let Some(inn) = &p.inn
        && !a.inn.is_empty()
        && digits(inn) != digits(&a.inn)
    {
        out.push("inn");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use propusk_registries::bank::{AssertedPassport, SigningKey};

    const NOW: i64 = 1_800_000_000;

    fn claims() -> IdentityAssertion {
        IdentityAssertion {
            iss: "http://bank.test".into(),
            aud: "propusk".into(),
            sub: "DB-00000001".into(),
            iat: NOW,
            exp: NOW + 600,
            jti: "j-1".into(),
            nonce: Some("n-1".into()),
            family_name: "Волкова".into(),
            given_name: "Анна".into(),
            middle_name: "Сергеевна".into(),
            birthdate: "1990-04-12".into(),
            passport: AssertedPassport {
                series: "4510".into(),
                number: "123456".into(),
                issue_date: "2010-05-20".into(),
            },
            snils: "112-233-445 95".into(),
            inn: "500100732259".into(),
            customer_id: "DB-00000001".into(),
            verified_at: NOW - 86_400,
        }
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "http://bank.test",
            client_id: "propusk",
            nonce: "n-1",
            subject: "DB-00000001",
            now: NOW,
        }
    }

    fn keys_of(key: &SigningKey) -> JwkSet {
        serde_json::from_value(serde_json::json!({ "keys": [key.public_jwk().clone()] })).unwrap()
    }

    /// Signs `claims()` as edited, with its times moved to the real clock
    /// (jsonwebtoken checks `exp` against it), and verifies it.
    fn check(
        edit: impl FnOnce(&mut IdentityAssertion),
    ) -> Result<IdentityAssertion, AssertionError> {
        let key = propusk_registries::bank::new_signing_key().unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut c = claims();
        edit(&mut c);
        c.iat += now - NOW;
        c.exp += now - NOW;
        let jws = key.sign(TYP, &c).unwrap();
        verify(&jws, &keys_of(&key), &Expected { now, ..expected() })
    }

    #[test]
    fn a_good_assertion_verifies() {
        let a = check(|_| {}).unwrap();
        assert_eq!(a.customer_id, "DB-00000001");
    }

    #[test]
    fn each_broken_claim_has_its_reason() {
        assert_eq!(
            check(|c| c.aud = "someone-else".into()).unwrap_err(),
            AssertionError::Audience
        );
        assert_eq!(
            check(|c| c.iss = "http://evil.test".into()).unwrap_err(),
            AssertionError::Issuer
        );
        assert_eq!(
            check(|c| {
                c.iat -= 2_000;
                c.exp = c.iat + 600;
            })
            .unwrap_err(),
            AssertionError::Expired
        );
        assert_eq!(
            check(|c| c.iat += 300).unwrap_err(),
            AssertionError::NotYetValid
        );
        assert_eq!(
            check(|c| c.nonce = Some("other".into())).unwrap_err(),
            AssertionError::Nonce
        );
        assert_eq!(
            check(|c| c.nonce = None).unwrap_err(),
            AssertionError::Nonce
        );
        assert_eq!(
            check(|c| c.sub = "DB-2".into()).unwrap_err(),
            AssertionError::Subject
        );
    }

    #[test]
    fn signature_key_and_type_are_checked() {
        let key = propusk_registries::bank::new_signing_key().unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut c = claims();
        c.iat = now;
        c.exp = now + 600;
        let e = Expected { now, ..expected() };
        let jws = key.sign(TYP, &c).unwrap();
        // One changed byte in the signature.
        let mut tampered = jws.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            verify(&tampered, &keys_of(&key), &e).unwrap_err(),
            AssertionError::Signature
        );
        // Another key signed it, under the published kid.
        let other = propusk_registries::bank::new_signing_key().unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(key.kid().to_owned());
        header.typ = Some(TYP.into());
        let forged_key = other.sign(TYP, &c).unwrap();
        let forged = format!(
            "{}.{}",
            {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(&header).unwrap())
            },
            forged_key.split_once('.').unwrap().1
        );
        assert_eq!(
            verify(&forged, &keys_of(&key), &e).unwrap_err(),
            AssertionError::Signature
        );
        assert_eq!(
            verify(&jws, &keys_of(&other), &e).unwrap_err(),
            AssertionError::UnknownKey
        );
        let plain = key.sign("JWT", &c).unwrap();
        assert_eq!(
            verify(&plain, &keys_of(&key), &e).unwrap_err(),
            AssertionError::Type
        );
        assert_eq!(
            verify("not.a.jws", &keys_of(&key), &e).unwrap_err(),
            AssertionError::Malformed
        );
        // An HS256 token under the bank's kid: the key pins ES256.
        let mut hs = jsonwebtoken::Header::new(Algorithm::HS256);
        hs.kid = Some(key.kid().to_owned());
        hs.typ = Some(TYP.into());
        let hs = jsonwebtoken::encode(
            &hs,
            &c,
            &jsonwebtoken::EncodingKey::from_secret(b"x").unwrap(),
        )
        .unwrap();
        assert_eq!(
            verify(&hs, &keys_of(&key), &e).unwrap_err(),
            AssertionError::Signature
        );
    }

    fn profile() -> Profile {
        use propusk_core::account::{NamePart, PassportData, PersonName};
        let mut p = Profile::new(PersonName {
            last: NamePart::parse("Волкова").unwrap(),
            first: NamePart::parse("Анна").unwrap(),
            middle: Some(NamePart::parse("Сергеевна").unwrap()),
        });
        p.birth_date = Some("1990-04-12".into());
        p.passport = Some(PassportData {
            number: "4510 123456".into(),
            issue_date: "2010-05-20".into(),
            issuer: "x".into(),
            division_code: "770-001".into(),
        });
        p.snils = Some("112-233-445 95".into());
        p
    }

    #[test]
    fn the_profile_must_agree_with_the_bank() {
        assert!(mismatches(&claims(), &profile()).is_empty());
        let mut a = claims();
        a.family_name = "ВОЛКОВА".into();
        assert!(
            mismatches(&a, &profile()).is_empty(),
            "case does not matter"
        );
        a.passport.number = "654321".into();
        a.snils = "000-000-000 00".into();
        assert_eq!(mismatches(&a, &profile()), ["passport", "snils"]);
        let mut p = profile();
        p.inn = Some("770000000000".into());
        assert_eq!(mismatches(&claims(), &p), ["inn"]);
        p.passport = None;
        assert_eq!(
            mismatches(&claims(), &p),
            ["passport", "passport_issue_date", "inn"]
        );
    }
}
