//! A confirmed person's sole proprietorship (ИП): the OGRNIP is looked up in
//! ЕГРИП, and it must be the person's own (its INN is the one in their
//! profile) and still active. Every refusal is a message next to the field.

use propusk_core::Lang;
use propusk_core::account::TrustLevel;
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::ident::Ogrnip;
use propusk_registries::wire::EgripExtract;
use propusk_store::entrepreneurs::{self, EntrepreneurRow};
use propusk_store::{StoreError, accounts, audit};
use rand_core::OsRng;
use uuid::Uuid;

use crate::error::internal;
use crate::sessions::Current;
use crate::{Result, ServiceError, Services};

fn refuse(code: &'static str, ru: &str, en: &str) -> ServiceError {
    ServiceError::field("ogrnip", code, ru, en)
}

/// ЕГРИП could not be asked (no connectors on this node, or the registry is down).
fn registry_unavailable() -> ServiceError {
    refuse(
        "unavailable",
        "ЕГРИП сейчас недоступен. Попробуйте позже.",
        "ЕГРИП is unavailable right now. Please try later.",
    )
}

/// A sole proprietorship as the cabinet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrepreneur {
    pub id: Uuid,
    pub extract: EgripExtract,
    pub added_at: time::OffsetDateTime,
}

impl Services {
    pub async fn entrepreneurs(&self, account_id: Uuid) -> Result<Vec<Entrepreneur>> {
        entrepreneurs::of_account(&self.db, account_id)
            .await?
            .into_iter()
            .map(|r| {
                let bytes = self
                    .vault
                    .open(&r.extract, format!("entrepreneur:{}", r.id).as_bytes())
                    .map_err(internal)?;
                Ok(Entrepreneur {
                    id: r.id,
                    extract: serde_json::from_slice(&bytes).map_err(internal)?,
                    added_at: r.added_at,
                })
            })
            .collect()
    }

    /// Links the sole proprietorship `ogrnip` to the signed-in person.
    pub async fn add_entrepreneur(&self, current: &Current, ogrnip: &str) -> Result<Entrepreneur> {
        let id = current.account_id;
        let ogrnip = Ogrnip::parse(ogrnip).map_err(|e| {
            let (ru, en) = (e.message(Lang::Ru), e.message(Lang::En));
            refuse("format", &ru, &en)
        })?;
        let row = accounts::get(&self.db, id).await?;
        if row.trust_level != Some(TrustLevel::Confirmed) {
            return Err(refuse(
                "level",
                "Добавить ИП может только подтверждённая учётная запись: подтвердите личность через банк-партнёр.",
                "Only a confirmed account can add a sole proprietorship: confirm your identity through a partner bank.",
            ));
        }
        let Some(inn) = self.profile(id).await?.inn else {
            return Err(refuse(
                "no_inn",
                "В профиле нет ИНН: он нужен, чтобы сверить ИП с ЕГРИП.",
                "Your profile has no INN: it is needed to match the sole proprietorship in ЕГРИП.",
            ));
        };
        let Some(registries) = &self.registries else {
            return Err(registry_unavailable());
        };
        let extract = match registries.egrip(&ogrnip).await {
            Ok(Some(x)) => x,
            Ok(None) => {
                return Err(refuse(
                    "not_found",
                    "В ЕГРИП нет индивидуального предпринимателя с таким ОГРНИП.",
                    "ЕГРИП has no sole proprietor with this OGRNIP.",
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ЕГРИП look-up failed");
                return Err(registry_unavailable());
            }
        };
        if extract.inn != inn {
            return Err(refuse(
                "not_yours",
                "По ЕГРИП этот ИП зарегистрирован на другой ИНН, не на ваш.",
                "According to ЕГРИП this sole proprietorship belongs to another INN, not yours.",
            ));
        }
        if extract.termination_date.is_some() {
            return Err(refuse(
                "terminated",
                "По ЕГРИП этот ИП прекратил деятельность.",
                "According to ЕГРИП this sole proprietorship has ceased trading.",
            ));
        }
        let now = self.clock.now();
        let entry = Uuid::now_v7();
        let json = serde_json::to_vec(&extract).map_err(internal)?;
        let mut tx = self.db.begin().await?;
        let inserted = entrepreneurs::insert(
            &mut tx,
            &EntrepreneurRow {
                id: entry,
                account_id: id,
                ogrnip: extract.ogrnip.clone(),
                extract: self.vault.seal(
                    &mut OsRng,
                    &json,
                    format!("entrepreneur:{entry}").as_bytes(),
                ),
                added_at: now,
            },
        )
        .await;
        match inserted {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(refuse(
                    "taken",
                    "Этот ИП уже добавлен в учётную запись.",
                    "This sole proprietorship is already added to an account.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent::new(Actor::citizen(id), "entrepreneur.added")
            .subject(format!("account:{id}"))
            .details(serde_json::json!({ "ogrnip": extract.ogrnip, "entrepreneur": entry }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(Entrepreneur {
            id: entry,
            extract,
            added_at: now,
        })
    }
}
