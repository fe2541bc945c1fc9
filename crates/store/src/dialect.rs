//! Where SQLite and PostgreSQL differ, and how we bridge it. Keep this small: a
//! difference that grows here is a sign the query should be written another way.
//!
//! - Placeholders: both accept `$1`, so queries use that form everywhere.
//! - Write transactions: SQLite's default `BEGIN` is deferred; a reader that later
//!   writes can fail with `SQLITE_BUSY` without waiting. We open write transactions
//!   with `BEGIN IMMEDIATE`, which takes the write lock up front and honours the busy
//!   timeout. PostgreSQL uses a plain `BEGIN` and row locks.
//! - Row locks: `SELECT … FOR UPDATE` does not exist in SQLite. Queries that need to
//!   serialize on a row do it with an `UPDATE … RETURNING` first, which locks the
//!   row in PostgreSQL and takes the (already held) write lock in SQLite.
//! - Types: UUIDs are `UUID` / `BLOB`; instants `TIMESTAMPTZ` / RFC 3339 `TEXT`
//!   with six fractional digits, bound through [`At`] so that SQLite's text
//!   compares like time; JSON we hash is kept as `TEXT` on both, byte for byte.
//! - Work queues: the outbox is claimed with one `UPDATE … WHERE id IN (SELECT …)`;
//!   PostgreSQL adds `FOR UPDATE SKIP LOCKED` so dispatchers on several nodes skip
//!   each other's rows, SQLite needs nothing (one writer at a time).
//! - Migrations: `migrations/postgres` and `migrations/sqlite`, same numbers and names.

pub(crate) const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Claiming due outbox messages. PostgreSQL skips rows another dispatcher
/// has locked; SQLite has one writer at a time, so the plain form is
/// already exclusive.
pub(crate) fn claim_due_outbox(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Postgres => {
            "UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, channel, recipient, content, created_at, status, attempts"
        }
        crate::Backend::Sqlite => {
            "UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3) \
             RETURNING id, channel, recipient, content, created_at, status, attempts"
        }
    }
}

/// Claiming due identity checks, the same way as the outbox.
pub(crate) fn claim_due_identity(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Postgres => {
            "UPDATE identity_checks SET next_try_at = $2, attempts = attempts + 1 \
             WHERE account_id IN (SELECT account_id FROM identity_checks WHERE state = 'pending' AND next_try_at <= $1 \
                                  ORDER BY next_try_at, account_id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING account_id, generation, attempts"
        }
        crate::Backend::Sqlite => {
            "UPDATE identity_checks SET next_try_at = $2, attempts = attempts + 1 \
             WHERE account_id IN (SELECT account_id FROM identity_checks WHERE state = 'pending' AND next_try_at <= $1 \
                                  ORDER BY next_try_at, account_id LIMIT $3) \
             RETURNING account_id, generation, attempts"
        }
    }
}

/// Claiming due webhook deliveries, the same way as the outbox.
pub(crate) fn claim_due_webhooks(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Postgres => {
            "UPDATE webhook_deliveries SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, \
                       created_at, last_attempt_at, last_status, last_error, delivered_at"
        }
        crate::Backend::Sqlite => {
            "UPDATE webhook_deliveries SET next_attempt_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3) \
             RETURNING id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, \
                       created_at, last_attempt_at, last_status, last_error, delivered_at"
        }
    }
}

/// An instant bound to a query: `.bind(At(t))`, never `.bind(t)`.
///
/// PostgreSQL gets `TIMESTAMPTZ` as sqlx encodes it. SQLite gets RFC 3339 text
/// in UTC with exactly six fractional digits (`core::time::canonical`), so
/// that text order is time order and `<`/`>` in SQL compare instants. sqlx's
/// own text trims trailing zeros, and then `…:00.12Z` sorts after
/// `…:00.123Z` and `…:00Z` after `…:00.5Z`. Reading accepts both forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(pub time::OffsetDateTime);

impl sqlx::Type<sqlx::Sqlite> for At {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <time::OffsetDateTime as sqlx::Type<sqlx::Sqlite>>::type_info()
    }
}

impl sqlx::Encode<'_, sqlx::Sqlite> for At {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::sqlite::SqliteArgumentsBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        sqlx::Encode::<sqlx::Sqlite>::encode(propusk_core::time::canonical(self.0), buf)
    }
}

impl sqlx::Type<sqlx::Postgres> for At {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <time::OffsetDateTime as sqlx::Type<sqlx::Postgres>>::type_info()
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for At {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        sqlx::Encode::<sqlx::Postgres>::encode_by_ref(&self.0, buf)
    }
}

#[cfg(test)]
mod tests {

    use time::macros::datetime;

    #[test]
    fn sqlite_text_sorts_like_time() {
        let instants = [
            datetime!(2026-11-24 12:00:00 UTC),
            datetime!(2026-11-24 12:00:00.12 UTC),
            datetime!(2026-11-24 12:00:00.123 UTC),
            datetime!(2026-11-24 12:00:00.5 UTC),
            datetime!(2026-11-24 12:00:01 UTC),
        ];
        let texts: Vec<String> = instants
            .iter()
            .map(|t| propusk_core::time::canonical(*t))
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
    }
}
