//! What can be wrong with an identifier, said in Russian and in English.

use super::Kind;
use crate::Lang;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("{kind:?}: empty")]
    Empty { kind: Kind },
    #[error("{kind:?}: not digits")]
    NotDigits { kind: Kind },
    /// `expected` lists the allowed lengths.
    #[error("{kind:?}: {got} digits, expected {expected:?}")]
    Length {
        kind: Kind,
        expected: &'static [usize],
        got: usize,
    },
    #[error("{kind:?}: check digit mismatch")]
    Checksum { kind: Kind },
    #[error("{kind:?}: wrong format")]
    Format { kind: Kind },
    #[error("phone: not a mobile number")]
    NotMobile,
    #[error("phone: not a Russian number")]
    Country,
    #[error("bank account: BIK required")]
    BikRequired,
    #[error("bank account: invalid BIK: {0}")]
    BadBik(Box<IdentError>),
}

impl IdentError {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            IdentError::Empty { .. } => "empty",
            IdentError::NotDigits { .. } => "not_digits",
            IdentError::Length { .. } => "length",
            IdentError::Checksum { .. } => "checksum",
            IdentError::Format { .. } => "format",
            IdentError::NotMobile => "not_mobile",
            IdentError::Country => "country",
            IdentError::BikRequired => "bik_required",
            IdentError::BadBik(_) => "bik_invalid",
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            IdentError::Empty { kind }
            | IdentError::NotDigits { kind }
            | IdentError::Length { kind, .. }
            | IdentError::Checksum { kind }
            | IdentError::Format { kind } => *kind,
            IdentError::NotMobile | IdentError::Country => Kind::Phone,
            IdentError::BikRequired | IdentError::BadBik(_) => Kind::BankAccount,
        }
    }

    /// What is wrong, for the person who typed it.
    pub fn message(&self, lang: Lang) -> String {
        let name = self.kind().name(lang);
        match (self, lang) {
            (IdentError::Empty { .. }, Lang::Ru) => {
                format!("Укажите {}", self.kind().name_accusative_ru())
            }
            (IdentError::Empty { .. }, Lang::En) => format!("Enter the {name}"),
            (IdentError::NotDigits { .. }, Lang::Ru) => format!("{name}: допустимы только цифры"),
            (IdentError::NotDigits { .. }, Lang::En) => {
                format!("{}: digits only, please", capital(&name))
            }
            (IdentError::Length { expected, got, .. }, Lang::Ru) => {
                let last = expected.last().copied().unwrap_or(0);
                format!(
                    "{name}: нужно {} {}, введено {got}",
                    join(expected, " или "),
                    digits_ru(last)
                )
            }
            (IdentError::Length { expected, got, .. }, Lang::En) => {
                format!(
                    "{}: {} digits expected, {got} given",
                    capital(&name),
                    join(expected, " or ")
                )
            }
            (IdentError::Checksum { .. }, Lang::Ru) => {
                format!("{name}: контрольное число не сходится — проверьте, нет ли опечатки")
            }
            (IdentError::Checksum { .. }, Lang::En) => {
                format!(
                    "{}: the check digits do not match — look for a typo",
                    capital(&name)
                )
            }
            (IdentError::Format { kind }, Lang::Ru) => {
                format!("{name}: неверный формат, ожидается {}", kind.pattern(lang))
            }
            (IdentError::Format { kind }, Lang::En) => {
                format!(
                    "{}: wrong format, expected {}",
                    capital(&name),
                    kind.pattern(lang)
                )
            }
            (IdentError::NotMobile, Lang::Ru) => {
                "Нужен номер мобильного телефона: +7 9XX XXX-XX-XX".into()
            }
            (IdentError::NotMobile, Lang::En) => {
                "A mobile number is needed: +7 9XX XXX-XX-XX".into()
            }
            (IdentError::Country, Lang::Ru) => "Нужен российский номер: +7 или 8 в начале".into(),
            (IdentError::Country, Lang::En) => {
                "A Russian number is needed: starting with +7 or 8".into()
            }
            (IdentError::BikRequired, Lang::Ru) => "Для проверки счёта укажите БИК банка".into(),
            (IdentError::BikRequired, Lang::En) => {
                "Give the bank's BIK to check an account number".into()
            }
            (IdentError::BadBik(inner), _) => inner.message(lang),
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join(ns: &[usize], sep: &str) -> String {
    ns.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// «цифра / цифры / цифр» after a number.
fn digits_ru(n: usize) -> &'static str {
    match (n % 10, n % 100) {
        (1, n) if n != 11 => "цифра",
        (2..=4, n) if !(12..=14).contains(&n) => "цифры",
        _ => "цифр",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        assert_eq!(digits_ru(12), "цифр");
        assert_eq!(digits_ru(25), "цифр");
        assert_eq!(digits_ru(9), "цифр");
        assert_eq!(digits_ru(21), "цифра");
        assert_eq!(digits_ru(11), "цифр");
        assert_eq!(digits_ru(2), "цифры");
    }
}
