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

/// Records many identifiers in one statement (group commit: a batch of
/// concurrent requests shares one transaction). Returns, per item, whether
/// it was fresh. A repeat within the batch counts as a replay.
pub async fn remember_many(
    tx: &mut Tx,
    items: &[(String, String, OffsetDateTime)],
    now: OffsetDateTime,
) -> Result<Vec<bool>> {
    let mut out = vec![false; items.len()];
    // First occurrence of each (scope, id) goes to the database.
    let mut first: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::new();
    let mut unique = Vec::new();
    for (i, (scope, id, _)) in items.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(e) =
            first.entry((scope.as_str(), id.as_str()))
        {
            e.insert(i);
            unique.push(i);
        }
    }
    for chunk in unique.chunks(300) {
        let mut sql = String::from("INSERT INTO seen_once (scope, id, expires_at) VALUES ");
        for (n, _) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${})", 3 * n + 2, 3 * n + 3, 3 * n + 4));
        }
        sql.push_str(
            " ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE seen_once.expires_at <= $1 RETURNING scope, id",
        );
        let fresh: Vec<(String, String)> = on_tx!(tx, conn => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(At(now));
            for &i in chunk {
                let (scope, id, exp) = &items[i];
                q = q.bind(scope).bind(id).bind(At(*exp));
            }
            q.fetch_all(&mut *conn).await?
        });
        for (scope, id) in fresh {
            if let Some(&i) = first.get(&(scope.as_str(), id.as_str())) {
                out[i] = true;
            }
        }
    }
    Ok(out)
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
