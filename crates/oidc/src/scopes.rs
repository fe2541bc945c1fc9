//! Scopes in the style of ESIA: each names a group of claims and how the
//! consent screen says it to a person. Data, not code: a new scope is a new
//! row here.

/// A scope a partner may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub name: &'static str,
    /// The claims it releases.
    pub claims: &'static [&'static str],
    pub ru: &'static str,
    pub en: &'static str,
}

pub const SCOPES: &[Scope] = &[
    Scope {
        name: "openid",
        claims: &["sub"],
        ru: "Идентификатор вашей учётной записи для этой организации",
        en: "An identifier of your account for this organization",
    },
    Scope {
        name: "fullname",
        claims: &["family_name", "given_name", "middle_name"],
        ru: "Фамилия, имя и отчество",
        en: "Full name",
    },
    Scope {
        name: "birthdate",
        claims: &["birthdate"],
        ru: "Дата рождения",
        en: "Date of birth",
    },
    Scope {
        name: "gender",
        claims: &["gender"],
        ru: "Пол",
        en: "Gender",
    },
    Scope {
        name: "snils",
        claims: &["snils"],
        ru: "СНИЛС",
        en: "SNILS (insurance number)",
    },
    Scope {
        name: "inn",
        claims: &["inn"],
        ru: "ИНН",
        en: "INN (taxpayer number)",
    },
    Scope {
        name: "id_doc",
        claims: &["id_doc"],
        ru: "Паспорт гражданина РФ: серия и номер, дата выдачи, кем выдан, код подразделения",
        en: "Russian passport: series and number, issue date, issuer, division code",
    },
    Scope {
        name: "birthplace",
        claims: &["birthplace"],
        ru: "Место рождения",
        en: "Place of birth",
    },
    Scope {
        name: "contacts",
        claims: &[
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
        ],
        ru: "Подтверждённые адрес электронной почты и номер телефона",
        en: "Confirmed email address and phone number",
    },
    Scope {
        name: "addresses",
        claims: &["address"],
        ru: "Адрес регистрации",
        en: "Registration address",
    },
    Scope {
        name: "usr_org",
        claims: &["organizations"],
        ru: "Организации, в которых вы состоите, и ваши роли в них",
        en: "Organizations you belong to and your roles in them",
    },
    // Data scopes: they release no claims at sign-in. A partner approved
    // for one may ask citizens for consents to that category's data
    // (`core::consent::Category::scope`).
    Scope {
        name: "income",
        claims: &[],
        ru: "Запрашивать согласие на доступ к доходам (2-НДФЛ)",
        en: "Ask for consent to income data (2-NDFL)",
    },
    Scope {
        name: "pension",
        claims: &[],
        ru: "Запрашивать согласие на доступ к пенсионному счёту",
        en: "Ask for consent to pension account data",
    },
    Scope {
        name: "real_estate",
        claims: &[],
        ru: "Запрашивать согласие на доступ к сведениям о недвижимости",
        en: "Ask for consent to real estate data",
    },
    Scope {
        name: "debts",
        claims: &[],
        ru: "Запрашивать согласие на доступ к задолженностям (ГИС ГМП)",
        en: "Ask for consent to debts (GIS GMP charges)",
    },
];

impl Scope {
    /// A data scope: asked for with a consent request, never at sign-in.
    pub fn data_only(&self) -> bool {
        self.claims.is_empty()
    }
}

pub fn find(name: &str) -> Option<&'static Scope> {
    SCOPES.iter().find(|s| s.name == name)
}

/// Every claim some scope releases, for Discovery.
pub fn all_claims() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = vec![
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "sid",
    ];
    for s in SCOPES {
        for c in s.claims {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out
}

/// A space-separated scope string as a list, duplicates dropped, order kept.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_each_says_something_in_both_languages() {
        for (i, s) in SCOPES.iter().enumerate() {
            assert!(SCOPES[i + 1..].iter().all(|o| o.name != s.name));
            assert!(!s.ru.is_empty() && !s.en.is_empty());
        }
        assert_eq!(split("openid  fullname openid"), vec!["openid", "fullname"]);
        assert!(find("snils").is_some() && find("nope").is_none());
        assert!(find("income").is_some_and(Scope::data_only));
        assert!(!find("openid").is_some_and(Scope::data_only));
    }
}
