//! Sole proprietorships linked to accounts (migration 0011).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrepreneurRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub ogrnip: String,
    /// The ЕГРИП extract as JSON, sealed with context `entrepreneur:<id>`.
    pub extract: Vec<u8>,
    pub added_at: OffsetDateTime,
}

/// `Conflict` when the OGRNIP is already linked to an account.
pub async fn insert(tx: &mut Tx, row: &EntrepreneurRow) -> Result<()> {
    const SQL: &str = "INSERT INTO entrepreneurs (id, account_id, ogrnip, extract, added_at) VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id)
            .bind(row.account_id)
            .bind(&row.ogrnip)
            .bind(&row.extract)
            .bind(At(row.added_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn of_account(db: &Db, account_id: Uuid) -> Result<Vec<EntrepreneurRow>> {
    const SQL: &str = "SELECT id, account_id, ogrnip, extract, added_at FROM entrepreneurs \
                       WHERE account_id = $1 ORDER BY added_at, id";
    let rows: Vec<(Uuid, Uuid, String, Vec<u8>, OffsetDateTime)> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(account_id).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|t| EntrepreneurRow {
            id: t.0,
            account_id: t.1,
            ogrnip: t.2,
            extract: t.3,
            added_at: t.4,
        })
        .collect())
}
