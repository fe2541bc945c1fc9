//! Many rows in one statement, for seeding data at scale (`propusk demo
//! seed`): one multi-row `INSERT` per slice instead of a round trip per
//! row. Callers pass slices of any length (a transaction's worth); each
//! goes out in statements sized for the backend. The one-row inserts of
//! accounts, contacts, consents and their events are these with one row,
//! so seeded rows are written exactly as the service writes its own.

use propusk_core::account::TrustLevel;
use propusk_core::consent::Status;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::accounts::{AccountRow, ContactRow};
use crate::consents::{ConsentRow, EventRow, ReadRow};
use crate::db::{Db, Tx};
use crate::dialect::At;

/// The most rows in one PostgreSQL statement.
const MAX_ROWS: usize = 1_000;

/// Rows per statement. PostgreSQL takes 65,535 parameters. SQLite takes
/// 32,766, but sqlx looks each parameter's name up among all of them
/// (`sqlite3_bind_parameter_name`), quadratic in their number: 1,000 rows
/// of 10 columns spent 70% of a seed there; ~500 parameters keep it small.
fn per_statement(tx: &Tx, cols: usize) -> usize {
    match tx {
        Tx::Sqlite(..) => (500 / cols).max(1),
        Tx::Postgres(_) => (60_000 / cols).min(MAX_ROWS),
    }
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns.
fn values(cols: usize, rows: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

pub async fn accounts(tx: &mut Tx, rows: &[AccountRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 10)) {
        let sql = format!(
            "INSERT INTO accounts (id, kind, status, trust_level, profile, password_hash, \
             pd_consent_version, pd_consent_at, created_at, updated_at) VALUES {}",
            values(10, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q
                    .bind(a.id)
                    .bind(a.kind.as_str())
                    .bind(a.status.as_str())
                    .bind(a.trust_level.map(TrustLevel::as_str))
                    .bind(&a.profile)
                    .bind(&a.password_hash)
                    .bind(&a.pd_consent_version)
                    .bind(At(a.pd_consent_at))
                    .bind(At(a.created_at))
                    .bind(At(a.updated_at));
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

pub async fn contacts(tx: &mut Tx, rows: &[ContactRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 8)) {
        let sql = format!(
            "INSERT INTO contacts (id, account_id, channel, value_index, value, created_at, \
             confirmed_at, removed_at) VALUES {}",
            values(8, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.id)
                    .bind(c.account_id)
                    .bind(c.channel.as_str())
                    .bind(&c.value_index)
                    .bind(&c.value)
                    .bind(At(c.created_at))
                    .bind(c.confirmed_at.map(At))
                    .bind(c.removed_at.map(At));
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

pub async fn consents(tx: &mut Tx, rows: &[ConsentRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 21)) {
        let sql = format!(
            "INSERT INTO consents ({}) VALUES {}",
            crate::consents::COLUMNS,
            values(21, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.id)
                    .bind(&c.client_id)
                    .bind(c.org_id)
                    .bind(c.account_id)
                    .bind(&c.subject)
                    .bind(&c.channel)
                    .bind(&c.purpose)
                    .bind(&c.terms)
                    .bind(&c.granted)
                    .bind(c.status.code())
                    .bind(&c.status_by)
                    .bind(&c.status_reason)
                    .bind(At(c.created_at))
                    .bind(At(c.request_expires_at))
                    .bind(At(c.valid_until))
                    .bind(c.approved_at.map(At))
                    .bind(At(c.status_changed_at))
                    .bind(c.read_count)
                    .bind(c.last_read_at.map(At))
                    .bind(&c.record_hash)
                    .bind(&c.receipt);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

pub async fn consent_events(tx: &mut Tx, rows: &[EventRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 9)) {
        let sql = format!(
            "INSERT INTO consent_events (id, consent_id, at, event, from_status, to_status, by_whom, \
             reason, receipt) VALUES {}",
            values(9, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.id)
                    .bind(e.consent_id)
                    .bind(At(e.at))
                    .bind(&e.event)
                    .bind(e.from_status.map(Status::code))
                    .bind(e.to_status.code())
                    .bind(&e.by_whom)
                    .bind(&e.reason)
                    .bind(&e.receipt);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Reads as logged, without touching the consents' counters: the caller
/// writes `read_count` and `last_read_at` with the consents.
pub async fn consent_reads(tx: &mut Tx, rows: &[ReadRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 10)) {
        let sql = format!(
            "INSERT INTO consent_reads (id, consent_id, account_id, client_id, at, endpoint, \
             categories_asked, categories_returned, result, answer_sha256) VALUES {}",
            values(10, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(r.consent_id)
                    .bind(r.account_id)
                    .bind(&r.client_id)
                    .bind(At(r.at))
                    .bind(&r.endpoint)
                    .bind(&r.categories_asked)
                    .bind(&r.categories_returned)
                    .bind(&r.result)
                    .bind(&r.answer_sha256);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// One pairwise subject handed out: sector, subject, account, when.
pub type Subject = (String, String, Uuid, OffsetDateTime);

pub async fn subjects(tx: &mut Tx, rows: &[Subject]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(per_statement(tx, 4)) {
        let sql = format!(
            "INSERT INTO pairwise_subjects (sector, subject, account_id, created_at) VALUES {} \
             ON CONFLICT (sector, subject) DO NOTHING",
            values(4, chunk.len())
        );
        on_tx!(tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (sector, subject, account, at) in chunk {
                q = q.bind(sector).bind(subject).bind(*account).bind(At(*at));
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Up to `limit` ids of a client's consents in one status, for a load
/// generator to spread its reads over (newest first).
pub async fn consent_ids(
    db: &Db,
    client_id: &str,
    status: Status,
    limit: i64,
) -> Result<Vec<Uuid>> {
    let r: Vec<(Uuid,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT id FROM consents WHERE client_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT $3")
        .bind(client_id).bind(status.code()).bind(limit).fetch_all(pool).await?);
    Ok(r.into_iter().map(|(id,)| id).collect())
}

/// The database's size on disk, in bytes.
pub async fn database_bytes(db: &Db) -> Result<i64> {
    let (n,): (i64,) = match db {
        Db::Sqlite(pool, _) => {
            sqlx::query_as(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )
            .fetch_one(pool)
            .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as("SELECT pg_database_size(current_database())")
                .fetch_one(pool)
                .await?
        }
    };
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::values;

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(values(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values(3, 1), "($1, $2, $3)");
    }
}
