//! Accounts: who holds one, how far we trust who they say they are, and
//! whether it may be used.

use std::fmt;
use std::str::FromStr;

use crate::Lang;

/// Физлицо / ИП / юрлицо.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    Person,
    Entrepreneur,
    LegalEntity,
}

/// How much of what the person says has been checked.
///
/// `Simplified`: a contact is confirmed. `Standard`: passport and SNILS match
/// the state registries. `Confirmed`: identity confirmed in person or by a
/// partner bank. Ordered: a higher level includes the lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrustLevel {
    Simplified,
    Standard,
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// Registered, no contact confirmed yet: cannot sign in.
    AwaitingConfirmation,
    Active,
    /// Stopped by an operator or by the security rules.
    Blocked,
    /// Deleted at the holder's request; personal data erased after the grace period.
    Deleted,
}

/// One text form per value, used in the database and the API.
macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s { $($s => Ok(<$t>::$v),)+ _ => Err(UnknownValue(s.to_owned())) }
            }
        }
    };
}

text_enum!(AccountKind { Person => "person", Entrepreneur => "entrepreneur", LegalEntity => "legal_entity" });
text_enum!(TrustLevel { Simplified => "simplified", Standard => "standard", Confirmed => "confirmed" });
text_enum!(AccountStatus {
    AwaitingConfirmation => "awaiting_confirmation",
    Active => "active",
    Blocked => "blocked",
    Deleted => "deleted",
});

/// How we reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactChannel {
    Phone,
    Email,
}

text_enum!(ContactChannel { Phone => "phone", Email => "email" });

/// A stored value that is not one of ours: corrupt data or a newer version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

impl TrustLevel {
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TrustLevel::Simplified, Lang::Ru) => "упрощённая",
            (TrustLevel::Simplified, Lang::En) => "simplified",
            (TrustLevel::Standard, Lang::Ru) => "стандартная",
            (TrustLevel::Standard, Lang::En) => "standard",
            (TrustLevel::Confirmed, Lang::Ru) => "подтверждённая",
            (TrustLevel::Confirmed, Lang::En) => "confirmed",
        }
    }
}

impl AccountStatus {
    /// Whether the holder may sign in.
    pub fn can_sign_in(self) -> bool {
        self == AccountStatus::Active
    }
}

/// A part of a person's name as entered: letters (Cyrillic or Latin), with
/// hyphens, apostrophes and single spaces between parts (`Салтыков-Щедрин`,
/// `д'Артаньян`, `Мария Луиза`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamePart(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty")]
    Empty,
    #[error("too long")]
    TooLong,
    #[error("letters, hyphens and apostrophes only")]
    Characters,
}

impl NameError {
    pub fn code(self) -> &'static str {
        match self {
            NameError::Empty => "empty",
            NameError::TooLong => "too_long",
            NameError::Characters => "characters",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (NameError::Empty, Lang::Ru) => "Заполните поле",
            (NameError::Empty, Lang::En) => "Fill in this field",
            (NameError::TooLong, Lang::Ru) => "Не длиннее 64 символов",
            (NameError::TooLong, Lang::En) => "At most 64 characters",
            (NameError::Characters, Lang::Ru) => "Только буквы, дефис, апостроф и пробел",
            (NameError::Characters, Lang::En) => "Letters, hyphens, apostrophes and spaces only",
        }
    }
}

impl NamePart {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<NamePart, NameError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(NameError::Empty);
        }
        if collapsed.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong);
        }
        let letter = |c: char| c.is_alphabetic();
        let ok = collapsed
            .chars()
            .all(|c| letter(c) || matches!(c, '-' | '\'' | '’' | ' ' | '.'))
            && collapsed.chars().next().is_some_and(letter)
            && !collapsed.contains("--");
        if !ok {
            return Err(NameError::Characters);
        }
        Ok(NamePart(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NamePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for NamePart {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        NamePart::parse(&s)
    }
}

impl From<NamePart> for String {
    fn from(n: NamePart) -> String {
        n.0
    }
}

/// Фамилия, имя, отчество. The patronymic is optional (not everyone has one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonName {
    pub last: NamePart,
    pub first: NamePart,
    pub middle: Option<NamePart>,
}

/// Names compare as people write them: case, `ё`/`е` and spacing aside
/// (a registry's record against what a person typed or a bank asserted).
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .replace('ё', "е")
    };
    norm(a) == norm(b)
}

impl PersonName {
    /// «Иванов Пётр Сергеевич».
    pub fn full(&self) -> String {
        match &self.middle {
            Some(m) => format!("{} {} {}", self.last, self.first, m),
            None => format!("{} {}", self.last, self.first),
        }
    }
}

/// What an account says about its person, sealed as one JSON document.
/// Fields beyond the name are optional; older documents (a bare name) still read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    #[serde(flatten)]
    pub name: PersonName,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<PassportData>,
    /// Normalized `XXX-XXX-XXX YY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snils: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inn: Option<String>,
    /// Registration address (место жительства), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Where the check of passport and SNILS against the registries stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_check: Option<IdentityCheck>,
}

impl Profile {
    /// A profile with only a name, as registration makes it.
    pub fn new(name: PersonName) -> Profile {
        Profile {
            name,
            birth_date: None,
            birth_place: None,
            gender: None,
            passport: None,
            snils: None,
            inn: None,
            address: None,
            postal_code: None,
            identity_check: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

/// A passport as entered: the number normalized (`4508 123456`), the
/// division code as `NNN-NNN`, the issue date `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PassportData {
    pub number: String,
    pub issue_date: String,
    pub issuer: String,
    pub division_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityState {
    /// Entered; the registry check has not answered yet.
    Pending,
    Verified,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityCheck {
    pub state: IdentityState,
    /// RFC 3339.
    pub since: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_forms_round_trip() {
        for s in [
            AccountStatus::AwaitingConfirmation,
            AccountStatus::Active,
            AccountStatus::Blocked,
            AccountStatus::Deleted,
        ] {
            assert_eq!(s.as_str().parse::<AccountStatus>(), Ok(s));
        }
        for t in [
            TrustLevel::Simplified,
            TrustLevel::Standard,
            TrustLevel::Confirmed,
        ] {
            assert_eq!(t.as_str().parse::<TrustLevel>(), Ok(t));
            assert_ne!(t.name(Lang::Ru), t.name(Lang::En));
        }
        assert!(
            TrustLevel::Confirmed > TrustLevel::Standard
                && TrustLevel::Standard > TrustLevel::Simplified
        );
        assert!("superuser".parse::<AccountStatus>().is_err());
        assert!(AccountStatus::Active.can_sign_in() && !AccountStatus::Blocked.can_sign_in());
    }

    #[test]
    fn names_as_people_write_them() {
        assert_eq!(
            NamePart::parse("  Салтыков-Щедрин ").unwrap().as_str(),
            "Салтыков-Щедрин"
        );
        assert_eq!(
            NamePart::parse("Мария   Луиза").unwrap().as_str(),
            "Мария Луиза"
        );
        assert_eq!(
            NamePart::parse("д'Артаньян").unwrap().as_str(),
            "д'Артаньян"
        );
        assert_eq!(NamePart::parse("O’Neil").unwrap().as_str(), "O’Neil");
        assert_eq!(NamePart::parse(" "), Err(NameError::Empty));
        assert_eq!(NamePart::parse("Иван1"), Err(NameError::Characters));
        assert_eq!(NamePart::parse("-Иван"), Err(NameError::Characters));
        assert_eq!(NamePart::parse("<script>"), Err(NameError::Characters));
        assert_eq!(NamePart::parse(&"я".repeat(65)), Err(NameError::TooLong));
        let n = PersonName {
            last: NamePart::parse("Иванов").unwrap(),
            first: NamePart::parse("Пётр").unwrap(),
            middle: None,
        };
        assert_eq!(n.full(), "Иванов Пётр");
    }

    proptest! {
        #[test]
        fn name_parsing_never_panics_and_is_idempotent(s in any::<String>()) {
            if let Ok(n) = NamePart::parse(&s) {
                prop_assert_eq!(NamePart::parse(n.as_str()), Ok(n.clone()));
            }
        }
    }
}
