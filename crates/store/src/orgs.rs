//! Organizations, their members, invitations and session contexts
//! (migration 0013).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub id: Uuid,
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub name: String,
    /// The ЕГРЮЛ extract, sealed with context `organization:<id>`.
    pub extract: Vec<u8>,
    pub head_account_id: Uuid,
    pub fetched_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

type OrgTuple = (
    Uuid,
    String,
    String,
    String,
    String,
    Vec<u8>,
    Uuid,
    OffsetDateTime,
    OffsetDateTime,
);

fn org(t: OrgTuple) -> OrgRow {
    OrgRow {
        id: t.0,
        ogrn: t.1,
        inn: t.2,
        kpp: t.3,
        name: t.4,
        extract: t.5,
        head_account_id: t.6,
        fetched_at: t.7,
        created_at: t.8,
    }
}

/// `Conflict` if the OGRN is registered already.
pub async fn insert(tx: &mut Tx, row: &OrgRow) -> Result<()> {
    const SQL: &str = "INSERT INTO organizations (id, ogrn, inn, kpp, name, extract, head_account_id, fetched_at, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id)
            .bind(&row.ogrn)
            .bind(&row.inn)
            .bind(&row.kpp)
            .bind(&row.name)
            .bind(&row.extract)
            .bind(row.head_account_id)
            .bind(At(row.fetched_at))
            .bind(At(row.created_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<OrgRow>> {
    const SQL: &str = "SELECT id, ogrn, inn, kpp, name, extract, head_account_id, fetched_at, created_at \
                       FROM organizations WHERE id = $1";
    let row: Option<OrgTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await?);
    Ok(row.map(org))
}

pub async fn by_ogrn(db: &Db, ogrn: &str) -> Result<Option<OrgRow>> {
    const SQL: &str = "SELECT id, ogrn, inn, kpp, name, extract, head_account_id, fetched_at, created_at \
                       FROM organizations WHERE ogrn = $1";
    let row: Option<OrgTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(ogrn).fetch_optional(pool).await?);
    Ok(row.map(org))
}

/// A fresh extract from ЕГРЮЛ (the name or KPP may have changed).
pub async fn refresh(
    tx: &mut Tx,
    id: Uuid,
    kpp: &str,
    name: &str,
    extract: &[u8],
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE organizations SET kpp = $2, name = $3, extract = $4, fetched_at = $5 WHERE id = $1")
            .bind(id)
            .bind(kpp)
            .bind(name)
            .bind(extract)
            .bind(At(at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub org_id: Uuid,
    pub account_id: Uuid,
    pub role: String,
    pub added_by: Uuid,
    pub added_at: OffsetDateTime,
}

type MemberTuple = (Uuid, Uuid, String, Uuid, OffsetDateTime);

fn member_row(t: MemberTuple) -> MemberRow {
    MemberRow {
        org_id: t.0,
        account_id: t.1,
        role: t.2,
        added_by: t.3,
        added_at: t.4,
    }
}

pub async fn add_member(tx: &mut Tx, row: &MemberRow) -> Result<()> {
    const SQL: &str = "INSERT INTO org_members (org_id, account_id, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.org_id)
            .bind(row.account_id)
            .bind(&row.role)
            .bind(row.added_by)
            .bind(At(row.added_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// `true` if the member was there.
pub async fn set_role(tx: &mut Tx, org_id: Uuid, account_id: Uuid, role: &str) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE org_members SET role = $3 WHERE org_id = $1 AND account_id = $2")
            .bind(org_id)
            .bind(account_id)
            .bind(role)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Removes the member and ends their sessions' acting for the organization.
pub async fn remove_member(tx: &mut Tx, org_id: Uuid, account_id: Uuid) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        let n = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND account_id = $2")
            .bind(org_id)
            .bind(account_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM session_contexts WHERE org_id = $1 AND session_id IN (SELECT id FROM sessions WHERE account_id = $2)")
            .bind(org_id)
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        n
    });
    Ok(n == 1)
}

pub async fn member(db: &Db, org_id: Uuid, account_id: Uuid) -> Result<Option<MemberRow>> {
    const SQL: &str = "SELECT org_id, account_id, role, added_by, added_at FROM org_members WHERE org_id = $1 AND account_id = $2";
    let row: Option<MemberTuple> = on_db!(db, pool => {
        sqlx::query_as(SQL).bind(org_id).bind(account_id).fetch_optional(pool).await?
    });
    Ok(row.map(member_row))
}

pub async fn members(db: &Db, org_id: Uuid) -> Result<Vec<MemberRow>> {
    const SQL: &str = "SELECT org_id, account_id, role, added_by, added_at FROM org_members WHERE org_id = $1 ORDER BY added_at, account_id";
    let rows: Vec<MemberTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(org_id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(member_row).collect())
}

/// The organizations an account belongs to: (organization, role).
pub async fn of_account(db: &Db, account_id: Uuid) -> Result<Vec<(OrgRow, String)>> {
    const SQL: &str = "SELECT o.id, o.ogrn, o.inn, o.kpp, o.name, o.extract, o.head_account_id, o.fetched_at, o.created_at, m.role \
                       FROM org_members m JOIN organizations o ON o.id = m.org_id \
                       WHERE m.account_id = $1 ORDER BY o.name, o.id";
    type T = (
        Uuid,
        String,
        String,
        String,
        String,
        Vec<u8>,
        Uuid,
        OffsetDateTime,
        OffsetDateTime,
        String,
    );
    let rows: Vec<T> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(account_id).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|t| (org((t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8)), t.9))
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `phone`, `email` or `snils`.
    pub channel: String,
    pub target_index: String,
    pub target_hint: String,
    pub role: String,
    /// `open`, `accepted`, `declined`, `revoked`.
    pub state: String,
    pub invited_by: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<Uuid>,
}

type InvitationTuple = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    String,
    Uuid,
    OffsetDateTime,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<Uuid>,
);

fn invitation(t: InvitationTuple) -> InvitationRow {
    InvitationRow {
        id: t.0,
        org_id: t.1,
        channel: t.2,
        target_index: t.3,
        target_hint: t.4,
        role: t.5,
        state: t.6,
        invited_by: t.7,
        created_at: t.8,
        expires_at: t.9,
        decided_at: t.10,
        decided_by: t.11,
    }
}

pub async fn invite(tx: &mut Tx, row: &InvitationRow) -> Result<()> {
    const SQL: &str = "INSERT INTO org_invitations (id, org_id, channel, target_index, target_hint, role, state, invited_by, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)";
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id)
            .bind(row.org_id)
            .bind(&row.channel)
            .bind(&row.target_index)
            .bind(&row.target_hint)
            .bind(&row.role)
            .bind(row.invited_by)
            .bind(At(row.created_at))
            .bind(At(row.expires_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The organization's invitations, newest first.
pub async fn invitations_of(db: &Db, org_id: Uuid) -> Result<Vec<InvitationRow>> {
    const SQL: &str = "SELECT id, org_id, channel, target_index, target_hint, role, state, invited_by, created_at, expires_at, decided_at, decided_by \
                       FROM org_invitations WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100";
    let rows: Vec<InvitationTuple> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(org_id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(invitation).collect())
}

/// Open, unexpired invitations addressed to `target_index`.
pub async fn open_for(
    db: &Db,
    target_index: &str,
    now: OffsetDateTime,
) -> Result<Vec<InvitationRow>> {
    const SQL: &str = "SELECT id, org_id, channel, target_index, target_hint, role, state, invited_by, created_at, expires_at, decided_at, decided_by \
                       FROM org_invitations WHERE target_index = $1 AND state = 'open' AND expires_at > $2 ORDER BY created_at";
    let rows: Vec<InvitationTuple> = on_db!(db, pool => {
        sqlx::query_as(SQL).bind(target_index).bind(At(now)).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(invitation).collect())
}

pub async fn invitation_in(tx: &mut Tx, id: Uuid) -> Result<Option<InvitationRow>> {
    const SQL: &str = "SELECT id, org_id, channel, target_index, target_hint, role, state, invited_by, created_at, expires_at, decided_at, decided_by \
                       FROM org_invitations WHERE id = $1";
    let row: Option<InvitationTuple> =
        on_tx!(tx, conn => sqlx::query_as(SQL).bind(id).fetch_optional(conn).await?);
    Ok(row.map(invitation))
}

/// Moves an open invitation to `state`; `false` if it was not open.
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    state: &str,
    by: Uuid,
    at: OffsetDateTime,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query("UPDATE org_invitations SET state = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND state = 'open'")
            .bind(id)
            .bind(state)
            .bind(by)
            .bind(At(at))
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(n == 1)
}

/// Which organization the session acts for, if any.
pub async fn context_of(db: &Db, session_id: Uuid) -> Result<Option<Uuid>> {
    let org: Option<Uuid> = on_db!(db, pool => {
        sqlx::query_scalar("SELECT org_id FROM session_contexts WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(org)
}

/// Sets (or with `None` clears) the session's organization.
pub async fn set_context(
    tx: &mut Tx,
    session_id: Uuid,
    org_id: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        match org_id {
            Some(org) => {
                sqlx::query("INSERT INTO session_contexts (session_id, org_id, set_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (session_id) DO UPDATE SET org_id = excluded.org_id, set_at = excluded.set_at")
                    .bind(session_id)
                    .bind(org)
                    .bind(At(at))
                    .execute(conn)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM session_contexts WHERE session_id = $1")
                    .bind(session_id)
                    .execute(conn)
                    .await?;
            }
        }
    });
    Ok(())
}
