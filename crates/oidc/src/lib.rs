//! The OpenID Connect provider's pure parts: protocol rules, tokens and
//! keys. No storage and no clock: callers pass those in (DESIGN.md's
//! layering), so every rule is tested with plain values.

pub mod keys;

pub use keys::{Alg, KeyError, SigningKey};
