//! The person's own data: birth date and place, gender, passport, SNILS,
//! INN and address, each checked with the `core` identifiers. SNILS and INN
//! belong to one account at most (found by blind index). Entering or
//! changing passport or SNILS puts the identity check in `Pending` and
//! queues it for the registries (`identity`); the account keeps the
//! simplified level until they answer.

use propusk_core::account::{
    Gender, IdentityCheck, IdentityState, PassportData, Profile, TrustLevel,
};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{DivisionCode, InnPerson, Passport, Snils};
use propusk_store::{accounts, audit};
use rand_core::OsRng;
use time::Date;
use uuid::Uuid;

use crate::error::internal;
use crate::sessions::Current;
use crate::{FieldProblem, Result, ServiceError, Services};

/// The profile form as typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub birth_date: String,
    pub birth_place: String,
    pub gender: String,
    pub passport_number: String,
    pub passport_issue_date: String,
    pub passport_issuer: String,
    pub passport_division_code: String,
    pub snils: String,
    pub inn: String,
    pub address: String,
    pub postal_code: String,
}

fn parse_date(field: &'static str, s: &str, problems: &mut Vec<FieldProblem>) -> Option<Date> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let ru = time::macros::format_description!("[day].[month].[year]");
    match Date::parse(s, &iso).or_else(|_| Date::parse(s, &ru)) {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(FieldProblem::text(
                field,
                "date",
                "Укажите дату в виде ДД.ММ.ГГГГ",
                "Give the date as DD.MM.YYYY",
            ));
            None
        }
    }
}

/// Free text fields: trimmed, bounded, no control characters.
fn text(
    field: &'static str,
    s: &str,
    max: usize,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        problems.push(FieldProblem::text(
            field,
            "text",
            &format!("Не длиннее {max} символов, без служебных знаков"),
            &format!("At most {max} characters, no control characters"),
        ));
        return None;
    }
    Some(t.to_owned())
}

fn years_between(from: Date, to: Date) -> i32 {
    let mut y = to.year() - from.year();
    if (to.month() as u8, to.day()) < (from.month() as u8, from.day()) {
        y -= 1;
    }
    y
}

/// Checks the form against the rules; `today` decides what "past" means.
pub fn validate(input: &ProfileInput, name: &Profile, today: Date) -> Result<Profile> {
    let mut p = Vec::new();
    let mut out = name.clone();
    out.birth_date = None;
    let birth = parse_date("birth_date", &input.birth_date, &mut p);
    if let Some(b) = birth {
        if b >= today || years_between(b, today) > 125 {
            p.push(FieldProblem::text(
                "birth_date",
                "range",
                "Дата рождения должна быть в прошлом",
                "The birth date must be in the past",
            ));
        } else {
            out.birth_date = Some(b.to_string());
        }
    }
    out.birth_place = text("birth_place", &input.birth_place, 200, &mut p);
    out.gender = match input.gender.trim() {
        "" => None,
        "male" => Some(Gender::Male),
        "female" => Some(Gender::Female),
        _ => {
            p.push(FieldProblem::text(
                "gender",
                "choice",
                "Выберите пол из списка",
                "Choose from the list",
            ));
            None
        }
    };
    let passport_fields = [
        &input.passport_number,
        &input.passport_issue_date,
        &input.passport_issuer,
        &input.passport_division_code,
    ];
    out.passport = if passport_fields.iter().all(|f| f.trim().is_empty()) {
        None
    } else {
        let number = match Passport::parse(&input.passport_number) {
            Ok(n) => Some(n),
            Err(e) => {
                p.push(FieldProblem::new("passport_number", e.code(), |l| {
                    e.message(l)
                }));
                None
            }
        };
        let issued = parse_date("passport_issue_date", &input.passport_issue_date, &mut p);
        if input.passport_issue_date.trim().is_empty() {
            p.push(FieldProblem::text(
                "passport_issue_date",
                "required",
                "Укажите дату выдачи",
                "Give the issue date",
            ));
        }
        if let Some(i) = issued {
            if i > today {
                p.push(FieldProblem::text(
                    "passport_issue_date",
                    "range",
                    "Дата выдачи не может быть в будущем",
                    "The issue date cannot be in the future",
                ));
            } else if let Some(b) = birth
                && years_between(b, i) < 14
            {
                p.push(FieldProblem::text(
                    "passport_issue_date",
                    "age",
                    "Паспорт выдаётся с 14 лет: проверьте даты",
                    "A passport is issued from the age of 14: check the dates",
                ));
            }
        }
        let issuer = text("passport_issuer", &input.passport_issuer, 300, &mut p);
        if issuer.is_none() && input.passport_issuer.trim().is_empty() {
            p.push(FieldProblem::text(
                "passport_issuer",
                "required",
                "Укажите, кем выдан паспорт",
                "Give the issuing office",
            ));
        }
        let division = match DivisionCode::parse(&input.passport_division_code) {
            Ok(d) => Some(d),
            Err(e) => {
                p.push(FieldProblem::new("passport_division_code", e.code(), |l| {
                    e.message(l)
                }));
                None
            }
        };
        match (number, issued, issuer, division) {
            (Some(n), Some(i), Some(is), Some(d)) => Some(PassportData {
                number: n.as_str().to_owned(),
                issue_date: i.to_string(),
                issuer: is,
                division_code: d.as_str().to_owned(),
            }),
            _ => None,
        }
    };
    out.snils = if input.snils.trim().is_empty() {
        None
    } else {
        match Snils::parse(&input.snils) {
            Ok(s) => Some(s.as_str().to_owned()),
            Err(e) => {
                p.push(FieldProblem::new("snils", e.code(), |l| e.message(l)));
                None
            }
        }
    };
    out.inn = if input.inn.trim().is_empty() {
        None
    } else {
        match InnPerson::parse(&input.inn) {
            Ok(i) => Some(i.as_str().to_owned()),
            Err(e) => {
                p.push(FieldProblem::new("inn", e.code(), |l| e.message(l)));
                None
            }
        }
    };
    out.address = text("address", &input.address, 500, &mut p);
    out.postal_code = match input.postal_code.trim() {
        "" => None,
        s if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.to_owned()),
        _ => {
            p.push(FieldProblem::text(
                "postal_code",
                "format",
                "Индекс — 6 цифр",
                "A postal code is 6 digits",
            ));
            None
        }
    };
    if p.is_empty() {
        Ok(out)
    } else {
        Err(ServiceError::Invalid(p))
    }
}

impl Services {
    pub async fn profile(&self, account_id: Uuid) -> Result<Profile> {
        let row = accounts::get(&self.db, account_id).await?;
        self.open_profile(&row)
    }

    /// The sealed profile of an account row already read.
    pub(crate) fn open_profile(&self, row: &accounts::AccountRow) -> Result<Profile> {
        let bytes = self
            .vault
            .open(
                &row.profile,
                format!("account.profile:{}", row.id).as_bytes(),
            )
            .map_err(internal)?;
        serde_json::from_slice(&bytes).map_err(internal)
    }

    /// Saves the profile form. Returns whether the identity check restarted.
    pub async fn update_profile(&self, current: &Current, input: &ProfileInput) -> Result<bool> {
        let id = current.account_id;
        let before = self.profile(id).await?;
        let now = self.clock.now();
        let mut after = validate(input, &before, now.date())?;
        let snils_index = after
            .snils
            .as_ref()
            .map(|s| self.vault.blind_index_hex("snils", s));
        let inn_index = after
            .inn
            .as_ref()
            .map(|s| self.vault.blind_index_hex("inn", s));
        let mut taken = Vec::new();
        if let Some(i) = &snils_index
            && accounts::find_by_snils(&self.db, i)
                .await?
                .is_some_and(|other| other != id)
        {
            taken.push(duplicate("snils"));
        }
        if let Some(i) = &inn_index
            && accounts::find_by_inn(&self.db, i)
                .await?
                .is_some_and(|other| other != id)
        {
            taken.push(duplicate("inn"));
        }
        if !taken.is_empty() {
            return Err(ServiceError::Invalid(taken));
        }
        let identity_changed = after.passport != before.passport || after.snils != before.snils;
        after.identity_check = if identity_changed {
            (after.passport.is_some() && after.snils.is_some()).then(|| IdentityCheck {
                state: IdentityState::Pending,
                since: propusk_core::time::canonical(now),
                reason: None,
            })
        } else {
            before.identity_check.clone()
        };
        let changed: Vec<&str> = changed_fields(&before, &after);
        let json = serde_json::to_vec(&after).map_err(internal)?;
        let sealed = self.vault.seal(
            &mut OsRng,
            &json,
            format!("account.profile:{id}").as_bytes(),
        );
        let mut tx = self.db.begin().await?;
        accounts::set_profile(&mut tx, id, &sealed, now).await?;
        match accounts::set_ident_indexes(
            &mut tx,
            id,
            snils_index.as_deref(),
            inn_index.as_deref(),
            now,
        )
        .await
        {
            Ok(()) => {}
            // Another account took it between the check and now.
            Err(propusk_store::StoreError::Conflict { .. }) => {
                return Err(ServiceError::Invalid(vec![duplicate("snils")]));
            }
            Err(e) => return Err(e.into()),
        }
        if identity_changed {
            if after.identity_check.is_some() {
                self.queue_identity_check(&mut tx, id, now).await?;
            } else {
                propusk_store::identity::cancel(&mut tx, id).await?;
            }
        }
        let row = accounts::get(&self.db, id).await?;
        if identity_changed
            && matches!(
                row.trust_level,
                Some(TrustLevel::Standard | TrustLevel::Confirmed)
            )
        {
            // New documents need the registries' word again.
            accounts::set_status(&mut tx, id, row.status, Some(TrustLevel::Simplified), now)
                .await?;
        }
        let event = NewEvent::new(Actor::citizen(id), "profile.updated")
            .subject(format!("account:{id}"))
            .details(serde_json::json!({
                "fields": changed,
                "identity_check": after.identity_check.as_ref().map(|c| c.state),
            }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(identity_changed && after.identity_check.is_some())
    }
}

fn duplicate(field: &'static str) -> FieldProblem {
    let what = if field == "snils" {
        ("СНИЛС", "SNILS")
    } else {
        ("ИНН", "INN")
    };
    FieldProblem::text(
        field,
        "taken",
        &format!(
            "Этот {} уже указан в другой учётной записи. Если это ваш номер, обратитесь в поддержку: \
             мы проверим документы и поможем.",
            what.0
        ),
        &format!(
            "This {} is already in another account. If it is yours, contact support: we will check \
             the documents and help.",
            what.1
        ),
    )
}

fn changed_fields<'a>(a: &Profile, b: &Profile) -> Vec<&'a str> {
    let mut out = Vec::new();
    if a.birth_date != b.birth_date {
        out.push("birth_date");
    }
    if a.birth_place != b.birth_place {
        out.push("birth_place");
    }
    if a.gender != b.gender {
        out.push("gender");
    }
    if a.passport != b.passport {
        out.push("passport");
    }
    if a.snils != b.snils {
        out.push("snils");
    }
    if a.inn != b.inn {
        out.push("inn");
    }
    if a.address != b.address || a.postal_code != b.postal_code {
        out.push("address");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use propusk_core::account::{NamePart, PersonName};

    fn base() -> Profile {
        Profile::new(PersonName {
            last: NamePart::parse("Иванова").unwrap(),
            first: NamePart::parse("Мария").unwrap(),
            middle: None,
        })
    }

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::November, 24).unwrap()
    }

    fn good() -> ProfileInput {
        ProfileInput {
            birth_date: "1990-05-17".into(),
            birth_place: "г. Тверь".into(),
            gender: "female".into(),
            passport_number: "45 10 № 123456".into(),
            passport_issue_date: "17.05.2010".into(),
            passport_issuer: "ОВД района Хамовники г. Москвы".into(),
            passport_division_code: "772001".into(),
            snils: "112-233-445 95".into(),
            inn: "500100732259".into(),
            address: "г. Москва, ул. Льва Толстого, д. 16, кв. 1".into(),
            postal_code: "119021".into(),
        }
    }

    #[test]
    fn a_full_profile_is_normalized() {
        let p = validate(&good(), &base(), today()).unwrap();
        let pass = p.passport.unwrap();
        assert_eq!(pass.number, "4510 123456");
        assert_eq!(pass.issue_date, "2010-05-17");
        assert_eq!(pass.division_code, "772-001");
        assert_eq!(p.snils.as_deref(), Some("112-233-445 95"));
        assert_eq!(p.birth_date.as_deref(), Some("1990-05-17"));
        assert_eq!(p.gender, Some(Gender::Female));
    }

    #[test]
    fn each_wrong_field_is_named() {
        let mut f = good();
        f.snils = "112-233-445 96".into();
        f.inn = "500100732250".into();
        f.passport_issue_date = "2001-01-01".into();
        f.postal_code = "11902".into();
        f.gender = "other".into();
        f.birth_date = "31.02.1990".into();
        let Err(ServiceError::Invalid(p)) = validate(&f, &base(), today()) else {
            panic!()
        };
        let fields: Vec<&str> = p.iter().map(|p| p.field).collect();
        for want in ["snils", "inn", "postal_code", "gender", "birth_date"] {
            assert!(fields.contains(&want), "{want} in {fields:?}");
        }
        let mut f = good();
        f.passport_issue_date = "2001-01-01".into();
        let Err(ServiceError::Invalid(p)) = validate(&f, &base(), today()) else {
            panic!()
        };
        assert_eq!(p[0].field, "passport_issue_date", "issued at 10 years old");
        let mut f = good();
        f.passport_issuer = String::new();
        f.passport_division_code = String::new();
        let Err(ServiceError::Invalid(p)) = validate(&f, &base(), today()) else {
            panic!()
        };
        assert_eq!(
            p.len(),
            2,
            "a partial passport names what is missing: {p:?}"
        );
    }

    #[test]
    fn an_empty_form_clears_everything() {
        let p = validate(&ProfileInput::default(), &base(), today()).unwrap();
        assert_eq!(p, base());
    }

    proptest! {
        #[test]
        fn never_panics(a in ".{0,40}", b in ".{0,40}", c in ".{0,40}", d in ".{0,40}") {
            let f = ProfileInput {
                birth_date: a.clone(), passport_number: b.clone(), passport_issue_date: c.clone(),
                passport_division_code: d.clone(), snils: a, inn: b, postal_code: c, gender: d,
                ..ProfileInput::default()
            };
            let _ = validate(&f, &base(), today());
        }
    }
}
