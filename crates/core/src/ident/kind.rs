use std::fmt;
use std::str::FromStr;

use crate::Lang;

/// Every identifier `propusk validate` and `/api/v1/validate` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Inn,
    InnPerson,
    InnOrg,
    Snils,
    Ogrn,
    Ogrnip,
    Kpp,
    Bik,
    BankAccount,
    Passport,
    DivisionCode,
    Phone,
    Email,
    Cadastral,
    Uin,
    Oktmo,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Inn,
        Kind::InnPerson,
        Kind::InnOrg,
        Kind::Snils,
        Kind::Ogrn,
        Kind::Ogrnip,
        Kind::Kpp,
        Kind::Bik,
        Kind::BankAccount,
        Kind::Passport,
        Kind::DivisionCode,
        Kind::Phone,
        Kind::Email,
        Kind::Cadastral,
        Kind::Uin,
        Kind::Oktmo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inn => "inn",
            Kind::InnPerson => "inn_person",
            Kind::InnOrg => "inn_org",
            Kind::Snils => "snils",
            Kind::Ogrn => "ogrn",
            Kind::Ogrnip => "ogrnip",
            Kind::Kpp => "kpp",
            Kind::Bik => "bik",
            Kind::BankAccount => "bank_account",
            Kind::Passport => "passport",
            Kind::DivisionCode => "division_code",
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::Cadastral => "cadastral",
            Kind::Uin => "uin",
            Kind::Oktmo => "oktmo",
        }
    }

    /// The name people know it by.
    pub fn name(self, lang: Lang) -> String {
        let (ru, en) = match self {
            Kind::Inn => ("ИНН", "INN"),
            Kind::InnPerson => ("ИНН физического лица", "personal INN"),
            Kind::InnOrg => ("ИНН организации", "organization INN"),
            Kind::Snils => ("СНИЛС", "SNILS"),
            Kind::Ogrn => ("ОГРН", "OGRN"),
            Kind::Ogrnip => ("ОГРНИП", "OGRNIP"),
            Kind::Kpp => ("КПП", "KPP"),
            Kind::Bik => ("БИК", "BIK"),
            Kind::BankAccount => ("Номер счёта", "account number"),
            Kind::Passport => ("Серия и номер паспорта", "passport series and number"),
            Kind::DivisionCode => ("Код подразделения", "division code"),
            Kind::Phone => ("Номер телефона", "phone number"),
            Kind::Email => ("Адрес электронной почты", "email address"),
            Kind::Cadastral => ("Кадастровый номер", "cadastral number"),
            Kind::Uin => ("УИН", "UIN"),
            Kind::Oktmo => ("ОКТМО", "OKTMO"),
        };
        match lang {
            Lang::Ru => ru.to_owned(),
            Lang::En => en.to_owned(),
        }
    }

    /// «Укажите …»: the accusative where it differs from the nominative.
    pub(crate) fn name_accusative_ru(self) -> String {
        match self {
            Kind::BankAccount => "номер счёта".into(),
            Kind::Passport => "серию и номер паспорта".into(),
            Kind::DivisionCode => "код подразделения".into(),
            Kind::Phone => "номер телефона".into(),
            Kind::Email => "адрес электронной почты".into(),
            Kind::Cadastral => "кадастровый номер".into(),
            other => other.name(Lang::Ru),
        }
    }

    /// The expected shape, for "wrong format" messages.
    pub(crate) fn pattern(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Kind::Kpp, Lang::Ru) => "9 знаков: 4 цифры, 2 цифры или латинские буквы, 3 цифры",
            (Kind::Kpp, Lang::En) => "9 characters: 4 digits, 2 digits or Latin letters, 3 digits",
            (Kind::Bik, Lang::Ru) => "9 цифр, начиная с 04",
            (Kind::Bik, Lang::En) => "9 digits starting with 04",
            (Kind::Passport, Lang::Ru) => "серия из 4 цифр и номер из 6 цифр, не 000000",
            (Kind::Passport, Lang::En) => "a 4-digit series and a 6-digit number other than 000000",
            (Kind::DivisionCode, _) => "NNN-NNN",
            (Kind::Email, Lang::Ru) => "имя@домен.рф",
            (Kind::Email, Lang::En) => "name@domain.example",
            (Kind::Cadastral, Lang::Ru) => {
                "АА:ВВ:CCCCCCC:КК — округ, район, квартал, номер участка"
            }
            (Kind::Cadastral, Lang::En) => "AA:BB:CCCCCCC:KK — district, area, quarter, parcel",
            (_, Lang::Ru) => "только цифры",
            (_, Lang::En) => "digits only",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown identifier kind `{0}`; use one of: inn, inn_person, inn_org, snils, ogrn, ogrnip, kpp, bik, bank_account, passport, division_code, phone, email, cadastral, uin, oktmo"
)]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}
