use std::sync::Arc;

use propusk_core::vault::KeyRing;
use propusk_store::Db;

use crate::settings::Settings;

/// What every handler can reach. Cloned per request: keep it a handful of `Arc`s.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The URL people reach us at, fixed once the listener is bound.
    pub public_base: Arc<str>,
    /// Seals and indexes personal data.
    pub vault: Arc<KeyRing>,
    /// The use cases handlers call. Behind an `Arc`: `Services` is a
    /// dozen `Arc`s itself, and axum clones the state for every request.
    pub services: Arc<propusk_service::Services>,
}
