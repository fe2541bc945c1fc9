//! Consents for organizations (`../shared/CONSENT.md`): the catalogues of
//! data categories and purposes, what a request may ask, the states a
//! consent goes through, whether a read is allowed, and the signed record.
//! Everything here is pure; `service::consents` stores and enforces it.

pub mod catalogue;
pub mod rar;
pub mod read;
pub mod record;
pub mod state;
pub mod terms;

pub use catalogue::{Category, Purpose, Source};
pub use state::{Action, By, Status};
pub use terms::{Mode, Per, Terms};
