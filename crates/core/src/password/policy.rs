//! The password policy: at least 8 characters with a digit, a lower- and an
//! upper-case letter; not built from the person's own phone, email or name; not
//! one of the passwords attackers try first.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::Lang;

pub const MIN_CHARS: usize = 8;
/// Long enough for any passphrase; short enough that nobody makes us hash a
/// megabyte.
pub const MAX_CHARS: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// What the person told us about themselves, which must not be their password.
#[derive(Debug, Default, Clone, Copy)]
pub struct PersonalData<'a> {
    /// Normalized `+7XXXXXXXXXX`.
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub names: &'a [&'a str],
}

/// One unmet rule. A form shows all of them at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    TooShort,
    TooLong,
    NoDigit,
    NoLower,
    NoUpper,
    Common,
    Personal,
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::TooShort => "too_short",
            Problem::TooLong => "too_long",
            Problem::NoDigit => "no_digit",
            Problem::NoLower => "no_lower",
            Problem::NoUpper => "no_upper",
            Problem::Common => "common",
            Problem::Personal => "personal",
        }
    }

    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (Problem::TooShort, Lang::Ru) => format!("Не короче {MIN_CHARS} символов"),
            (Problem::TooShort, Lang::En) => format!("At least {MIN_CHARS} characters"),
            (Problem::TooLong, Lang::Ru) => format!("Не длиннее {MAX_CHARS} символов"),
            (Problem::TooLong, Lang::En) => format!("At most {MAX_CHARS} characters"),
            (Problem::NoDigit, Lang::Ru) => "Добавьте хотя бы одну цифру".into(),
            (Problem::NoDigit, Lang::En) => "Add at least one digit".into(),
            (Problem::NoLower, Lang::Ru) => "Добавьте строчную букву".into(),
            (Problem::NoLower, Lang::En) => "Add a lower-case letter".into(),
            (Problem::NoUpper, Lang::Ru) => "Добавьте заглавную букву".into(),
            (Problem::NoUpper, Lang::En) => "Add an upper-case letter".into(),
            (Problem::Common, Lang::Ru) => {
                "Этот пароль слишком распространён: его подбирают первым".into()
            }
            (Problem::Common, Lang::En) => {
                "This password is too common: attackers try it first".into()
            }
            (Problem::Personal, Lang::Ru) => {
                "Пароль не должен содержать ваш телефон, почту или имя".into()
            }
            (Problem::Personal, Lang::En) => {
                "The password must not contain your phone, email or name".into()
            }
        }
    }
}

/// Checks a new password; `Err` lists every rule it breaks.
pub fn check(password: &str, personal: &PersonalData<'_>) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        problems.push(Problem::TooShort);
    }
    if chars > MAX_CHARS {
        problems.push(Problem::TooLong);
    }
    if !password.chars().any(|c| c.is_numeric()) {
        problems.push(Problem::NoDigit);
    }
    if !password.chars().any(char::is_lowercase) {
        problems.push(Problem::NoLower);
    }
    if !password.chars().any(char::is_uppercase) {
        problems.push(Problem::NoUpper);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        problems.push(Problem::Common);
    }
    if contains_personal(&lower, personal) {
        problems.push(Problem::Personal);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Common as it is, or once the digits and symbols people tack on at the end
/// are stripped (`Qwerty123!` is `qwerty`).
fn is_common(lower: &str) -> bool {
    if COMMON.contains(lower) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    stem.chars().count() >= 4 && COMMON.contains(stem)
}

fn contains_personal(lower: &str, p: &PersonalData<'_>) -> bool {
    let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
    if let Some(phone) = p.phone {
        let national: String = phone.chars().filter(char::is_ascii_digit).skip(1).collect();
        if national.len() >= 7 && digits.contains(&national[national.len() - 7..]) {
            return true;
        }
    }
    if let Some(email) = p.email {
        let local = email.split('@').next().unwrap_or("").to_lowercase();
        if local.chars().count() >= 4 && lower.contains(&local) {
            return true;
        }
    }
    p.names.iter().any(|name| {
        let n = name.trim().to_lowercase();
        n.chars().count() >= 3 && (lower.contains(&n) || lower.contains(&transliterate(&n)))
    })
}

/// Russian names typed on a Latin keyboard layout's usual transliteration
/// (`Иванов` → `ivanov`), so `Ivanov2026!` counts as containing the name.
fn transliterate(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' | 'ы' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ю' => "iu",
            'я' => "ia",
            _ => "",
        })
        .collect::<String>()
        + &s.chars().filter(char::is_ascii).collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problems(p: &str) -> Vec<Problem> {
        check(p, &PersonalData::default()).err().unwrap_or_default()
    }

    #[test]
    fn a_good_password_passes() {
        assert_eq!(check("Lilac-Harbour-71", &PersonalData::default()), Ok(()));
        assert_eq!(check("Сосна7Берёза", &PersonalData::default()), Ok(()));
    }

    #[test]
    fn each_rule_is_reported() {
        assert!(problems("Ab1").contains(&Problem::TooShort));
        assert!(problems(&format!("Ab1{}", "x".repeat(200))).contains(&Problem::TooLong));
        assert_eq!(problems("Lilac-Harbour"), vec![Problem::NoDigit]);
        assert_eq!(problems("LILAC-HARBOUR-71"), vec![Problem::NoLower]);
        assert_eq!(problems("lilac-harbour-71"), vec![Problem::NoUpper]);
        assert_eq!(
            problems("qzv"),
            vec![Problem::TooShort, Problem::NoDigit, Problem::NoUpper]
        );
    }

    #[test]
    fn common_passwords_are_refused_with_decorations() {
        assert!(COMMON.len() > 19_000);
        for p in [
            "Password1",
            "Qwerty123",
            "Qwerty123!",
            "Iloveyou1",
            "Zaq1Xsw2",
        ] {
            assert!(problems(p).contains(&Problem::Common), "{p}");
        }
    }

    #[test]
    fn personal_data_is_refused() {
        let names = ["Иванов", "Пётр"];
        let me = PersonalData {
            phone: Some("+79161234567"),
            email: Some("petya.ivanov@mail.ru"),
            names: &names,
        };
        for p in [
            "Ivanov2026!",
            "Иванов2026x",
            "Xy1234567z",
            "Petya.Ivanov1",
            "Zz9petya.ivanov",
        ] {
            assert!(
                check(p, &me).is_err_and(|e| e.contains(&Problem::Personal)),
                "{p}"
            );
        }
        assert_eq!(check("Lilac-Harbour-71", &me), Ok(()));
    }

    #[test]
    fn messages_in_both_languages() {
        for p in [
            Problem::TooShort,
            Problem::TooLong,
            Problem::NoDigit,
            Problem::NoLower,
            Problem::NoUpper,
            Problem::Common,
            Problem::Personal,
        ] {
            assert_ne!(p.message(Lang::Ru), p.message(Lang::En));
            assert!(!p.code().is_empty());
        }
    }

    proptest! {
        #[test]
        fn never_panics(p in any::<String>(), name in any::<String>(), email in any::<String>()) {
            let names = [name.as_str()];
            let _ = check(&p, &PersonalData { phone: Some(&p), email: Some(&email), names: &names });
        }
    }
}
