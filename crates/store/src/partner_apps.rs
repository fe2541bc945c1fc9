//! Partner applications (migration 0019): submitted by an organization,
//! decided once by a portal operator.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppState {
    Submitted,
    Approved,
    Rejected,
}

impl AppState {
    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Submitted => "submitted",
            AppState::Approved => "approved",
            AppState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AppState> {
        match s {
            "submitted" => Some(AppState::Submitted),
            "approved" => Some(AppState::Approved),
            "rejected" => Some(AppState::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub state: AppState,
    /// JSON, see the migration.
    pub body: String,
    /// Sealed with context `partner_application:<id>`.
    pub contact: Vec<u8>,
    pub submitted_by: Uuid,
    pub submitted_at: OffsetDateTime,
    pub sandbox_client_id: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<OffsetDateTime>,
    pub reason: Option<String>,
    pub client_id: Option<String>,
}

const COLUMNS: &str = "id, org_id, state, body, contact, submitted_by, submitted_at, \
                       sandbox_client_id, decided_by, decided_at, reason, client_id";

type AppTuple = (
    Uuid,
    Uuid,
    String,
    String,
    Vec<u8>,
    Uuid,
    OffsetDateTime,
    String,
    Option<Uuid>,
    Option<OffsetDateTime>,
    Option<String>,
    Option<String>,
);

fn app(t: AppTuple) -> Result<AppRow> {
    Ok(AppRow {
        id: t.0,
        org_id: t.1,
        state: AppState::parse(&t.2)
            .ok_or_else(|| StoreError::Corrupt(format!("partner_applications.state: {}", t.2)))?,
        body: t.3,
        contact: t.4,
        submitted_by: t.5,
        submitted_at: t.6,
        sandbox_client_id: t.7,
        decided_by: t.8,
        decided_at: t.9,
        reason: t.10,
        client_id: t.11,
    })
}

/// Fails with `Conflict` while the organization has one under review.
pub async fn insert(tx: &mut Tx, row: &AppRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO partner_applications ({COLUMNS}) \
         VALUES ($1, $2, 'submitted', $3, $4, $5, $6, $7, NULL, NULL, NULL, NULL)"
    );
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(row.id)
            .bind(row.org_id)
            .bind(&row.body)
            .bind(&row.contact)
            .bind(row.submitted_by)
            .bind(At(row.submitted_at))
            .bind(&row.sandbox_client_id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<AppRow>> {
    let sql = format!("SELECT {COLUMNS} FROM partner_applications WHERE id = $1");
    let t: Option<AppTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    t.map(app).transpose()
}

/// An organization's applications, newest first.
pub async fn of_org(db: &Db, org_id: Uuid) -> Result<Vec<AppRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM partner_applications WHERE org_id = $1 ORDER BY submitted_at DESC, id DESC"
    );
    let t: Vec<AppTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(pool).await?);
    t.into_iter().map(app).collect()
}

/// Applications in one state: those under review oldest first (the queue),
/// decided ones newest first.
pub async fn in_state(db: &Db, state: AppState, limit: i64) -> Result<Vec<AppRow>> {
    let order = if state == AppState::Submitted {
        "ASC"
    } else {
        "DESC"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM partner_applications WHERE state = $1 \
         ORDER BY submitted_at {order}, id {order} LIMIT $2"
    );
    let t: Vec<AppTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(state.as_str()).bind(limit).fetch_all(pool).await?);
    t.into_iter().map(app).collect()
}

/// Decides an application still under review, in one conditional UPDATE:
/// `false` if it was decided already (by another operator, or twice).
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    state: AppState,
    operator: Uuid,
    at: OffsetDateTime,
    reason: Option<&str>,
    client_id: Option<&str>,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE partner_applications SET state = $2, decided_by = $3, decided_at = $4, \
             reason = $5, client_id = $6 WHERE id = $1 AND state = 'submitted'",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(operator)
        .bind(At(at))
        .bind(reason)
        .bind(client_id)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}
