//! Russian identifiers. Each is a type that can only be made by parsing, so a
//! value past the edge of the system is known to be well-formed and carries its
//! one normalized spelling (spaces and dashes removed, fixed separators added).
//!
//! The checks follow the published algorithms: ФНС for INN and OGRN, СФР for
//! SNILS, the Bank of Russia for account control keys, Казначейство for UINs.

mod bank;
pub mod build;
mod contact;
mod error;
mod kind;
mod numbers;
mod org;
mod person;
mod property;

pub use bank::{AccountForm, BankAccount, Bik};
pub use contact::{Email, Phone};
pub use error::IdentError;
pub use kind::{Kind, UnknownKind};
pub use org::{Kpp, Ogrn, Ogrnip, Oktmo, Uin};
pub use person::{DivisionCode, Inn, InnOrg, InnPerson, Passport, Snils};
pub use property::CadastralNumber;

/// Checks `value` as a `kind` and returns its normalized form. `bik` is needed
/// (and only used) for `bank_account`.
pub fn validate(kind: Kind, value: &str, bik: Option<&str>) -> Result<String, IdentError> {
    Ok(match kind {
        Kind::Inn => Inn::parse(value)?.to_string(),
        Kind::InnPerson => InnPerson::parse(value)?.to_string(),
        Kind::InnOrg => InnOrg::parse(value)?.to_string(),
        Kind::Snils => Snils::parse(value)?.to_string(),
        Kind::Ogrn => Ogrn::parse(value)?.to_string(),
        Kind::Ogrnip => Ogrnip::parse(value)?.to_string(),
        Kind::Kpp => Kpp::parse(value)?.to_string(),
        Kind::Bik => Bik::parse(value)?.to_string(),
        Kind::BankAccount => {
            let bik = bik.ok_or(IdentError::BikRequired)?;
            let bik = Bik::parse(bik).map_err(|e| IdentError::BadBik(Box::new(e)))?;
            BankAccount::parse(value, &bik)?.to_string()
        }
        Kind::Passport => Passport::parse(value)?.to_string(),
        Kind::DivisionCode => DivisionCode::parse(value)?.to_string(),
        Kind::Phone => Phone::parse(value)?.to_string(),
        Kind::Email => Email::parse(value)?.to_string(),
        Kind::Cadastral => CadastralNumber::parse(value)?.to_string(),
        Kind::Uin => Uin::parse(value)?.to_string(),
        Kind::Oktmo => Oktmo::parse(value)?.to_string(),
    })
}

/// Declares an identifier newtype over its normalized `String`, with the
/// traits every identifier shares. Construction stays in the type's `parse`.
macro_rules! ident_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ident::IdentError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(|e| serde::de::Error::custom(e.message($crate::Lang::En)))
            }
        }
    };
}
pub(crate) use ident_type;

#[cfg(test)]
mod tests;
