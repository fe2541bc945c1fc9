//! The provider's signing keys: one active key per algorithm, made at the
//! first start and replaced by `propusk keys rotate`. A replaced key stays
//! in the JWKS for a day, longer than any token it signed lives (ID and
//! access tokens ≤ 10 minutes), so that verifiers never meet a `kid` they
//! cannot find. Private keys are sealed by the vault.

use propusk_core::audit::{Actor, NewEvent};
use propusk_oidc::{Alg, SigningKey};
use propusk_store::audit;
use propusk_store::signing_keys::{self, KeyRow};
use rand_core::OsRng;
use time::Duration;

use crate::error::internal;
use crate::{Result, Services};

/// How long a retired key stays published.
pub const RETIRED_PUBLISHED: Duration = Duration::hours(24);

fn context(kid: &str) -> Vec<u8> {
    format!("signing_key:{kid}").into_bytes()
}

impl Services {
    fn new_key_row(&self, key: &SigningKey, now: time::OffsetDateTime) -> Result<KeyRow> {
        Ok(KeyRow {
            kid: key.kid().to_owned(),
            alg: key.alg().as_str().to_owned(),
            private_key: self
                .vault
                .seal(&mut OsRng, key.pkcs8(), &context(key.kid())),
            public_jwk: serde_json::to_string(key.public_jwk()).map_err(internal)?,
            created_at: now,
            retired_at: None,
            publish_until: None,
        })
    }

    /// Makes a key for every algorithm that has no active one; returns how
    /// many were made. Two nodes starting at once may both make one: both
    /// are published, and the newer signs.
    pub async fn ensure_signing_keys(&self) -> Result<usize> {
        let now = self.clock.now();
        let have = signing_keys::published(&self.db, now).await?;
        let mut made = 0;
        for alg in Alg::ALL {
            if have
                .iter()
                .any(|k| k.alg == alg.as_str() && k.retired_at.is_none())
            {
                continue;
            }
            let key = SigningKey::generate(alg).map_err(internal)?;
            let mut tx = self.db.begin().await?;
            signing_keys::insert(&mut tx, &self.new_key_row(&key, now)?).await?;
            let event = NewEvent::new(Actor::system(), "keys.created")
                .subject(format!("signing_key:{}", key.kid()))
                .details(serde_json::json!({ "alg": alg.as_str() }));
            audit::append(&mut tx, now, &event).await?;
            tx.commit().await?;
            made += 1;
        }
        Ok(made)
    }

    /// A new key for every algorithm; the old ones retire and stay
    /// published for [`RETIRED_PUBLISHED`]. Returns `(alg, kid)` of the new keys.
    pub async fn rotate_signing_keys(&self) -> Result<Vec<(Alg, String)>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        let mut tx = self.db.begin().await?;
        for alg in Alg::ALL {
            let key = SigningKey::generate(alg).map_err(internal)?;
            signing_keys::insert(&mut tx, &self.new_key_row(&key, now)?).await?;
            let retired = signing_keys::retire_others(
                &mut tx,
                alg.as_str(),
                key.kid(),
                now,
                now + RETIRED_PUBLISHED,
            )
            .await?;
            let event = NewEvent::new(Actor::system(), "keys.rotated")
                .subject(format!("signing_key:{}", key.kid()))
                .details(serde_json::json!({ "alg": alg.as_str(), "retired": retired }));
            audit::append(&mut tx, now, &event).await?;
            out.push((alg, key.kid().to_owned()));
        }
        tx.commit().await?;
        self.oauth.clear();
        Ok(out)
    }

    /// The JWKS document: every published public key, newest first.
    pub async fn jwks(&self) -> Result<serde_json::Value> {
        jwks_of(&signing_keys::published(&self.db, self.clock.now()).await?)
    }

    /// The key that signs with `alg` now: the newest active one.
    pub async fn signing_key(&self, alg: Alg) -> Result<SigningKey> {
        let rows = signing_keys::published(&self.db, self.clock.now()).await?;
        active_key(&rows, alg)
            .map(|row| self.open_signing_key(row, alg))
            .ok_or_else(|| internal(format!("no active {} key", alg.as_str())))?
    }

    /// A stored key, unsealed and parsed.
    pub(crate) fn open_signing_key(&self, row: &KeyRow, alg: Alg) -> Result<SigningKey> {
        let der = self
            .vault
            .open(&row.private_key, &context(&row.kid))
            .map_err(internal)?;
        SigningKey::from_pkcs8(alg, &der).map_err(internal)
    }
}

/// The newest unretired key of `alg` among published rows (newest first).
pub(crate) fn active_key(rows: &[KeyRow], alg: Alg) -> Option<&KeyRow> {
    rows.iter()
        .find(|k| k.alg == alg.as_str() && k.retired_at.is_none())
}

/// The JWKS document of published rows.
pub(crate) fn jwks_of(rows: &[KeyRow]) -> Result<serde_json::Value> {
    let keys = rows
        .iter()
        .map(|k| serde_json::from_str::<serde_json::Value>(&k.public_jwk).map_err(internal))
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::json!({ "keys": keys }))
}
