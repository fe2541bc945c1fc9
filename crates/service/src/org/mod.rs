//! Organizations: a confirmed person who is the head per ЕГРЮЛ registers
//! the company (its requisites come from the extract), invites employees
//! with a role, and every member may act for it by switching their
//! session's context. What each role may do is `core::org`'s table; the
//! web layer asks for it through an extractor, and these methods check
//! again, so no caller can skip it.

mod members;

use propusk_core::Lang;
use propusk_core::account::TrustLevel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::Ogrn;
use propusk_core::org::{Action, Role};
use propusk_registries::wire::EgrulExtract;
use propusk_store::orgs::{self, MemberRow, OrgRow};
use propusk_store::{StoreError, accounts, audit};
use rand_core::OsRng;
use time::OffsetDateTime;
use uuid::Uuid;

pub use self::members::{Invitation, Member, MyInvitation};
use crate::error::internal;
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

/// An organization with its ЕГРЮЛ extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: Uuid,
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub name: String,
    pub extract: EgrulExtract,
    pub head_account_id: Uuid,
    pub fetched_at: OffsetDateTime,
}

/// A signed-in person acting for an organization, as the session's context
/// says and the membership allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub session_id: Uuid,
    pub account_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub ogrn: String,
    pub role: Role,
    pub head: bool,
}

impl Acting {
    pub fn may(&self, action: Action) -> bool {
        self.role.allows(action)
    }

    pub(crate) fn require(&self, action: Action) -> Result<()> {
        if self.may(action) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}

/// What the session acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    Personal,
    Org(Acting),
    /// The session was switched to an organization the person no longer belongs to.
    Lost,
}

/// A line of "my organizations".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyOrganization {
    pub id: Uuid,
    pub ogrn: String,
    pub name: String,
    pub role: Role,
    pub head: bool,
}

fn unavailable() -> ServiceError {
    ServiceError::field(
        "ogrn",
        "unavailable",
        "ЕГРЮЛ сейчас недоступен. Попробуйте позже.",
        "ЕГРЮЛ is unavailable right now. Please try later.",
    )
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| internal(format!("org_members.role: {s}")))
}

impl Services {
    fn open_org(&self, row: OrgRow) -> Result<Organization> {
        let bytes = self
            .vault
            .open(&row.extract, format!("organization:{}", row.id).as_bytes())
            .map_err(internal)?;
        Ok(Organization {
            id: row.id,
            ogrn: row.ogrn,
            inn: row.inn,
            kpp: row.kpp,
            name: row.name,
            extract: serde_json::from_slice(&bytes).map_err(internal)?,
            head_account_id: row.head_account_id,
            fetched_at: row.fetched_at,
        })
    }

    pub async fn organizations_of(&self, account_id: Uuid) -> Result<Vec<MyOrganization>> {
        orgs::of_account(&self.db, account_id)
            .await?
            .into_iter()
            .map(|(o, role)| {
                Ok(MyOrganization {
                    head: o.head_account_id == account_id,
                    role: role_of(&role)?,
                    id: o.id,
                    ogrn: o.ogrn,
                    name: o.name,
                })
            })
            .collect()
    }

    pub async fn organization(&self, acting: &Acting) -> Result<Organization> {
        acting.require(Action::View)?;
        let row = orgs::get(&self.db, acting.org_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.open_org(row)
    }

    /// What the session acts for now.
    pub async fn context(&self, current: &Current) -> Result<Context> {
        let Some(org_id) = orgs::context_of(&self.db, current.id).await? else {
            return Ok(Context::Personal);
        };
        let Some(member) = orgs::member(&self.db, org_id, current.account_id).await? else {
            return Ok(Context::Lost);
        };
        let Some(org) = orgs::get(&self.db, org_id).await? else {
            return Ok(Context::Lost);
        };
        Ok(Context::Org(Acting {
            session_id: current.id,
            account_id: current.account_id,
            org_id,
            head: org.head_account_id == current.account_id,
            org_name: org.name,
            ogrn: org.ogrn,
            role: role_of(&member.role)?,
        }))
    }

    /// Acts for `org` from now on in this session (`None`: the personal
    /// cabinet). Only a member may switch to an organization.
    pub async fn switch_context(&self, current: &Current, org: Option<Uuid>) -> Result<()> {
        if let Some(org_id) = org
            && orgs::member(&self.db, org_id, current.account_id)
                .await?
                .is_none()
        {
            return Err(ServiceError::Forbidden);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        orgs::set_context(&mut tx, current.id, org, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers the company `ogrn` for its head, the signed-in person.
    pub async fn register_organization(&self, current: &Current, ogrn: &str) -> Result<Uuid> {
        let id = current.account_id;
        let ogrn = Ogrn::parse(ogrn).map_err(|e| {
            let (ru, en) = (e.message(Lang::Ru), e.message(Lang::En));
            ServiceError::field("ogrn", "format", &ru, &en)
        })?;
        let row = accounts::get(&self.db, id).await?;
        if row.trust_level != Some(TrustLevel::Confirmed) {
            return Err(ServiceError::field(
                "ogrn",
                "level",
                "Зарегистрировать организацию может только подтверждённая учётная запись руководителя.",
                "Only the head's confirmed account can register an organization.",
            ));
        }
        let Some(inn) = self.profile(id).await?.inn else {
            return Err(ServiceError::field(
                "ogrn",
                "no_inn",
                "В профиле нет ИНН: по нему ЕГРЮЛ подтверждает, что вы руководитель.",
                "Your profile has no INN: ЕГРЮЛ confirms by it that you are the head.",
            ));
        };
        let Some(registries) = &self.registries else {
            return Err(unavailable());
        };
        let extract = match registries.egrul(&ogrn).await {
            Ok(Some(x)) => x,
            Ok(None) => {
                return Err(ServiceError::field(
                    "ogrn",
                    "not_found",
                    "В ЕГРЮЛ нет организации с таким ОГРН.",
                    "ЕГРЮЛ has no organization with this OGRN.",
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ЕГРЮЛ look-up failed");
                return Err(unavailable());
            }
        };
        if extract.termination_date.is_some() {
            return Err(ServiceError::field(
                "ogrn",
                "terminated",
                "По ЕГРЮЛ эта организация прекратила деятельность.",
                "According to ЕГРЮЛ this organization has ceased to exist.",
            ));
        }
        if extract.head.inn != inn {
            return Err(ServiceError::field(
                "ogrn",
                "not_head",
                "По ЕГРЮЛ руководитель этой организации — другой человек. Зарегистрировать её может только он; вас он может пригласить сотрудником.",
                "According to ЕГРЮЛ someone else heads this organization. Only they can register it, and they can invite you as an employee.",
            ));
        }
        let now = self.clock.now();
        let org_id = Uuid::now_v7();
        let json = serde_json::to_vec(&extract).map_err(internal)?;
        let mut tx = self.db.begin().await?;
        let inserted = orgs::insert(
            &mut tx,
            &OrgRow {
                id: org_id,
                ogrn: extract.ogrn.clone(),
                inn: extract.inn.clone(),
                kpp: extract.kpp.clone(),
                name: extract.short_name.clone(),
                extract: self.vault.seal(
                    &mut OsRng,
                    &json,
                    format!("organization:{org_id}").as_bytes(),
                ),
                head_account_id: id,
                fetched_at: now,
                created_at: now,
            },
        )
        .await;
        match inserted {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(ServiceError::field(
                    "ogrn",
                    "taken",
                    "Эта организация уже зарегистрирована в Пропуске.",
                    "This organization is already registered in Propusk.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        orgs::add_member(
            &mut tx,
            &MemberRow {
                org_id,
                account_id: id,
                role: Role::Administrator.as_str().into(),
                added_by: id,
                added_at: now,
            },
        )
        .await?;
        orgs::set_context(&mut tx, current.id, Some(org_id), now).await?;
        let event = NewEvent::new(Actor::citizen(id), "org.registered")
            .subject(format!("organization:{org_id}"))
            .details(serde_json::json!({ "ogrn": extract.ogrn }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(org_id)
    }

    /// Fetches the requisites from ЕГРЮЛ again.
    pub async fn refresh_organization(&self, acting: &Acting) -> Result<()> {
        acting.require(Action::ManageOrganization)?;
        let ogrn = Ogrn::parse(&acting.ogrn).map_err(internal)?;
        let Some(registries) = &self.registries else {
            return Err(unavailable());
        };
        let extract = match registries.egrul(&ogrn).await {
            Ok(Some(x)) => x,
            Ok(None) => return Err(ServiceError::NotFound),
            Err(e) => {
                tracing::warn!(error = %e, "ЕГРЮЛ look-up failed");
                return Err(unavailable());
            }
        };
        let now = self.clock.now();
        let json = serde_json::to_vec(&extract).map_err(internal)?;
        let sealed = self.vault.seal(
            &mut OsRng,
            &json,
            format!("organization:{}", acting.org_id).as_bytes(),
        );
        let mut tx = self.db.begin().await?;
        orgs::refresh(
            &mut tx,
            acting.org_id,
            &extract.kpp,
            &extract.short_name,
            &sealed,
            now,
        )
        .await?;
        let event = NewEvent::new(Actor::citizen(acting.account_id), "org.refreshed")
            .subject(format!("organization:{}", acting.org_id));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
