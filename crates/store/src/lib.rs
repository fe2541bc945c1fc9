//! Propusk storage: repositories over SQLite and PostgreSQL from one code base.
//!
//! Every query is one SQL text that both databases accept (`$1` placeholders,
//! `RETURNING`, no vendor functions); where they truly differ, `dialect` says how.
//! A repository function is written once and type-checked against both drivers
//! by the `on_db!`/`on_tx!` macros, so a query that one backend rejects is found
//! by the tests that run every repository on both.

#[macro_use]
mod dispatch;
pub mod accounts;
pub mod audit;
pub mod bank_links;
pub mod bulk;
pub mod codes;
pub mod consent_stats;
pub mod consents;
pub mod corrections;
mod db;
mod dialect;
pub mod entrepreneurs;
mod error;
pub mod factors;
pub mod identity;
pub mod jobs;
pub mod oauth_clients;
pub mod oauth_grants;
pub mod oauth_logout;
pub mod oauth_rate;
pub mod operators;
pub mod orgs;
pub mod outbox;
pub mod partner_apps;
pub mod seen_once;
pub mod sessions;
pub mod signin;
pub mod signing_keys;
pub mod vault_keys;
pub mod webhooks;

pub use db::{Backend, Db, DbOptions, PoolStats, Tx, WriteGate};
pub use error::StoreError;
/// For callers that rebuild a store error they carried across tasks.
pub use sqlx::Error as SqlxError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
