//! Contacts: a Russian mobile phone and an email address.

use super::numbers::to_string;
use super::{IdentError, Kind, ident_type};

ident_type!(
    /// A Russian mobile number, `+79XXXXXXXXX`.
    Phone
);

impl Phone {
    /// Accepts `8 916 …`, `7916…`, `+7 (916) 123-45-67` and a bare `916…`.
    pub fn parse(input: &str) -> Result<Phone, IdentError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdentError::Empty { kind: Kind::Phone });
        }
        let plus = trimmed.starts_with('+');
        let mut d = Vec::with_capacity(12);
        for (i, c) in trimmed.chars().enumerate() {
            if (i == 0 && c == '+')
                || super::numbers::is_separator(c)
                || matches!(c, '(' | ')' | '.')
            {
                continue;
            }
            match c {
                '0'..='9' => d.push(c as u8 - b'0'),
                _ => return Err(IdentError::NotDigits { kind: Kind::Phone }),
            }
        }
        let national: &[u8] = match (plus, d.len(), d.first()) {
            (true, _, Some(7)) => &d[1..],
            (true, _, _) => return Err(IdentError::Country),
            (false, 11, Some(7 | 8)) => &d[1..],
            (false, 10, _) => &d,
            (false, 11, _) => return Err(IdentError::Country),
            (false, n, _) => {
                return Err(IdentError::Length {
                    kind: Kind::Phone,
                    expected: &[10, 11],
                    got: n,
                });
            }
        };
        if national.len() != 10 {
            return Err(IdentError::Length {
                kind: Kind::Phone,
                expected: &[11],
                got: national.len() + 1,
            });
        }
        if national[0] != 9 {
            return Err(IdentError::NotMobile);
        }
        Ok(Phone(format!("+7{}", to_string(national))))
    }
}

ident_type!(
    /// An email address, checked for syntax only (delivery is what confirms it).
    /// The domain is lower-cased; Cyrillic domains (`почта.рф`) are allowed.
    Email
);

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~.-";

impl Email {
    pub fn parse(input: &str) -> Result<Email, IdentError> {
        let s = input.trim();
        let bad = IdentError::Format { kind: Kind::Email };
        if s.is_empty() {
            return Err(IdentError::Empty { kind: Kind::Email });
        }
        if s.chars().count() > 254 || s.chars().any(char::is_whitespace) {
            return Err(bad);
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| bad.clone())?;
        let local_ok = (1..=64).contains(&local.len())
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(bad);
        }
        let domain = domain.to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            let n = l.chars().count();
            (1..=63).contains(&n)
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld_ok = labels.last().is_some_and(|t| {
            t.chars().count() >= 2 && (t.chars().all(char::is_alphabetic) || t.starts_with("xn--"))
        });
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(bad);
        }
        Ok(Email(format!("{local}@{domain}")))
    }
}
