//! Partners' OAuth clients (migration 0015).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub client_id: String,
    pub org_id: Uuid,
    pub name: String,
    /// `fapi2` or `oidc`.
    pub profile: String,
    /// `sandbox` or `production`.
    pub environment: String,
    /// JSON arrays.
    pub redirect_uris: String,
    pub scopes: String,
    pub ip_allow: String,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub secret_hash: Option<String>,
    pub id_token_alg: String,
    pub sector: String,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "client_id, org_id, name, profile, environment, redirect_uris, scopes, ip_allow, \
                       jwks, jwks_uri, secret_hash, id_token_alg, sector, created_at, disabled_at";

type ClientTuple = (
    String,
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

fn client(t: ClientTuple) -> ClientRow {
    ClientRow {
        client_id: t.0,
        org_id: t.1,
        name: t.2,
        profile: t.3,
        environment: t.4,
        redirect_uris: t.5,
        scopes: t.6,
        ip_allow: t.7,
        jwks: t.8,
        jwks_uri: t.9,
        secret_hash: t.10,
        id_token_alg: t.11,
        sector: t.12,
        created_at: t.13,
        disabled_at: t.14,
    }
}

pub async fn insert(tx: &mut Tx, row: &ClientRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO oauth_clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL)"
    );
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&row.client_id)
            .bind(row.org_id)
            .bind(&row.name)
            .bind(&row.profile)
            .bind(&row.environment)
            .bind(&row.redirect_uris)
            .bind(&row.scopes)
            .bind(&row.ip_allow)
            .bind(&row.jwks)
            .bind(&row.jwks_uri)
            .bind(&row.secret_hash)
            .bind(&row.id_token_alg)
            .bind(&row.sector)
            .bind(At(row.created_at))
            .execute(conn)
            .await?;
    });
    Ok(())
}

pub async fn get(db: &Db, client_id: &str) -> Result<Option<ClientRow>> {
    let sql = format!("SELECT {COLUMNS} FROM oauth_clients WHERE client_id = $1");
    let row: Option<ClientTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client_id).fetch_optional(pool).await?);
    Ok(row.map(client))
}

pub async fn of_org(db: &Db, org_id: Uuid) -> Result<Vec<ClientRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM oauth_clients WHERE org_id = $1 ORDER BY created_at, client_id"
    );
    let rows: Vec<ClientTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(client).collect())
}

/// Replaces a client's inline keys and redirect URIs.
pub async fn set_keys_and_redirects(
    tx: &mut Tx,
    client_id: &str,
    jwks: &str,
    redirect_uris: &str,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE oauth_clients SET jwks = $2, redirect_uris = $3 WHERE client_id = $1")
            .bind(client_id)
            .bind(jwks)
            .bind(redirect_uris)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// What an organization's administrator may change on a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// JSON arrays.
    pub redirect_uris: String,
    pub ip_allow: String,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
}

/// Replaces a client's redirect URIs, IP allow-list and keys if they are
/// still `before` (one conditional UPDATE): `false` if someone changed them
/// in between, so two administrators editing at once cannot silently undo
/// each other.
pub async fn set_settings(
    tx: &mut Tx,
    client_id: &str,
    before: &Settings,
    after: &Settings,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE oauth_clients SET redirect_uris = $2, ip_allow = $3, jwks = $4, jwks_uri = $5 \
             WHERE client_id = $1 AND redirect_uris = $6 AND ip_allow = $7 \
             AND COALESCE(jwks, '') = COALESCE($8, '') AND COALESCE(jwks_uri, '') = COALESCE($9, '')",
        )
        .bind(client_id)
        .bind(&after.redirect_uris)
        .bind(&after.ip_allow)
        .bind(&after.jwks)
        .bind(&after.jwks_uri)
        .bind(&before.redirect_uris)
        .bind(&before.ip_allow)
        .bind(&before.jwks)
        .bind(&before.jwks_uri)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Disables (`Some(at)`) or enables (`None`) a client; `false` if it was
/// already so.
pub async fn set_disabled(
    tx: &mut Tx,
    client_id: &str,
    at: Option<OffsetDateTime>,
) -> Result<bool> {
    let n = on_tx!(tx, conn => {
        sqlx::query(
            "UPDATE oauth_clients SET disabled_at = $2 WHERE client_id = $1 \
             AND ((disabled_at IS NULL) <> ($2 IS NULL))",
        )
        .bind(client_id)
        .bind(at.map(At))
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}
