//! Sessions: opening one after sign-in, finding it from the cookie on each
//! request, listing and ending them, and the sign-in history.

use propusk_core::audit::{Actor, NewEvent};
use propusk_store::sessions::{self, SessionRow, Stage};
use propusk_store::signin::{self, Outcome};
use propusk_store::{StoreError, Tx, audit, oauth_logout};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::signin::Client;
use crate::{Result, ServiceError, Services};

/// 256 random bits in hex: session and device cookie values.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What is stored of a device cookie.
pub(crate) fn device_hash(token: &str) -> String {
    token_hash(&format!("device:{token}"))
}

/// A session just opened: `token` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub id: Uuid,
    pub token: String,
    /// Set when the browser had no device cookie: give it this one.
    pub device_token: Option<String>,
}

/// The session behind a request's cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub id: Uuid,
    pub account_id: Uuid,
    pub stage: Stage,
    pub created_at: OffsetDateTime,
}

/// One line of "active sessions".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: Uuid,
    pub device: String,
    pub ip: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub current: bool,
}

/// One line of the sign-in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryView {
    pub at: OffsetDateTime,
    pub device: String,
    pub ip: String,
    pub result: Outcome,
}

#[derive(serde::Deserialize, Default)]
struct Device {
    #[serde(default)]
    ip: String,
    #[serde(default)]
    device: String,
}

/// History older than this is not shown (and is purged).
pub const HISTORY_DAYS: i64 = 90;

impl Services {
    pub(crate) async fn open_session(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        stage: Stage,
        client: &Client,
    ) -> Result<NewSession> {
        let now = self.clock.now();
        let id = Uuid::now_v7();
        let token = new_secret();
        let row = SessionRow {
            id,
            token_hash: token_hash(&token),
            account_id,
            stage,
            device: self.vault.seal(
                &mut OsRng,
                &client.device_json(),
                format!("session:{id}").as_bytes(),
            ),
            created_at: now,
            last_seen_at: now,
            ended_at: None,
            end_reason: None,
        };
        sessions::insert(tx, &row).await?;
        Ok(NewSession {
            id,
            token,
            device_token: None,
        })
    }

    /// The live session for a cookie value, or `None` (unknown, ended or
    /// timed out: an expired one is ended on the way).
    pub async fn session(&self, token: &str) -> Result<Option<Current>> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let Some(row) = sessions::by_token_hash(&self.db, &token_hash(token)).await? else {
            return Ok(None);
        };
        if row.ended_at.is_some() {
            return Ok(None);
        }
        let now = self.clock.now();
        let pending_too_long =
            row.stage == Stage::SecondFactor && now >= row.created_at + self.sessions.pending;
        if pending_too_long || !self.sessions.alive(row.created_at, row.last_seen_at, now) {
            let mut tx = self.db.begin().await?;
            match sessions::end(&mut tx, row.account_id, row.id, "expired", now).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            tx.commit().await?;
            return Ok(None);
        }
        if self.sessions.needs_touch(row.last_seen_at, now) {
            sessions::touch(&self.db, row.id, now).await?;
        }
        Ok(Some(Current {
            id: row.id,
            account_id: row.account_id,
            stage: row.stage,
            created_at: row.created_at,
        }))
    }

    /// Ends the session, the OpenID grants made in it, and tells those
    /// clients that listen (back-channel logout).
    pub async fn sign_out(&self, current: &Current) -> Result<()> {
        let now = self.clock.now();
        let live = oauth_logout::live_grants_of_session(&self.db, current.id).await?;
        let plan = self.plan_logout(&live).await?;
        let mut tx = self.db.begin().await?;
        match sessions::end(&mut tx, current.account_id, current.id, "signed_out", now).await {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        let ended = oauth_logout::end_session_grants(&mut tx, current.id, now).await?;
        self.queue_logout(&mut tx, &ended, plan, now).await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "session.signed_out")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "session": current.id }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    fn open_device(&self, sealed: &[u8], context: &str) -> Device {
        self.vault
            .open(sealed, context.as_bytes())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// One page of the account's live sessions, this one first; and whether
    /// there is a next page. Paged because nothing bounds how many browsers
    /// a person (or a script) keeps signed in.
    pub async fn list_sessions(
        &self,
        current: &Current,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<SessionView>, bool)> {
        let now = self.clock.now();
        let per_page = per_page.max(1);
        let rows = sessions::alive_page(
            &self.db,
            current.account_id,
            sessions::AlivePage {
                current: current.id,
                seen_after: now - self.sessions.idle,
                created_after: now - self.sessions.absolute,
                limit: i64::from(per_page) + 1,
                offset: i64::from(page) * i64::from(per_page),
            },
        )
        .await?;
        let more = rows.len() > per_page as usize;
        let list = rows
            .into_iter()
            .take(per_page as usize)
            .map(|r| {
                let d = self.open_device(&r.device, &format!("session:{}", r.id));
                SessionView {
                    id: r.id,
                    device: d.device,
                    ip: d.ip,
                    created_at: r.created_at,
                    last_seen_at: r.last_seen_at,
                    current: r.id == current.id,
                }
            })
            .collect();
        Ok((list, more))
    }

    /// Ends another session of the same account. Ending one's own is signing out.
    pub async fn end_session(&self, current: &Current, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let live: Vec<_> = oauth_logout::live_grants_of_session(&self.db, id)
            .await?
            .into_iter()
            .filter(|g| g.2 == current.account_id)
            .collect();
        let plan = self.plan_logout(&live).await?;
        let mut tx = self.db.begin().await?;
        match sessions::end(&mut tx, current.account_id, id, "ended_by_owner", now).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        }
        let ended = oauth_logout::end_session_grants(&mut tx, id, now).await?;
        self.queue_logout(&mut tx, &ended, plan, now).await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "session.ended")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "session": id, "by_session": current.id }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the account but this one; returns how many.
    pub async fn end_other_sessions(&self, current: &Current) -> Result<u64> {
        let now = self.clock.now();
        let live =
            oauth_logout::live_grants_of_other_sessions(&self.db, current.account_id, current.id)
                .await?;
        let plan = self.plan_logout(&live).await?;
        let mut tx = self.db.begin().await?;
        let n = sessions::end_all_but(
            &mut tx,
            current.account_id,
            Some(current.id),
            "ended_by_owner",
            now,
        )
        .await?;
        let ended =
            oauth_logout::end_other_session_grants(&mut tx, current.account_id, current.id, now)
                .await?;
        self.queue_logout(&mut tx, &ended, plan, now).await?;
        let event = NewEvent::new(Actor::citizen(current.account_id), "session.ended_others")
            .subject(format!("account:{}", current.account_id))
            .details(serde_json::json!({ "ended": n, "by_session": current.id }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One page (from 0) of the sign-in history of the last 90 days, newest
    /// first, and whether there is a next page.
    pub async fn sign_in_history(
        &self,
        account_id: Uuid,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<HistoryView>, bool)> {
        let since = self.clock.now() - time::Duration::days(HISTORY_DAYS);
        let per_page = i64::from(per_page.clamp(1, 100));
        let offset = i64::from(page.min(10_000)) * per_page;
        let mut rows = signin::history(&self.db, account_id, since, per_page + 1, offset).await?;
        let more = rows.len() as i64 > per_page;
        rows.truncate(per_page as usize);
        Ok((
            rows.into_iter()
                .map(|e| {
                    let d = self.open_device(&e.device, &format!("sign_in:{}", e.id));
                    HistoryView {
                        at: e.at,
                        device: d.device,
                        ip: d.ip,
                        result: e.result,
                    }
                })
                .collect(),
            more,
        ))
    }
}
