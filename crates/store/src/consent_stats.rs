//! What partner monitoring and the daily digest count: a client's consents
//! by status and purpose, its reads by Moscow day, category and result, and
//! the consents about to end.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::Db;
use crate::dialect::At;

/// `(status, purpose, count)` of a client's consents.
pub async fn by_status(db: &Db, client_id: &str) -> Result<Vec<(String, String, i64)>> {
    const SQL: &str = "SELECT status, purpose, COUNT(*) FROM consents WHERE client_id = $1 \
                       GROUP BY status, purpose ORDER BY status, purpose";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(client_id).fetch_all(pool).await?))
}

/// One group of a client's reads: a Moscow day (`YYYY-MM-DD`), the
/// categories returned (a JSON array), the result code, how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadGroup {
    pub day: String,
    pub categories: String,
    pub result: String,
    pub count: i64,
}

/// A client's reads since `since`, grouped (Moscow is UTC+3 all year).
pub async fn reads(db: &Db, client_id: &str, since: OffsetDateTime) -> Result<Vec<ReadGroup>> {
    let day = match db.backend() {
        crate::Backend::Sqlite => "date(at, '+3 hours')",
        crate::Backend::Postgres => "to_char(at AT TIME ZONE 'Europe/Moscow', 'YYYY-MM-DD')",
    };
    let sql = format!(
        "SELECT {day} AS day, categories_returned, result, COUNT(*) FROM consent_reads \
         WHERE client_id = $1 AND at >= $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    );
    let rows: Vec<(String, String, String, i64)> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(client_id).bind(At(since)).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|(day, categories, result, count)| ReadGroup {
            day,
            categories,
            result,
            count,
        })
        .collect())
}

/// An active consent ending soon: `(client_id, consent_id, purpose, valid_until)`.
pub type Ending = (String, Uuid, String, OffsetDateTime);

/// Active consents of every client ending in `[from, to)`, by client and
/// end; at most `limit`.
pub async fn ending(
    db: &Db,
    from: OffsetDateTime,
    to: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Ending>> {
    const SQL: &str = "SELECT client_id, id, purpose, valid_until FROM consents \
                       WHERE status = 'active' AND valid_until >= $1 AND valid_until < $2 \
                       ORDER BY client_id, valid_until LIMIT $3";
    Ok(
        on_db!(db, pool => sqlx::query_as(SQL).bind(At(from)).bind(At(to)).bind(limit).fetch_all(pool).await?),
    )
}
