//! Propusk over HTTP: the citizen's pages, the REST API v1, and the middleware
//! every response passes through.
//!
//! Handlers are thin: they take typed input from extractors, call one function of
//! a lower layer, and return a page or JSON. Errors of every kind become a
//! `WebError`, which is turned into an HTML page or an RFC 9457 problem document
//! in exactly one place (`error::render`).

mod admin_access;
mod api;
mod assets;
mod cookies;
mod csrf;
mod error;
mod health;
mod i18n;
mod jwks;
mod keys;
mod metrics;
mod middleware;
mod oauth;
mod org_access;
mod pages;
mod server;
mod session;
mod settings;
mod state;

pub use api::validate::ValidateResponse;
pub use error::{FieldError, WebError};
pub use i18n::Tr;
pub use keys::KeyError;
pub use server::{
    Running, StartError, build_router, create_client, create_operator, disable_operator,
    open_database, reset_operator, rotate_keys, seed_scale, start, verify_consent_receipt,
};
pub use settings::{Settings, SettingsError, parse_public_url};
pub use state::AppState;

/// The translation catalogue, exposed for the completeness test and the CLI.
pub fn translation_keys(lang: propusk_core::Lang) -> Vec<String> {
    i18n::keys(lang)
}
