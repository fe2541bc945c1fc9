//! Registration of a person and confirmation of their phone by SMS code.
//!
//! A contact that already belongs to an account is never revealed: the
//! registrant sees the same "code sent" step, no account is created for that
//! contact, and its owner gets a notice instead of a code.

use propusk_core::Lang;
use propusk_core::account::{
    AccountKind, AccountStatus, ContactChannel, NamePart, PersonName, TrustLevel,
};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{Email, Phone};
use propusk_core::password::{self, PersonalData};
use propusk_store::accounts::{self, AccountRow, ContactRow};
use propusk_store::outbox::Channel;
use propusk_store::{StoreError, audit};
use rand_core::OsRng;
use uuid::Uuid;

use crate::notify::{self, Content, Link};
use crate::sms_codes::Purpose;
use crate::{FieldProblem, Result, ServiceError, Services};

/// Version of the consent text to personal-data processing (152-FZ) shown on
/// the form; stored with each account so we know which text was accepted.
pub const PD_CONSENT_VERSION: &str = "2026-11-v1";

/// The registration form as typed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    pub pd_consent: bool,
    pub lang: Lang,
}

/// The handle for the confirmation step. It looks the same whether or not an
/// account was created (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub registration: Uuid,
    /// A phone was given: the next step is its SMS code (else the email link).
    pub phone: bool,
}

struct Valid {
    name: PersonName,
    phone: Option<Phone>,
    email: Option<Email>,
}

fn validate(r: &Registration) -> Result<Valid> {
    let mut problems = Vec::new();
    let mut name_part = |field: &'static str, value: &str, required: bool| -> Option<NamePart> {
        if !required && value.trim().is_empty() {
            return None;
        }
        match NamePart::parse(value) {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(FieldProblem::new(field, e.code(), |l| {
                    e.message(l).to_owned()
                }));
                None
            }
        }
    };
    let last = name_part("last_name", &r.last_name, true);
    let first = name_part("first_name", &r.first_name, true);
    let middle = name_part("middle_name", &r.middle_name, false);
    let phone = if r.phone.trim().is_empty() {
        None
    } else {
        Phone::parse(&r.phone)
            .map_err(|e| problems.push(FieldProblem::new("phone", e.code(), |l| e.message(l))))
            .ok()
    };
    let email = if r.email.trim().is_empty() {
        None
    } else {
        Email::parse(&r.email)
            .map_err(|e| problems.push(FieldProblem::new("email", e.code(), |l| e.message(l))))
            .ok()
    };
    if r.phone.trim().is_empty() && r.email.trim().is_empty() {
        problems.push(FieldProblem::new(
            "phone",
            "contact_required",
            |l| match l {
                Lang::Ru => "Укажите мобильный телефон или электронную почту".into(),
                Lang::En => "Give a mobile phone number or an email address".into(),
            },
        ));
    }
    let names: Vec<&str> = [&last, &first, &middle]
        .iter()
        .filter_map(|n| n.as_ref().map(NamePart::as_str))
        .collect();
    let personal = PersonalData {
        phone: phone.as_ref().map(Phone::as_str),
        email: email.as_ref().map(Email::as_str),
        names: &names,
    };
    if let Err(list) = password::check(&r.password, &personal) {
        for p in list {
            problems.push(FieldProblem::new("password", p.code(), |l| p.message(l)));
        }
    }
    if !r.pd_consent {
        problems.push(FieldProblem::new("pd_consent", "required", |l| match l {
            Lang::Ru => {
                "Без согласия на обработку персональных данных регистрация невозможна".into()
            }
            Lang::En => "Registration needs your consent to the processing of personal data".into(),
        }));
    }
    match (last, first, problems.is_empty()) {
        (Some(last), Some(first), true) => Ok(Valid {
            name: PersonName {
                last,
                first,
                middle,
            },
            phone,
            email,
        }),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

impl Services {
    pub async fn register_person(&self, r: Registration) -> Result<Registered> {
        let valid = validate(&r)?;
        let password_hash = self.passwords.hash(&r.password).await?;

        let now = self.clock.now();
        let id = Uuid::now_v7();
        let phone = valid
            .phone
            .as_ref()
            .map(|p| (p, self.vault.blind_index_hex("phone", p.as_str())));
        let email = valid
            .email
            .as_ref()
            .map(|e| (e, self.vault.blind_index_hex("email", e.as_str())));
        let phone_taken = match &phone {
            Some((_, idx)) => {
                accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, idx)
                    .await?
                    .is_some()
            }
            None => false,
        };
        let email_taken = match &email {
            Some((_, idx)) => {
                accounts::find_confirmed_contact(&self.db, ContactChannel::Email, idx)
                    .await?
                    .is_some()
            }
            None => false,
        };
        let free_phone = phone.filter(|_| !phone_taken);
        let free_email = email.filter(|_| !email_taken);

        let mut tx = self.db.begin().await?;
        if phone_taken && let Some(p) = &valid.phone {
            let content = taken_notice(r.lang);
            notify::enqueue(
                &mut tx,
                &self.vault,
                Channel::Sms,
                p.as_str(),
                &content,
                now,
            )
            .await?;
        }
        if email_taken && let Some(e) = &valid.email {
            let content = taken_notice(r.lang);
            notify::enqueue(
                &mut tx,
                &self.vault,
                Channel::Email,
                e.as_str(),
                &content,
                now,
            )
            .await?;
        }
        if free_phone.is_none() && free_email.is_none() {
            // Every contact given belongs to someone: nothing to create. The
            // handle leads to the same confirmation step, where no code works.
            let event = NewEvent::new(Actor::system(), "account.registration_with_taken_contact");
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            return Ok(Registered {
                registration: Uuid::now_v7(),
                phone: valid.phone.is_some(),
            });
        }

        let profile =
            serde_json::to_vec(&valid.name).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let account = AccountRow {
            id,
            kind: AccountKind::Person,
            status: AccountStatus::AwaitingConfirmation,
            trust_level: None,
            profile: self.vault.seal(
                &mut OsRng,
                &profile,
                format!("account.profile:{id}").as_bytes(),
            ),
            password_hash,
            pd_consent_version: PD_CONSENT_VERSION.into(),
            pd_consent_at: now,
            created_at: now,
            updated_at: now,
        };
        accounts::insert(&mut tx, &account).await?;
        let mut channels = Vec::new();
        for (channel, value, index) in [
            free_phone.map(|(p, i)| (ContactChannel::Phone, p.as_str().to_owned(), i)),
            free_email.map(|(e, i)| (ContactChannel::Email, e.as_str().to_owned(), i)),
        ]
        .into_iter()
        .flatten()
        {
            let contact_id = Uuid::now_v7();
            let contact = ContactRow {
                id: contact_id,
                account_id: id,
                channel,
                value_index: index,
                value: self.vault.seal(
                    &mut OsRng,
                    value.as_bytes(),
                    format!("contact:{contact_id}").as_bytes(),
                ),
                created_at: now,
                confirmed_at: None,
                removed_at: None,
            };
            accounts::insert_contact(&mut tx, &contact).await?;
            channels.push(channel.as_str());
            match channel {
                ContactChannel::Phone => {
                    self.send_phone_code(&mut tx, &contact, &value, r.lang)
                        .await?
                }
                ContactChannel::Email => {
                    self.send_email_link(&mut tx, &contact, &value, r.lang)
                        .await?
                }
            }
        }
        let event = NewEvent::new(Actor::citizen(id), "account.registered")
            .subject(format!("account:{id}"))
            .details(serde_json::json!({ "channels": channels, "pd_consent_version": PD_CONSENT_VERSION }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(Registered {
            registration: id,
            phone: valid.phone.is_some(),
        })
    }

    /// Issues a new SMS code for a contact, within the send quotas.
    async fn send_phone_code(
        &self,
        tx: &mut propusk_store::Tx,
        contact: &ContactRow,
        phone: &str,
        lang: Lang,
    ) -> Result<()> {
        self.send_sms_code(
            tx,
            Purpose::ConfirmContact,
            &contact.id.to_string(),
            &contact.value_index,
            phone,
            lang,
        )
        .await
    }

    pub(crate) async fn send_email_link(
        &self,
        tx: &mut propusk_store::Tx,
        contact: &ContactRow,
        email: &str,
        lang: Lang,
    ) -> Result<()> {
        let query = self
            .issue_link(
                tx,
                crate::links::CONFIRM_EMAIL,
                &contact.id.to_string(),
                Some(&contact.value_index),
                crate::links::CONFIRM_EMAIL_TTL,
            )
            .await?;
        let url = format!("{}/register/email?{query}", self.public_base);
        let mut content = match lang {
            Lang::Ru => Content::text(
                Lang::Ru,
                "Подтвердите адрес почты",
                "Здравствуйте!\n\nЭтот адрес указан при регистрации в Пропуске. Чтобы подтвердить его, \
                 нажмите кнопку ниже. Ссылка действует 24 часа.\n\nЕсли вы не регистрировались, \
                 просто не отвечайте на это письмо.",
            ),
            Lang::En => Content::text(
                Lang::En,
                "Confirm your email address",
                "Hello!\n\nThis address was given when registering at Propusk. To confirm it, press \
                 the button below. The link is valid for 24 hours.\n\nIf you did not register, \
                 simply ignore this message.",
            ),
        };
        content.link = Some(Link {
            label: match lang {
                Lang::Ru => "Подтвердить почту".into(),
                Lang::En => "Confirm my email".into(),
            },
            url,
        });
        notify::enqueue(
            tx,
            &self.vault,
            Channel::Email,
            email,
            &content,
            self.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// Confirms an email from its link; an account waiting for confirmation
    /// becomes active at the simplified level.
    pub async fn confirm_email(&self, code_id: &str, token: &str, lang: Lang) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let subject = self
            .redeem_link(&mut tx, crate::links::CONFIRM_EMAIL, code_id, token)
            .await?;
        let contact_id: Uuid = subject
            .parse()
            .map_err(|_| ServiceError::Internal("link subject".into()))?;
        let contact = accounts::contact(&mut tx, contact_id)
            .await?
            .ok_or(ServiceError::LinkInvalid)?;
        match accounts::confirm_contact(&mut tx, contact.id, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(ServiceError::Conflict),
            Err(StoreError::NotFound) => return Err(ServiceError::LinkInvalid),
            Err(e) => return Err(e.into()),
        }
        let account = accounts::get(&self.db, contact.account_id).await?;
        self.retire_old_contacts(&mut tx, &contact, lang).await?;
        if account.status == AccountStatus::AwaitingConfirmation {
            accounts::set_status(
                &mut tx,
                contact.account_id,
                AccountStatus::Active,
                Some(TrustLevel::Simplified),
                now,
            )
            .await?;
        }
        let event = NewEvent::new(Actor::citizen(contact.account_id), "contact.confirmed")
            .subject(format!("account:{}", contact.account_id))
            .details(serde_json::json!({ "channel": "email" }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    fn phone_contact(contacts: Vec<ContactRow>) -> Option<ContactRow> {
        contacts
            .into_iter()
            .find(|c| c.channel == ContactChannel::Phone && c.removed_at.is_none())
    }

    /// Sends a fresh code to the phone of a registration (60 s after the last,
    /// at most 5 an hour).
    pub async fn resend_phone_code(&self, registration: Uuid, lang: Lang) -> Result<()> {
        let Some(contact) =
            Self::phone_contact(accounts::contacts_of(&self.db, registration).await?)
        else {
            // A decoy registration behaves like a real one that just sent a code.
            return Ok(());
        };
        if contact.confirmed_at.is_some() {
            return Err(ServiceError::Conflict);
        }
        let phone = self
            .vault
            .open_str(&contact.value, &format!("contact:{}", contact.id))
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        self.send_phone_code(&mut tx, &contact, &phone, lang)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the SMS code of a registration; the right one activates the
    /// account at the simplified trust level.
    pub async fn confirm_phone(&self, registration: Uuid, typed: &str) -> Result<()> {
        let Some(contact) =
            Self::phone_contact(accounts::contacts_of(&self.db, registration).await?)
        else {
            return Err(ServiceError::WrongCode {
                tries_left: self.codes.max_attempts - 1,
            });
        };
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let mut tx = self
            .check_sms_code_or_commit(tx, Purpose::ConfirmContact, &contact.id.to_string(), typed)
            .await?;
        match accounts::confirm_contact(&mut tx, contact.id, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(ServiceError::Conflict),
            Err(e) => return Err(e.into()),
        }
        accounts::set_status(
            &mut tx,
            contact.account_id,
            AccountStatus::Active,
            Some(TrustLevel::Simplified),
            now,
        )
        .await?;
        let event = NewEvent::new(Actor::citizen(contact.account_id), "contact.confirmed")
            .subject(format!("account:{}", contact.account_id))
            .details(serde_json::json!({ "channel": "phone", "trust_level": "simplified" }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn taken_notice(lang: Lang) -> Content {
    match lang {
        Lang::Ru => Content::text(
            Lang::Ru,
            "Попытка регистрации с вашим контактом",
            "Кто-то пытался зарегистрироваться в Пропуске с вашим номером или почтой. У вас уже есть \
                   учётная запись; если это были не вы, ничего делать не нужно.",
        ),
        Lang::En => Content::text(
            Lang::En,
            "Someone tried to register with your contact",
            "Someone tried to register at Propusk with your phone or email. You already have an \
                   account; if it was not you, there is nothing to do.",
        ),
    }
}
