//! Webhooks to partners: the events, how a delivery is signed and checked,
//! and when a failed one is tried again.
//!
//! The signature is Stripe-style so partners' existing code fits:
//! `Propusk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! with one `v1` per valid secret while a secret is being rotated. A
//! receiver accepts a delivery if any `v1` matches one of its secrets and
//! `t` is within five minutes of its clock.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

pub const SIGNATURE_HEADER: &str = "Propusk-Signature";
/// How far a receiver's clock may be from the signing time.
pub const TOLERANCE: Duration = Duration::minutes(5);
/// How long an undelivered event is retried before it is dead-lettered.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);
/// An old secret keeps signing this long after a rotation.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

/// The events a partner may subscribe to.
pub const EVENTS: &[&str] = &[
    "consent.approved",
    "consent.declined",
    "consent.revoked",
    "consent.paused",
    "consent.resumed",
    "consent.cancelled",
    "consent.expired",
    "consent.consumed",
    "consent.request_expired",
    "consent.expiring",
];

fn keyed(secret: &str, t: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

fn mac(secret: &str, t: i64, body: &[u8]) -> String {
    hex::encode(keyed(secret, t, body).finalize().into_bytes())
}

/// The header value for `body` signed at `t` with every valid secret.
pub fn sign(secrets: &[&str], t: OffsetDateTime, body: &[u8]) -> String {
    let t = t.unix_timestamp();
    let mut out = format!("t={t}");
    for s in secrets {
        out.push_str(",v1=");
        out.push_str(&mac(s, t, body));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// What a receiver does (and Propusk's tests): checks `header` for `body`
/// against the receiver's `secrets` at `now`.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[&str],
    now: OffsetDateTime,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if (now.unix_timestamp() - t).abs() > TOLERANCE.whole_seconds() {
        return Err(VerifyError::Stale);
    }
    let sigs: Vec<Vec<u8>> = sigs.iter().filter_map(|v| hex::decode(v).ok()).collect();
    for s in secrets {
        for sig in &sigs {
            // `verify_slice` compares in constant time.
            if keyed(s, t, body).verify_slice(sig).is_ok() {
                return Ok(());
            }
        }
    }
    Err(VerifyError::Mismatch)
}

/// When to try a failed delivery again: 10 s doubling to an hour, and
/// never past a day after the event (then it is dead-lettered).
pub fn next_attempt(
    created: OffsetDateTime,
    attempts: u32,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let doublings = attempts.saturating_sub(1).min(20);
    let wait = Duration::seconds(10)
        .saturating_mul(1i32 << doublings)
        .min(Duration::hours(1));
    let at = now + wait;
    (at <= created + GIVE_UP_AFTER).then_some(at)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

    #[test]
    fn a_signature_verifies_with_any_valid_secret() {
        let body = br#"{"type":"consent.revoked"}"#;
        let h = sign(&["new", "old"], NOW, body);
        assert!(h.starts_with(&format!("t={},v1=", NOW.unix_timestamp())));
        assert_eq!(verify(&h, body, &["old"], NOW), Ok(()));
        assert_eq!(
            verify(&h, body, &["new"], NOW + Duration::minutes(4)),
            Ok(())
        );
        assert_eq!(
            verify(&h, body, &["other"], NOW),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(verify(&h, b"{}", &["new"], NOW), Err(VerifyError::Mismatch));
        assert_eq!(
            verify(&h, body, &["new"], NOW + Duration::minutes(6)),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("v1=abc", body, &["new"], NOW),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("t=1", body, &["new"], NOW),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently
        // with `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test`.
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let h = sign(&["whsec_test"], t, b"{}");
        assert_eq!(
            h,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn retries_back_off_and_stop_after_a_day() {
        let waits: Vec<i64> = (1..=4)
            .map(|n| (next_attempt(NOW, n, NOW).unwrap() - NOW).whole_seconds())
            .collect();
        assert_eq!(waits, vec![10, 20, 40, 80]);
        assert_eq!(
            next_attempt(NOW, 30, NOW).unwrap() - NOW,
            Duration::hours(1)
        );
        assert_eq!(
            next_attempt(NOW, 30, NOW + Duration::hours(23) + Duration::minutes(30)),
            None
        );
    }
}
