//! The citizen's rights over their data (152-FZ art. 14, 20, 21): asking a
//! registry to correct what it holds. Propusk does not own registry data,
//! so a correction is a request it carries to the source and follows there;
//! the rules here decide what may be asked and how a request moves.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::consent::Category;
use crate::consent::catalogue::Field;

/// The longest proposed value: a registry field, not a letter.
pub const MAX_VALUE: usize = 500;
/// The longest explanation a citizen may attach.
pub const MAX_COMMENT: usize = 2000;

/// Where a correction request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionStatus {
    /// Saved; not yet taken by the registry (it may be down).
    Submitted,
    /// The registry took it and gave a reference number; it is deciding.
    Sent,
    /// The registry corrected its record.
    Accepted,
    /// The registry refused, with its reason.
    Rejected,
    /// The citizen took it back before the registry decided.
    Withdrawn,
}

impl CorrectionStatus {
    pub const ALL: [CorrectionStatus; 5] = [
        CorrectionStatus::Submitted,
        CorrectionStatus::Sent,
        CorrectionStatus::Accepted,
        CorrectionStatus::Rejected,
        CorrectionStatus::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CorrectionStatus::Submitted => "submitted",
            CorrectionStatus::Sent => "sent",
            CorrectionStatus::Accepted => "accepted",
            CorrectionStatus::Rejected => "rejected",
            CorrectionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<CorrectionStatus> {
        CorrectionStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still waiting on the registry (and so still followed by the job).
    pub fn is_open(self) -> bool {
        matches!(self, CorrectionStatus::Submitted | CorrectionStatus::Sent)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CorrectionStatus::Submitted, Lang::Ru) => "Ожидает отправки в ведомство",
            (CorrectionStatus::Submitted, Lang::En) => "Waiting to be sent to the registry",
            (CorrectionStatus::Sent, Lang::Ru) => "На рассмотрении в ведомстве",
            (CorrectionStatus::Sent, Lang::En) => "Under review by the registry",
            (CorrectionStatus::Accepted, Lang::Ru) => "Данные исправлены",
            (CorrectionStatus::Accepted, Lang::En) => "Corrected",
            (CorrectionStatus::Rejected, Lang::Ru) => "Отказано",
            (CorrectionStatus::Rejected, Lang::En) => "Refused",
            (CorrectionStatus::Withdrawn, Lang::Ru) => "Отозвано вами",
            (CorrectionStatus::Withdrawn, Lang::En) => "Withdrawn by you",
        }
    }
}

/// What the registry said of a request, as Propusk records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Received,
    Accepted,
    Rejected,
}

/// The status after the registry's verdict on a request in `from`; `None`
/// when nothing changes (a repeated answer, or a request already closed,
/// as one the citizen withdrew while the answer was on its way).
pub fn after_verdict(from: CorrectionStatus, verdict: Verdict) -> Option<CorrectionStatus> {
    use CorrectionStatus as S;
    match (from, verdict) {
        (S::Submitted, Verdict::Received) => Some(S::Sent),
        (S::Submitted | S::Sent, Verdict::Accepted) => Some(S::Accepted),
        (S::Submitted | S::Sent, Verdict::Rejected) => Some(S::Rejected),
        _ => None,
    }
}

/// A correction as the citizen asked for it, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub category: Category,
    /// A field of the category (`Field::name`).
    pub field: String,
    /// What the record should say.
    pub proposed: String,
    /// Why, and any document that proves it.
    pub comment: String,
}

impl Correction {
    pub fn field(&self) -> Option<&'static Field> {
        self.category.fields().iter().find(|f| f.name == self.field)
    }
}

/// Why a request was refused before it was sent: the form field and the
/// message key the page shows beside it.
pub type Problems = Vec<(&'static str, &'static str)>;

/// Checks the form: `target` is `category.field` as the page offers it.
pub fn check(target: &str, proposed: &str, comment: &str) -> Result<Correction, Problems> {
    let mut problems = Vec::new();
    let found = target.split_once('.').and_then(|(c, f)| {
        let category = Category::parse(c)?;
        category
            .fields()
            .iter()
            .find(|x| x.name == f)
            .map(|x| (category, x.name))
    });
    if found.is_none() {
        problems.push(("target", "rights-error-target"));
    }
    let proposed = proposed.trim();
    if proposed.is_empty() {
        problems.push(("proposed", "rights-error-proposed"));
    } else if proposed.chars().count() > MAX_VALUE || proposed.chars().any(char::is_control) {
        problems.push(("proposed", "rights-error-proposed-long"));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT
        || comment
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        problems.push(("comment", "rights-error-comment"));
    }
    match found {
        Some((category, field)) if problems.is_empty() => Ok(Correction {
            category,
            field: field.to_owned(),
            proposed: proposed.to_owned(),
            comment: comment.to_owned(),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_a_category_is_accepted_and_trimmed() {
        let c = check("passport.division_code", " 770-001 ", "Опечатка").unwrap();
        assert_eq!(c.category, Category::Passport);
        assert_eq!(c.field().unwrap().ru, "Код подразделения");
        assert_eq!(c.proposed, "770-001");
    }

    #[test]
    fn unknown_targets_and_empty_or_long_values_are_refused() {
        for bad in ["", "passport", "passport.salary", "salary.total", ".x"] {
            let p = check(bad, "x", "").unwrap_err();
            assert_eq!(p, vec![("target", "rights-error-target")], "{bad}");
        }
        assert_eq!(
            check("inn.inn", "  ", "").unwrap_err(),
            vec![("proposed", "rights-error-proposed")]
        );
        let long = "я".repeat(MAX_VALUE + 1);
        assert_eq!(
            check("inn.inn", &long, "").unwrap_err(),
            vec![("proposed", "rights-error-proposed-long")]
        );
        assert!(check("inn.inn", "a\u{0}b", "").is_err());
        assert!(check("inn.inn", "1", &"x".repeat(MAX_COMMENT + 1)).is_err());
        assert!(check("inn.inn", "1", "строка\nещё одна").is_ok());
    }

    #[test]
    fn every_status_round_trips() {
        for s in CorrectionStatus::ALL {
            assert_eq!(CorrectionStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn verdicts_move_only_open_requests_forward() {
        use CorrectionStatus as S;
        assert_eq!(
            after_verdict(S::Submitted, Verdict::Received),
            Some(S::Sent)
        );
        assert_eq!(after_verdict(S::Sent, Verdict::Received), None);
        assert_eq!(after_verdict(S::Sent, Verdict::Accepted), Some(S::Accepted));
        assert_eq!(
            after_verdict(S::Submitted, Verdict::Rejected),
            Some(S::Rejected)
        );
        for closed in [S::Accepted, S::Rejected, S::Withdrawn] {
            for v in [Verdict::Received, Verdict::Accepted, Verdict::Rejected] {
                assert_eq!(after_verdict(closed, v), None, "{closed:?} {v:?}");
            }
        }
    }
}
