//! The front channel: pushed (RFC 9126) and direct authorization requests,
//! sign-in and re-authentication, the consent decision, and the code.
//!
//! Every request is stored before any page is shown, a direct one too (it
//! is then sent on as a `request_uri`): the sign-in and consent pages then
//! carry only the short reference, the time the request arrived is known
//! (for `prompt=login`), and the stored request is consumed once, when the
//! person decides (FAPI 2.0 §5.3.2.2 note 3: not on page load).

use std::collections::BTreeMap;
use std::sync::Arc;

use propusk_core::account::TrustLevel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::consent::record::Channel;
use propusk_core::consent::{Category, Terms, rar, terms};
use propusk_oidc::dpop::Proof;
use propusk_oidc::request::{self, AuthRequest, RequestError};
use propusk_oidc::tokens::{
    CODE_TTL, INTERACTION_TTL, REQUEST_URI_PREFIX, REQUEST_URI_TTL, random_token, token_hash,
};
use propusk_oidc::{ACR_VALUES, ErrorCode, OAuthError, Profile, scopes};
use propusk_store::oauth_grants::{self, CodeRow, ConsentRow, GrantRow};
use propusk_store::{accounts, audit};
use serde::{Deserialize, Serialize};
use time::Duration;
use uuid::Uuid;

use super::Client;
use crate::error::internal;
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

/// Direct authorization requests one address may make a minute (per node).
pub const DIRECT_PER_MINUTE: u32 = 30;

/// How long a grant (and its refresh token) lasts without being revoked.
pub const GRANT_TTL: Duration = Duration::days(30);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    request: AuthRequest,
    issued_at: i64,
}

/// A stored request waiting for the person.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The `request_uri` (what pages carry).
    pub request_uri: String,
    pub client: Arc<Client>,
    pub request: AuthRequest,
    pub issued_at: i64,
}

/// Why a request cannot go on.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// Show an error page; never redirect (client or redirect URI unproved).
    Page(OAuthError),
    /// Send the person back to the client with this URL.
    Redirect(String),
}

pub enum Begin {
    /// A direct request was stored: continue at `/oauth/authorize` with it.
    Stored {
        client_id: String,
        request_uri: String,
    },
    Pending(Box<Pending>),
    Refused(Refusal),
}

/// What the person sees next.
pub enum Step {
    /// Not signed in: to the sign-in page, then back.
    SignIn,
    /// Signed in, but `prompt=login` or `max_age` asks for a fresh sign-in.
    Reauthenticate,
    Consent(ConsentView),
    Redirect(String),
}

/// One line of the consent screen.
#[derive(Debug, Clone)]
pub struct ConsentItem {
    pub scope: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
    /// Whether Propusk holds verified data for it (otherwise nothing is sent).
    pub available: bool,
}

#[derive(Debug, Clone)]
pub struct ConsentView {
    pub client_name: String,
    pub org_name: String,
    pub org_ogrn: String,
    pub sandbox: bool,
    pub items: Vec<ConsentItem>,
    /// The data consent the request asks for (RFC 9396), if any: approved
    /// with an SMS code, like one asked through the API.
    pub consent: Option<Terms>,
}

/// The person's approval of a data consent on the sign-in's screen.
#[derive(Debug, Clone, Default)]
pub struct ConsentApproval {
    /// The optional categories the person kept ticked.
    pub keep: std::collections::BTreeSet<Category>,
    pub code: String,
}

/// Checks a request's `propusk_consent` details (one at most) against the
/// catalogue and the client's approved scopes, like an API request.
pub fn consent_terms(
    client: &Client,
    req: &AuthRequest,
    now: time::OffsetDateTime,
) -> std::result::Result<Option<Terms>, OAuthError> {
    let bad = |why: String| OAuthError::new(ErrorCode::InvalidAuthorizationDetails, why);
    let mut found = req
        .authorization_details
        .iter()
        .filter(|d| d.get("type").and_then(|t| t.as_str()) == Some(rar::TYPE));
    let Some(details) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(bad(format!("only one {} per request", rar::TYPE)));
    }
    let draft = rar::draft(details).map_err(|e| bad(format!("{}: {e}", rar::TYPE)))?;
    let scopes: Vec<&str> = client.scopes.iter().map(String::as_str).collect();
    terms::check(&draft, &scopes, client.sandbox, now)
        .map(Some)
        .map_err(|list| {
            let text: Vec<String> = list
                .iter()
                .map(|p| format!("{} ({}): {}", p.pointer, p.code, p.en))
                .collect();
            bad(text.join("; "))
        })
}

fn approval_subject(request_id: &str) -> String {
    format!("oauth_request:{request_id}")
}

fn request_id(request_uri: &str) -> Option<String> {
    request_uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .filter(|r| r.len() == 43)
        .map(token_hash)
}

pub(crate) fn acr(level: Option<TrustLevel>) -> &'static str {
    match level {
        None | Some(TrustLevel::Simplified) => ACR_VALUES[0],
        Some(TrustLevel::Standard) => ACR_VALUES[1],
        Some(TrustLevel::Confirmed) => ACR_VALUES[2],
    }
}

impl Services {
    async fn store_request(&self, client_id: &str, request: AuthRequest) -> Result<(String, i64)> {
        let random = random_token().map_err(internal)?;
        let request_uri = format!("{REQUEST_URI_PREFIX}{random}");
        let now = self.clock.now();
        let stored = Stored {
            request,
            issued_at: now.unix_timestamp(),
        };
        let mut tx = self.db.begin().await?;
        oauth_grants::insert_request(
            &mut tx,
            &token_hash(&random),
            client_id,
            &serde_json::to_string(&stored).map_err(internal)?,
            now + Duration::seconds(REQUEST_URI_TTL),
        )
        .await?;
        tx.commit().await?;
        Ok((request_uri, REQUEST_URI_TTL))
    }

    /// PAR: checks the pushed request as a whole authorization request and
    /// stores it. A DPoP proof at PAR binds the future code to its key.
    pub async fn push_authorization(
        &self,
        client: &Client,
        params: &BTreeMap<String, String>,
        dpop: Option<&Proof>,
    ) -> Result<(String, i64)> {
        let mut req = request::check(params, &client.view(), true).map_err(|e| match e {
            RequestError::Page(e) => e,
            RequestError::Redirect { error, .. } => error,
        })?;
        consent_terms(client, &req, self.clock.now())?;
        if let Some(proof) = dpop {
            if req.dpop_jkt.as_ref().is_some_and(|j| *j != proof.jkt) {
                return Err(
                    OAuthError::request("dpop_jkt differs from the DPoP proof's key").into(),
                );
            }
            req.dpop_jkt = Some(proof.jkt.clone());
        }
        self.store_request(&client.id, req).await
    }

    /// The authorization endpoint's first step.
    pub async fn begin_authorization(
        &self,
        params: &BTreeMap<String, String>,
        ip: std::net::IpAddr,
    ) -> Result<Begin> {
        let page = |d: &str| {
            Ok(Begin::Refused(Refusal::Page(OAuthError::request(
                d.to_owned(),
            ))))
        };
        let Some(client_id) = params.get("client_id") else {
            return page("client_id is required");
        };
        let Some(client) = self.client(client_id).await? else {
            return page("unknown client_id");
        };
        if client.disabled {
            return page("the client is disabled");
        }
        if let Some(uri) = params.get("request_uri") {
            let Some(id) = request_id(uri) else {
                return page("request_uri is not one of ours");
            };
            let Some((owner, stored)) =
                oauth_grants::request(&self.db, &id, self.clock.now()).await?
            else {
                return Ok(Begin::Refused(Refusal::Page(OAuthError::new(
                    ErrorCode::InvalidRequestUri,
                    "request_uri is unknown, used or expired",
                ))));
            };
            if owner != client.id {
                return page("request_uri belongs to another client");
            }
            let stored: Stored = serde_json::from_str(&stored).map_err(internal)?;
            // Opened: the person now has the interaction's time to finish.
            let until =
                time::OffsetDateTime::from_unix_timestamp(stored.issued_at + INTERACTION_TTL)
                    .map_err(internal)?;
            oauth_grants::extend_request(&self.db, &id, self.clock.now(), until).await?;
            return Ok(Begin::Pending(Box::new(Pending {
                request_uri: uri.clone(),
                client,
                request: stored.request,
                issued_at: stored.issued_at,
            })));
        }
        let request = match request::check(params, &client.view(), false) {
            Ok(r) => r,
            Err(RequestError::Page(e)) => return Ok(Begin::Refused(Refusal::Page(e))),
            Err(RequestError::Redirect {
                redirect_uri,
                state,
                error,
            }) => {
                let url = request::response_url(
                    &redirect_uri,
                    self.issuer(),
                    state.as_deref(),
                    Err(&error),
                );
                return Ok(Begin::Refused(Refusal::Redirect(url)));
            }
        };
        // The redirect URI is proved by now, so errors may go back to it.
        let back = |e: OAuthError| {
            let url = request::response_url(
                &request.redirect_uri,
                self.issuer(),
                request.state.as_deref(),
                Err(&e),
            );
            Ok(Begin::Refused(Refusal::Redirect(url)))
        };
        if let Err(e) = consent_terms(&client, &request, self.clock.now()) {
            return back(e);
        }
        if client.profile == Profile::Fapi2 {
            // FAPI 2.0 §5.3.2.2-3: pushed requests only.
            return back(OAuthError::request(
                "this client must use pushed authorization requests (PAR)",
            ));
        }
        self.count_direct_request(ip)?;
        let (request_uri, _) = self.store_request(&client.id, request).await?;
        Ok(Begin::Stored {
            client_id: client.id.clone(),
            request_uri,
        })
    }

    /// `RateLimited` past [`DIRECT_PER_MINUTE`] from one address.
    fn count_direct_request(&self, ip: std::net::IpAddr) -> Result<()> {
        let now = self.clock.now();
        let window = now.unix_timestamp().div_euclid(60);
        let mut map = self
            .oauth
            .direct
            .lock()
            .map_err(|_| internal("direct request counters poisoned"))?;
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(ip).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= DIRECT_PER_MINUTE {
            return Err(ServiceError::RateLimited {
                retry_at: time::OffsetDateTime::from_unix_timestamp((window + 1) * 60)
                    .unwrap_or(now),
            });
        }
        entry.1 += 1;
        Ok(())
    }

    fn refuse(&self, p: &Pending, code: ErrorCode, why: &str) -> Step {
        let e = OAuthError::new(code, why.to_owned());
        Step::Redirect(request::response_url(
            &p.request.redirect_uri,
            self.issuer(),
            p.request.state.as_deref(),
            Err(&e),
        ))
    }

    /// What comes next for a pending request and the browser's session.
    pub async fn authorization_step(&self, p: &Pending, session: Option<&Current>) -> Result<Step> {
        let prompt = p.request.prompt();
        let Some(s) = session else {
            if prompt.none {
                return Ok(self.refuse(p, ErrorCode::LoginRequired, "no signed-in session"));
            }
            return Ok(Step::SignIn);
        };
        let signed_at = s.created_at.unix_timestamp();
        let stale_login = prompt.login && signed_at < p.issued_at;
        let too_old = p
            .request
            .max_age
            .is_some_and(|m| self.unix_now() - signed_at > m);
        if stale_login || too_old {
            if prompt.none {
                return Ok(self.refuse(p, ErrorCode::LoginRequired, "a fresh sign-in is required"));
            }
            return Ok(Step::Reauthenticate);
        }
        if prompt.select_account {
            return Ok(self.refuse(
                p,
                ErrorCode::AccountSelectionRequired,
                "account selection is not offered",
            ));
        }
        let consent = match consent_terms(&p.client, &p.request, self.clock.now()) {
            Ok(c) => c,
            Err(e) => {
                return Ok(self.refuse(p, e.code, &e.description));
            }
        };
        let remembered = oauth_grants::consent(&self.db, s.account_id, &p.client.id).await?;
        // A data consent is never remembered: each one is decided with a code.
        let covered = consent.is_none()
            && remembered.is_some_and(|c| {
                p.request
                    .scopes
                    .iter()
                    .all(|r| r == "openid" || c.scopes.split(' ').any(|g| g == r))
            });
        if covered && !prompt.consent {
            let url = self.issue_code(p, s, false, None).await?;
            return Ok(Step::Redirect(url));
        }
        if prompt.none {
            return Ok(self.refuse(
                p,
                ErrorCode::ConsentRequired,
                "the person has not approved this client",
            ));
        }
        if consent.is_some() && !self.has_confirmed_phone(s.account_id).await? {
            return Ok(self.refuse(
                p,
                ErrorCode::AccessDenied,
                "the person has no confirmed phone to approve a data consent with",
            ));
        }
        let available = self.released_scopes(s.account_id).await?;
        let items = p
            .request
            .scopes
            .iter()
            .filter_map(|name| scopes::find(name))
            .map(|sc| ConsentItem {
                scope: sc.name,
                ru: sc.ru,
                en: sc.en,
                available: available.contains(&sc.name),
            })
            .collect();
        Ok(Step::Consent(ConsentView {
            client_name: p.client.name.clone(),
            org_name: p.client.org_name.clone(),
            org_ogrn: p.client.org_ogrn.clone(),
            sandbox: p.client.sandbox,
            items,
            consent,
        }))
    }

    /// Sends the code that approves the data consent a pending sign-in
    /// asks for.
    pub async fn send_authorization_code(
        &self,
        p: &Pending,
        s: &Current,
        lang: propusk_core::Lang,
    ) -> Result<()> {
        if consent_terms(&p.client, &p.request, self.clock.now())?.is_none() {
            return Err(ServiceError::NotFound);
        }
        let id = request_id(&p.request_uri).ok_or(ServiceError::NotFound)?;
        self.send_approval_code(s.account_id, &approval_subject(&id), lang)
            .await
    }

    /// The person's answer on the consent screen; returns where to send them.
    pub async fn decide_authorization(
        &self,
        p: &Pending,
        s: &Current,
        approve: bool,
        remember: bool,
        approval: Option<&ConsentApproval>,
    ) -> Result<String> {
        if !approve {
            let id = request_id(&p.request_uri).ok_or(ServiceError::NotFound)?;
            let now = self.clock.now();
            let mut tx = self.db.begin().await?;
            if !oauth_grants::consume_request(&mut tx, &id, now).await? {
                return Err(ServiceError::LinkInvalid);
            }
            let event = NewEvent::new(Actor::citizen(s.account_id), "oauth.denied")
                .subject(format!("oauth_client:{}", p.client.id))
                .details(serde_json::json!({ "scope": p.request.scopes.join(" ") }));
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            let e = OAuthError::new(ErrorCode::AccessDenied, "the person declined");
            return Ok(request::response_url(
                &p.request.redirect_uri,
                self.issuer(),
                p.request.state.as_deref(),
                Err(&e),
            ));
        }
        let consent = match consent_terms(&p.client, &p.request, self.clock.now())? {
            None => None,
            Some(terms) => {
                let approval = approval
                    .filter(|a| !a.code.trim().is_empty())
                    .ok_or_else(|| {
                        ServiceError::field(
                            "code",
                            "required",
                            "Введите код из СМС",
                            "Enter the code from the SMS",
                        )
                    })?;
                Some((terms, approval))
            }
        };
        self.issue_code(p, s, remember, consent).await
    }

    /// The grant and its code, in one transaction with consuming the
    /// request (a reload or a second tab cannot make a second code); with
    /// the data consent the request asked for, approved by its SMS code.
    async fn issue_code(
        &self,
        p: &Pending,
        s: &Current,
        remember: bool,
        consent: Option<(Terms, &ConsentApproval)>,
    ) -> Result<String> {
        let id = request_id(&p.request_uri).ok_or(ServiceError::NotFound)?;
        let now = self.clock.now();
        let subject = self.pairwise_sub(&p.client.sector, s.account_id);
        let consent = match consent {
            None => None,
            Some((terms, approval)) => {
                let row = crate::consents::request::new_request(
                    &p.client,
                    s.account_id,
                    &subject,
                    &terms,
                    Channel::Rar,
                    now,
                )?;
                let prepared = self
                    .prepare_approval(self.consent_of_row(row.clone()).await?, &approval.keep)
                    .await?;
                Some((row, terms, prepared, approval.code.as_str()))
            }
        };
        let account = accounts::get(&self.db, s.account_id).await?;
        // A second factor confirmed before this session began was asked for
        // when it signed in (the sign-in requires it once it is on).
        let mfa = propusk_store::factors::totp_of(&self.db, s.account_id)
            .await?
            .and_then(|t| t.confirmed_at)
            .is_some_and(|at| at <= s.created_at);
        let code = random_token().map_err(internal)?;
        let grant = GrantRow {
            id: Uuid::now_v7(),
            client_id: p.client.id.clone(),
            account_id: s.account_id,
            session_id: Some(s.id),
            scope: p.request.scopes.join(" "),
            dpop_jkt: p.request.dpop_jkt.clone(),
            auth_time: s.created_at,
            acr: acr(account.trust_level).to_owned(),
            amr: if mfa { "pwd mfa" } else { "pwd" }.to_owned(),
            created_at: now,
            expires_at: now + GRANT_TTL,
            revoked_at: None,
            consent_id: consent.as_ref().map(|c| c.0.id),
        };
        let mut tx = self.db.begin().await?;
        if let Some((_, _, _, code)) = &consent {
            tx = self
                .check_sms_code_or_commit(
                    tx,
                    crate::sms_codes::Purpose::ConsentApproval,
                    &approval_subject(&id),
                    code,
                )
                .await?;
        }
        if !oauth_grants::consume_request(&mut tx, &id, now).await? {
            return Err(ServiceError::LinkInvalid);
        }
        if let Some((row, terms, prepared, _)) = consent {
            self.insert_request(&mut tx, &row, &terms).await?;
            self.write_approval(&mut tx, prepared).await?;
        }
        oauth_grants::insert_grant(&mut tx, &grant).await?;
        // So that the partner can later ask this citizen for a consent by
        // the `sub` it is about to receive.
        propusk_store::consents::remember_subject(
            &mut tx,
            &p.client.sector,
            &subject,
            s.account_id,
            now,
        )
        .await?;
        oauth_grants::insert_code(
            &mut tx,
            &CodeRow {
                code_hash: token_hash(&code),
                grant_id: grant.id,
                redirect_uri: p.request.redirect_uri.clone(),
                code_challenge: p.request.code_challenge.clone(),
                nonce: p.request.nonce.clone(),
                openid: p.request.is_openid(),
                expires_at: now + Duration::seconds(CODE_TTL),
            },
        )
        .await?;
        if remember {
            let mut all: Vec<String> = oauth_grants::consent(&self.db, s.account_id, &p.client.id)
                .await?
                .map(|c| scopes::split(&c.scopes))
                .unwrap_or_default();
            for sc in &p.request.scopes {
                if !all.contains(sc) {
                    all.push(sc.clone());
                }
            }
            oauth_grants::remember_consent(
                &mut tx,
                &ConsentRow {
                    account_id: s.account_id,
                    client_id: p.client.id.clone(),
                    scopes: all.join(" "),
                    granted_at: now,
                },
            )
            .await?;
        }
        let event = NewEvent::new(Actor::citizen(s.account_id), "oauth.granted")
            .subject(format!("oauth_grant:{}", grant.id))
            .details(serde_json::json!({
                "client_id": p.client.id, "scope": grant.scope, "remembered": remember,
                "consent": grant.consent_id,
            }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(request::response_url(
            &p.request.redirect_uri,
            self.issuer(),
            p.request.state.as_deref(),
            Ok(&code),
        ))
    }

    /// "Доступ организаций": the clients a person approved and remembered.
    pub async fn remembered_access(&self, account_id: Uuid) -> Result<Vec<(ConsentRow, String)>> {
        Ok(oauth_grants::consents_of(&self.db, account_id).await?)
    }

    /// Forgets an approval and revokes every grant the client holds for the
    /// person: its tokens stop working at once.
    pub async fn revoke_access(&self, account_id: Uuid, client_id: &str) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let had = oauth_grants::forget_consent(&mut tx, account_id, client_id).await?;
        let grants = oauth_grants::revoke_grants_of(
            &mut tx,
            account_id,
            client_id,
            "revoked_by_person",
            now,
        )
        .await?;
        if !had && grants == 0 {
            return Err(ServiceError::NotFound);
        }
        let event = NewEvent::new(Actor::citizen(account_id), "oauth.access_revoked")
            .subject(format!("oauth_client:{client_id}"))
            .details(serde_json::json!({ "grants_revoked": grants }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
