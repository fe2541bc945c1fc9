//! Confirmation through a partner bank (migration 0012): flows in progress,
//! the bank linked to each account, and the log the person sees.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

/// A sign-in at a bank, from the person's pick to the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    pub state_hash: String,
    pub account_id: Uuid,
    pub bank: String,
    pub nonce: String,
    /// Sealed by the vault.
    pub pkce_verifier: Vec<u8>,
    /// How many times the flow was restarted after the bank refused a token request.
    pub restarts: i32,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

pub async fn insert_flow(tx: &mut Tx, row: &FlowRow) -> Result<()> {
    const SQL: &str = "INSERT INTO bank_flows (state_hash, account_id, bank, nonce, pkce_verifier, restarts, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(&row.state_hash)
            .bind(row.account_id)
            .bind(&row.bank)
            .bind(&row.nonce)
            .bind(&row.pkce_verifier)
            .bind(row.restarts)
            .bind(At(row.created_at))
            .bind(At(row.expires_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Takes the flow (it can be finished once), whatever its expiry: the
/// caller decides what an expired one means.
pub async fn take_flow(tx: &mut Tx, state_hash: &str) -> Result<Option<FlowRow>> {
    const SQL: &str = "DELETE FROM bank_flows WHERE state_hash = $1 \
                       RETURNING state_hash, account_id, bank, nonce, pkce_verifier, restarts, created_at, expires_at";
    type T = (
        String,
        Uuid,
        String,
        String,
        Vec<u8>,
        i32,
        OffsetDateTime,
        OffsetDateTime,
    );
    let row: Option<T> =
        on_tx!(tx, conn => sqlx::query_as(SQL).bind(state_hash).fetch_optional(conn).await?);
    Ok(row.map(|t| FlowRow {
        state_hash: t.0,
        account_id: t.1,
        bank: t.2,
        nonce: t.3,
        pkce_verifier: t.4,
        restarts: t.5,
        created_at: t.6,
        expires_at: t.7,
    }))
}

/// Drops flows that expired before `before` (the person never came back).
pub async fn purge_flows(db: &Db, before: OffsetDateTime) -> Result<u64> {
    let n = on_db!(db, pool => {
        sqlx::query("DELETE FROM bank_flows WHERE expires_at <= $1")
            .bind(At(before))
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Pending,
    Rejected,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Pending => "pending",
            LinkState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<LinkState> {
        match s {
            "active" => Ok(LinkState::Active),
            "pending" => Ok(LinkState::Pending),
            "rejected" => Ok(LinkState::Rejected),
            other => Err(StoreError::Corrupt(format!("bank_links.state: {other}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub account_id: Uuid,
    pub bank: String,
    pub state: LinkState,
    /// A message code (no personal data).
    pub reason: Option<String>,
    /// Field names, an OAuth error code: never personal data.
    pub detail: Option<String>,
    /// The bank's customer number, sealed by the vault.
    pub customer_id: Option<Vec<u8>>,
    /// When the bank last checked the person's documents.
    pub verified_at: Option<OffsetDateTime>,
    pub confirmed_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// Writes the account's link, replacing the one it had.
pub async fn put_link(tx: &mut Tx, row: &LinkRow) -> Result<()> {
    const SQL: &str = "INSERT INTO bank_links (account_id, bank, state, reason, detail, customer_id, verified_at, confirmed_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                       ON CONFLICT (account_id) DO UPDATE SET bank = excluded.bank, state = excluded.state, \
                           reason = excluded.reason, detail = excluded.detail, customer_id = excluded.customer_id, \
                           verified_at = excluded.verified_at, confirmed_at = excluded.confirmed_at, \
                           updated_at = excluded.updated_at";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.account_id)
            .bind(&row.bank)
            .bind(row.state.as_str())
            .bind(&row.reason)
            .bind(&row.detail)
            .bind(&row.customer_id)
            .bind(row.verified_at.map(At))
            .bind(row.confirmed_at.map(At))
            .bind(At(row.updated_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

type LinkTuple = (
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    OffsetDateTime,
);

const GET_LINK: &str = "SELECT account_id, bank, state, reason, detail, customer_id, verified_at, confirmed_at, updated_at \
                        FROM bank_links WHERE account_id = $1";

fn link(t: LinkTuple) -> Result<LinkRow> {
    Ok(LinkRow {
        account_id: t.0,
        bank: t.1,
        state: LinkState::parse(&t.2)?,
        reason: t.3,
        detail: t.4,
        customer_id: t.5,
        verified_at: t.6,
        confirmed_at: t.7,
        updated_at: t.8,
    })
}

pub async fn link_of(db: &Db, account_id: Uuid) -> Result<Option<LinkRow>> {
    let row: Option<LinkTuple> =
        on_db!(db, pool => sqlx::query_as(GET_LINK).bind(account_id).fetch_optional(pool).await?);
    row.map(link).transpose()
}

/// The same, inside a transaction (the callback decides on it).
pub async fn link_of_in(tx: &mut Tx, account_id: Uuid) -> Result<Option<LinkRow>> {
    let row: Option<LinkTuple> =
        on_tx!(tx, conn => sqlx::query_as(GET_LINK).bind(account_id).fetch_optional(conn).await?);
    row.map(link).transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub at: OffsetDateTime,
    pub bank: String,
    /// `started`, `confirmed`, `rejected`, `pending`, `error`, `restarted`, `cancelled`.
    pub outcome: String,
    /// A message code the pages translate.
    pub message: String,
    pub detail: Option<String>,
}

pub async fn log(tx: &mut Tx, row: &LogRow) -> Result<()> {
    const SQL: &str = "INSERT INTO bank_link_log (id, account_id, at, bank, outcome, message, detail) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id)
            .bind(row.account_id)
            .bind(At(row.at))
            .bind(&row.bank)
            .bind(&row.outcome)
            .bind(&row.message)
            .bind(&row.detail)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The newest entries first.
pub async fn log_of(db: &Db, account_id: Uuid, limit: i64) -> Result<Vec<LogRow>> {
    const SQL: &str = "SELECT id, account_id, at, bank, outcome, message, detail FROM bank_link_log \
                       WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2";
    type T = (
        Uuid,
        Uuid,
        OffsetDateTime,
        String,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<T> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(account_id).bind(limit).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|t| LogRow {
            id: t.0,
            account_id: t.1,
            at: t.2,
            bank: t.3,
            outcome: t.4,
            message: t.5,
            detail: t.6,
        })
        .collect())
}
