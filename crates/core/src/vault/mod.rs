//! Personal data at rest: sealed with AES-256-GCM under a key ring that can
//! rotate, and found again by exact value through an HMAC "blind index".
//!
//! Why both: a sealed value is random each time (fresh nonce), so it cannot be
//! searched; the blind index is deterministic, so `WHERE phone_index = $1` finds
//! an account without the database ever holding the phone number in the clear.
//! The index key is separate from the data keys and does not rotate with them:
//! rotating it means recomputing every index, a planned migration.

mod keyring;

pub use keyring::{KeyId, KeyRing, VaultError};
