//! Leases on scheduled jobs (migration 0023): which node runs a job now.

use time::OffsetDateTime;

use crate::Result;
use crate::db::Db;
use crate::dialect::At;

/// Takes `job` for `holder` until `until` if no one else holds it (or the
/// holder's time ran out), or renews it for the same holder; `true` if
/// `holder` now holds it. One statement, so two nodes cannot both win.
pub async fn acquire(
    db: &Db,
    job: &str,
    holder: &str,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO job_leases (job, holder, held_until, last_done_at) VALUES ($1, $2, $4, NULL) \
                       ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
                       WHERE job_leases.held_until <= $3 OR job_leases.holder = excluded.holder";
    let n = on_db!(db, pool => sqlx::query(SQL)
        .bind(job).bind(holder).bind(At(now)).bind(At(until))
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Marks the job done at `now` and lets it go (`false` if `holder` lost it
/// meanwhile: its work may have overlapped another's).
pub async fn finish(db: &Db, job: &str, holder: &str, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str =
        "UPDATE job_leases SET last_done_at = $3, held_until = $3 WHERE job = $1 AND holder = $2";
    let n = on_db!(db, pool => sqlx::query(SQL)
        .bind(job).bind(holder).bind(At(now))
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// When the job last finished, and who holds it until when.
pub async fn state(
    db: &Db,
    job: &str,
) -> Result<Option<(String, OffsetDateTime, Option<OffsetDateTime>)>> {
    const SQL: &str = "SELECT holder, held_until, last_done_at FROM job_leases WHERE job = $1";
    let row = on_db!(db, pool => sqlx::query_as(SQL).bind(job).fetch_optional(pool).await?);
    Ok(row)
}

/// Lets the job go without marking it done.
pub async fn release(db: &Db, job: &str, holder: &str, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "UPDATE job_leases SET held_until = $3 WHERE job = $1 AND holder = $2";
    on_db!(db, pool => {
        sqlx::query(SQL).bind(job).bind(holder).bind(At(now)).execute(pool).await?;
    });
    Ok(())
}
