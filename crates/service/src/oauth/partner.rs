//! Partner onboarding. An organization's administrator applies in its
//! portal: the legal data come from the ЕГРЮЛ extract Propusk holds, the
//! rest (contact person, the scopes asked for with a reason each, IP
//! ranges, redirect URIs, keys) from the form. A sandbox client with the
//! same settings is issued at once, so the partner can build while the
//! application is reviewed. A portal operator approves (a production
//! `fapi2` client is issued in the same transaction) or rejects with a
//! reason; the organization's administrators hear of each step.
//!
//! An application is checked as a production client when submitted, so an
//! approval never fails on what the partner sent.

use propusk_core::Lang;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::{Email, Phone};
use propusk_core::org::{Action, Role};
use propusk_oidc::{Profile, scopes};
use propusk_store::partner_apps::{self, AppRow, AppState};
use propusk_store::{StoreError, audit, orgs};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::clients::{CreatedClient, NewClient, given, new_client_id, parse_jwks};
use crate::admin::Operator;
use crate::error::internal;
use crate::notify::Content;
use crate::org::Acting;
use crate::{Result, ServiceError, Services};

/// The form as the organization fills it.
#[derive(Debug, Clone, Default)]
pub struct Application {
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    /// Scope and the reason the partner needs it.
    pub scopes: Vec<(String, String)>,
    pub ip_allow: Vec<String>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
}

/// The legal data as ЕГРЮЛ gave them when the application was made. The
/// head's name is personal and kept with the sealed contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legal {
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub full_name: String,
    pub short_name: String,
    pub address: String,
    pub okved: String,
    pub status: String,
    pub head_position: String,
    pub fetched_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeAsked {
    pub scope: String,
    pub reason: String,
}

/// What is stored in the clear: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub legal: Legal,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<ScopeAsked>,
    pub ip_allow: Vec<String>,
    pub jwks: Option<serde_json::Value>,
    pub jwks_uri: Option<String>,
}

/// Sealed with the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub head_name: String,
}

/// An application as its readers see it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub state: AppState,
    pub body: Body,
    /// For operators only; `None` on the organization's side.
    pub contact: Option<Contact>,
    pub submitted_at: OffsetDateTime,
    pub sandbox_client_id: String,
    pub decided_at: Option<OffsetDateTime>,
    pub reason: Option<String>,
    pub client_id: Option<String>,
}

/// What a submission gives back.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: Uuid,
    pub sandbox: CreatedClient,
}

fn bad(field: &'static str, ru: &str, en: &str) -> ServiceError {
    ServiceError::field(field, "invalid", ru, en)
}

const REASON_CHARS: std::ops::RangeInclusive<usize> = 10..=1000;

fn check_form(a: &Application) -> Result<(Contact, Vec<ScopeAsked>)> {
    let name = a.contact_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(bad(
            "contact_name",
            "Укажите контактное лицо",
            "Name the contact person",
        ));
    }
    let phone = Phone::parse(&a.contact_phone).map_err(|_| {
        bad(
            "contact_phone",
            "Укажите мобильный телефон контактного лица",
            "Give the contact person's mobile phone",
        )
    })?;
    let email = Email::parse(&a.contact_email).map_err(|_| {
        bad(
            "contact_email",
            "Укажите электронную почту контактного лица",
            "Give the contact person's email",
        )
    })?;
    // The sandbox client's name adds « (песочница)» to it, within 200.
    if a.client_name.trim().chars().count() > 180 {
        return Err(bad(
            "client_name",
            "Название клиента: до 180 символов",
            "The client's name: up to 180 characters",
        ));
    }
    let mut asked = Vec::new();
    for (scope, reason) in &a.scopes {
        if scope == "openid" {
            continue;
        }
        if scopes::find(scope).is_none() {
            return Err(bad("scope", "Неизвестная область доступа", "Unknown scope"));
        }
        let reason = reason.trim();
        if !REASON_CHARS.contains(&reason.chars().count()) {
            return Err(ServiceError::Invalid(vec![crate::FieldProblem::new(
                "reason",
                "invalid",
                |lang| match lang {
                    Lang::Ru => {
                        format!("Объясните, зачем нужна область «{scope}» (от 10 до 1000 символов)")
                    }
                    Lang::En => {
                        format!("Explain why you need the scope “{scope}” (10 to 1000 characters)")
                    }
                },
            )]));
        }
        asked.push(ScopeAsked {
            scope: scope.clone(),
            reason: reason.to_owned(),
        });
    }
    if asked.is_empty() {
        return Err(bad(
            "scope",
            "Выберите хотя бы одну область доступа",
            "Choose at least one scope",
        ));
    }
    Ok((
        Contact {
            name: name.to_owned(),
            phone: phone.as_str().to_owned(),
            email: email.as_str().to_owned(),
            head_name: String::new(),
        },
        asked,
    ))
}

/// The production client an approved application becomes.
fn client_of(org_id: Uuid, body: &Body, sandbox: bool) -> NewClient {
    NewClient {
        org_id,
        name: if sandbox {
            format!("{} (песочница)", body.client_name.trim())
        } else {
            body.client_name.trim().to_owned()
        },
        profile: Profile::Fapi2,
        sandbox,
        redirect_uris: body.redirect_uris.clone(),
        scopes: body.scopes.iter().map(|s| s.scope.clone()).collect(),
        jwks: body.jwks.clone(),
        jwks_uri: body.jwks_uri.clone(),
        secret: false,
        ip_allow: body.ip_allow.clone(),
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
    }
}

fn app_context(id: Uuid) -> String {
    format!("partner_application:{id}")
}

impl Services {
    /// Submits an application and issues its sandbox client; `Conflict`
    /// while another one of the organization is under review.
    pub async fn submit_application(
        &self,
        acting: &Acting,
        form: &Application,
    ) -> Result<Submitted> {
        acting.require(Action::ManageClients)?;
        let org = self.organization(acting).await?;
        if org.extract.status != "действующее" {
            return Err(bad(
                "organization",
                "По данным ЕГРЮЛ организация не действует",
                "ЕГРЮЛ says the organization is not active",
            ));
        }
        let under_review = partner_apps::of_org(&self.db, acting.org_id)
            .await?
            .iter()
            .any(|a| a.state == AppState::Submitted);
        if under_review {
            return Err(ServiceError::Conflict);
        }
        let (mut contact, scopes) = check_form(form)?;
        let x = &org.extract;
        contact.head_name = [&x.head.last_name, &x.head.first_name, &x.head.middle_name]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let body = Body {
            legal: Legal {
                ogrn: x.ogrn.clone(),
                inn: x.inn.clone(),
                kpp: x.kpp.clone(),
                full_name: x.full_name.clone(),
                short_name: x.short_name.clone(),
                address: x.address.clone(),
                okved: format!("{} {}", x.okved_code, x.okved_name),
                status: x.status.clone(),
                head_position: x.head.position.clone(),
                fetched_at: org.fetched_at,
            },
            client_name: form.client_name.trim().to_owned(),
            redirect_uris: form.redirect_uris.clone(),
            scopes,
            ip_allow: form.ip_allow.clone(),
            jwks: parse_jwks(form.jwks.as_deref())?,
            jwks_uri: given(form.jwks_uri.as_deref()),
        };
        // Checked as the production client it would become, then made as
        // the sandbox one.
        self.prepare_client(new_client_id()?, &client_of(acting.org_id, &body, false))
            .await?;
        let sandbox_new = client_of(acting.org_id, &body, true);
        let sandbox = self.prepare_client(new_client_id()?, &sandbox_new).await?;

        let id = Uuid::now_v7();
        let now = self.clock.now();
        let contact_json = serde_json::to_vec(&contact).map_err(internal)?;
        let row = AppRow {
            id,
            org_id: acting.org_id,
            state: AppState::Submitted,
            body: serde_json::to_string(&body).map_err(internal)?,
            contact: self
                .vault
                .seal(&mut OsRng, &contact_json, app_context(id).as_bytes()),
            submitted_by: acting.account_id,
            submitted_at: now,
            sandbox_client_id: String::new(),
            decided_by: None,
            decided_at: None,
            reason: None,
            client_id: None,
        };
        let actor = || Actor::citizen(acting.account_id);
        let mut tx = self.db.begin().await?;
        let created = self
            .insert_prepared(&mut tx, sandbox, &sandbox_new, actor())
            .await?;
        let row = AppRow {
            sandbox_client_id: created.client_id.clone(),
            ..row
        };
        match partner_apps::insert(&mut tx, &row).await {
            Ok(()) => {}
            // The one index that can refuse it: one under review per organization.
            Err(StoreError::Conflict { .. }) => return Err(ServiceError::Conflict),
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent::new(actor(), "partner.application_submitted")
            .subject(format!("partner_application:{id}"))
            .details(serde_json::json!({
                "org_id": acting.org_id,
                "scopes": body.scopes.iter().map(|s| &s.scope).collect::<Vec<_>>(),
                "sandbox_client_id": created.client_id,
            }));
        audit::append(&mut tx, now, &event).await?;
        let notice = Content::text(
            Lang::Ru,
            "Заявка на подключение к Пропуску",
            format!(
                "Пропуск: заявка организации {} на подключение принята к рассмотрению. \
                     Клиент песочницы {} уже работает.",
                acting.org_name, created.client_id
            ),
        );
        self.notify_org_admins(&mut tx, acting.org_id, &notice)
            .await?;
        tx.commit().await?;
        Ok(Submitted {
            id,
            sandbox: created,
        })
    }

    /// The acting organization's applications, newest first.
    pub async fn org_applications(&self, acting: &Acting) -> Result<Vec<ApplicationView>> {
        acting.require(Action::ManageClients)?;
        partner_apps::of_org(&self.db, acting.org_id)
            .await?
            .into_iter()
            .map(|r| self.view(r, false))
            .collect()
    }

    /// The operators' queue (or the decided ones), with organization names.
    pub async fn applications(
        &self,
        _operator: &Operator,
        state: AppState,
    ) -> Result<Vec<ApplicationView>> {
        partner_apps::in_state(&self.db, state, 200)
            .await?
            .into_iter()
            .map(|r| self.view(r, false))
            .collect()
    }

    /// One application with its sealed contact. Opening the contact is
    /// recorded: it is personal data, and operators are few.
    pub async fn application(&self, operator: &Operator, id: Uuid) -> Result<ApplicationView> {
        let view = self.load_application(id, true).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let event = NewEvent::new(Actor::operator(operator.id), "partner.application_viewed")
            .subject(format!("partner_application:{id}"));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn load_application(&self, id: Uuid, with_contact: bool) -> Result<ApplicationView> {
        let row = partner_apps::get(&self.db, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.view(row, with_contact)
    }

    /// Approves an application under review and issues its production
    /// client with the `granted` scopes: all that were asked for, or some,
    /// with a `note` for the organization saying why not the others.
    pub async fn approve_application(
        &self,
        operator: &Operator,
        id: Uuid,
        granted: &[String],
        note: &str,
    ) -> Result<String> {
        let app = self.load_application(id, false).await?;
        if app.state != AppState::Submitted {
            return Err(ServiceError::Conflict);
        }
        let asked: Vec<&str> = app.body.scopes.iter().map(|s| s.scope.as_str()).collect();
        if granted.is_empty() || granted.iter().any(|g| !asked.contains(&g.as_str())) {
            return Err(bad(
                "scopes",
                "Отметьте области данных, которые одобряете (из запрошенных)",
                "Tick the scopes you approve (of those asked for)",
            ));
        }
        let withheld: Vec<&str> = asked
            .iter()
            .copied()
            .filter(|a| !granted.iter().any(|g| g == a))
            .collect();
        let note = note.trim();
        if !withheld.is_empty() && !REASON_CHARS.contains(&note.chars().count()) {
            return Err(bad(
                "note",
                "Объясните, почему одобрены не все области (от 10 до 1000 символов)",
                "Say why not every scope is approved (10 to 1000 characters)",
            ));
        }
        let note = (!withheld.is_empty()).then_some(note);
        let mut new = client_of(app.org_id, &app.body, false);
        new.scopes.retain(|s| granted.contains(s));
        let prepared = self.prepare_client(new_client_id()?, &new).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let created = self
            .insert_prepared(&mut tx, prepared, &new, Actor::operator(operator.id))
            .await?;
        if !partner_apps::decide(
            &mut tx,
            id,
            AppState::Approved,
            operator.id,
            now,
            note,
            Some(&created.client_id),
        )
        .await?
        {
            return Err(ServiceError::Conflict);
        }
        let event = NewEvent::new(Actor::operator(operator.id), "partner.application_approved")
            .subject(format!("partner_application:{id}"))
            .details(serde_json::json!({
                "org_id": app.org_id,
                "client_id": created.client_id,
                "withheld": withheld,
                "note": note,
            }));
        audit::append(&mut tx, now, &event).await?;
        let client_id = created.client_id.clone();
        let partly = match note {
            Some(n) => format!(
                " Не одобрены области: {}. Причина: {n}.",
                withheld.join(", ")
            ),
            None => String::new(),
        };
        let notice = Content::text(
            Lang::Ru,
            "Заявка на подключение одобрена",
            format!(
                "Пропуск: заявка организации {} одобрена. Промышленный клиент: {client_id}.{partly} \
                     Его настройки — в кабинете организации, раздел «Клиенты OAuth».",
                app.body.legal.short_name
            ),
        );
        self.notify_org_admins(&mut tx, app.org_id, &notice).await?;
        tx.commit().await?;
        Ok(created.client_id)
    }

    /// Rejects an application under review; the reason is sent to the
    /// organization.
    pub async fn reject_application(
        &self,
        operator: &Operator,
        id: Uuid,
        reason: &str,
    ) -> Result<()> {
        let reason = reason.trim();
        if !REASON_CHARS.contains(&reason.chars().count()) {
            return Err(bad(
                "reason",
                "Объясните причину отказа (от 10 до 1000 символов)",
                "Give the reason for the rejection (10 to 1000 characters)",
            ));
        }
        let app = self.load_application(id, false).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !partner_apps::decide(
            &mut tx,
            id,
            AppState::Rejected,
            operator.id,
            now,
            Some(reason),
            None,
        )
        .await?
        {
            return Err(ServiceError::Conflict);
        }
        let event = NewEvent::new(Actor::operator(operator.id), "partner.application_rejected")
            .subject(format!("partner_application:{id}"))
            .details(serde_json::json!({ "org_id": app.org_id, "reason": reason }));
        audit::append(&mut tx, now, &event).await?;
        let notice = Content::text(
            Lang::Ru,
            "Заявка на подключение отклонена",
            format!(
                "Пропуск: заявка организации {} отклонена. Причина: {reason}. \
                     Исправьте заявку и подайте её снова в кабинете организации.",
                app.body.legal.short_name
            ),
        );
        self.notify_org_admins(&mut tx, app.org_id, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    fn view(&self, r: AppRow, with_contact: bool) -> Result<ApplicationView> {
        let contact = if with_contact {
            let bytes = self
                .vault
                .open(&r.contact, app_context(r.id).as_bytes())
                .map_err(internal)?;
            Some(serde_json::from_slice(&bytes).map_err(internal)?)
        } else {
            None
        };
        Ok(ApplicationView {
            id: r.id,
            org_id: r.org_id,
            state: r.state,
            body: serde_json::from_str(&r.body).map_err(internal)?,
            contact,
            submitted_at: r.submitted_at,
            sandbox_client_id: r.sandbox_client_id,
            decided_at: r.decided_at,
            reason: r.reason,
            client_id: r.client_id,
        })
    }

    /// A notice to every administrator of an organization. In Russian:
    /// accounts keep no language, and Russian is the portal's first.
    pub(crate) async fn notify_org_admins(
        &self,
        tx: &mut propusk_store::Tx,
        org_id: Uuid,
        notice: &Content,
    ) -> Result<()> {
        for m in orgs::members(&self.db, org_id).await? {
            if m.role == Role::Administrator.as_str() {
                self.notify_account(tx, m.account_id, notice).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Application {
        Application {
            contact_name: "Иванов Иван".into(),
            contact_phone: "+7 916 700-00-01".into(),
            contact_email: "it@bank.example".into(),
            client_name: "Bank".into(),
            redirect_uris: vec!["https://bank.example/cb".into()],
            scopes: vec![("fullname".into(), "Для открытия счёта по 115-ФЗ".into())],
            ip_allow: vec!["192.0.2.0/24".into()],
            jwks: None,
            jwks_uri: None,
        }
    }

    #[test]
    fn the_form_is_checked() {
        let (contact, scopes) = check_form(&form()).unwrap();
        assert_eq!(contact.phone, "+79167000001");
        assert_eq!(scopes.len(), 1);
        let mut f = form();
        f.scopes[0].1 = "нужно".into();
        assert!(check_form(&f).is_err(), "a reason too short");
        let mut f = form();
        f.scopes = vec![("openid".into(), String::new())];
        assert!(check_form(&f).is_err(), "openid alone asks for nothing");
        let mut f = form();
        f.client_name = "б".repeat(181);
        assert!(check_form(&f).is_err(), "room for « (песочница)»");
        let mut f = form();
        f.contact_email = "nope".into();
        assert!(check_form(&f).is_err());
    }
}
