//! Server-side sessions. The row is found by the SHA-256 of the cookie's
//! secret; the secret itself never reaches the database.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is still to come.
    SecondFactor,
    Full,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::Full => "full",
        }
    }

    fn parse(s: &str) -> Result<Stage> {
        match s {
            "second_factor" => Ok(Stage::SecondFactor),
            "full" => Ok(Stage::Full),
            other => Err(StoreError::Corrupt(format!("sessions.stage: {other}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: Uuid,
    pub token_hash: String,
    pub account_id: Uuid,
    pub stage: Stage,
    /// Sealed with context `session:<id>`: address and device summary.
    pub device: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub end_reason: Option<String>,
}

const INSERT: &str = "INSERT INTO sessions (id, token_hash, account_id, stage, device, created_at, last_seen_at, ended_at, end_reason) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const BY_TOKEN: &str = "SELECT id, token_hash, account_id, stage, device, created_at, last_seen_at, ended_at, end_reason \
                        FROM sessions WHERE token_hash = $1";
/// The one asking first, then by last activity.
const ALIVE_PAGE: &str = "SELECT id, token_hash, account_id, stage, device, created_at, last_seen_at, ended_at, end_reason \
                          FROM sessions WHERE account_id = $1 AND ended_at IS NULL \
                          AND last_seen_at > $3 AND created_at > $4 \
                          ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, last_seen_at DESC, id DESC \
                          LIMIT $5 OFFSET $6";

type SessionTuple = (
    Uuid,
    String,
    Uuid,
    String,
    Vec<u8>,
    OffsetDateTime,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<String>,
);

fn row(t: SessionTuple) -> Result<SessionRow> {
    Ok(SessionRow {
        id: t.0,
        token_hash: t.1,
        account_id: t.2,
        stage: Stage::parse(&t.3)?,
        device: t.4,
        created_at: t.5,
        last_seen_at: t.6,
        ended_at: t.7,
        end_reason: t.8,
    })
}

pub async fn insert(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(INSERT)
            .bind(s.id)
            .bind(&s.token_hash)
            .bind(s.account_id)
            .bind(s.stage.as_str())
            .bind(&s.device)
            .bind(At(s.created_at))
            .bind(At(s.last_seen_at))
            .bind(s.ended_at.map(At))
            .bind(&s.end_reason)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The session with this token hash, ended or not (the caller judges).
pub async fn by_token_hash(db: &Db, token_hash: &str) -> Result<Option<SessionRow>> {
    let t: Option<SessionTuple> =
        on_db!(db, pool => sqlx::query_as(BY_TOKEN).bind(token_hash).fetch_optional(pool).await?);
    t.map(row).transpose()
}

/// Which live sessions of an account to show on one page.
#[derive(Debug, Clone, Copy)]
pub struct AlivePage {
    /// Listed first, whatever its activity.
    pub current: Uuid,
    /// Sessions idle since before this are over.
    pub seen_after: OffsetDateTime,
    /// Sessions opened before this are past the absolute limit.
    pub created_after: OffsetDateTime,
    pub limit: i64,
    pub offset: i64,
}

/// One page of an account's live sessions (not ended, not timed out).
pub async fn alive_page(db: &Db, account_id: Uuid, page: AlivePage) -> Result<Vec<SessionRow>> {
    let rows: Vec<SessionTuple> = on_db!(db, pool => {
        sqlx::query_as(ALIVE_PAGE)
            .bind(account_id)
            .bind(page.current)
            .bind(At(page.seen_after))
            .bind(At(page.created_after))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(row).collect()
}

pub async fn touch(db: &Db, id: Uuid, at: OffsetDateTime) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL")
            .bind(id)
            .bind(At(at))
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Ends one session of an account; `NotFound` if there is no such open one.
pub async fn end(
    tx: &mut Tx,
    account_id: Uuid,
    id: Uuid,
    reason: &str,
    at: OffsetDateTime,
) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE sessions SET ended_at = $3, end_reason = $4 \
             WHERE id = $1 AND account_id = $2 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(account_id)
        .bind(At(at))
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Ends every open session of an account except `keep`; returns how many.
pub async fn end_all_but(
    tx: &mut Tx,
    account_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
    at: OffsetDateTime,
) -> Result<u64> {
    // A nil UUID never names a session, so "all but nil" is "all".
    let keep = keep.unwrap_or(Uuid::nil());
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE sessions SET ended_at = $3, end_reason = $4 \
             WHERE account_id = $1 AND id <> $2 AND ended_at IS NULL",
        )
        .bind(account_id)
        .bind(keep)
        .bind(At(at))
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n)
}
