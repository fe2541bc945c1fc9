//! The OpenID Connect provider's pure parts: protocol rules, tokens and
//! keys. No storage and no clock: callers pass those in (DESIGN.md's
//! layering), so every rule is tested with plain values.

pub mod assertion;
pub mod clock;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod jws;
pub mod keys;
pub mod pkce;
pub mod request;
pub mod scopes;
pub mod tokens;

pub use error::{ErrorCode, OAuthError};
pub use jws::{Compact, JwsError, KeySet, PublicKey};
pub use keys::{Alg, KeyError, SigningKey};
pub use request::Profile;

/// Trust levels as `acr` values, lowest first (core's `TrustLevel`).
pub const ACR_VALUES: [&str; 3] = [
    "urn:propusk:loa:simplified",
    "urn:propusk:loa:standard",
    "urn:propusk:loa:confirmed",
];
