//! What a partner may ask for: data categories, each with its exact fields
//! and the registry it comes from, and the purposes a consent may serve.
//!
//! Categories are code because the data API must know how to fetch and shape
//! each one; purposes are data (`data/consent_purposes.json`), so adding one
//! needs no code change and the list is checked by a unit test.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Lang;

/// The state system a category's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Mvd,
    Sfr,
    Fns,
    Rosreestr,
    GisGmp,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Mvd => "mvd",
            Source::Sfr => "sfr",
            Source::Fns => "fns",
            Source::Rosreestr => "rosreestr",
            Source::GisGmp => "gisgmp",
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Source::Mvd, Lang::Ru) => "МВД России",
            (Source::Mvd, Lang::En) => "Ministry of Internal Affairs (MVD)",
            (Source::Sfr, Lang::Ru) => "Социальный фонд России",
            (Source::Sfr, Lang::En) => "Social Fund of Russia (SFR)",
            (Source::Fns, Lang::Ru) => "ФНС России",
            (Source::Fns, Lang::En) => "Federal Tax Service (FNS)",
            (Source::Rosreestr, Lang::Ru) => "Росреестр",
            (Source::Rosreestr, Lang::En) => "Rosreestr (property register)",
            (Source::GisGmp, Lang::Ru) => "ГИС ГМП (Федеральное казначейство)",
            (Source::GisGmp, Lang::En) => "GIS GMP (Federal Treasury)",
        }
    }
}

/// One field of a category, as the data API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
}

impl Field {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }
}

/// A field literal (a struct expression, so the tables are `'static`).
macro_rules! f {
    ($name:literal, $ru:literal, $en:literal) => {
        Field {
            name: $name,
            ru: $ru,
            en: $en,
        }
    };
}

/// A data category a consent may cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Passport,
    Snils,
    Inn,
    Income,
    Address,
    Pension,
    RealEstate,
    Debts,
    Organization,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Passport,
        Category::Snils,
        Category::Inn,
        Category::Income,
        Category::Address,
        Category::Pension,
        Category::RealEstate,
        Category::Debts,
        Category::Organization,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::Passport => "passport",
            Category::Snils => "snils",
            Category::Inn => "inn",
            Category::Income => "income",
            Category::Address => "address",
            Category::Pension => "pension",
            Category::RealEstate => "real_estate",
            Category::Debts => "debts",
            Category::Organization => "organization",
        }
    }

    pub fn parse(code: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The OAuth scope an approved partner must hold to ask for it.
    pub fn scope(self) -> &'static str {
        match self {
            Category::Passport => "id_doc",
            Category::Snils => "snils",
            Category::Inn => "inn",
            Category::Income => "income",
            Category::Address => "addresses",
            Category::Pension => "pension",
            Category::RealEstate => "real_estate",
            Category::Debts => "debts",
            Category::Organization => "usr_org",
        }
    }

    pub fn source(self) -> Source {
        match self {
            Category::Passport | Category::Address => Source::Mvd,
            Category::Snils | Category::Pension => Source::Sfr,
            Category::Inn | Category::Income | Category::Organization => Source::Fns,
            Category::RealEstate => Source::Rosreestr,
            Category::Debts => Source::GisGmp,
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Category::Passport, Lang::Ru) => "Паспорт гражданина РФ",
            (Category::Passport, Lang::En) => "Russian passport",
            (Category::Snils, Lang::Ru) => "СНИЛС",
            (Category::Snils, Lang::En) => "SNILS (insurance number)",
            (Category::Inn, Lang::Ru) => "ИНН",
            (Category::Inn, Lang::En) => "INN (taxpayer number)",
            (Category::Income, Lang::Ru) => "Доходы (справки 2-НДФЛ)",
            (Category::Income, Lang::En) => "Income (2-NDFL statements)",
            (Category::Address, Lang::Ru) => "Адрес регистрации",
            (Category::Address, Lang::En) => "Registration address",
            (Category::Pension, Lang::Ru) => "Пенсионный счёт",
            (Category::Pension, Lang::En) => "Pension account",
            (Category::RealEstate, Lang::Ru) => "Недвижимость",
            (Category::RealEstate, Lang::En) => "Real estate",
            (Category::Debts, Lang::Ru) => "Задолженности (начисления ГИС ГМП)",
            (Category::Debts, Lang::En) => "Debts (GIS GMP charges)",
            (Category::Organization, Lang::Ru) => "Организации, которыми вы руководите",
            (Category::Organization, Lang::En) => "Organizations you head",
        }
    }

    /// The exact fields the data API returns for it.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Category::Passport => &[
                f!("series", "Серия", "Series"),
                f!("number", "Номер", "Number"),
                f!("issue_date", "Дата выдачи", "Issue date"),
                f!("issuer", "Кем выдан", "Issued by"),
                f!("division_code", "Код подразделения", "Division code"),
                f!("family_name", "Фамилия", "Family name"),
                f!("given_name", "Имя", "Given name"),
                f!("middle_name", "Отчество", "Patronymic"),
                f!("birthdate", "Дата рождения", "Date of birth"),
                f!("birthplace", "Место рождения", "Place of birth"),
            ],
            Category::Snils => &[f!("snils", "Номер СНИЛС", "SNILS number")],
            Category::Inn => &[f!("inn", "ИНН", "INN")],
            Category::Income => &[
                f!("year", "Год", "Year"),
                f!(
                    "employer",
                    "Налоговый агент (работодатель): название и ИНН",
                    "Tax agent (employer): name and INN"
                ),
                f!("total_income", "Общая сумма дохода", "Total income"),
                f!("tax_withheld", "Сумма удержанного налога", "Tax withheld"),
                f!(
                    "monthly",
                    "Доходы по месяцам и кодам дохода",
                    "Income by month and income code"
                ),
            ],
            Category::Address => &[
                f!(
                    "address",
                    "Адрес регистрации по месту жительства",
                    "Registered address"
                ),
                f!("registered_since", "Дата регистрации", "Registered since"),
            ],
            Category::Pension => &[
                f!(
                    "points",
                    "Индивидуальные пенсионные коэффициенты по годам",
                    "Pension points by year"
                ),
                f!("seniority", "Страховой стаж", "Insurance seniority"),
                f!("savings", "Пенсионные накопления", "Pension savings"),
                f!("payment", "Назначенная пенсия", "Pension being paid"),
            ],
            Category::RealEstate => &[
                f!("cadastral_number", "Кадастровый номер", "Cadastral number"),
                f!("object_type", "Вид объекта", "Object type"),
                f!("address", "Адрес", "Address"),
                f!("area", "Площадь", "Area"),
                f!("right", "Вид права и доля", "Right and share"),
                f!(
                    "cadastral_value",
                    "Кадастровая стоимость",
                    "Cadastral value"
                ),
                f!("encumbrances", "Обременения", "Encumbrances"),
            ],
            Category::Debts => &[
                f!("uin", "УИН начисления", "Charge UIN"),
                f!("purpose", "Назначение платежа", "Purpose"),
                f!("amount", "Сумма начисления", "Amount"),
                f!("left_to_pay", "Остаток к оплате", "Left to pay"),
                f!("bill_date", "Дата начисления", "Bill date"),
                f!("payee", "Получатель", "Payee"),
            ],
            Category::Organization => &[
                f!("ogrn", "ОГРН", "OGRN"),
                f!("inn", "ИНН организации", "Organization's INN"),
                f!("name", "Полное наименование", "Full name"),
                f!("position", "Должность руководителя", "Head's position"),
            ],
        }
    }
}

/// Why a partner may ask: a purpose of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    pub code: String,
    pub ru: String,
    pub en: String,
    /// The legal basis, in Russian (the receipt's language of record).
    pub legal_basis: String,
    /// What the partner may do with the data.
    pub actions: Vec<String>,
    /// How long the partner may keep what it read, in days.
    pub retention_days: u32,
}

impl Purpose {
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

static PURPOSES: OnceLock<Vec<Purpose>> = OnceLock::new();

/// The purpose catalogue (checked by a unit test, so parsing cannot fail
/// in a built binary).
pub fn purposes() -> &'static [Purpose] {
    PURPOSES.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/consent_purposes.json")).unwrap_or_default()
    })
}

pub fn purpose(code: &str) -> Option<&'static Purpose> {
    purposes().iter().find(|p| p.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_parse_and_are_unique_and_complete() {
        let list: Vec<Purpose> =
            serde_json::from_str(include_str!("../../data/consent_purposes.json")).unwrap();
        assert!(list.len() >= 5);
        let mut codes: Vec<&str> = list.iter().map(|p| p.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), list.len(), "purpose codes are unique");
        for p in &list {
            assert!(!p.ru.is_empty() && !p.en.is_empty() && !p.legal_basis.is_empty());
            assert!(!p.actions.is_empty() && p.retention_days > 0, "{}", p.code);
            assert!(p.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(purposes().len(), list.len());
    }

    #[test]
    fn categories_round_trip_and_have_fields() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Some(c));
            assert!(!c.fields().is_empty());
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.code())
            );
            for field in c.fields() {
                assert!(!field.ru.is_empty() && !field.en.is_empty());
            }
        }
        assert_eq!(Category::parse("salary"), None);
    }
}
