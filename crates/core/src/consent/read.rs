//! Whether a read under a consent is allowed, and if not, why, in the
//! problem types partners code against.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::catalogue::Category;
use super::state::Status;
use super::terms::Mode;

/// What the consent allows, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant<'a> {
    pub status: Status,
    pub valid_until: OffsetDateTime,
    pub purpose: &'a str,
    /// What the citizen approved (the required and the kept optional ones).
    pub categories: &'a BTreeSet<Category>,
    pub mode: Mode,
}

/// Successful reads already made in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub reads_in_window: u32,
    pub oldest_in_window: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("no consent")]
    NoConsent,
    #[error("the consent has expired")]
    Expired,
    #[error("the consent was revoked")]
    Revoked,
    #[error("the consent is paused")]
    Paused,
    #[error("the consent was cancelled")]
    Cancelled,
    #[error("the one-time consent was used")]
    Consumed,
    #[error("categories not covered: {0:?}")]
    CategoryNotCovered(Vec<Category>),
    #[error("the purpose is not the consent's")]
    PurposeMismatch,
    #[error("too frequent; next read at {retry_at}")]
    TooFrequent { retry_at: OffsetDateTime },
}

impl Denial {
    /// The problem type (`/problems/<code>`) and the read log's result.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::NoConsent => "no_consent",
            Denial::Expired => "consent_expired",
            Denial::Revoked => "consent_revoked",
            Denial::Paused => "consent_paused",
            Denial::Cancelled => "consent_cancelled",
            Denial::Consumed => "consent_consumed",
            Denial::CategoryNotCovered(_) => "category_not_covered",
            Denial::PurposeMismatch => "purpose_mismatch",
            Denial::TooFrequent { .. } => "too_frequent",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Denial::TooFrequent { .. } => 429,
            _ => 403,
        }
    }
}

/// Checks a read of `asked` (for `purpose`, when the partner names one) at
/// `now`. Validity is compared with the clock, not only the status, so a
/// consent whose expiry job has not yet run is already closed.
pub fn check(
    grant: &Grant<'_>,
    asked: &BTreeSet<Category>,
    purpose: Option<&str>,
    usage: Usage,
    now: OffsetDateTime,
) -> Result<(), Denial> {
    match grant.status {
        Status::Active => {}
        Status::Requested | Status::Declined | Status::RequestExpired => {
            return Err(Denial::NoConsent);
        }
        Status::Paused => return Err(Denial::Paused),
        Status::Revoked => return Err(Denial::Revoked),
        Status::Cancelled => return Err(Denial::Cancelled),
        Status::Expired => return Err(Denial::Expired),
        Status::Consumed => return Err(Denial::Consumed),
    }
    if now >= grant.valid_until {
        return Err(Denial::Expired);
    }
    if purpose.is_some_and(|p| p != grant.purpose) {
        return Err(Denial::PurposeMismatch);
    }
    let missing: Vec<Category> = asked.difference(grant.categories).copied().collect();
    if !missing.is_empty() {
        return Err(Denial::CategoryNotCovered(missing));
    }
    if let Mode::Periodic { max_reads, per } = grant.mode
        && usage.reads_in_window >= max_reads
    {
        let retry_at = usage.oldest_in_window.unwrap_or(now) + per.window();
        return Err(Denial::TooFrequent { retry_at });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::super::terms::Per;
    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

    fn set(c: &[Category]) -> BTreeSet<Category> {
        c.iter().copied().collect()
    }

    fn grant(cats: &BTreeSet<Category>) -> Grant<'_> {
        Grant {
            status: Status::Active,
            valid_until: NOW + Duration::days(1),
            purpose: "loan_application",
            categories: cats,
            mode: Mode::Periodic {
                max_reads: 2,
                per: Per::Day,
            },
        }
    }

    #[test]
    fn allowed_within_everything() {
        let cats = set(&[Category::Passport, Category::Income]);
        let g = grant(&cats);
        let asked = set(&[Category::Income]);
        assert_eq!(check(&g, &asked, None, Usage::default(), NOW), Ok(()));
        assert_eq!(
            check(&g, &asked, Some("loan_application"), Usage::default(), NOW),
            Ok(())
        );
    }

    #[test]
    fn each_refusal_has_its_code() {
        let cats = set(&[Category::Passport]);
        let asked = set(&[Category::Passport]);
        for (status, code) in [
            (Status::Requested, "no_consent"),
            (Status::Declined, "no_consent"),
            (Status::Paused, "consent_paused"),
            (Status::Revoked, "consent_revoked"),
            (Status::Expired, "consent_expired"),
            (Status::Consumed, "consent_consumed"),
            (Status::Cancelled, "consent_cancelled"),
        ] {
            let g = Grant {
                status,
                ..grant(&cats)
            };
            let d = check(&g, &asked, None, Usage::default(), NOW).unwrap_err();
            assert_eq!(d.code(), code);
            assert_eq!(d.status(), 403);
        }
        let g = grant(&cats);
        let d = check(&g, &asked, None, Usage::default(), NOW + Duration::days(1)).unwrap_err();
        assert_eq!(
            d,
            Denial::Expired,
            "the clock closes it before the job does"
        );
        let d = check(&g, &asked, Some("insurance"), Usage::default(), NOW).unwrap_err();
        assert_eq!(d.code(), "purpose_mismatch");
        let d = check(
            &g,
            &set(&[Category::Debts, Category::Passport]),
            None,
            Usage::default(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(d, Denial::CategoryNotCovered(vec![Category::Debts]));
    }

    #[test]
    fn frequency_counts_in_a_rolling_window() {
        let cats = set(&[Category::Passport]);
        let g = grant(&cats);
        let oldest = NOW - Duration::hours(20);
        let full = Usage {
            reads_in_window: 2,
            oldest_in_window: Some(oldest),
        };
        let d = check(&g, &cats, None, full, NOW).unwrap_err();
        assert_eq!(
            d,
            Denial::TooFrequent {
                retry_at: oldest + Duration::days(1)
            }
        );
        assert_eq!(d.status(), 429);
        let one = Usage {
            reads_in_window: 1,
            ..full
        };
        assert_eq!(check(&g, &cats, None, one, NOW), Ok(()));
        let once = Grant {
            mode: Mode::OneTime,
            ..grant(&cats)
        };
        assert_eq!(check(&once, &cats, None, full, NOW), Ok(()));
    }
}
