//! argon2id password hashes in the PHC string format
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which records its own
//! parameters: a hash made under older parameters still verifies, and
//! [`Verified::needs_rehash`] says when to replace it after a sign-in.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Working memory for argon2, kept from one computation to the next.
///
/// The crate's own entry points allocate the whole memory cost (19 MiB) per
/// call; in the server that is a fresh mapping each time, and the page faults
/// and zeroing cost about a fifth of a sign-in's CPU. A caller that hashes
/// repeatedly holds one of these per worker instead, which also bounds the
/// memory that concurrent sign-ins can take to workers × memory cost.
#[derive(Default)]
pub struct Workspace {
    blocks: Vec<Block>,
}

impl Workspace {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            self.blocks.resize(count, Block::default());
        }
        &mut self.blocks[..count]
    }
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workspace({} blocks)", self.blocks.len())
    }
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

    /// A new PHC string for `password` under the current parameters.
    pub fn hash(
        &self,
        password: &str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<String, PasswordError> {
        self.hash_in(password, rng, &mut Workspace::default())
    }

    /// [`Hasher::hash`] in a caller's [`Workspace`].
    pub fn hash_in(
        &self,
        password: &str,
        rng: &mut impl CryptoRngCore,
        ws: &mut Workspace,
    ) -> Result<String, PasswordError> {
        let hashing = |e: argon2::password_hash::Error| PasswordError::Hashing(e.to_string());
        let salt = SaltString::generate(rng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hashing)?;
        let params = self.argon.params();
        let blocks = ws.blocks(params.block_count());
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            self.argon
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks)
                .map_err(Into::into)
        })
        .map_err(hashing)?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(hashing)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Checks `password` against `stored`; `None` (no such account) checks it
    /// against the dummy hash and always fails, in the same time.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified, PasswordError> {
        self.verify_in(password, stored, &mut Workspace::default())
    }

    /// [`Hasher::verify`] in a caller's [`Workspace`].
    pub fn verify_in(
        &self,
        password: &str,
        stored: Option<&str>,
        ws: &mut Workspace,
    ) -> Result<Verified, PasswordError> {
        let Some(stored) = stored else {
            let dummy = PasswordHash::new(&self.dummy).map_err(|_| PasswordError::BadHash)?;
            let _ = verify_phc(password, &dummy, ws)?;
            return Ok(Verified {
                ok: false,
                needs_rehash: false,
            });
        };
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::BadHash)?;
        let ok = verify_phc(password, &parsed, ws)?;
        Ok(Verified {
            ok,
            needs_rehash: ok && !self.is_current(&parsed),
        })
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

/// Recomputes a PHC hash with the algorithm, version and parameters it names
/// (so hashes made under older settings still verify) and compares the
/// outputs in constant time (`Output`'s equality).
fn verify_phc(
    password: &str,
    parsed: &PasswordHash<'_>,
    ws: &mut Workspace,
) -> Result<bool, PasswordError> {
    fn bad<E>(_: E) -> PasswordError {
        PasswordError::BadHash
    }
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(bad)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(bad)?,
        None => Version::default(),
    };
    let params = Params::try_from(parsed).map_err(bad)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::BadHash);
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(bad)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let blocks = ws.blocks(params.block_count());
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks)
            .map_err(Into::into)
    })
    .map_err(bad)?;
    Ok(computed == expected)
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
    fn one_workspace_serves_hashes_of_any_parameters_and_agrees_with_the_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let h = hasher();
        let mut ws = Workspace::default();
        // Made by the crate under other parameters and algorithms: still verify here.
        for (alg, version, m, t) in [
            (Algorithm::Argon2id, Version::V0x13, 24 * 1024, 2),
            (Algorithm::Argon2id, Version::V0x13, 8 * 1024, 3),
            (Algorithm::Argon2i, Version::V0x10, 4 * 1024, 3),
        ] {
            let argon = Argon2::new(alg, version, Params::new(m, t, 1, None).unwrap());
            let salt = SaltString::generate(&mut OsRng);
            let stored = argon
                .hash_password(b"Lilac-Harbour-71", &salt)
                .unwrap()
                .to_string();
            let v = h
                .verify_in("Lilac-Harbour-71", Some(&stored), &mut ws)
                .unwrap();
            assert!(v.ok && v.needs_rehash, "{stored}");
            assert!(
                !h.verify_in("Lilac-Harbour-7", Some(&stored), &mut ws)
                    .unwrap()
                    .ok
            );
        }
        // Made here in the same (now larger) workspace: the crate agrees.
        let stored = h.hash_in("Lilac-Harbour-71", &mut OsRng, &mut ws).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Lilac-Harbour-71", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"lilac-harbour-71", &parsed)
                .is_err()
        );
        assert_eq!(
            h.verify_in("Lilac-Harbour-71", Some(&stored), &mut ws),
            Ok(Verified {
                ok: true,
                needs_rehash: false
            })
        );
    }

    #[test]
    fn broken_hashes_are_reported_not_accepted() {
        let h = hasher();
        let mut ws = Workspace::default();
        let good = h.hash("Lilac-Harbour-71", &mut OsRng).unwrap();
        for stored in [
            "",
            "plain text",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            &good.replace("v=19", "v=7"),
        ] {
            assert_eq!(
                h.verify_in("Lilac-Harbour-71", Some(stored), &mut ws),
                Err(PasswordError::BadHash),
                "{stored}"
            );
        }
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
