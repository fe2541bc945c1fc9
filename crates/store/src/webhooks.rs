//! Webhook endpoints and the delivery queue (migration 0021). Deliveries
//! are claimed under a lease like the outbox, so dispatchers on several
//! nodes never send the same row at once.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::db::{Db, Tx};
use crate::dialect::At;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: Uuid,
    pub client_id: String,
    pub url: String,
    /// JSON array of event types.
    pub events: String,
    /// Sealed with context `webhook_secret:<id>`.
    pub secret: Vec<u8>,
    pub previous_secret: Option<Vec<u8>>,
    pub previous_until: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

const ENDPOINT_COLUMNS: &str =
    "id, client_id, url, events, secret, previous_secret, previous_until, created_at, disabled_at";

type EndpointTuple = (
    Uuid,
    String,
    String,
    String,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<OffsetDateTime>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

fn endpoint(t: EndpointTuple) -> EndpointRow {
    EndpointRow {
        id: t.0,
        client_id: t.1,
        url: t.2,
        events: t.3,
        secret: t.4,
        previous_secret: t.5,
        previous_until: t.6,
        created_at: t.7,
        disabled_at: t.8,
    }
}

pub async fn insert_endpoint(tx: &mut Tx, e: &EndpointRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    on_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(e.id).bind(&e.client_id).bind(&e.url).bind(&e.events).bind(&e.secret)
            .bind(&e.previous_secret).bind(e.previous_until.map(At)).bind(At(e.created_at))
            .bind(e.disabled_at.map(At))
            .execute(conn).await?;
    });
    Ok(())
}

pub async fn get_endpoint(db: &Db, id: Uuid) -> Result<Option<EndpointRow>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
    let t: Option<EndpointTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(t.map(endpoint))
}

/// A client's endpoints, disabled ones too, oldest first.
pub async fn endpoints_of(db: &Db, client_id: &str) -> Result<Vec<EndpointRow>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE client_id = $1 ORDER BY created_at, id"
    );
    let t: Vec<EndpointTuple> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client_id).fetch_all(pool).await?);
    Ok(t.into_iter().map(endpoint).collect())
}

/// The same, read in the caller's transaction (for enqueuing with a change).
pub async fn live_endpoints_in(tx: &mut Tx, client_id: &str) -> Result<Vec<EndpointRow>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE client_id = $1 AND disabled_at IS NULL ORDER BY created_at, id"
    );
    let t: Vec<EndpointTuple> = on_tx!(tx, conn => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client_id).fetch_all(conn).await?);
    Ok(t.into_iter().map(endpoint).collect())
}

/// A new secret; the current one keeps signing until `previous_until`.
pub async fn rotate_secret(
    tx: &mut Tx,
    id: Uuid,
    secret: &[u8],
    previous_until: OffsetDateTime,
) -> Result<bool> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, secret = $2, previous_until = $3 \
         WHERE id = $1 AND disabled_at IS NULL")
        .bind(id).bind(secret).bind(At(previous_until)).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

pub async fn disable_endpoint(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<bool> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE webhook_endpoints SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL")
        .bind(id).bind(At(at)).execute(conn).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<OffsetDateTime>,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, payload, status, attempts, \
     next_attempt_at, created_at, last_attempt_at, last_status, last_error, delivered_at";

#[derive(sqlx::FromRow)]
struct RawDelivery {
    id: Uuid,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: OffsetDateTime,
    created_at: OffsetDateTime,
    last_attempt_at: Option<OffsetDateTime>,
    last_status: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<OffsetDateTime>,
}

impl From<RawDelivery> for DeliveryRow {
    fn from(r: RawDelivery) -> DeliveryRow {
        DeliveryRow {
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            event_type: r.event_type,
            payload: r.payload,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            last_attempt_at: r.last_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
        }
    }
}

/// Queues one event for one endpoint, in the transaction of the change
/// that caused it. A repeat of the same event changes nothing.
pub async fn enqueue(
    tx: &mut Tx,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: &str,
    payload: &str,
    at: OffsetDateTime,
) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) \
             ON CONFLICT (endpoint_id, event_id) DO NOTHING")
            .bind(Uuid::now_v7()).bind(endpoint_id).bind(event_id).bind(event_type).bind(payload).bind(At(at))
            .execute(conn).await?;
    });
    Ok(())
}

/// Claims due deliveries: each is leased until `lease_until` and counted
/// as an attempt.
pub async fn claim_due(
    db: &Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = crate::dialect::claim_due_webhooks(db.backend());
    let rows: Vec<RawDelivery> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(At(now)).bind(At(lease_until)).bind(limit).fetch_all(pool).await?);
    Ok(rows.into_iter().map(DeliveryRow::from).collect())
}

/// The outcome of one attempt: delivered, retried at `next`, or dead.
pub async fn record_attempt(
    db: &Db,
    id: Uuid,
    at: OffsetDateTime,
    status_code: Option<i32>,
    error: Option<&str>,
    delivered: bool,
    next: Option<OffsetDateTime>,
) -> Result<()> {
    let status = match (delivered, next) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "dead",
    };
    on_db!(db, pool => {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, last_attempt_at = $3, last_status = $4, last_error = $5, \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END, \
             next_attempt_at = COALESCE($6, next_attempt_at) WHERE id = $1")
            .bind(id).bind(status).bind(At(at)).bind(status_code).bind(error).bind(next.map(At))
            .execute(pool).await?;
    });
    Ok(())
}

/// Queues a delivery again (a partner asked): same event id, fresh tries.
pub async fn redeliver(db: &Db, id: Uuid, at: OffsetDateTime) -> Result<bool> {
    let n = on_db!(db, pool => sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, created_at = $2 \
         WHERE id = $1 AND status <> 'pending'")
        .bind(id).bind(At(at)).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

pub async fn get_delivery(db: &Db, id: Uuid) -> Result<Option<DeliveryRow>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
    let r: Option<RawDelivery> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?);
    Ok(r.map(DeliveryRow::from))
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries_of(db: &Db, endpoint_id: Uuid, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let r: Vec<RawDelivery> = on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(endpoint_id).bind(limit).fetch_all(pool).await?);
    Ok(r.into_iter().map(DeliveryRow::from).collect())
}

/// Consents of a client that end within `horizon` and were not announced.
pub async fn expiring_consents(
    db: &Db,
    now: OffsetDateTime,
    until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Uuid>> {
    let r: Vec<Uuid> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM consents WHERE status = 'active' AND expiring_sent_at IS NULL \
         AND valid_until > $1 AND valid_until <= $2 ORDER BY valid_until, id LIMIT $3")
        .bind(At(now)).bind(At(until)).bind(limit).fetch_all(pool).await?);
    Ok(r)
}

/// Marks the announcement, once: `false` if another node did it first.
pub async fn mark_expiring_sent(tx: &mut Tx, consent_id: Uuid, at: OffsetDateTime) -> Result<bool> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE consents SET expiring_sent_at = $2 WHERE id = $1 AND expiring_sent_at IS NULL")
        .bind(consent_id).bind(At(at)).execute(conn).await?.rows_affected());
    Ok(n == 1)
}
