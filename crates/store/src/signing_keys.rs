//! The provider's signing keys (migration 0014).

use time::OffsetDateTime;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    /// Sealed with context `signing_key:<kid>`.
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
    pub publish_until: Option<OffsetDateTime>,
}

type KeyTuple = (
    String,
    String,
    Vec<u8>,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

fn key(t: KeyTuple) -> KeyRow {
    KeyRow {
        kid: t.0,
        alg: t.1,
        private_key: t.2,
        public_jwk: t.3,
        created_at: t.4,
        retired_at: t.5,
        publish_until: t.6,
    }
}

pub async fn insert(tx: &mut Tx, row: &KeyRow) -> Result<()> {
    const SQL: &str = "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, retired_at, publish_until) \
                       VALUES ($1, $2, $3, $4, $5, NULL, NULL)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(&row.kid)
            .bind(&row.alg)
            .bind(&row.private_key)
            .bind(&row.public_jwk)
            .bind(At(row.created_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Retires every active key of `alg` but `keep`, published until `until`.
pub async fn retire_others(
    tx: &mut Tx,
    alg: &str,
    keep: &str,
    at: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<u64> {
    const SQL: &str = "UPDATE signing_keys SET retired_at = $3, publish_until = $4 \
                       WHERE alg = $1 AND kid <> $2 AND retired_at IS NULL";
    let n = on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(alg)
            .bind(keep)
            .bind(At(at))
            .bind(At(until))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Keys still published at `now`: the active ones and the retired ones
/// whose tokens may still be alive, newest first.
pub async fn published(db: &Db, now: OffsetDateTime) -> Result<Vec<KeyRow>> {
    const SQL: &str = "SELECT kid, alg, private_key, public_jwk, created_at, retired_at, publish_until FROM signing_keys \
                       WHERE retired_at IS NULL OR publish_until > $1 OR keep_until > $1 ORDER BY created_at DESC, kid";
    let rows: Vec<KeyTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(At(now)).fetch_all(pool).await?);
    Ok(rows.into_iter().map(key).collect())
}

/// Drops keys no longer published; their tokens have all expired.
pub async fn purge(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND publish_until <= $1 \
                     AND (keep_until IS NULL OR keep_until <= $1)")
            .bind(At(now))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Keeps key `kid` published at least until `until` (it signed a consent
/// receipt that matters until then).
pub async fn keep_until(tx: &mut Tx, kid: &str, until: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE signing_keys SET keep_until = $2 WHERE kid = $1 AND (keep_until IS NULL OR keep_until < $2)")
            .bind(kid).bind(At(until)).execute(conn).await?;
    });
    Ok(())
}
