//! The pure heart of Propusk: domain types, Russian identifiers and rules.
//!
//! Nothing here does I/O, reads a clock or draws randomness: callers pass those in,
//! so every rule can be tested with plain values and runs the same on every node.

pub mod account;
pub mod audit;
pub mod consent;
pub mod factor;
pub mod ident;
pub mod lang;
pub mod money;
pub mod org;
pub mod otp;
pub mod password;
pub mod retry;
pub mod rights;
pub mod signin;
pub mod time;
pub mod vault;
pub mod webhook;

pub use lang::Lang;
pub use money::Money;
