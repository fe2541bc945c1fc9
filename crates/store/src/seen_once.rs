//! Identifiers that may be used once (migration 0012): a JWT's `jti` per
//! issuer, and later DPoP proofs and client assertions. The row is the
//! memory shared by every node; the primary key makes "first use wins" one
//! atomic insert.

use time::OffsetDateTime;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

/// Records `id` in `scope` until `expires_at`. `true` the first time;
/// `false` if it was seen before and has not expired (a replay).
pub async fn remember(
    tx: &mut Tx,
    scope: &str,
    id: &str,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<bool> {
    // An expired row gives way: the identifier is past its use anyway, and
    // the issuer's own expiry check refuses a token that old.
    const SQL: &str = "INSERT INTO seen_once (scope, id, expires_at) VALUES ($1, $2, $3) \
                       ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at \
                       WHERE seen_once.expires_at <= $4";
    let n = on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(scope)
            .bind(id)
            .bind(At(expires_at))
            .bind(At(now))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Drops what has expired; returns how many rows went.
pub async fn purge(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM seen_once WHERE expires_at <= $1")
            .bind(At(now))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}
