//! argon2id password hashes in the PHC string format
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which records its own
//! parameters: a hash made under older parameters still verifies, and
//! [`Verified::needs_rehash`] says when to replace it after a sign-in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::CryptoRngCore;

/// Cost parameters. The floor is OWASP's for argon2id: 19 MiB, 2 passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl HashParams {
    pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
    pub const MIN_PASSES: u32 = 2;
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            memory_kib: Self::MIN_MEMORY_KIB,
            passes: Self::MIN_PASSES,
            lanes: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2 parameters below the floor (19 MiB, 2 passes) or invalid: {0}")]
    Params(String),
    #[error("stored password hash is not a PHC string we understand")]
    BadHash,
    #[error("hashing failed: {0}")]
    Hashing(String),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash was made with other parameters (or algorithm): store a new one.
    pub needs_rehash: bool,
}

/// Hashes and verifies with fixed parameters. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: HashParams,
    argon: Argon2<'static>,
    /// A real hash of a random password, verified against when an account does
    /// not exist, so that "no such account" takes as long as "wrong password".
    dummy: String,
}

impl Hasher {
    pub fn new(params: HashParams, rng: &mut impl CryptoRngCore) -> Result<Hasher, PasswordError> {
        if params.memory_kib < HashParams::MIN_MEMORY_KIB || params.passes < HashParams::MIN_PASSES
        {
            return Err(PasswordError::Params(format!("{params:?}")));
        }
        let p = Params::new(params.memory_kib, params.passes, params.lanes, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let mut hasher = Hasher {
            params,
            argon,
            dummy: String::new(),
        };
        let mut secret = [0u8; 24];
        rng.fill_bytes(&mut secret);
        hasher.dummy = hasher.hash(&hex::encode(secret), rng)?;
        Ok(hasher)
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    pub fn hash(
        &self,
        password: &str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<String, PasswordError> {
        let salt = SaltString::generate(rng);
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Checks `password` against `stored`; `None` (no such account) checks it
    /// against the dummy hash and always fails, in the same time.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified, PasswordError> {
        let Some(stored) = stored else {
            let _ = self.verify_phc(password, &self.dummy)?;
            return Ok(Verified {
                ok: false,
                needs_rehash: false,
            });
        };
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::BadHash)?;
        let ok = self.verify_phc(password, stored)?;
        Ok(Verified {
            ok,
            needs_rehash: ok && !self.is_current(&parsed),
        })
    }

    fn verify_phc(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::BadHash)?;
        // The stored string names its own algorithm and parameters; verify with them.
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(_) => Err(PasswordError::BadHash),
        }
    }

    fn is_current(&self, parsed: &PasswordHash<'_>) -> bool {
        let Ok(p) = Params::try_from(parsed) else {
            return false;
        };
        parsed.algorithm == argon2::ARGON2ID_IDENT
            && parsed.version == Some(Version::V0x13.into())
            && p.m_cost() == self.params.memory_kib
            && p.t_cost() == self.params.passes
            && p.p_cost() == self.params.lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    fn hasher() -> Hasher {
        Hasher::new(HashParams::default(), &mut OsRng).unwrap()
    }

    #[test]
    fn hash_and_verify() {
        let h = hasher();
        let stored = h.hash("Lilac-Harbour-71", &mut OsRng).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            h.verify("Lilac-Harbour-71", Some(&stored)),
            Ok(Verified {
                ok: true,
                needs_rehash: false
            })
        );
        assert_eq!(
            h.verify("lilac-harbour-71", Some(&stored)).map(|v| v.ok),
            Ok(false)
        );
        assert_ne!(
            stored,
            h.hash("Lilac-Harbour-71", &mut OsRng).unwrap(),
            "salted"
        );
    }

    #[test]
    fn unknown_accounts_never_verify() {
        let h = hasher();
        assert_eq!(
            h.verify("anything", None),
            Ok(Verified {
                ok: false,
                needs_rehash: false
            })
        );
    }

    #[test]
    fn old_parameters_verify_and_ask_for_a_rehash() {
        let old = Hasher::new(
            HashParams {
                memory_kib: 19 * 1024,
                passes: 2,
                lanes: 1,
            },
            &mut OsRng,
        )
        .unwrap();
        let stored = old.hash("Lilac-Harbour-71", &mut OsRng).unwrap();
        let new = Hasher::new(
            HashParams {
                memory_kib: 20 * 1024,
                passes: 3,
                lanes: 1,
            },
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(
            new.verify("Lilac-Harbour-71", Some(&stored)),
            Ok(Verified {
                ok: true,
                needs_rehash: true
            })
        );
        // A wrong password never asks for a rehash.
        assert_eq!(
            new.verify("nope", Some(&stored)),
            Ok(Verified {
                ok: false,
                needs_rehash: false
            })
        );
    }

    #[test]
    fn weak_parameters_and_garbage_hashes_are_refused() {
        assert!(
            Hasher::new(
                HashParams {
                    memory_kib: 4096,
                    passes: 2,
                    lanes: 1
                },
                &mut OsRng
            )
            .is_err()
        );
        assert!(
            Hasher::new(
                HashParams {
                    memory_kib: 19 * 1024,
                    passes: 1,
                    lanes: 1
                },
                &mut OsRng
            )
            .is_err()
        );
        assert_eq!(
            hasher().verify("x", Some("not a hash")),
            Err(PasswordError::BadHash)
        );
    }
}
