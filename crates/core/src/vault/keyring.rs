use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Identifies a data key inside sealed values, so old values stay readable
/// after a new key becomes current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub u16);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("sealed value is not in a format we know")]
    Format,
    #[error("sealed under key {0}, which this key ring does not have")]
    UnknownKey(KeyId),
    #[error("sealed value failed authentication: tampered, or opened with the wrong context")]
    Authentication,
    #[error("key ring, line {line}: {what}")]
    KeyText { line: usize, what: &'static str },
    #[error("key ring: {0}")]
    Incomplete(&'static str),
}

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + 2 + NONCE_LEN;

/// Data keys by id, the current one for new seals, and the blind-index key.
pub struct KeyRing {
    keys: BTreeMap<KeyId, Zeroizing<[u8; 32]>>,
    current: KeyId,
    index_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for KeyRing {
    /// Lists key ids only: key bytes never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

fn random_key(rng: &mut impl CryptoRngCore) -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(k.as_mut());
    k
}

impl KeyRing {
    /// A fresh ring: data key 1 and an index key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> KeyRing {
        let mut keys = BTreeMap::new();
        keys.insert(KeyId(1), random_key(rng));
        KeyRing {
            keys,
            current: KeyId(1),
            index_key: random_key(rng),
        }
    }

    /// Adds a new data key and makes it current; older keys stay for reading.
    pub fn rotate(&mut self, rng: &mut impl CryptoRngCore) -> KeyId {
        let next = KeyId(
            self.keys
                .keys()
                .next_back()
                .map_or(1, |k| k.0.saturating_add(1)),
        );
        self.keys.insert(next, random_key(rng));
        self.current = next;
        next
    }

    pub fn current(&self) -> KeyId {
        self.current
    }

    /// `version ‖ key id (u16 BE) ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag`.
    /// `context` is authenticated but not stored: name the column and the row
    /// (`account.profile:<id>`) so a value moved elsewhere no longer opens.
    pub fn seal(&self, rng: &mut impl CryptoRngCore, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&self.current.0.to_be_bytes());
        out.extend_from_slice(&nonce);
        // The current key is always in the map (constructors guarantee it);
        // the fallback keeps this function total without a panic path.
        let key = self.keys.get(&self.current).map_or([0u8; 32], |k| **k);
        let cipher = Aes256Gcm::new(&key.into());
        let payload = Payload {
            msg: plaintext,
            aad: &aad(context, self.current),
        };
        match cipher.encrypt(&Nonce::from(nonce), payload) {
            Ok(ct) => out.extend_from_slice(&ct),
            // AES-GCM fails only for inputs over 64 GiB, which never reach here.
            Err(_) => out.clear(),
        }
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (id, nonce, ct) = split(sealed)?;
        let key = self.keys.get(&id).ok_or(VaultError::UnknownKey(id))?;
        let cipher = Aes256Gcm::new(&(**key).into());
        cipher
            .decrypt(
                &Nonce::from(*nonce),
                Payload {
                    msg: ct,
                    aad: &aad(context, id),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Authentication)
    }

    pub fn seal_str(
        &self,
        rng: &mut impl CryptoRngCore,
        plaintext: &str,
        context: &str,
    ) -> Vec<u8> {
        self.seal(rng, plaintext.as_bytes(), context.as_bytes())
    }

    pub fn open_str(&self, sealed: &[u8], context: &str) -> Result<Zeroizing<String>, VaultError> {
        let bytes = self.open(sealed, context.as_bytes())?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Format)
    }

    /// Sealed under an older key: a background job should re-seal it.
    pub fn needs_rotation(&self, sealed: &[u8]) -> bool {
        split(sealed).is_ok_and(|(id, _, _)| id != self.current)
    }

    /// HMAC-SHA256 of a normalized value, separated by domain (`phone`,
    /// `snils`…) so equal strings of different kinds never collide.
    pub fn blind_index(&self, domain: &str, normalized: &str) -> [u8; 32] {
        // HMAC pads a short key with zeros to the block size; doing it here
        // gives the infallible fixed-size constructor the very same key.
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(self.index_key.as_ref());
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn blind_index_hex(&self, domain: &str, normalized: &str) -> String {
        hex::encode(self.blind_index(domain, normalized))
    }

    /// Short public fingerprints of every key: `("key.1", …)`, `("index", …)`.
    /// Stored in the database, they let a node with a different key ring refuse
    /// to start instead of writing data nobody else can read. SHA-256 of a
    /// random 256-bit key reveals nothing about it.
    pub fn fingerprints(&self) -> Vec<(String, String)> {
        let fp = |k: &[u8]| {
            let mut h = Sha256::new();
            h.update(b"propusk-key-fingerprint-v1");
            h.update(k);
            hex::encode(&h.finalize()[..8])
        };
        let mut out: Vec<(String, String)> = self
            .keys
            .iter()
            .map(|(id, k)| (format!("key.{id}"), fp(k.as_ref())))
            .collect();
        out.push(("index".to_owned(), fp(self.index_key.as_ref())));
        out
    }

    /// The text form kept in the key file (see [`KeyRing::parse`]).
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut s = String::from(
            "# Propusk key ring: keys for personal data at rest. Keep it secret and backed up:\n\
             # without it the encrypted data cannot be read.\n",
        );
        s.push_str(&format!("current = {}\n", self.current));
        for (id, key) in &self.keys {
            s.push_str(&format!("key.{id} = {}\n", hex::encode(key.as_ref())));
        }
        s.push_str(&format!(
            "index = {}\n",
            hex::encode(self.index_key.as_ref())
        ));
        Zeroizing::new(s)
    }

    /// Reads `current = N`, `key.N = <64 hex>` (one or more) and `index = <64 hex>`
    /// lines; `#` starts a comment.
    pub fn parse(text: &str) -> Result<KeyRing, VaultError> {
        let mut keys = BTreeMap::new();
        let mut current = None;
        let mut index_key = None;
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (name, value) = l.split_once('=').ok_or(VaultError::KeyText {
                line,
                what: "expected name = value",
            })?;
            let (name, value) = (name.trim(), value.trim());
            if name == "current" {
                current = Some(KeyId(value.parse().map_err(|_| VaultError::KeyText {
                    line,
                    what: "current: not a key number",
                })?));
            } else if name == "index" {
                index_key = Some(key_bytes(value, line)?);
            } else if let Some(id) = name.strip_prefix("key.") {
                let id = KeyId(id.parse().map_err(|_| VaultError::KeyText {
                    line,
                    what: "key.N: N must be a number",
                })?);
                if keys.insert(id, key_bytes(value, line)?).is_some() {
                    return Err(VaultError::KeyText {
                        line,
                        what: "key defined twice",
                    });
                }
            } else {
                return Err(VaultError::KeyText {
                    line,
                    what: "unknown setting",
                });
            }
        }
        let current = current.ok_or(VaultError::Incomplete("no `current = N` line"))?;
        if !keys.contains_key(&current) {
            return Err(VaultError::Incomplete("the current key is not defined"));
        }
        let index_key = index_key.ok_or(VaultError::Incomplete("no `index = …` line"))?;
        Ok(KeyRing {
            keys,
            current,
            index_key,
        })
    }
}

fn key_bytes(hex_value: &str, line: usize) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut k = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_value, k.as_mut()).map_err(|_| VaultError::KeyText {
        line,
        what: "expected 64 hex digits",
    })?;
    Ok(k)
}

/// The key id is authenticated too, so a header edited to name another key fails.
fn aad(context: &[u8], id: KeyId) -> Vec<u8> {
    let mut a = Vec::with_capacity(context.len() + 3);
    a.push(VERSION);
    a.extend_from_slice(&id.0.to_be_bytes());
    a.extend_from_slice(context);
    a
}

fn split(sealed: &[u8]) -> Result<(KeyId, &[u8; NONCE_LEN], &[u8]), VaultError> {
    if sealed.len() < HEADER_LEN + 16 || sealed[0] != VERSION {
        return Err(VaultError::Format);
    }
    let id = KeyId(u16::from_be_bytes([sealed[1], sealed[2]]));
    let nonce =
        <&[u8; NONCE_LEN]>::try_from(&sealed[3..HEADER_LEN]).map_err(|_| VaultError::Format)?;
    Ok((id, nonce, &sealed[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_core::OsRng;

    #[test]
    fn seal_and_open() {
        let ring = KeyRing::generate(&mut OsRng);
        let sealed = ring.seal_str(&mut OsRng, "112-233-445 95", "account.snils:1");
        assert_eq!(
            ring.open_str(&sealed, "account.snils:1").unwrap().as_str(),
            "112-233-445 95"
        );
        assert_ne!(
            sealed,
            ring.seal_str(&mut OsRng, "112-233-445 95", "account.snils:1"),
            "fresh nonce each time"
        );
        assert!(
            !sealed.windows(11).any(|w| w == b"112-233-445"),
            "no plaintext inside"
        );
    }

    #[test]
    fn wrong_context_and_any_flipped_byte_fail() {
        let ring = KeyRing::generate(&mut OsRng);
        let sealed = ring.seal(&mut OsRng, b"Ivanov", b"account.profile:1");
        assert_eq!(
            ring.open(&sealed, b"account.profile:2").unwrap_err(),
            VaultError::Authentication
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(ring.open(&bad, b"account.profile:1").is_err(), "byte {i}");
        }
        assert_eq!(
            ring.open(&sealed[..10], b"x").unwrap_err(),
            VaultError::Format
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let mut ring = KeyRing::generate(&mut OsRng);
        let old = ring.seal(&mut OsRng, b"data", b"c");
        let k2 = ring.rotate(&mut OsRng);
        assert_eq!(k2, KeyId(2));
        assert_eq!(ring.open(&old, b"c").unwrap().as_slice(), b"data");
        assert!(ring.needs_rotation(&old));
        let new = ring.seal(&mut OsRng, b"data", b"c");
        assert!(!ring.needs_rotation(&new));
        assert_eq!(u16::from_be_bytes([new[1], new[2]]), 2);
        // A ring that lost key 1 says which key it lacks.
        let text = ring.to_text();
        let without_1: String = text
            .lines()
            .filter(|l| !l.starts_with("key.1 "))
            .map(|l| format!("{l}\n"))
            .collect();
        let partial = KeyRing::parse(&without_1).unwrap();
        assert_eq!(
            partial.open(&old, b"c").unwrap_err(),
            VaultError::UnknownKey(KeyId(1))
        );
    }

    #[test]
    fn blind_index_is_standard_hmac_sha256() {
        let ring = KeyRing::parse(&format!(
            "current = 1\nkey.1 = {k}\nindex = {k}\n",
            k = "11".repeat(32)
        ))
        .unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[0x11; 32]).unwrap();
        mac.update(b"phone\0+79161234567");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(ring.blind_index("phone", "+79161234567"), expected);
    }

    #[test]
    fn blind_index_is_deterministic_and_separated() {
        let ring = KeyRing::generate(&mut OsRng);
        let a = ring.blind_index("phone", "+79161234567");
        assert_eq!(a, ring.blind_index("phone", "+79161234567"));
        assert_ne!(a, ring.blind_index("email", "+79161234567"));
        assert_ne!(
            a,
            KeyRing::generate(&mut OsRng).blind_index("phone", "+79161234567")
        );
        assert_eq!(ring.blind_index_hex("phone", "+79161234567").len(), 64);
    }

    #[test]
    fn key_text_round_trips_and_rejects_garbage() {
        let mut ring = KeyRing::generate(&mut OsRng);
        ring.rotate(&mut OsRng);
        let sealed = ring.seal(&mut OsRng, b"x", b"c");
        let again = KeyRing::parse(&ring.to_text()).unwrap();
        assert_eq!(again.open(&sealed, b"c").unwrap().as_slice(), b"x");
        assert_eq!(again.blind_index("d", "v"), ring.blind_index("d", "v"));
        for (text, line) in [
            ("current = 1\nkey.1 = zz\n", 2),
            ("nonsense\n", 1),
            ("colour = blue\n", 1),
        ] {
            match KeyRing::parse(text) {
                Err(VaultError::KeyText { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            KeyRing::parse("current = 2\n"),
            Err(VaultError::Incomplete(_))
        ));
    }

    #[test]
    fn fingerprints_name_every_key_and_differ() {
        let mut ring = KeyRing::generate(&mut OsRng);
        ring.rotate(&mut OsRng);
        let fps = ring.fingerprints();
        let names: Vec<&str> = fps.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["key.1", "key.2", "index"]);
        assert_eq!(fps, KeyRing::parse(&ring.to_text()).unwrap().fingerprints());
        assert_ne!(fps, KeyRing::generate(&mut OsRng).fingerprints());
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let ring = KeyRing::generate(&mut OsRng);
        let text = ring.to_text();
        let key_hex = text
            .lines()
            .find(|l| l.starts_with("key.1"))
            .unwrap()
            .split('=')
            .nth(1)
            .unwrap()
            .trim()
            .to_owned();
        let debug = format!("{ring:?}");
        assert!(!debug.contains(&key_hex[..16]), "{debug}");
    }

    proptest! {
        #[test]
        fn round_trip_and_no_panics(data in proptest::collection::vec(any::<u8>(), 0..512), ctx in any::<String>(), junk in proptest::collection::vec(any::<u8>(), 0..64)) {
            let ring = KeyRing::generate(&mut OsRng);
            let sealed = ring.seal(&mut OsRng, &data, ctx.as_bytes());
            let opened = ring.open(&sealed, ctx.as_bytes()).unwrap();
            prop_assert_eq!(opened.as_slice(), data.as_slice());
            let _ = ring.open(&junk, ctx.as_bytes());
            let _ = ring.needs_rotation(&junk);
            let _ = KeyRing::parse(&String::from_utf8_lossy(&junk));
        }
    }
}
