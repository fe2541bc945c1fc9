//! What a scope releases about a person. Only verified data: the personal
//! data when the registries confirmed passport and SNILS (trust level
//! "standard" or higher), contacts only once confirmed. What Propusk does
//! not hold verified is left out, never sent unverified.
//!
//! Subjects are pairwise (OIDC Core §8.1): a keyed hash of the client's
//! sector and the account, so two partners cannot join their records by
//! `sub`, and nobody without the vault can reverse it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use propusk_core::account::{ContactChannel, Gender, TrustLevel};
use propusk_store::{accounts, orgs};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::internal;
use crate::{Result, Services};

impl Services {
    /// The pairwise `sub` of an account for a sector.
    pub fn pairwise_sub(&self, sector: &str, account_id: Uuid) -> String {
        let mac = self
            .vault
            .blind_index("pairwise-sub", &format!("{sector}|{account_id}"));
        URL_SAFE_NO_PAD.encode(mac)
    }

    async fn verified(&self, account_id: Uuid) -> Result<bool> {
        let row = accounts::get(&self.db, account_id).await?;
        Ok(row.trust_level.is_some_and(|t| t >= TrustLevel::Standard))
    }

    /// The scopes for which Propusk would release something.
    pub(crate) async fn released_scopes(&self, account_id: Uuid) -> Result<Vec<&'static str>> {
        let claims = self
            .scope_claims(
                account_id,
                &propusk_oidc::scopes::SCOPES
                    .iter()
                    .map(|s| s.name.to_owned())
                    .collect::<Vec<_>>(),
            )
            .await?;
        Ok(propusk_oidc::scopes::SCOPES
            .iter()
            .filter(|s| s.name == "openid" || s.claims.iter().any(|c| claims.contains_key(*c)))
            .map(|s| s.name)
            .collect())
    }

    /// The claims the scopes release (without `sub`).
    pub(crate) async fn scope_claims(
        &self,
        account_id: Uuid,
        scopes: &[String],
    ) -> Result<Map<String, Value>> {
        let has = |s: &str| scopes.iter().any(|x| x == s);
        let mut out = Map::new();
        if [
            "fullname",
            "birthdate",
            "gender",
            "snils",
            "inn",
            "id_doc",
            "birthplace",
            "addresses",
        ]
        .iter()
        .any(|s| has(s))
            && self.verified(account_id).await?
        {
            let p = self.profile(account_id).await?;
            if has("fullname") {
                out.insert("family_name".into(), p.name.last.as_str().into());
                out.insert("given_name".into(), p.name.first.as_str().into());
                if let Some(m) = &p.name.middle {
                    out.insert("middle_name".into(), m.as_str().into());
                }
            }
            let mut put = |scope: &str, claim: &str, v: Option<Value>| {
                if has(scope)
                    && let Some(v) = v
                {
                    out.insert(claim.into(), v);
                }
            };
            put(
                "birthdate",
                "birthdate",
                p.birth_date.clone().map(Value::from),
            );
            put(
                "gender",
                "gender",
                p.gender.map(|g| match g {
                    Gender::Male => "male".into(),
                    Gender::Female => "female".into(),
                }),
            );
            put("snils", "snils", p.snils.clone().map(Value::from));
            put("inn", "inn", p.inn.clone().map(Value::from));
            put(
                "birthplace",
                "birthplace",
                p.birth_place.clone().map(Value::from),
            );
            put("id_doc", "id_doc", p.passport.as_ref().map(|d| {
                let (series, number) = d.number.split_once(' ').unwrap_or(("", &d.number));
                json!({
                    "type": "RF_PASSPORT", "series": series, "number": number,
                    "issue_date": d.issue_date, "issued_by": d.issuer, "division_code": d.division_code,
                })
            }));
            put(
                "addresses",
                "address",
                p.address.clone().map(|a| {
                    let mut addr = json!({ "formatted": a, "country": "RU" });
                    if let Some(pc) = &p.postal_code {
                        addr["postal_code"] = pc.clone().into();
                    }
                    addr
                }),
            );
        }
        if has("contacts") {
            for c in accounts::contacts_of(&self.db, account_id).await? {
                if c.confirmed_at.is_none() || c.removed_at.is_some() {
                    continue;
                }
                let value = self
                    .vault
                    .open_str(&c.value, &format!("contact:{}", c.id))
                    .map_err(internal)?;
                let (claim, flag) = match c.channel {
                    ContactChannel::Email => ("email", "email_verified"),
                    ContactChannel::Phone => ("phone_number", "phone_number_verified"),
                };
                if !out.contains_key(claim) {
                    out.insert(claim.into(), value.as_str().into());
                    out.insert(flag.into(), true.into());
                }
            }
        }
        if has("usr_org") {
            let list: Vec<Value> = orgs::of_account(&self.db, account_id)
                .await?
                .into_iter()
                .map(|(o, role)| json!({ "ogrn": o.ogrn, "inn": o.inn, "name": o.name, "role": role }))
                .collect();
            if !list.is_empty() {
                out.insert("organizations".into(), list.into());
            }
        }
        Ok(out)
    }
}
