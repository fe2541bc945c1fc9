//! The organization's side of its OAuth clients, in its portal (`/org`):
//! administrators see the clients and register sandbox ones. Production
//! clients need the operator's approval of a partner application, which
//! is not built yet (docs/partners.md).

use propusk_core::audit::Actor;
use propusk_core::org::Action;
use propusk_oidc::Profile;
use propusk_store::oauth_clients;
use time::OffsetDateTime;

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
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        Ok(oauth_clients::of_org(&self.db, acting.org_id)
            .await?
            .into_iter()
            .map(|r| ClientSummary {
                redirect_uris: list(&r.redirect_uris),
                scopes: list(&r.scopes),
                client_id: r.client_id,
                name: r.name,
                profile: r.profile,
                environment: r.environment,
                created_at: r.created_at,
            })
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
        let jwks = match (&form.profile, &form.jwks) {
            (Profile::Fapi2, Some(text)) if !text.trim().is_empty() => {
                Some(serde_json::from_str(text).map_err(|_| {
                    crate::ServiceError::field(
                        "jwks",
                        "invalid",
                        "Ключи должны быть документом JWKS (JSON)",
                        "The keys must be a JWKS document (JSON)",
                    )
                })?)
            }
            (Profile::Fapi2, _) => {
                return Err(crate::ServiceError::field(
                    "jwks",
                    "required",
                    "Для профиля fapi2 нужны открытые ключи (JWKS)",
                    "A fapi2 client needs its public keys (JWKS)",
                ));
            }
            (Profile::Oidc, _) => None,
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
