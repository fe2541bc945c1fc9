//! Partners' OAuth clients: registration rules and the parsed form the
//! endpoints use.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use propusk_core::audit::{Actor, NewEvent};
use propusk_oidc::tokens::{random_token, token_hash};
use propusk_oidc::{Alg, KeySet, Profile, scopes};
use propusk_store::{audit, oauth_clients, orgs};
use uuid::Uuid;

use super::CACHE_TTL;
use crate::error::internal;
use crate::{Result, ServiceError, Services};

/// What `propusk client create` and the partner portal ask for.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub org_id: Uuid,
    pub name: String,
    pub profile: Profile,
    pub sandbox: bool,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// Public keys for `private_key_jwt` (a JWKS document)...
    pub jwks: Option<serde_json::Value>,
    /// ... or where the client publishes them (fetched, cached, fetched
    /// again when an assertion names a `kid` not seen yet).
    pub jwks_uri: Option<String>,
    /// Issue a `client_secret` (`oidc` sandbox clients only).
    pub secret: bool,
    /// Addresses or CIDR ranges allowed at the token and API endpoints;
    /// empty: any.
    pub ip_allow: Vec<String>,
    /// Where the client may send people after logout (RP-Initiated Logout).
    pub post_logout_redirect_uris: Vec<String>,
    /// Where it hears that a session ended (Back-Channel Logout).
    pub backchannel_logout_uri: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedClient {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub profile: &'static str,
    pub environment: &'static str,
}

/// A client as the endpoints use it.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub org_id: Uuid,
    pub name: String,
    pub org_name: String,
    pub org_ogrn: String,
    pub profile: Profile,
    pub sandbox: bool,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub ip_allow: Vec<ipnet::IpNet>,
    /// Inline keys; empty when the client publishes them at `jwks_uri`.
    pub keys: Arc<KeySet>,
    pub jwks_uri: Option<String>,
    /// Requests a minute at the token, PAR, introspection and revocation
    /// endpoints, over all nodes.
    pub rate_per_minute: i64,
    pub(crate) secret_hash: Option<String>,
    pub id_token_alg: Alg,
    pub sector: String,
    pub disabled: bool,
}

impl Client {
    /// Algorithms its JWTs may use: FAPI 2.0's, or any we offer for `oidc`.
    pub fn allowed_algs(&self) -> &'static [Alg] {
        match self.profile {
            Profile::Fapi2 => &Alg::FAPI,
            Profile::Oidc => &Alg::ALL,
        }
    }

    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|n| n.contains(&ip))
    }

    pub fn view(&self) -> propusk_oidc::request::ClientView<'_> {
        propusk_oidc::request::ClientView {
            client_id: &self.id,
            profile: self.profile,
            redirect_uris: &self.redirect_uris,
            scopes: &self.scopes,
        }
    }

    /// The scheme and host of a redirect URI, for the consent page's CSP.
    pub fn redirect_origins(&self) -> Vec<String> {
        self.redirect_uris
            .iter()
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .collect()
    }
}

fn bad(field: &'static str, ru: &str, en: &str) -> ServiceError {
    ServiceError::field(field, "invalid", ru, en)
}

fn is_loopback(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// The checks of a new client; returns its pairwise sector.
pub(crate) fn check_new(c: &NewClient) -> Result<String> {
    if c.name.trim().is_empty() || c.name.chars().count() > 200 {
        return Err(bad(
            "name",
            "Укажите название клиента (до 200 символов)",
            "Give the client a name (up to 200 characters)",
        ));
    }
    if c.profile == Profile::Oidc && !c.sandbox {
        return Err(bad(
            "profile",
            "Профиль oidc доступен только в песочнице",
            "The oidc profile is for sandbox clients only",
        ));
    }
    if c.redirect_uris.is_empty() {
        return Err(bad(
            "redirect_uri",
            "Нужен хотя бы один адрес возврата",
            "At least one redirect URI is required",
        ));
    }
    let mut sector: Option<String> = None;
    for u in &c.redirect_uris {
        let url = url::Url::parse(u).map_err(|_| {
            bad(
                "redirect_uri",
                "Адрес возврата должен быть абсолютным URL",
                "A redirect URI must be an absolute URL",
            )
        })?;
        if url.fragment().is_some() {
            return Err(bad(
                "redirect_uri",
                "Адрес возврата не может содержать фрагмент (#)",
                "A redirect URI cannot have a fragment",
            ));
        }
        let ok_scheme =
            url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url.host()));
        if !ok_scheme {
            return Err(bad(
                "redirect_uri",
                "Адрес возврата должен быть https (http только для 127.0.0.1)",
                "A redirect URI must be https (http only on loopback)",
            ));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        match &sector {
            None => sector = Some(host),
            Some(s) if *s == host => {}
            Some(_) => {
                return Err(bad(
                    "redirect_uri",
                    "Все адреса возврата должны быть на одном хосте",
                    "All redirect URIs must share one host",
                ));
            }
        }
    }
    for s in &c.scopes {
        if scopes::find(s).is_none() {
            return Err(bad("scope", "Неизвестная область доступа", "Unknown scope"));
        }
    }
    if c.secret && c.profile != Profile::Oidc {
        return Err(bad(
            "secret",
            "Секрет клиента выдаётся только клиентам oidc в песочнице; для fapi2 нужны ключи",
            "A client secret is for oidc sandbox clients only; fapi2 clients register keys",
        ));
    }
    if let Some(uri) = &c.jwks_uri {
        if c.jwks.is_some() {
            return Err(bad(
                "jwks_uri",
                "Укажите ключи или адрес ключей, не то и другое",
                "Give the keys or their URI, not both",
            ));
        }
        let ok = url::Url::parse(uri).is_ok_and(|u| {
            u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u.host()))
        });
        if !ok {
            return Err(bad(
                "jwks_uri",
                "Адрес ключей должен быть https (http только для 127.0.0.1)",
                "The JWKS URI must be https (http only on loopback)",
            ));
        }
    }
    match &c.jwks {
        _ if c.jwks_uri.is_some() => {}
        Some(doc) => {
            let set = KeySet::from_jwks(doc);
            let allowed: &[Alg] = if c.profile == Profile::Fapi2 {
                &Alg::FAPI
            } else {
                &Alg::ALL
            };
            if !set.keys.iter().any(|k| allowed.contains(&k.alg())) {
                return Err(bad(
                    "jwks",
                    "В наборе ключей нет открытого ключа PS256, ES256 или EdDSA",
                    "The key set has no public PS256, ES256 or EdDSA key",
                ));
            }
        }
        None if !c.secret => {
            return Err(bad(
                "jwks",
                "Нужны открытые ключи клиента (JWKS) или секрет",
                "Register public keys (JWKS) or ask for a secret",
            ));
        }
        None => {}
    }
    for ip in &c.ip_allow {
        parse_net(ip).ok_or_else(|| {
            bad(
                "ip_allow",
                "Неверный адрес или диапазон IP",
                "Not an IP address or range",
            )
        })?;
    }
    if !c.sandbox {
        check_production(c)?;
    }
    sector.ok_or_else(|| internal("no sector"))
}

/// What a production client needs beyond a sandbox one: no loopback
/// anywhere (a production client must not make Propusk call its own host),
/// and an IP allow-list that allows less than everything.
fn check_production(c: &NewClient) -> Result<()> {
    if c.redirect_uris.iter().any(|u| !u.starts_with("https://")) {
        return Err(bad(
            "redirect_uri",
            "Адреса возврата промышленного клиента должны быть https",
            "A production client's redirect URIs must be https",
        ));
    }
    if let Some(uri) = &c.jwks_uri
        && url::Url::parse(uri).map_or(true, |u| u.scheme() != "https" || is_loopback(u.host()))
    {
        return Err(bad(
            "jwks_uri",
            "Адрес ключей промышленного клиента должен быть https и не на 127.0.0.1",
            "A production client's JWKS URI must be https and not on loopback",
        ));
    }
    let nets: Vec<ipnet::IpNet> = c.ip_allow.iter().filter_map(|s| parse_net(s)).collect();
    if nets.is_empty() || nets.iter().any(|n| n.prefix_len() == 0) {
        return Err(bad(
            "ip_allow",
            "Промышленному клиенту нужен список разрешённых адресов IP (не 0.0.0.0/0)",
            "A production client needs an IP allow-list (not 0.0.0.0/0)",
        ));
    }
    Ok(())
}

fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Keys pasted into a form: none when the field is blank, else a JSON
/// document (the key rules are `check_new`'s).
pub(crate) fn parse_jwks(text: Option<&str>) -> Result<Option<serde_json::Value>> {
    match given(text) {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t).map(Some).map_err(|_| {
            bad(
                "jwks",
                "Ключи должны быть документом JWKS (JSON)",
                "The keys must be a JWKS document (JSON)",
            )
        }),
    }
}

/// A form field's text, trimmed; `None` when blank.
pub(crate) fn given(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// A new client's id: `pk_` and 22 random characters.
pub(crate) fn new_client_id() -> Result<String> {
    Ok(format!("pk_{}", &random_token().map_err(internal)?[..22]))
}

/// A checked client, not written yet.
pub(crate) struct PreparedClient {
    row: oauth_clients::ClientRow,
    secret: Option<String>,
}

pub(crate) fn json_list(v: &[String]) -> Result<String> {
    serde_json::to_string(v).map_err(internal)
}

impl Services {
    /// Registers a client for an organization; the secret, if any, is shown
    /// once and kept only as its hash.
    pub async fn create_client(&self, new: &NewClient, actor: Actor) -> Result<CreatedClient> {
        self.insert_client(new_client_id()?, new, actor).await
    }

    /// The demo bank's client (demo mode): made at the first start, its key
    /// and redirect URI brought up to date at every later one (the bank is
    /// in-process and makes a new key and port each run).
    pub async fn ensure_demo_bank_client(
        &self,
        org_id: Uuid,
        jwks: serde_json::Value,
        redirect_uri: &str,
    ) -> Result<String> {
        const ID: &str = "demo-bank";
        if oauth_clients::get(&self.db, ID).await?.is_some() {
            let mut tx = self.db.begin().await?;
            oauth_clients::set_keys_and_redirects(
                &mut tx,
                ID,
                &jwks.to_string(),
                &json_list(&[redirect_uri.to_owned()])?,
            )
            .await?;
            tx.commit().await?;
            self.oauth.clear();
            return Ok(ID.to_owned());
        }
        let new = NewClient {
            org_id,
            name: "Демо-банк: вход через Пропуск".into(),
            profile: Profile::Fapi2,
            sandbox: true,
            redirect_uris: vec![redirect_uri.to_owned()],
            scopes: propusk_registries::bank::RP_SCOPES
                .map(String::from)
                .to_vec(),
            jwks: Some(jwks),
            jwks_uri: None,
            secret: false,
            ip_allow: vec!["127.0.0.0/8".into(), "::1".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
        };
        self.insert_client(ID.to_owned(), &new, Actor::system())
            .await?;
        Ok(ID.to_owned())
    }

    async fn insert_client(
        &self,
        client_id: String,
        new: &NewClient,
        actor: Actor,
    ) -> Result<CreatedClient> {
        let prepared = self.prepare_client(client_id, new).await?;
        let mut tx = self.db.begin().await?;
        let created = self.insert_prepared(&mut tx, prepared, new, actor).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Checks a new client and makes its row and secret: everything that
    /// can fail on the input, before any transaction is opened.
    pub(crate) async fn prepare_client(
        &self,
        client_id: String,
        new: &NewClient,
    ) -> Result<PreparedClient> {
        let sector = check_new(new)?;
        super::logout::check_logout_uris(
            &new.post_logout_redirect_uris,
            new.backchannel_logout_uri.as_deref(),
        )?;
        orgs::get(&self.db, new.org_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let secret = if new.secret {
            Some(random_token().map_err(internal)?)
        } else {
            None
        };
        let row = oauth_clients::ClientRow {
            client_id,
            org_id: new.org_id,
            name: new.name.trim().to_owned(),
            profile: new.profile.as_str().to_owned(),
            environment: if new.sandbox { "sandbox" } else { "production" }.to_owned(),
            redirect_uris: json_list(&new.redirect_uris)?,
            scopes: json_list(&new.scopes)?,
            ip_allow: json_list(&new.ip_allow)?,
            jwks: new.jwks.as_ref().map(|j| j.to_string()),
            jwks_uri: new.jwks_uri.clone(),
            secret_hash: secret.as_deref().map(token_hash),
            id_token_alg: match new.profile {
                Profile::Fapi2 => Alg::Es256,
                Profile::Oidc => Alg::Rs256,
            }
            .as_str()
            .to_owned(),
            sector,
            created_at: self.clock.now(),
            disabled_at: None,
        };
        Ok(PreparedClient { row, secret })
    }

    /// Writes a prepared client in the caller's transaction, with its
    /// logout settings and audit event.
    pub(crate) async fn insert_prepared(
        &self,
        tx: &mut propusk_store::Tx,
        prepared: PreparedClient,
        new: &NewClient,
        actor: Actor,
    ) -> Result<CreatedClient> {
        let PreparedClient { row, secret } = prepared;
        let now = self.clock.now();
        let client_id = row.client_id.clone();
        oauth_clients::insert(tx, &row).await?;
        propusk_store::oauth_logout::set_settings(
            tx,
            &client_id,
            &json_list(&new.post_logout_redirect_uris)?,
            new.backchannel_logout_uri.as_deref(),
        )
        .await?;
        let event = NewEvent::new(actor, "oauth.client_created")
            .subject(format!("oauth_client:{client_id}"))
            .details(serde_json::json!({
                "org_id": new.org_id, "profile": row.profile, "environment": row.environment,
                "redirect_uris": new.redirect_uris, "scopes": new.scopes, "ip_allow": new.ip_allow,
                "auth": if new.secret { "client_secret_basic" } else { "private_key_jwt" },
            }));
        audit::append(tx, now, &event).await?;
        Ok(CreatedClient {
            client_id,
            client_secret: secret,
            profile: new.profile.as_str(),
            environment: if new.sandbox { "sandbox" } else { "production" },
        })
    }

    /// A client by id, from the cache or the database; `None` if unknown.
    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Ok(None);
        }
        if let Ok(cache) = self.oauth.clients.lock()
            && let Some((at, c)) = cache.get(client_id)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(c.clone()));
        }
        let Some(row) = oauth_clients::get(&self.db, client_id).await? else {
            return Ok(None);
        };
        let org = orgs::get(&self.db, row.org_id)
            .await?
            .ok_or_else(|| internal("client without organization"))?;
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(internal);
        let client = Arc::new(Client {
            id: row.client_id.clone(),
            org_id: row.org_id,
            name: row.name,
            org_name: org.name,
            org_ogrn: org.ogrn,
            profile: Profile::parse(&row.profile).ok_or_else(|| internal("client profile"))?,
            sandbox: row.environment == "sandbox",
            redirect_uris: list(&row.redirect_uris)?,
            scopes: list(&row.scopes)?,
            ip_allow: list(&row.ip_allow)?
                .iter()
                .filter_map(|s| parse_net(s))
                .collect(),
            keys: row
                .jwks
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .map(|j| Arc::new(KeySet::from_jwks(&j)))
                .unwrap_or_default(),
            jwks_uri: row.jwks_uri,
            rate_per_minute: propusk_store::oauth_rate::limit(&self.db, &row.client_id)
                .await?
                .unwrap_or(i64::MAX),
            secret_hash: row.secret_hash,
            id_token_alg: Alg::parse(&row.id_token_alg)
                .ok_or_else(|| internal("client id_token_alg"))?,
            sector: row.sector,
            disabled: row.disabled_at.is_some(),
        });
        if let Ok(mut cache) = self.oauth.clients.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(client_id.to_owned(), (Instant::now(), client.clone()));
        }
        Ok(Some(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewClient {
        NewClient {
            org_id: Uuid::nil(),
            name: "Bank".into(),
            profile: Profile::Oidc,
            sandbox: true,
            redirect_uris: vec!["https://bank.example/cb".into()],
            scopes: vec!["fullname".into()],
            jwks: None,
            jwks_uri: None,
            secret: true,
            ip_allow: vec![],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
        }
    }

    #[test]
    fn registration_rules() {
        assert_eq!(check_new(&new()).unwrap(), "bank.example");
        let mut c = new();
        c.sandbox = false;
        assert!(check_new(&c).is_err(), "oidc is sandbox only");
        let production = |f: &dyn Fn(&mut NewClient)| {
            let mut c = new();
            c.profile = Profile::Fapi2;
            c.secret = false;
            c.sandbox = false;
            c.jwks_uri = Some("https://bank.example/jwks".into());
            c.ip_allow = vec!["192.0.2.0/24".into()];
            f(&mut c);
            check_new(&c)
        };
        assert!(production(&|_| {}).is_ok());
        assert!(
            production(&|c| c.ip_allow.clear()).is_err(),
            "needs an allow-list"
        );
        assert!(production(&|c| c.ip_allow = vec!["0.0.0.0/0".into()]).is_err());
        assert!(production(&|c| c.ip_allow = vec!["::/0".into()]).is_err());
        assert!(production(&|c| c.jwks_uri = Some("http://127.0.0.1/jwks".into())).is_err());
        assert!(production(&|c| c.jwks_uri = Some("https://localhost/jwks".into())).is_err());
        assert!(production(&|c| c.redirect_uris = vec!["http://127.0.0.1/cb".into()]).is_err());
        let mut c = new();
        c.profile = Profile::Fapi2;
        assert!(check_new(&c).is_err(), "fapi2 takes no secret");
        c.secret = false;
        assert!(check_new(&c).is_err(), "fapi2 needs keys");
        for bad in ["http://bank.example/cb", "https://bank.example/cb#x", "/cb"] {
            let mut c = new();
            c.redirect_uris = vec![bad.into()];
            assert!(check_new(&c).is_err(), "{bad}");
        }
        let mut c = new();
        c.redirect_uris.push("https://other.example/cb".into());
        assert!(check_new(&c).is_err(), "one sector");
        let mut c = new();
        c.redirect_uris = vec!["http://127.0.0.1:9000/cb".into()];
        assert!(check_new(&c).is_ok());
        let mut c = new();
        c.ip_allow = vec!["10.0.0.0/8".into(), "192.0.2.1".into()];
        assert!(check_new(&c).is_ok());
        c.ip_allow.push("nope".into());
        assert!(check_new(&c).is_err());
    }
}
