//! Bank identifiers: BIK and account numbers with their control key.

use super::numbers::{digits, digits_len, to_string, weighted};
use super::{IdentError, Kind, ident_type};

ident_type!(
    /// Bank identification code of a Russian bank: 9 digits starting with `04`.
    Bik
);

impl Bik {
    pub fn parse(input: &str) -> Result<Bik, IdentError> {
        let d = digits_len(input, Kind::Bik, &[9])?;
        if d[0] != 0 || d[1] != 4 {
            return Err(IdentError::Format { kind: Kind::Bik });
        }
        Ok(Bik(to_string(&d)))
    }
}

/// Which Bank of Russia rule an account's control key satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountForm {
    /// An account at a credit institution: key over the BIK's last 3 digits.
    Settlement,
    /// An account at the Bank of Russia (or a correspondent account): key over
    /// "0" and the BIK's 5th and 6th digits.
    Correspondent,
}

/// A 20-digit account number whose control key matches its bank's BIK.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BankAccount {
    number: String,
    form: AccountForm,
}

const ACCOUNT_W: [u32; 23] = [
    7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1,
];

/// True when the 23 digits (3 from the BIK, 20 of the account) pass the key.
pub(crate) fn key_ok(prefix: &[u8], account: &[u8]) -> bool {
    let mut all = prefix.to_vec();
    all.extend_from_slice(account);
    weighted(&all, &ACCOUNT_W).is_multiple_of(10)
}

impl BankAccount {
    /// Checks the key both ways and accepts the account if either holds: which
    /// rule applies depends on where the account is held, which the number
    /// alone does not say.
    pub fn parse(input: &str, bik: &Bik) -> Result<BankAccount, IdentError> {
        let d = digits_len(input, Kind::BankAccount, &[20])?;
        let b = digits(bik.as_str(), Kind::Bik)?;
        let form = if key_ok(&b[6..9], &d) {
            AccountForm::Settlement
        } else if key_ok(&[0, b[4], b[5]], &d) {
            AccountForm::Correspondent
        } else {
            return Err(IdentError::Checksum {
                kind: Kind::BankAccount,
            });
        };
        Ok(BankAccount {
            number: to_string(&d),
            form,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn form(&self) -> AccountForm {
        self.form
    }
}

impl std::fmt::Display for BankAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.number)
    }
}

impl serde::Serialize for BankAccount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.number)
    }
}
