//! Logout (migration 0016): clients' logout settings, ending the grants of
//! a session that ended, and the back-channel logout tokens waiting to be
//! delivered. Claims work as the outbox's: one `UPDATE … WHERE id IN
//! (SELECT …)`, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so several
//! nodes' dispatchers skip each other's rows.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Backend, Result};

/// `(post_logout_redirect_uris JSON, backchannel_logout_uri)`.
pub async fn settings(db: &Db, client_id: &str) -> Result<Option<(String, Option<String>)>> {
    let row = on_db!(db, pool => {
        sqlx::query_as("SELECT post_logout_redirect_uris, backchannel_logout_uri FROM oauth_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(row)
}

pub async fn set_settings(
    tx: &mut Tx,
    client_id: &str,
    post_logout: &str,
    backchannel: Option<&str>,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_clients SET post_logout_redirect_uris = $2, backchannel_logout_uri = $3 WHERE client_id = $1")
            .bind(client_id)
            .bind(post_logout)
            .bind(backchannel)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// A grant ended with its session: `(grant, client, account, session)`.
pub type Ended = (Uuid, String, Uuid, Uuid);

/// Revokes the live grants made in `session_id`.
pub async fn end_session_grants(
    tx: &mut Tx,
    session_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Ended>> {
    let rows: Vec<Ended> = on_tx!(tx, conn => {
        sqlx::query_as("UPDATE oauth_grants SET revoked_at = $2, revoke_reason = 'logout' \
                        WHERE session_id = $1 AND revoked_at IS NULL \
                        RETURNING id, client_id, account_id, session_id")
            .bind(session_id)
            .bind(At(now))
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows)
}

/// Revokes the live grants of every session of an account but `keep`.
pub async fn end_other_session_grants(
    tx: &mut Tx,
    account_id: Uuid,
    keep: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Ended>> {
    let rows: Vec<Ended> = on_tx!(tx, conn => {
        sqlx::query_as("UPDATE oauth_grants SET revoked_at = $3, revoke_reason = 'logout' \
                        WHERE account_id = $1 AND session_id IS NOT NULL AND session_id <> $2 AND revoked_at IS NULL \
                        RETURNING id, client_id, account_id, session_id")
            .bind(account_id)
            .bind(keep)
            .bind(At(now))
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub client_id: String,
    pub uri: String,
    pub logout_token: String,
    pub attempts: i32,
}

pub async fn enqueue(tx: &mut Tx, d: &Delivery, now: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO oauth_logout_queue (id, client_id, uri, logout_token, status, attempts, next_attempt_at, last_error, created_at) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5, NULL, $5)")
            .bind(d.id)
            .bind(&d.client_id)
            .bind(&d.uri)
            .bind(&d.logout_token)
            .bind(At(now))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Due deliveries, leased until `lease_until` (counted as an attempt).
pub async fn claim_due(
    db: &Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let sql = match db.backend() {
        Backend::Postgres => {
            "UPDATE oauth_logout_queue SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM oauth_logout_queue WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, client_id, uri, logout_token, attempts"
        }
        Backend::Sqlite => {
            "UPDATE oauth_logout_queue SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM oauth_logout_queue WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3) \
             RETURNING id, client_id, uri, logout_token, attempts"
        }
    };
    let rows: Vec<(Uuid, String, String, String, i32)> = on_db!(db, pool => {
        sqlx::query_as(sql).bind(At(now)).bind(At(lease_until)).bind(limit).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|t| Delivery {
            id: t.0,
            client_id: t.1,
            uri: t.2,
            logout_token: t.3,
            attempts: t.4,
        })
        .collect())
}

/// `status`: `sent`, `dead`, or `pending` again at `next`.
pub async fn record(
    db: &Db,
    id: Uuid,
    status: &str,
    next: OffsetDateTime,
    error: Option<&str>,
) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE oauth_logout_queue SET status = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(At(next))
            .bind(error)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Drops delivered and dead rows older than `before`.
pub async fn purge(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM oauth_logout_queue WHERE status <> 'pending' AND created_at <= $1")
            .bind(At(before))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// The live grants of a session: `(grant, client, account, session)`.
pub async fn live_grants_of_session(db: &Db, session_id: Uuid) -> Result<Vec<Ended>> {
    let rows: Vec<Ended> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, client_id, account_id, session_id FROM oauth_grants WHERE session_id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .fetch_all(pool)
            .await?
    });
    Ok(rows)
}

/// The live grants of an account's other sessions.
pub async fn live_grants_of_other_sessions(
    db: &Db,
    account_id: Uuid,
    keep: Uuid,
) -> Result<Vec<Ended>> {
    let rows: Vec<Ended> = on_db!(db, pool => {
        sqlx::query_as("SELECT id, client_id, account_id, session_id FROM oauth_grants \
                        WHERE account_id = $1 AND session_id IS NOT NULL AND session_id <> $2 AND revoked_at IS NULL")
            .bind(account_id)
            .bind(keep)
            .fetch_all(pool)
            .await?
    });
    Ok(rows)
}
