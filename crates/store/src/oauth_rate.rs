//! Per-client request counts per minute (migration 0017).

use crate::Result;
use crate::db::Db;

/// The client's limit per minute.
pub async fn limit(db: &Db, client_id: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT CAST(rate_per_minute AS BIGINT) FROM oauth_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|r| r.0))
}

pub async fn set_limit(db: &Db, client_id: &str, per_minute: i64) -> Result<()> {
    on_db!(db, pool => {
        sqlx::query("UPDATE oauth_clients SET rate_per_minute = $2 WHERE client_id = $1")
            .bind(client_id)
            .bind(per_minute)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Adds `n` to the client's count in `window` (minutes since the epoch);
/// returns the count of every node together.
pub async fn add(db: &Db, client_id: &str, window: i64, n: i64) -> Result<i64> {
    let row: (i64,) = on_db!(db, pool => {
        sqlx::query_as("INSERT INTO oauth_rate (client_id, window_start, count) VALUES ($1, $2, $3) \
                        ON CONFLICT (client_id, window_start) DO UPDATE SET count = oauth_rate.count + excluded.count \
                        RETURNING CAST(count AS BIGINT)")
            .bind(client_id)
            .bind(window)
            .bind(n)
            .fetch_one(pool)
            .await?
    });
    Ok(row.0)
}

/// Drops windows before `window`.
pub async fn purge(db: &Db, window: i64) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM oauth_rate WHERE window_start < $1").bind(window).execute(pool).await?.rows_affected()
    });
    Ok(n)
}
