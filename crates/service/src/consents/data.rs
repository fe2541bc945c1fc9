//! Fetching a category's data for a read: identity data from the verified
//! profile, the rest from the registries through the connectors, kept
//! sealed in `person_data_cache` for a time that suits how fast each
//! changes.

use propusk_core::account::Profile;
use propusk_core::account::TrustLevel;
use propusk_core::consent::Category;
use propusk_registries::wire::{IncomeRequest, PassportRef, PersonKey};
use propusk_store::{accounts, consents, orgs};
use rand_core::OsRng;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::internal;
use crate::{Result, ServiceError, Services};

/// How long a registry answer is reused.
pub(crate) fn ttl(c: Category) -> Duration {
    match c {
        Category::Debts => Duration::minutes(10),
        Category::RealEstate => Duration::hours(1),
        Category::Address | Category::Income | Category::Pension | Category::Organization => {
            Duration::hours(24)
        }
        Category::Passport | Category::Snils | Category::Inn => Duration::ZERO,
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    tracing::warn!(error = %e, "consent read: registry unavailable");
    ServiceError::SourceUnavailable
}

/// The citizen's verified profile and when the registries confirmed it,
/// read once per read however many categories need it.
pub(super) struct Person {
    profile: Profile,
    checked_at: OffsetDateTime,
}

impl Services {
    pub(crate) fn registries(&self) -> Result<&propusk_registries::connect::Registries> {
        self.registries
            .as_deref()
            .ok_or_else(|| unavailable("no registries configured"))
    }

    /// The person behind a read: only a confirmed (standard) account has
    /// verified data to release.
    async fn person(&self, account_id: Uuid) -> Result<Person> {
        let row = accounts::get(&self.db, account_id).await?;
        if row.trust_level.is_none_or(|t| t < TrustLevel::Standard) {
            return Err(ServiceError::NotVerified);
        }
        let profile = self.open_profile(&row)?;
        // Identity data was checked against the registries when the account
        // became standard; its as-of date is that check's.
        let checked_at = profile
            .identity_check
            .as_ref()
            .and_then(|c| OffsetDateTime::parse(&c.since, &Rfc3339).ok())
            .unwrap_or(row.updated_at);
        Ok(Person {
            profile,
            checked_at,
        })
    }

    /// One category as the data API returns it: the fields, where they came
    /// from and as of when. `person` is loaded the first time a category
    /// is not served from the cache.
    pub(super) async fn category_data(
        &self,
        account_id: Uuid,
        c: Category,
        person: &mut Option<Person>,
    ) -> Result<Value> {
        let now = self.clock.now();
        let context = format!("person_data_cache:{account_id}:{}", c.code());
        if ttl(c) > Duration::ZERO
            && let Some((sealed, at)) = consents::cached(&self.db, account_id, c.code()).await?
            && now - at < ttl(c)
            && let Ok(bytes) = self.vault.open(&sealed, context.as_bytes())
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
        {
            return Ok(v);
        }
        if person.is_none() {
            *person = Some(self.person(account_id).await?);
        }
        let p = person.as_ref().ok_or_else(|| internal("loaded above"))?;
        let data = self.fetch_category(account_id, c, &p.profile).await?;
        let as_of = if matches!(c, Category::Passport | Category::Snils | Category::Inn) {
            p.checked_at
        } else {
            now
        };
        let out = json!({
            "source": c.source().code(),
            "source_name": c.source().title(propusk_core::Lang::Ru),
            "as_of": as_of.format(&Rfc3339).map_err(internal)?,
            "data": data,
        });
        if ttl(c) > Duration::ZERO {
            let bytes = serde_json::to_vec(&out).map_err(internal)?;
            let sealed = self.vault.seal(&mut OsRng, &bytes, context.as_bytes());
            consents::put_cache(&self.db, account_id, c.code(), &sealed, now).await?;
        }
        Ok(out)
    }

    async fn fetch_category(&self, account_id: Uuid, c: Category, p: &Profile) -> Result<Value> {
        let passport = p.passport.as_ref().map(|d| {
            let (series, number) = d.number.split_once(' ').unwrap_or(("", &d.number));
            (series.to_owned(), number.to_owned(), d)
        });
        let key = PersonKey {
            snils: p.snils.clone(),
            inn: p.inn.clone(),
            payer_identifier: None,
        };
        let data = match c {
            Category::Passport => {
                let Some((series, number, d)) = &passport else {
                    return Err(ServiceError::NotVerified);
                };
                json!({
                    "series": series, "number": number, "issue_date": d.issue_date,
                    "issuer": d.issuer, "division_code": d.division_code,
                    "family_name": p.name.last.as_str(), "given_name": p.name.first.as_str(),
                    "middle_name": p.name.middle.as_ref().map(|m| m.as_str()),
                    "birthdate": p.birth_date, "birthplace": p.birth_place,
                })
            }
            Category::Snils => json!({ "snils": p.snils }),
            Category::Inn => json!({ "inn": p.inn }),
            Category::Address => {
                let Some((series, number, _)) = &passport else {
                    return Err(ServiceError::NotVerified);
                };
                let doc = self
                    .registries()?
                    .registration(&PassportRef {
                        series: series.clone(),
                        number: number.clone(),
                    })
                    .await
                    .map_err(unavailable)?;
                json!({ "address": doc })
            }
            Category::Income => {
                let inn = p.inn.clone().ok_or(ServiceError::NotVerified)?;
                let statements = self
                    .registries()?
                    .income(&IncomeRequest { inn, year: None })
                    .await
                    .map_err(unavailable)?
                    .unwrap_or_default();
                json!({ "statements": statements })
            }
            Category::Pension => {
                let st = self
                    .registries()?
                    .pension(&key)
                    .await
                    .map_err(unavailable)?;
                json!({ "statement": st })
            }
            Category::RealEstate => {
                let objects = self.registries()?.estate(&key).await.map_err(unavailable)?;
                json!({ "objects": objects })
            }
            Category::Debts => {
                let charges = self
                    .registries()?
                    .charges(&key)
                    .await
                    .map_err(unavailable)?;
                json!({ "charges": charges })
            }
            Category::Organization => {
                let list: Vec<Value> = orgs::of_account(&self.db, account_id)
                    .await?
                    .into_iter()
                    .map(|(o, role)| {
                        json!({ "ogrn": o.ogrn, "inn": o.inn, "kpp": o.kpp, "name": o.name, "role": role })
                    })
                    .collect();
                json!({ "organizations": list })
            }
        };
        Ok(data)
    }
}
