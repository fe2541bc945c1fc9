//! Demo accounts, seeded in demo mode so that a person trying Propusk can
//! sign in at once at every trust level, and with a second factor. Their
//! sign-in data is printed at start and listed in the README; the TOTP key is
//! fixed so it can be added to an authenticator app by hand.

use propusk_core::account::{
    AccountKind, AccountStatus, ContactChannel, NamePart, PersonName, Profile, TrustLevel,
};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::factor::TotpKey;
use propusk_core::ident::{Phone, Snils};
use propusk_store::accounts::{self, AccountRow, ContactRow};
use propusk_store::{audit, factors};
use rand_core::OsRng;
use uuid::Uuid;

use crate::error::internal;
use crate::registration::PD_CONSENT_VERSION;
use crate::{Result, ServiceError, Services};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Propusk-Demo-2026";
/// The TOTP key of the demo account with a second factor (base32).
pub const DEMO_TOTP_KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// One demo account as people are told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub name: &'static str,
    pub phone: &'static str,
    pub email: Option<&'static str>,
    pub snils: Option<&'static str>,
    pub level: TrustLevel,
    pub totp_key: Option<&'static str>,
}

pub const DEMO_ACCOUNTS: [DemoAccount; 4] = [
    DemoAccount {
        name: "Соколов Иван Петрович",
        phone: "+79000000001",
        email: None,
        snils: None,
        level: TrustLevel::Simplified,
        totp_key: None,
    },
    DemoAccount {
        name: "Волкова Мария Александровна",
        phone: "+79000000002",
        email: None,
        snils: Some("145-678-932 12"),
        level: TrustLevel::Standard,
        totp_key: None,
    },
    DemoAccount {
        name: "Морозов Алексей Викторович",
        phone: "+79000000003",
        email: Some("morozov@demo.propusk.test"),
        snils: Some("160-503-741 28"),
        level: TrustLevel::Confirmed,
        totp_key: None,
    },
    DemoAccount {
        name: "Кузнецова Елена Сергеевна",
        phone: "+79000000004",
        // The demo bank's administrator: its daily consent digest goes here.
        email: Some("kuznetsova@demo-bank.propusk.test"),
        snils: Some("177-654-328 10"),
        level: TrustLevel::Standard,
        totp_key: Some(DEMO_TOTP_KEY),
    },
];

/// Fills a demo person's documents from the registries' own record of them
/// (`registries::population::FIXTURES`), so that the demo's standard and
/// confirmed accounts hold what the registries would have verified.
fn documents_from_registries(profile: &mut Profile, snils: &Snils, level: TrustLevel) {
    let Some(p) = propusk_registries::Population::new(1, 10).by_snils(snils) else {
        return;
    };
    let Some(documents) = profile_of(&p) else {
        return;
    };
    *profile = Profile {
        name: profile.name.clone(),
        ..documents
    };
    if level >= TrustLevel::Standard {
        profile.identity_check = Some(propusk_core::account::IdentityCheck {
            state: propusk_core::account::IdentityState::Verified,
            since: "2026-01-15T09:00:00.000000Z".into(),
            reason: None,
        });
    }
}

/// A profile as the person of the registries' population would fill it in
/// (name, birth, gender, passport, SNILS, INN, address), for demo data,
/// tests and benchmarks. `None` if a name part does not parse.
pub fn profile_of(p: &propusk_registries::population::Person) -> Option<Profile> {
    let mut profile = Profile::new(PersonName {
        last: NamePart::parse(&p.last_name).ok()?,
        first: NamePart::parse(&p.first_name).ok()?,
        middle: NamePart::parse(&p.middle_name).ok(),
    });
    profile.birth_date = Some(p.birth_date.to_string());
    profile.birth_place = Some(p.birth_place.clone());
    profile.gender = Some(match p.gender {
        propusk_registries::population::Gender::Male => propusk_core::account::Gender::Male,
        propusk_registries::population::Gender::Female => propusk_core::account::Gender::Female,
    });
    profile.passport = Some(propusk_core::account::PassportData {
        number: format!("{} {}", p.passport.series, p.passport.number),
        issue_date: p.passport.issue_date.to_string(),
        issuer: p.passport.issued_by.clone(),
        division_code: p.passport.division_code.clone(),
    });
    profile.snils = Some(p.snils.to_string());
    profile.inn = Some(p.inn.to_string());
    profile.address = Some(p.address.line());
    profile.postal_code = Some(p.address.zip_code.clone());
    Some(profile)
}

fn name_of(full: &str) -> Result<PersonName> {
    let mut parts = full.split(' ').map(NamePart::parse);
    let (Some(Ok(last)), Some(Ok(first)), middle) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ServiceError::Internal(format!("demo name {full}")));
    };
    Ok(PersonName {
        last,
        first,
        middle: middle.transpose().map_err(internal)?,
    })
}

impl Services {
    /// Creates the demo accounts that are missing; returns how many it made.
    pub async fn seed_demo(&self) -> Result<usize> {
        let mut made = 0;
        let password_hash = self.passwords.hash(DEMO_PASSWORD).await?;
        for demo in DEMO_ACCOUNTS {
            let phone = Phone::parse(demo.phone).map_err(internal)?;
            let phone_index = self.vault.blind_index_hex("phone", phone.as_str());
            if accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &phone_index)
                .await?
                .is_some()
            {
                continue;
            }
            let snils = demo.snils.map(Snils::parse).transpose().map_err(internal)?;
            let mut profile = Profile::new(name_of(demo.name)?);
            profile.snils = snils.as_ref().map(|s| s.as_str().to_owned());
            if let Some(s) = &snils {
                documents_from_registries(&mut profile, s, demo.level);
            }
            let now = self.clock.now();
            let id = Uuid::now_v7();
            let json = serde_json::to_vec(&profile).map_err(internal)?;
            let mut tx = self.db.begin().await?;
            accounts::insert(
                &mut tx,
                &AccountRow {
                    id,
                    kind: AccountKind::Person,
                    status: AccountStatus::Active,
                    trust_level: Some(demo.level),
                    profile: self.vault.seal(
                        &mut OsRng,
                        &json,
                        format!("account.profile:{id}").as_bytes(),
                    ),
                    password_hash: password_hash.clone(),
                    pd_consent_version: PD_CONSENT_VERSION.into(),
                    pd_consent_at: now,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
            let contact_id = Uuid::now_v7();
            accounts::insert_contact(
                &mut tx,
                &ContactRow {
                    id: contact_id,
                    account_id: id,
                    channel: ContactChannel::Phone,
                    value_index: phone_index,
                    value: self.vault.seal(
                        &mut OsRng,
                        phone.as_str().as_bytes(),
                        format!("contact:{contact_id}").as_bytes(),
                    ),
                    created_at: now,
                    confirmed_at: Some(now),
                    removed_at: None,
                },
            )
            .await?;
            if let Some(email) = demo.email {
                let email = propusk_core::ident::Email::parse(email).map_err(internal)?;
                let contact_id = Uuid::now_v7();
                accounts::insert_contact(
                    &mut tx,
                    &ContactRow {
                        id: contact_id,
                        account_id: id,
                        channel: ContactChannel::Email,
                        value_index: self.vault.blind_index_hex("email", email.as_str()),
                        value: self.vault.seal(
                            &mut OsRng,
                            email.as_str().as_bytes(),
                            format!("contact:{contact_id}").as_bytes(),
                        ),
                        created_at: now,
                        confirmed_at: Some(now),
                        removed_at: None,
                    },
                )
                .await?;
            }
            if let Some(s) = &snils {
                let index = self.vault.blind_index_hex("snils", s.as_str());
                let inn_index = profile
                    .inn
                    .as_ref()
                    .map(|i| self.vault.blind_index_hex("inn", i));
                accounts::set_ident_indexes(&mut tx, id, Some(&index), inn_index.as_deref(), now)
                    .await?;
            }
            if let Some(text) = demo.totp_key {
                let key = TotpKey::from_base32(text).map_err(internal)?;
                let sealed =
                    self.vault
                        .seal(&mut OsRng, key.as_bytes(), format!("totp:{id}").as_bytes());
                factors::start_totp(&mut tx, id, &sealed, now).await?;
                factors::confirm_totp(&mut tx, id, now).await?;
            }
            let event = NewEvent::new(Actor::system(), "demo.account_seeded")
                .subject(format!("account:{id}"))
                .details(serde_json::json!({ "trust_level": demo.level.as_str() }));
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            made += 1;
        }
        Ok(made)
    }
}

/// The demo partner organization: the demo bank as a company registered
/// in Propusk, so that `propusk client create --sandbox` has an owner in a
/// demo data dir. Its head and administrator is the demo account with a
/// second factor.
pub const DEMO_PARTNER_OGRN: &str = "1027700000019";
pub const DEMO_PARTNER_NAME: &str = "АО «Демо-банк»";

impl Services {
    /// Registers the demo partner organization if it is missing; its id.
    pub async fn seed_demo_partner(&self) -> Result<Uuid> {
        use propusk_store::orgs::{self, MemberRow, OrgRow};
        if let Some(o) = orgs::by_ogrn(&self.db, DEMO_PARTNER_OGRN).await? {
            return Ok(o.id);
        }
        let head = &DEMO_ACCOUNTS[3];
        let phone = Phone::parse(head.phone).map_err(internal)?;
        let index = self.vault.blind_index_hex("phone", phone.as_str());
        let head_id = accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &index)
            .await?
            .map(|c| c.account_id)
            .ok_or(ServiceError::NotFound)?;
        let extract = propusk_registries::wire::EgrulExtract {
            ogrn: DEMO_PARTNER_OGRN.into(),
            inn: "7700000016".into(),
            kpp: "770101001".into(),
            ogrn_date: "2002-07-01".into(),
            opf: "Акционерное общество".into(),
            full_name: "Акционерное общество «Демо-банк»".into(),
            short_name: DEMO_PARTNER_NAME.into(),
            address: "г. Москва, ул. Демонстрационная, д. 1".into(),
            region_code: "77".into(),
            okved_code: "64.19".into(),
            okved_name: "Денежное посредничество прочее".into(),
            head: propusk_registries::wire::EgrulHead {
                last_name: "Кузнецова".into(),
                first_name: "Елена".into(),
                middle_name: "Сергеевна".into(),
                inn: String::new(),
                position: "Председатель правления".into(),
            },
            status: "действующее".into(),
            termination_date: None,
        };
        let now = self.clock.now();
        let id = Uuid::now_v7();
        let json = serde_json::to_vec(&extract).map_err(internal)?;
        let mut tx = self.db.begin().await?;
        orgs::insert(
            &mut tx,
            &OrgRow {
                id,
                ogrn: extract.ogrn.clone(),
                inn: extract.inn.clone(),
                kpp: extract.kpp.clone(),
                name: DEMO_PARTNER_NAME.into(),
                extract: self.vault.seal(
                    &mut OsRng,
                    &json,
                    format!("organization:{id}").as_bytes(),
                ),
                head_account_id: head_id,
                fetched_at: now,
                created_at: now,
            },
        )
        .await?;
        orgs::add_member(
            &mut tx,
            &MemberRow {
                org_id: id,
                account_id: head_id,
                role: "administrator".into(),
                added_by: head_id,
                added_at: now,
            },
        )
        .await?;
        let event = NewEvent::new(Actor::system(), "demo.partner_seeded")
            .subject(format!("organization:{id}"));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The demo's portal operator (`/admin`): the demo password and TOTP key.
pub const DEMO_OPERATOR: &str = "operator";

impl Services {
    /// Creates the demo operator if it is missing.
    pub async fn seed_demo_operator(&self) -> Result<()> {
        if propusk_store::operators::by_login(&self.db, DEMO_OPERATOR)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let key = propusk_core::factor::TotpKey::from_base32(DEMO_TOTP_KEY).map_err(internal)?;
        self.insert_operator(
            DEMO_OPERATOR,
            DEMO_PASSWORD,
            key,
            propusk_core::audit::Actor::system(),
        )
        .await?;
        Ok(())
    }
}
