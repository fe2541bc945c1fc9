//! The organization's side of its OAuth clients, in its portal (`/org`):
//! administrators see the clients, register sandbox ones, and change
//! their redirect URIs, IP allow-list and keys. Production clients come
//! from an approved partner application (`partner`). Every change is
//! audited with what it was before, and told to the administrators.

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::org::Action;
use propusk_oidc::Profile;
use propusk_store::{audit, oauth_clients};
use time::OffsetDateTime;

use super::clients::{check_new, given, json_list, parse_jwks};
use super::{CreatedClient, NewClient};
use crate::org::Acting;
use crate::{Result, Services};

/// One line of the portal's list.
#[derive(Debug, Clone)]
pub struct ClientSummary {
    pub client_id: String,
    pub name: String,
    pub profile: String,
    pub environment: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
}

/// What the portal's form asks.
#[derive(Debug, Clone)]
pub struct PortalClient {
    pub name: String,
    pub profile: Profile,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// For `fapi2`: the JWKS text.
    pub jwks: Option<String>,
}

impl Services {
    pub async fn org_clients(&self, acting: &Acting) -> Result<Vec<ClientSummary>> {
        acting.require(Action::ManageClients)?;
        Ok(oauth_clients::of_org(&self.db, acting.org_id)
            .await?
            .iter()
            .map(summary)
            .collect())
    }

    /// A sandbox client for the acting organization: `fapi2` with the keys
    /// given, or `oidc` with a secret shown once.
    pub async fn create_org_client(
        &self,
        acting: &Acting,
        form: &PortalClient,
    ) -> Result<CreatedClient> {
        acting.require(Action::ManageClients)?;
        let jwks = match form.profile {
            Profile::Fapi2 => Some(parse_jwks(form.jwks.as_deref())?.ok_or_else(|| {
                crate::ServiceError::field(
                    "jwks",
                    "required",
                    "Для профиля fapi2 нужны открытые ключи (JWKS)",
                    "A fapi2 client needs its public keys (JWKS)",
                )
            })?),
            Profile::Oidc => None,
        };
        let new = NewClient {
            org_id: acting.org_id,
            name: form.name.clone(),
            profile: form.profile,
            sandbox: true,
            redirect_uris: vec![form.redirect_uri.trim().to_owned()],
            scopes: form.scopes.clone(),
            secret: form.profile == Profile::Oidc,
            jwks,
            jwks_uri: None,
            ip_allow: vec![],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
        };
        self.create_client(&new, Actor::citizen(acting.account_id))
            .await
    }
}

/// A client with what its administrators may change.
#[derive(Debug, Clone)]
pub struct ClientDetails {
    pub summary: ClientSummary,
    pub disabled: bool,
    pub ip_allow: Vec<String>,
    /// Pretty-printed, for the form.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub sector: String,
    pub secret: bool,
}

/// The new settings, whole (the form sends them all).
#[derive(Debug, Clone, Default)]
pub struct ClientChange {
    pub redirect_uris: Vec<String>,
    pub ip_allow: Vec<String>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
}

fn summary(r: &oauth_clients::ClientRow) -> ClientSummary {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    ClientSummary {
        redirect_uris: list(&r.redirect_uris),
        scopes: list(&r.scopes),
        client_id: r.client_id.clone(),
        name: r.name.clone(),
        profile: r.profile.clone(),
        environment: r.environment.clone(),
        created_at: r.created_at,
    }
}

impl Services {
    /// One of the acting organization's clients; another's is `NotFound`,
    /// the same as one that does not exist.
    pub(crate) async fn own_client(
        &self,
        acting: &Acting,
        client_id: &str,
    ) -> Result<oauth_clients::ClientRow> {
        acting.require(Action::ManageClients)?;
        match oauth_clients::get(&self.db, client_id).await? {
            Some(r) if r.org_id == acting.org_id => Ok(r),
            _ => Err(crate::ServiceError::NotFound),
        }
    }

    pub async fn org_client(&self, acting: &Acting, client_id: &str) -> Result<ClientDetails> {
        let r = self.own_client(acting, client_id).await?;
        let jwks = r
            .jwks
            .as_deref()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .and_then(|v| serde_json::to_string_pretty(&v).ok());
        Ok(ClientDetails {
            summary: summary(&r),
            disabled: r.disabled_at.is_some(),
            ip_allow: serde_json::from_str(&r.ip_allow).unwrap_or_default(),
            jwks,
            jwks_uri: r.jwks_uri.clone(),
            sector: r.sector.clone(),
            secret: r.secret_hash.is_some(),
        })
    }

    /// Replaces a client's redirect URIs, IP allow-list and keys, under the
    /// rules of a new client, and two more: the redirect URIs keep their
    /// host (the sector of the pairwise `sub`: another host would give
    /// every person a new identifier), and a production client keeps https
    /// and an IP allow-list. Returns the names of what changed.
    pub async fn update_org_client(
        &self,
        acting: &Acting,
        client_id: &str,
        change: &ClientChange,
    ) -> Result<Vec<&'static str>> {
        let r = self.own_client(acting, client_id).await?;
        let profile =
            Profile::parse(&r.profile).ok_or_else(|| crate::error::internal("profile"))?;
        let sandbox = r.environment == "sandbox";
        let jwks = parse_jwks(change.jwks.as_deref())?;
        let jwks_uri = given(change.jwks_uri.as_deref());
        let new = NewClient {
            org_id: r.org_id,
            name: r.name.clone(),
            profile,
            sandbox,
            redirect_uris: change.redirect_uris.clone(),
            scopes: serde_json::from_str(&r.scopes).unwrap_or_default(),
            jwks: jwks.clone(),
            jwks_uri: jwks_uri.clone(),
            secret: r.secret_hash.is_some(),
            ip_allow: change.ip_allow.clone(),
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
        };
        if check_new(&new)? != r.sector {
            let sector = r.sector.clone();
            return Err(crate::ServiceError::Invalid(vec![
                crate::FieldProblem::new("redirect_uri", "sector", |lang| match lang {
                    propusk_core::Lang::Ru => format!(
                        "Адреса возврата должны остаться на хосте {sector}: от него зависят идентификаторы пользователей"
                    ),
                    propusk_core::Lang::En => format!(
                        "Redirect URIs must stay on the host {sector}: the users' identifiers depend on it"
                    ),
                }),
            ]));
        }
        let settings = oauth_clients::Settings {
            redirect_uris: json_list(&new.redirect_uris)?,
            ip_allow: json_list(&new.ip_allow)?,
            jwks: jwks.as_ref().map(|j| j.to_string()),
            jwks_uri,
        };
        let mut changed = Vec::new();
        let same_json = |a: &str, b: &str| {
            serde_json::from_str::<serde_json::Value>(a).ok()
                == serde_json::from_str::<serde_json::Value>(b).ok()
        };
        if !same_json(&r.redirect_uris, &settings.redirect_uris) {
            changed.push("redirect_uris");
        }
        if !same_json(&r.ip_allow, &settings.ip_allow) {
            changed.push("ip_allow");
        }
        let same_keys = match (&r.jwks, &settings.jwks) {
            (Some(a), Some(b)) => same_json(a, b),
            (a, b) => a == b,
        };
        if !same_keys || r.jwks_uri != settings.jwks_uri {
            changed.push("keys");
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = oauth_clients::Settings {
            redirect_uris: r.redirect_uris.clone(),
            ip_allow: r.ip_allow.clone(),
            jwks: r.jwks.clone(),
            jwks_uri: r.jwks_uri.clone(),
        };
        if !oauth_clients::set_settings(&mut tx, client_id, &before, &settings).await? {
            return Err(crate::ServiceError::Conflict);
        }
        let event = NewEvent::new(Actor::citizen(acting.account_id), "oauth.client_updated")
            .subject(format!("oauth_client:{client_id}"))
            .details(serde_json::json!({
                "changed": changed,
                "before": {
                    "redirect_uris": serde_json::from_str::<serde_json::Value>(&r.redirect_uris).ok(),
                    "ip_allow": serde_json::from_str::<serde_json::Value>(&r.ip_allow).ok(),
                    "jwks_kids": kids(r.jwks.as_deref()),
                    "jwks_uri": r.jwks_uri,
                },
                "after": {
                    "redirect_uris": new.redirect_uris,
                    "ip_allow": new.ip_allow,
                    "jwks_kids": kids(settings.jwks.as_deref()),
                    "jwks_uri": settings.jwks_uri,
                },
            }));
        audit::append(&mut tx, now, &event).await?;
        let what_ru = changed
            .iter()
            .map(|c| match *c {
                "redirect_uris" => "адреса возврата",
                "ip_allow" => "разрешённые адреса IP",
                _ => "ключи",
            })
            .collect::<Vec<_>>()
            .join(", ");
        let when = crate::format::moscow_time(now);
        let notice = crate::notify::Content::text(
            propusk_core::Lang::Ru,
            "Изменены настройки клиента OAuth",
            format!(
                "Пропуск: {when} (МСК) в клиенте «{}» ({client_id}) организации {} изменено: {what_ru}. \
                     Если вы этого не делали, проверьте клиента в кабинете организации.",
                r.name, acting.org_name
            ),
        );
        self.notify_org_admins(&mut tx, acting.org_id, &notice)
            .await?;
        tx.commit().await?;
        self.oauth.forget_client(client_id);
        Ok(changed)
    }
}

impl Services {
    /// Stops a client at once, or lets it work again. Disabling also
    /// revokes every grant of the client, so its refresh tokens and the
    /// access tokens of people's grants stop working with it; its own
    /// `client_credentials` tokens are refused while it is disabled.
    pub async fn set_org_client_enabled(
        &self,
        acting: &Acting,
        client_id: &str,
        enabled: bool,
    ) -> Result<()> {
        let r = self.own_client(acting, client_id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !oauth_clients::set_disabled(&mut tx, client_id, (!enabled).then_some(now)).await? {
            // Already so: nothing to do, nothing to tell.
            return Ok(());
        }
        let revoked = if enabled {
            0
        } else {
            propusk_store::oauth_grants::revoke_grants_of_client(
                &mut tx,
                client_id,
                "client_disabled",
                now,
            )
            .await?
        };
        let action = if enabled {
            "oauth.client_enabled"
        } else {
            "oauth.client_disabled"
        };
        let event = NewEvent::new(Actor::citizen(acting.account_id), action)
            .subject(format!("oauth_client:{client_id}"))
            .details(serde_json::json!({ "grants_revoked": revoked }));
        audit::append(&mut tx, now, &event).await?;
        let when = crate::format::moscow_time(now);
        let what = if enabled {
            "снова включён"
        } else {
            "отключён: его токены больше не действуют"
        };
        let notice = crate::notify::Content::text(
            propusk_core::Lang::Ru,
            if enabled {
                "Клиент OAuth включён"
            } else {
                "Клиент OAuth отключён"
            },
            format!(
                "Пропуск: {when} (МСК) клиент «{}» ({client_id}) организации {} {what}.",
                r.name, acting.org_name
            ),
        );
        self.notify_org_admins(&mut tx, acting.org_id, &notice)
            .await?;
        tx.commit().await?;
        self.oauth.forget_client(client_id);
        Ok(())
    }
}

/// The key ids of a JWKS, for the audit trail (keys themselves are long).
fn kids(jwks: Option<&str>) -> Vec<String> {
    jwks.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| v.get("keys").and_then(|k| k.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .map(|k| {
            k.get("kid")
                .and_then(|k| k.as_str())
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}
