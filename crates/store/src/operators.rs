//! Portal operators and their sessions (migration 0019). An operator's
//! session is found by the SHA-256 of its cookie's secret, like a citizen's.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRow {
    pub id: Uuid,
    pub login: String,
    pub password_hash: String,
    /// Sealed with context `operator:<id>`.
    pub totp_key: Vec<u8>,
    pub totp_last_step: Option<i64>,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

type OperatorTuple = (
    Uuid,
    String,
    String,
    Vec<u8>,
    Option<i64>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

fn operator(t: OperatorTuple) -> OperatorRow {
    OperatorRow {
        id: t.0,
        login: t.1,
        password_hash: t.2,
        totp_key: t.3,
        totp_last_step: t.4,
        created_at: t.5,
        disabled_at: t.6,
    }
}

const COLUMNS: &str = "id, login, password_hash, totp_key, totp_last_step, created_at, disabled_at";

/// Fails with `Conflict` when the login is taken.
pub async fn insert(tx: &mut Tx, row: &OperatorRow) -> Result<()> {
    let sql =
        format!("INSERT INTO portal_operators ({COLUMNS}) VALUES ($1, $2, $3, $4, NULL, $5, NULL)");
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(row.id)
            .bind(&row.login)
            .bind(&row.password_hash)
            .bind(&row.totp_key)
            .bind(At(row.created_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn by_login(db: &Db, login: &str) -> Result<Option<OperatorRow>> {
    let sql = format!("SELECT {COLUMNS} FROM portal_operators WHERE login = $1");
    let t: Option<OperatorTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(login).fetch_optional(pool).await?);
    Ok(t.map(operator))
}

/// Records the TOTP step just accepted, unless an equal or later one was
/// accepted already (a code replayed on another node): `false` then.
pub async fn use_totp_step(tx: &mut Tx, id: Uuid, step: i64) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE portal_operators SET totp_last_step = $2 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id)
        .bind(step)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSession {
    pub id: Uuid,
    pub operator_id: Uuid,
    pub login: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

pub async fn open_session(
    tx: &mut Tx,
    id: Uuid,
    token_hash: &str,
    operator_id: Uuid,
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO operator_sessions (id, token_hash, operator_id, created_at, last_seen_at, ended_at) \
             VALUES ($1, $2, $3, $4, $4, NULL)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(operator_id)
        .bind(At(at))
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// A live session of an operator who is not disabled.
pub async fn session(db: &Db, token_hash: &str) -> Result<Option<OperatorSession>> {
    type T = (Uuid, Uuid, String, OffsetDateTime, OffsetDateTime);
    let t: Option<T> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT s.id, s.operator_id, o.login, s.created_at, s.last_seen_at \
             FROM operator_sessions s JOIN portal_operators o ON o.id = s.operator_id \
             WHERE s.token_hash = $1 AND s.ended_at IS NULL AND o.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(t.map(|t| OperatorSession {
        id: t.0,
        operator_id: t.1,
        login: t.2,
        created_at: t.3,
        last_seen_at: t.4,
    }))
}

pub async fn touch(db: &Db, id: Uuid, at: OffsetDateTime) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE operator_sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(At(at))
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn end_session(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE operator_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
            .bind(id)
            .bind(At(at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Ends the session with this token hash, if it is open.
pub async fn end_session_by_token(tx: &mut Tx, token_hash: &str, at: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE operator_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL")
            .bind(token_hash)
            .bind(At(at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Marks an operator disabled; its id, or `None` if there is no such login.
pub async fn disable(tx: &mut Tx, login: &str, at: OffsetDateTime) -> Result<Option<Uuid>> {
    let id: Option<Uuid> = on_tx!(tx, conn => {
        sqlx::query_scalar(
            "UPDATE portal_operators SET disabled_at = COALESCE(disabled_at, $2) WHERE login = $1 RETURNING id",
        )
        .bind(login)
        .bind(At(at))
        .fetch_optional(conn)
        .await?
    });
    Ok(id)
}

/// New credentials for an operator, enabled again: a new password hash and
/// TOTP key (sealed with context `operator:<id>`), the key's used step
/// forgotten.
pub async fn reset(tx: &mut Tx, id: Uuid, password_hash: &str, totp_key: &[u8]) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE portal_operators SET password_hash = $2, totp_key = $3, totp_last_step = NULL, \
             disabled_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(password_hash)
        .bind(totp_key)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Ends every open session of an operator; how many.
pub async fn end_sessions_of(tx: &mut Tx, operator_id: Uuid, at: OffsetDateTime) -> Result<u64> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE operator_sessions SET ended_at = $2 WHERE operator_id = $1 AND ended_at IS NULL")
            .bind(operator_id)
            .bind(At(at))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n)
}
