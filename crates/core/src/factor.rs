//! Second factors: TOTP keys (RFC 6238, via `totp-rs`) and backup codes.
//!
//! A TOTP code is accepted in the step before, at, or after now (±30 s) and
//! only in a step later than the last one accepted, so a code that was seen
//! over someone's shoulder cannot be replayed. Backup codes are random, shown
//! once, and kept only as keyed hashes by the caller.

use qrcode::QrCode;
use qrcode::render::svg;
use rand_core::CryptoRngCore;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Totp};
use zeroize::Zeroizing;

pub const ISSUER: &str = "Propusk";
const STEP_SECONDS: u64 = 30;
const KEY_BYTES: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactorError {
    #[error("TOTP key: {0}")]
    Key(String),
    #[error("QR code: {0}")]
    Qr(String),
}

/// A TOTP shared secret. Debug never shows it.
#[derive(Clone)]
pub struct TotpKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(..)")
    }
}

impl TotpKey {
    /// 160 random bits, the length RFC 4226 recommends.
    pub fn generate(rng: &mut impl CryptoRngCore) -> TotpKey {
        let mut bytes = vec![0u8; KEY_BYTES];
        rng.fill_bytes(&mut bytes);
        TotpKey(Zeroizing::new(bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TotpKey, FactorError> {
        if bytes.len() < 16 {
            return Err(FactorError::Key("shorter than 128 bits".into()));
        }
        Ok(TotpKey(Zeroizing::new(bytes.to_vec())))
    }

    /// From the base32 text an authenticator app shows (spaces ignored).
    pub fn from_base32(text: &str) -> Result<TotpKey, FactorError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_uppercase();
        let secret = totp_rs::Secret::try_from_base32(&clean)
            .map_err(|e| FactorError::Key(e.to_string()))?;
        TotpKey::from_bytes(secret.as_ref())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self, account: &str) -> Result<Totp, FactorError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.to_vec())
            .with_issuer(Some(ISSUER))
            .with_account_name(account.replace(':', " "))
            .build()
            .map_err(|e| FactorError::Key(e.to_string()))
    }

    /// Base32 in groups of four, for typing into an app by hand.
    pub fn base32_grouped(&self) -> String {
        let plain = totp_rs::Secret::from(self.0.to_vec()).to_base32();
        plain
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` URL apps read from the QR code.
    pub fn otpauth_url(&self, account: &str) -> Result<String, FactorError> {
        self.totp(account)?
            .to_url()
            .map_err(|e| FactorError::Key(e.to_string()))
    }

    /// The QR code of [`Self::otpauth_url`] as an inline `<svg>` element.
    pub fn qr_svg(&self, account: &str) -> Result<String, FactorError> {
        let url = self.otpauth_url(account)?;
        let code = QrCode::new(url.as_bytes()).map_err(|e| FactorError::Qr(e.to_string()))?;
        let svg = code
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        // The XML declaration means nothing inside HTML.
        Ok(match svg.find("<svg") {
            Some(at) => svg[at..].to_owned(),
            None => svg,
        })
    }

    /// The code for a moment: for tests and for documenting demo accounts.
    pub fn code_at(&self, at: OffsetDateTime) -> Result<String, FactorError> {
        let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
        Ok(self.totp("")?.generate(secs).to_string())
    }

    /// The time step a typed code belongs to, if it is right within ±1 step
    /// of `now` and later than `last_step`. The caller stores the step.
    pub fn verify(&self, typed: &str, now: OffsetDateTime, last_step: Option<u64>) -> Option<u64> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let secs = u64::try_from(now.unix_timestamp()).ok()?;
        let totp = self.totp("").ok()?;
        let step = totp.check(&digits, secs)?;
        match last_step {
            Some(last) if step <= last => None,
            _ => Some(step),
        }
    }
}

/// Letters and digits that cannot be confused when read aloud or copied by hand.
const BACKUP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
pub const BACKUP_CODES: usize = 10;

/// Ten codes like `k7wm-3qpa` (≈ 39 bits each).
pub fn generate_backup_codes(rng: &mut impl CryptoRngCore) -> Vec<String> {
    let n = BACKUP_ALPHABET.len() as u32;
    let limit = u32::MAX - (u32::MAX % n);
    (0..BACKUP_CODES)
        .map(|_| {
            let mut s = String::with_capacity(9);
            for i in 0..8 {
                if i == 4 {
                    s.push('-');
                }
                let x = loop {
                    let x = rng.next_u32();
                    if x < limit {
                        break x % n;
                    }
                };
                s.push(char::from(BACKUP_ALPHABET[x as usize]));
            }
            s
        })
        .collect()
}

/// A typed backup code in its stored form (lower case, no spaces or
/// dashes), or `None` if it cannot be one.
pub fn normalize_backup_code(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    (s.len() == 8 && s.bytes().all(|b| BACKUP_ALPHABET.contains(&b))).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6238 Appendix B, SHA-1 rows (the reference key is "12345678901234567890"; 8 digits
    /// there, so we compare the last six).
    #[test]
    fn rfc_6238_vectors() {
        let key = TotpKey::from_bytes(b"12345678901234567890").unwrap();
        for (t, eight) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let at = OffsetDateTime::from_unix_timestamp(t).unwrap();
            assert_eq!(key.code_at(at).unwrap(), eight[2..], "t={t}");
        }
    }

    #[test]
    fn a_code_works_within_one_step_and_only_once() {
        let key = TotpKey::generate(&mut rand_core::OsRng);
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let code = key.code_at(t0).unwrap();
        let step = key.verify(&code, t0, None).unwrap();
        assert_eq!(step, 1_800_000_000 / 30);
        assert_eq!(
            key.verify(&format!(" {} {} ", &code[..3], &code[3..]), t0, None),
            Some(step)
        );
        assert_eq!(
            key.verify(&code, t0 + time::Duration::seconds(30), None),
            Some(step)
        );
        assert_eq!(
            key.verify(&code, t0 + time::Duration::seconds(61), None),
            None
        );
        assert_eq!(key.verify(&code, t0, Some(step)), None, "replay refused");
        assert_eq!(key.verify("12345", t0, None), None);
        assert_eq!(key.verify("abcdef", t0, None), None);
    }

    #[test]
    fn keys_round_trip_through_base32_and_urls() {
        let key = TotpKey::generate(&mut rand_core::OsRng);
        let text = key.base32_grouped();
        assert_eq!(text.split(' ').count(), 8);
        let back = TotpKey::from_base32(&text.to_lowercase()).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
        let url = key.otpauth_url("+79161234567").unwrap();
        assert!(url.starts_with("otpauth://totp/Propusk:"), "{url}");
        assert!(url.contains("issuer=Propusk"));
        let svg = key.qr_svg("+79161234567").unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(format!("{key:?}") == "TotpKey(..)");
        assert!(TotpKey::from_bytes(&[1; 8]).is_err());
    }

    #[test]
    fn backup_codes_are_distinct_readable_and_normalize() {
        let codes = generate_backup_codes(&mut rand_core::OsRng);
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 9);
            assert_eq!(
                normalize_backup_code(&c.to_uppercase().replace('-', " ")).unwrap(),
                c.replace('-', "")
            );
        }
        assert_eq!(
            normalize_backup_code("1234-5678"),
            None,
            "1 is not in the alphabet"
        );
        assert_eq!(normalize_backup_code("abc"), None);
    }

    proptest! {
        #[test]
        fn never_panics(typed in ".*", t in any::<i64>()) {
            let key = TotpKey::from_bytes(&[7; 20]).unwrap();
            if let Ok(at) = OffsetDateTime::from_unix_timestamp(t % 253_402_300_799) {
                let _ = key.verify(&typed, at, None);
            }
            let _ = normalize_backup_code(&typed);
            let _ = TotpKey::from_base32(&typed);
        }
    }
}
