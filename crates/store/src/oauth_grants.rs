//! What the provider issued (migration 0015): pushed requests, grants with
//! their codes and refresh tokens, revoked access tokens, and remembered
//! approvals. Every "use once" is one conditional `UPDATE`, so two nodes
//! racing on the same code or token cannot both win.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

// ---- pushed authorization requests (RFC 9126)

pub async fn insert_request(
    tx: &mut Tx,
    id: &str,
    client_id: &str,
    request: &str,
    expires_at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_requests (id, client_id, request, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)")
            .bind(id)
            .bind(client_id)
            .bind(request)
            .bind(At(expires_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A pushed request still usable: `(client_id, request)`.
pub async fn request(db: &Db, id: &str, now: OffsetDateTime) -> Result<Option<(String, String)>> {
    const SQL: &str = "SELECT client_id, request FROM oauth_requests WHERE id = $1 AND used_at IS NULL AND expires_at > $2";
    let row =
        on_db!(db, pool => sqlx::query_as(SQL).bind(id).bind(At(now)).fetch_optional(pool).await?);
    Ok(row)
}

/// Gives an opened request until `until` to be decided
/// (`INTERACTION_TTL`); never shortens one.
pub async fn extend_request(
    db: &Db,
    id: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE oauth_requests SET expires_at = $3 WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND expires_at < $3")
            .bind(id)
            .bind(At(now))
            .bind(At(until))
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Marks the request used; `false` if it was used or expired meanwhile.
pub async fn consume_request(tx: &mut Tx, id: &str, now: OffsetDateTime) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(id)
            .bind(At(now))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

// ---- grants

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: Uuid,
    pub client_id: String,
    pub account_id: Uuid,
    pub session_id: Option<Uuid>,
    pub scope: String,
    pub dpop_jkt: Option<String>,
    pub auth_time: OffsetDateTime,
    pub acr: String,
    /// Space-separated `amr` values.
    pub amr: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// The consent approved with it (RFC 9396 `authorization_details`).
    pub consent_id: Option<Uuid>,
}

const GRANT_COLUMNS: &str = "id, client_id, account_id, session_id, scope, dpop_jkt, auth_time, acr, amr, created_at, expires_at, revoked_at, consent_id";

type GrantTuple = (
    Uuid,
    String,
    Uuid,
    Option<Uuid>,
    String,
    Option<String>,
    OffsetDateTime,
    String,
    String,
    OffsetDateTime,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<Uuid>,
);

fn grant(t: GrantTuple) -> GrantRow {
    GrantRow {
        id: t.0,
        client_id: t.1,
        account_id: t.2,
        session_id: t.3,
        scope: t.4,
        dpop_jkt: t.5,
        auth_time: t.6,
        acr: t.7,
        amr: t.8,
        created_at: t.9,
        expires_at: t.10,
        revoked_at: t.11,
        consent_id: t.12,
    }
}

pub async fn insert_grant(tx: &mut Tx, g: &GrantRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO oauth_grants ({GRANT_COLUMNS}, revoke_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, NULL)"
    );
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(g.id)
            .bind(&g.client_id)
            .bind(g.account_id)
            .bind(g.session_id)
            .bind(&g.scope)
            .bind(&g.dpop_jkt)
            .bind(At(g.auth_time))
            .bind(&g.acr)
            .bind(&g.amr)
            .bind(At(g.created_at))
            .bind(At(g.expires_at))
            .bind(g.consent_id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn get_grant(db: &Db, id: Uuid) -> Result<Option<GrantRow>> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM oauth_grants WHERE id = $1");
    let row: Option<GrantTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(row.map(grant))
}

/// The same, inside the caller's transaction.
pub async fn get_grant_in(tx: &mut Tx, id: Uuid) -> Result<Option<GrantRow>> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM oauth_grants WHERE id = $1");
    let row: Option<GrantTuple> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?);
    Ok(row.map(grant))
}

/// Binds a grant to a DPoP key (at its first token request).
pub async fn bind_grant_key(tx: &mut Tx, id: Uuid, jkt: &str) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_grants SET dpop_jkt = $2 WHERE id = $1 AND dpop_jkt IS NULL")
            .bind(id)
            .bind(jkt)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Revokes a grant (and so every token of it); `true` if it was active.
pub async fn revoke_grant(
    tx: &mut Tx,
    id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_grants SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(At(now))
            .bind(reason)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Revokes every active grant of an account to a client; how many.
pub async fn revoke_grants_of(
    tx: &mut Tx,
    account_id: Uuid,
    client_id: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<u64> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_grants SET revoked_at = $3, revoke_reason = $4 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL")
            .bind(account_id)
            .bind(client_id)
            .bind(At(now))
            .bind(reason)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Revokes every active grant of a client (it was disabled); how many.
pub async fn revoke_grants_of_client(
    tx: &mut Tx,
    client_id: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<u64> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_grants SET revoked_at = $2, revoke_reason = $3 WHERE client_id = $1 AND revoked_at IS NULL")
            .bind(client_id)
            .bind(At(now))
            .bind(reason)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n)
}

// ---- authorization codes

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub code_hash: String,
    pub grant_id: Uuid,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub openid: bool,
    pub expires_at: OffsetDateTime,
}

pub async fn insert_code(tx: &mut Tx, c: &CodeRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, nonce, openid, expires_at, used_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
            .bind(&c.code_hash)
            .bind(c.grant_id)
            .bind(&c.redirect_uri)
            .bind(&c.code_challenge)
            .bind(&c.nonce)
            .bind(if c.openid { "yes" } else { "no" })
            .bind(At(c.expires_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// First use, not expired.
    Fresh(CodeRow),
    /// Used before: the grant it made must be revoked.
    Replayed(Uuid),
    Expired,
    Unknown,
}

/// Uses a code once. The `UPDATE … RETURNING` is the atomic step.
pub async fn take_code(tx: &mut Tx, code_hash: &str, now: OffsetDateTime) -> Result<CodeUse> {
    type T = (
        String,
        Uuid,
        String,
        String,
        Option<String>,
        String,
        OffsetDateTime,
    );
    let taken: Option<T> = on_tx!(tx, conn => {
        sqlx::query_as("UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
                        RETURNING code_hash, grant_id, redirect_uri, code_challenge, nonce, openid, expires_at")
            .bind(code_hash)
            .bind(At(now))
            .fetch_optional(&mut *conn)
            .await?
    });
    if let Some(t) = taken {
        if t.6 <= now {
            return Ok(CodeUse::Expired);
        }
        return Ok(CodeUse::Fresh(CodeRow {
            code_hash: t.0,
            grant_id: t.1,
            redirect_uri: t.2,
            code_challenge: t.3,
            nonce: t.4,
            openid: t.5 == "yes",
            expires_at: t.6,
        }));
    }
    let used: Option<(Uuid,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT grant_id FROM oauth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(match used {
        Some((g,)) => CodeUse::Replayed(g),
        None => CodeUse::Unknown,
    })
}

// ---- refresh tokens

pub async fn insert_refresh(
    tx: &mut Tx,
    token_hash: &str,
    grant_id: Uuid,
    now: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, used_at) VALUES ($1, $2, $3, NULL)")
            .bind(token_hash)
            .bind(grant_id)
            .bind(At(now))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The token's grant and whether the token is unused, in one read (the
/// refresh grant checks both before it signs).
pub async fn refresh_with_grant(db: &Db, token_hash: &str) -> Result<Option<(GrantRow, bool)>> {
    const SQL: &str = "SELECT g.id, g.client_id, g.account_id, g.session_id, g.scope, g.dpop_jkt, \
                       g.auth_time, g.acr, g.amr, g.created_at, g.expires_at, g.revoked_at, g.consent_id, r.used_at \
                       FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id \
                       WHERE r.token_hash = $1";
    type Row = (
        Uuid,
        String,
        Uuid,
        Option<Uuid>,
        String,
        Option<String>,
        OffsetDateTime,
        String,
        String,
        OffsetDateTime,
        OffsetDateTime,
        Option<OffsetDateTime>,
        Option<Uuid>,
        Option<OffsetDateTime>,
    );
    let row: Option<Row> = on_db!(db, pool => {
        sqlx::query_as(SQL).bind(token_hash).fetch_optional(pool).await?
    });
    Ok(row.map(|t| {
        let g = grant((
            t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10, t.11, t.12,
        ));
        (g, t.13.is_none())
    }))
}

/// The common case of many refreshes in one statement: of `hashes`, the
/// tokens that are unused and whose grant is live, with their grant; with
/// `rotate` they are now marked used. The others are left as they were;
/// [`refresh_grant_in`] then tells why. A hash given twice is taken once.
pub async fn take_live_refreshes(
    tx: &mut Tx,
    hashes: &[&str],
    rotate: bool,
    now: OffsetDateTime,
) -> Result<Vec<(String, Uuid)>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..hashes.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = if rotate {
        format!(
            "UPDATE oauth_refresh_tokens SET used_at = $1 \
             WHERE token_hash IN ({list}) AND used_at IS NULL AND EXISTS (\
             SELECT 1 FROM oauth_grants g WHERE g.id = oauth_refresh_tokens.grant_id \
             AND g.revoked_at IS NULL AND g.expires_at > $1) RETURNING token_hash, grant_id"
        )
    } else {
        format!(
            "SELECT r.token_hash, r.grant_id FROM oauth_refresh_tokens r \
             JOIN oauth_grants g ON g.id = r.grant_id \
             WHERE r.token_hash IN ({list}) AND r.used_at IS NULL \
             AND g.revoked_at IS NULL AND g.expires_at > $1"
        )
    };
    let rows: Vec<(String, Uuid)> = on_tx!(tx, conn => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(At(now));
        for h in hashes {
            q = q.bind(*h);
        }
        q.fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// Adds many refresh tokens (rotation's successors) in one statement.
pub async fn insert_refreshes(tx: &mut Tx, rows: &[(&str, Uuid, OffsetDateTime)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let values = (0..rows.len())
        .map(|i| format!("(${}, ${}, ${}, NULL)", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, used_at) VALUES {values}"
    );
    on_tx!(tx, conn => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (h, g, at) in rows {
            q = q.bind(*h).bind(*g).bind(At(*at));
        }
        q.execute(&mut *conn).await?;
    });
    Ok(())
}

/// The same, inside the caller's transaction.
pub async fn refresh_grant_in(tx: &mut Tx, token_hash: &str) -> Result<Option<(Uuid, bool)>> {
    let row: Option<(Uuid, Option<OffsetDateTime>)> = on_tx!(tx, conn => {
        sqlx::query_as(REFRESH_GRANT)
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(|(g, used)| (g, used.is_none())))
}

const REFRESH_GRANT: &str =
    "SELECT grant_id, used_at FROM oauth_refresh_tokens WHERE token_hash = $1";

/// The grant a refresh token belongs to, without using it; `true` if the
/// token is unused.
pub async fn refresh_grant(db: &Db, token_hash: &str) -> Result<Option<(Uuid, bool)>> {
    let row: Option<(Uuid, Option<OffsetDateTime>)> = on_db!(db, pool => {
        sqlx::query_as(REFRESH_GRANT)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(g, used)| (g, used.is_none())))
}

// ---- access tokens revoked one by one (RFC 7009)

pub async fn revoke_jti(tx: &mut Tx, jti: &str, expires_at: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(At(expires_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn is_revoked(db: &Db, jti: &str) -> Result<bool> {
    let row: Option<(String,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT jti FROM oauth_revoked_tokens WHERE jti = $1").bind(jti).fetch_optional(pool).await?
    });
    Ok(row.is_some())
}

// ---- remembered approvals

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub account_id: Uuid,
    pub client_id: String,
    /// Space-separated.
    pub scopes: String,
    pub granted_at: OffsetDateTime,
}

pub async fn remember_consent(tx: &mut Tx, c: &ConsentRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_consents (account_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at")
            .bind(c.account_id)
            .bind(&c.client_id)
            .bind(&c.scopes)
            .bind(At(c.granted_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn consent(db: &Db, account_id: Uuid, client_id: &str) -> Result<Option<ConsentRow>> {
    let row: Option<(Uuid, String, String, OffsetDateTime)> = on_db!(db, pool => {
        sqlx::query_as("SELECT account_id, client_id, scopes, granted_at FROM oauth_consents WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|t| ConsentRow {
        account_id: t.0,
        client_id: t.1,
        scopes: t.2,
        granted_at: t.3,
    }))
}

/// An account's remembered approvals with the client's name, newest first.
pub async fn consents_of(db: &Db, account_id: Uuid) -> Result<Vec<(ConsentRow, String)>> {
    let rows: Vec<(Uuid, String, String, OffsetDateTime, String)> = on_db!(db, pool => {
        sqlx::query_as("SELECT c.account_id, c.client_id, c.scopes, c.granted_at, k.name FROM oauth_consents c \
                        JOIN oauth_clients k ON k.client_id = c.client_id WHERE c.account_id = $1 ORDER BY c.granted_at DESC, c.client_id")
            .bind(account_id)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|t| {
            (
                ConsentRow {
                    account_id: t.0,
                    client_id: t.1,
                    scopes: t.2,
                    granted_at: t.3,
                },
                t.4,
            )
        })
        .collect())
}

pub async fn forget_consent(tx: &mut Tx, account_id: Uuid, client_id: &str) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query("DELETE FROM oauth_consents WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Drops expired requests, codes, grants (with their codes and refresh
/// tokens) and revocation entries; returns how many rows went.
pub async fn purge(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let mut total = 0;
    for sql in [
        "DELETE FROM oauth_requests WHERE expires_at <= $1",
        "DELETE FROM oauth_codes WHERE expires_at <= $1",
        "DELETE FROM oauth_revoked_tokens WHERE expires_at <= $1",
        "DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE expires_at <= $1)",
        "DELETE FROM oauth_grants WHERE expires_at <= $1",
    ] {
        total +=
            on_db!(db, pool => sqlx::query(sql).bind(At(now)).execute(pool).await?.rows_affected());
    }
    Ok(total)
}
