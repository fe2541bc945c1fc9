//! Accounts and contacts. Rows carry sealed personal data as bytes; sealing
//! and opening is the caller's (it holds the key ring), so this layer never
//! sees a name or a phone number in the clear.

use propusk_core::account::{AccountKind, AccountStatus, ContactChannel, TrustLevel};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::dialect::At;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: Uuid,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub trust_level: Option<TrustLevel>,
    /// Sealed with context `account.profile:<id>`.
    pub profile: Vec<u8>,
    pub password_hash: String,
    /// Which text of the consent to personal-data processing was accepted, and when.
    pub pd_consent_version: String,
    pub pd_consent_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub channel: ContactChannel,
    /// Hex HMAC blind index of the normalized value, domain = channel name.
    pub value_index: String,
    /// Sealed with context `contact:<id>`.
    pub value: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub confirmed_at: Option<OffsetDateTime>,
    pub removed_at: Option<OffsetDateTime>,
}

const GET_ACCOUNT: &str = "SELECT id, kind, status, trust_level, profile, password_hash, pd_consent_version, \
                           pd_consent_at, created_at, updated_at FROM accounts WHERE id = $1";
const GET_ACCOUNT_FOR_UPDATE: &str = "SELECT id, kind, status, trust_level, profile, password_hash, pd_consent_version, \
                                      pd_consent_at, created_at, updated_at FROM accounts WHERE id = $1 FOR UPDATE";
const SET_STATUS: &str =
    "UPDATE accounts SET status = $2, trust_level = $3, updated_at = $4 WHERE id = $1";
const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1";
const FIND_CONFIRMED: &str = "SELECT id, account_id, channel, value_index, value, created_at, confirmed_at, \
                              removed_at FROM contacts WHERE channel = $1 AND value_index = $2 \
                              AND confirmed_at IS NOT NULL AND removed_at IS NULL";
const CONTACTS_OF: &str = "SELECT id, account_id, channel, value_index, value, created_at, confirmed_at, \
                           removed_at FROM contacts WHERE account_id = $1 ORDER BY created_at, id";
const CONFIRM: &str = "UPDATE contacts SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL \
                       AND removed_at IS NULL";

type AccountTuple = (
    Uuid,
    String,
    String,
    Option<String>,
    Vec<u8>,
    String,
    String,
    OffsetDateTime,
    OffsetDateTime,
    OffsetDateTime,
);
type ContactTuple = (
    Uuid,
    Uuid,
    String,
    String,
    Vec<u8>,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn account(t: AccountTuple) -> Result<AccountRow> {
    Ok(AccountRow {
        id: t.0,
        kind: t.1.parse().map_err(|e| corrupt("accounts.kind", e))?,
        status: t.2.parse().map_err(|e| corrupt("accounts.status", e))?,
        trust_level: t
            .3
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| corrupt("accounts.trust_level", e))?,
        profile: t.4,
        password_hash: t.5,
        pd_consent_version: t.6,
        pd_consent_at: t.7,
        created_at: t.8,
        updated_at: t.9,
    })
}

fn contact_row(t: ContactTuple) -> Result<ContactRow> {
    Ok(ContactRow {
        id: t.0,
        account_id: t.1,
        channel: t.2.parse().map_err(|e| corrupt("contacts.channel", e))?,
        value_index: t.3,
        value: t.4,
        created_at: t.5,
        confirmed_at: t.6,
        removed_at: t.7,
    })
}

pub async fn insert(tx: &mut Tx, a: &AccountRow) -> Result<()> {
    crate::bulk::accounts(tx, std::slice::from_ref(a)).await
}

pub async fn get(db: &Db, id: Uuid) -> Result<AccountRow> {
    let t: AccountTuple =
        on_db!(db, pool => sqlx::query_as(GET_ACCOUNT).bind(id).fetch_one(pool).await?);
    account(t)
}

pub async fn set_status(
    tx: &mut Tx,
    id: Uuid,
    status: AccountStatus,
    trust: Option<TrustLevel>,
    at: OffsetDateTime,
) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(SET_STATUS)
            .bind(id)
            .bind(status.as_str())
            .bind(trust.map(TrustLevel::as_str))
            .bind(At(at))
            .execute(conn)
            .await?
            .rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_password_hash(
    tx: &mut Tx,
    id: Uuid,
    hash: &str,
    at: OffsetDateTime,
) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(SET_PASSWORD).bind(id).bind(hash).bind(At(at)).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn insert_contact(tx: &mut Tx, c: &ContactRow) -> Result<()> {
    crate::bulk::contacts(tx, std::slice::from_ref(c)).await
}

/// The account that owns a confirmed contact, if any.
pub async fn find_confirmed_contact(
    db: &Db,
    channel: ContactChannel,
    index: &str,
) -> Result<Option<ContactRow>> {
    let t: Option<ContactTuple> = on_db!(db, pool => {
        sqlx::query_as(FIND_CONFIRMED).bind(channel.as_str()).bind(index).fetch_optional(pool).await?
    });
    t.map(contact_row).transpose()
}

pub async fn contacts_of(db: &Db, account_id: Uuid) -> Result<Vec<ContactRow>> {
    let rows: Vec<ContactTuple> =
        on_db!(db, pool => sqlx::query_as(CONTACTS_OF).bind(account_id).fetch_all(pool).await?);
    rows.into_iter().map(contact_row).collect()
}

/// The same, read inside the caller's write transaction: code that holds a
/// transaction must not wait for a second pooled connection (with every
/// connection held by a waiting writer, none would come).
pub async fn contacts_of_in(tx: &mut Tx, account_id: Uuid) -> Result<Vec<ContactRow>> {
    let rows: Vec<ContactTuple> =
        on_tx!(tx, conn => sqlx::query_as(CONTACTS_OF).bind(account_id).fetch_all(conn).await?);
    rows.into_iter().map(contact_row).collect()
}

/// Marks a contact confirmed. `Conflict` when another account confirmed the
/// same value first; `NotFound` when it is gone or was already confirmed.
pub async fn confirm_contact(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(CONFIRM).bind(id).bind(At(at)).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

const FIND_BY_SNILS: &str =
    "SELECT id FROM accounts WHERE snils_index = $1 AND status <> 'deleted'";
const SET_IDENT_INDEXES: &str =
    "UPDATE accounts SET snils_index = $2, inn_index = $3, updated_at = $4 WHERE id = $1";

/// The account whose SNILS has this blind index.
pub async fn find_by_snils(db: &Db, index: &str) -> Result<Option<Uuid>> {
    let t: Option<(Uuid,)> = on_db!(db, pool => {
        sqlx::query_as(FIND_BY_SNILS).bind(index).fetch_optional(pool).await?
    });
    Ok(t.map(|t| t.0))
}

/// Records the blind indexes of an account's SNILS and INN (sealed values live
/// in the profile). `Conflict` when another account holds either.
pub async fn set_ident_indexes(
    tx: &mut Tx,
    id: Uuid,
    snils_index: Option<&str>,
    inn_index: Option<&str>,
    at: OffsetDateTime,
) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(SET_IDENT_INDEXES)
            .bind(id)
            .bind(snils_index)
            .bind(inn_index)
            .bind(At(at))
            .execute(conn)
            .await?
            .rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

const CONTACT_BY_ID: &str = "SELECT id, account_id, channel, value_index, value, created_at, confirmed_at, \
                             removed_at FROM contacts WHERE id = $1";

pub async fn contact(tx: &mut Tx, id: Uuid) -> Result<Option<ContactRow>> {
    let t: Option<ContactTuple> = on_tx!(tx, conn => {
        sqlx::query_as(CONTACT_BY_ID).bind(id).fetch_optional(conn).await?
    });
    t.map(contact_row).transpose()
}

const FIND_BY_INN: &str = "SELECT id FROM accounts WHERE inn_index = $1 AND status <> 'deleted'";
const SET_PROFILE: &str = "UPDATE accounts SET profile = $2, updated_at = $3 WHERE id = $1";

/// The account whose INN has this blind index.
pub async fn find_by_inn(db: &Db, index: &str) -> Result<Option<Uuid>> {
    let t: Option<(Uuid,)> = on_db!(db, pool => {
        sqlx::query_as(FIND_BY_INN).bind(index).fetch_optional(pool).await?
    });
    Ok(t.map(|t| t.0))
}

/// `find_by_inn` inside the caller's write transaction.
pub async fn find_by_inn_in(tx: &mut Tx, index: &str) -> Result<Option<Uuid>> {
    let t: Option<(Uuid,)> =
        on_tx!(tx, conn => sqlx::query_as(FIND_BY_INN).bind(index).fetch_optional(conn).await?);
    Ok(t.map(|t| t.0))
}

/// The account read inside a write transaction, its row locked until commit
/// (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already holds the
/// write lock), so a read-modify-write of the profile cannot lose another's.
pub async fn get_for_update(tx: &mut Tx, id: Uuid) -> Result<AccountRow> {
    let t: AccountTuple = match tx {
        Tx::Sqlite(t, _) => {
            sqlx::query_as(GET_ACCOUNT)
                .bind(id)
                .fetch_one(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as(GET_ACCOUNT_FOR_UPDATE)
                .bind(id)
                .fetch_one(&mut **t)
                .await?
        }
    };
    account(t)
}

/// Replaces the sealed profile of an account.
pub async fn set_profile(tx: &mut Tx, id: Uuid, sealed: &[u8], at: OffsetDateTime) -> Result<()> {
    let n = on_tx!(tx, conn => {
        sqlx::query(SET_PROFILE).bind(id).bind(sealed).bind(At(at)).execute(conn).await?.rows_affected()
    });
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// When a requested deletion takes effect, if one is pending.
pub async fn deletion_due(db: &Db, id: Uuid) -> Result<Option<OffsetDateTime>> {
    let t: Option<(Option<OffsetDateTime>,)> = on_db!(db, pool => {
        sqlx::query_as("SELECT deletion_due_at FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(t.and_then(|t| t.0))
}

pub async fn set_deletion_due(
    tx: &mut Tx,
    id: Uuid,
    due: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE accounts SET deletion_due_at = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(due.map(At))
            .bind(At(at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Accounts whose deletion is due by `now`, oldest first.
pub async fn deletions_due(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<Uuid>> {
    let rows: Vec<(Uuid,)> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id FROM accounts WHERE deletion_due_at IS NOT NULL AND deletion_due_at <= $1 \
             AND status <> 'deleted' ORDER BY deletion_due_at LIMIT $2",
        )
        .bind(At(now))
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Erases an account's personal data, keeping the row (and its id, which
/// the audit log refers to) as a pseudonymous tombstone. Only if the
/// deletion is still due: a cancellation that won the race wins.
pub async fn erase(tx: &mut Tx, id: Uuid, now: OffsetDateTime) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        let n = sqlx::query(
            "UPDATE accounts SET status = 'deleted', trust_level = NULL, profile = $2, password_hash = '', \
             snils_index = NULL, inn_index = NULL, deletion_due_at = NULL, updated_at = $3 \
             WHERE id = $1 AND deletion_due_at IS NOT NULL AND deletion_due_at <= $3 AND status <> 'deleted'",
        )
        .bind(id)
        .bind(Vec::<u8>::new())
        .bind(At(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 1 {
            for q in [
                "DELETE FROM contacts WHERE account_id = $1",
                "DELETE FROM sessions WHERE account_id = $1",
                "DELETE FROM sign_in_events WHERE account_id = $1",
                "DELETE FROM backup_codes WHERE account_id = $1",
                "DELETE FROM totp_factors WHERE account_id = $1",
                "DELETE FROM identity_check_log WHERE account_id = $1",
                "DELETE FROM identity_checks WHERE account_id = $1",
                "DELETE FROM entrepreneurs WHERE account_id = $1",
                "DELETE FROM bank_flows WHERE account_id = $1",
                "DELETE FROM bank_link_log WHERE account_id = $1",
                "DELETE FROM bank_links WHERE account_id = $1",
                "DELETE FROM org_members WHERE account_id = $1",
                "DELETE FROM oauth_consents WHERE account_id = $1",
                "DELETE FROM oauth_codes WHERE grant_id IN (SELECT id FROM oauth_grants WHERE account_id = $1)",
                "DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE account_id = $1)",
                "DELETE FROM oauth_grants WHERE account_id = $1",
                "DELETE FROM person_data_cache WHERE account_id = $1",
                "DELETE FROM pairwise_subjects WHERE account_id = $1",
                "DELETE FROM data_corrections WHERE account_id = $1",
            ] {
                sqlx::query(q).bind(id).execute(&mut *conn).await?;
            }
            sqlx::query("DELETE FROM login_locks WHERE lock_key = $1")
                .bind(format!("account:{id}"))
                .execute(&mut *conn)
                .await?;
        }
        n
    });
    Ok(n == 1)
}

/// Marks a contact removed (it stops signing in and stops getting messages).
pub async fn remove_contact(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE contacts SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL")
            .bind(id)
            .bind(At(at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Which index a login was found by.
#[derive(Debug, Clone, Copy)]
pub enum LoginIndex<'a> {
    Phone(&'a str),
    Email(&'a str),
    Snils(&'a str),
}

/// The account behind a login, whether it has a confirmed second factor,
/// and what its history says of the device: what a sign-in needs besides the
/// password, in one query (a sign-in is mostly argon2id; every round trip to
/// the database shows in what is left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAccount {
    pub account: AccountRow,
    pub has_totp: bool,
    pub device: crate::signin::DeviceSeen,
}

/// The account's columns; 1 when it has a confirmed TOTP key; 1 when the
/// device with hash `$1` signed in successfully before; 1 when any did.
macro_rules! sign_in_select {
    () => {
        "SELECT a.id, a.kind, a.status, a.trust_level, a.profile, a.password_hash, \
         a.pd_consent_version, a.pd_consent_at, a.created_at, a.updated_at, \
         CASE WHEN EXISTS (SELECT 1 FROM totp_factors t WHERE t.account_id = a.id \
         AND t.confirmed_at IS NOT NULL) THEN 1 ELSE 0 END, \
         CASE WHEN EXISTS (SELECT 1 FROM sign_in_events e WHERE e.account_id = a.id \
         AND e.device_hash = $1 AND e.result = 'success') THEN 1 ELSE 0 END, \
         CASE WHEN EXISTS (SELECT 1 FROM sign_in_events e WHERE e.account_id = a.id \
         AND e.result = 'success') THEN 1 ELSE 0 END "
    };
}
const BY_CONTACT: &str = concat!(
    sign_in_select!(),
    "FROM contacts c JOIN accounts a ON a.id = c.account_id \
     WHERE c.channel = $2 AND c.value_index = $3 AND c.confirmed_at IS NOT NULL \
     AND c.removed_at IS NULL"
);
const BY_SNILS: &str = concat!(
    sign_in_select!(),
    "FROM accounts a WHERE a.snils_index = $2 AND a.status <> 'deleted'"
);

type SignInTuple = (
    Uuid,
    String,
    String,
    Option<String>,
    Vec<u8>,
    String,
    String,
    OffsetDateTime,
    OffsetDateTime,
    OffsetDateTime,
    i32,
    i32,
    i32,
);

/// `device_hash`: of the browser's device cookie, or empty without one.
pub async fn for_sign_in(
    db: &Db,
    login: LoginIndex<'_>,
    device_hash: &str,
) -> Result<Option<SignInAccount>> {
    let (sql, first, index) = match login {
        LoginIndex::Phone(i) => (BY_CONTACT, Some(ContactChannel::Phone), i),
        LoginIndex::Email(i) => (BY_CONTACT, Some(ContactChannel::Email), i),
        LoginIndex::Snils(i) => (BY_SNILS, None, i),
    };
    let t: Option<SignInTuple> = on_db!(db, pool => {
        let q = sqlx::query_as(sql).bind(device_hash);
        let q = match first {
            Some(channel) => q.bind(channel.as_str()),
            None => q,
        };
        q.bind(index).fetch_optional(pool).await?
    });
    t.map(|t| {
        Ok(SignInAccount {
            account: account((t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9))?,
            has_totp: t.10 != 0,
            device: crate::signin::DeviceSeen {
                known: t.11 != 0,
                any_before: t.12 != 0,
            },
        })
    })
    .transpose()
}
