//! Passwords: the policy a new password must meet, and argon2id hashing.
//!
//! Both are pure: hashing takes its randomness from the caller, and the caller
//! runs it off the async threads (it costs tens of milliseconds by design).

mod hash;
mod policy;

pub use hash::{HashParams, Hasher, PasswordError, Verified, Workspace};
pub use policy::{PersonalData, Problem, check};
