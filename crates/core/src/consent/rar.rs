//! A consent asked for during sign-in: RFC 9396 `authorization_details` of
//! type `propusk_consent`, in the API's shape without `sub` (the person
//! signing in) and `return_url` (the redirect URI is the way back).

use serde::Deserialize;
use time::OffsetDateTime;

use super::Category;
use super::terms::{Draft, Mode, Terms};

pub const TYPE: &str = "propusk_consent";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Frequency {
    max_reads: u32,
    per: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Details {
    #[serde(rename = "type")]
    _type: String,
    purpose: String,
    categories: Vec<String>,
    #[serde(default)]
    optional_categories: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    valid_until: Option<OffsetDateTime>,
    mode: String,
    #[serde(default)]
    frequency: Option<Frequency>,
}

/// The draft one `propusk_consent` object asks for, or why its shape is
/// wrong (RFC 9396 §5: unknown fields, wrong types, missing fields). Its
/// content is then checked like an API request (`terms::check`).
pub fn draft(details: &serde_json::Value) -> Result<Draft, String> {
    let d: Details = serde_json::from_value(details.clone()).map_err(|e| e.to_string())?;
    Ok(Draft {
        purpose: d.purpose,
        categories: d.categories,
        optional: d.optional_categories,
        valid_until: d.valid_until,
        mode: d.mode,
        max_reads: d.frequency.as_ref().map(|f| f.max_reads),
        per: d.frequency.map(|f| f.per),
        return_url: None,
    })
}

/// RFC 9396 §7: the details as granted, returned with the tokens: the
/// consent's id (what the data API names) and the categories the citizen
/// kept.
pub fn granted(
    consent_id: uuid::Uuid,
    terms: &Terms,
    granted: impl IntoIterator<Item = Category>,
) -> serde_json::Value {
    use time::format_description::well_known::Rfc3339;
    let mut out = serde_json::json!({
        "type": TYPE,
        "consent_id": consent_id,
        "purpose": terms.purpose,
        "categories": granted.into_iter().map(|c| c.code()).collect::<Vec<_>>(),
        "valid_until": terms.valid_until.format(&Rfc3339).ok(),
    });
    match terms.mode {
        Mode::OneTime => out["mode"] = "one_time".into(),
        Mode::Periodic { max_reads, per } => {
            out["mode"] = "periodic".into();
            out["frequency"] = serde_json::json!({ "max_reads": max_reads, "per": per.code() });
        }
    }
    out
}

/// The consent a token's granted details name, if any.
pub fn consent_id(details: &[serde_json::Value]) -> Option<uuid::Uuid> {
    details
        .iter()
        .find(|d| d.get("type").and_then(|t| t.as_str()) == Some(TYPE))
        .and_then(|d| d.get("consent_id"))
        .and_then(|v| v.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::terms;

    #[test]
    fn the_api_shape_without_sub_or_return_url() {
        let ok = serde_json::json!({
            "type": "propusk_consent", "purpose": "loan_application",
            "categories": ["passport", "income"], "optional_categories": ["income"],
            "valid_until": "2027-01-01T00:00:00Z", "mode": "periodic",
            "frequency": {"max_reads": 4, "per": "day"},
        });
        let d = draft(&ok).unwrap();
        assert_eq!(d.categories, vec!["passport", "income"]);
        assert_eq!(d.max_reads, Some(4));
        let now = time::macros::datetime!(2026-12-01 0:00 UTC);
        let t = terms::check(&d, &["id_doc", "income"], false, now).unwrap();
        let g = granted(uuid::Uuid::nil(), &t, [Category::Passport]);
        assert_eq!(g["categories"], serde_json::json!(["passport"]));
        assert_eq!(g["frequency"]["per"], "day");
        assert_eq!(consent_id(&[g]), Some(uuid::Uuid::nil()));

        for (field, value) in [
            ("sub", serde_json::json!("x")),
            ("return_url", serde_json::json!("https://x")),
            ("categories", serde_json::json!("passport")),
            ("valid_until", serde_json::json!("tomorrow")),
            (
                "frequency",
                serde_json::json!({"max_reads": -1, "per": "day"}),
            ),
        ] {
            let mut bad = ok.clone();
            bad[field] = value;
            assert!(draft(&bad).is_err(), "{field}");
        }
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("purpose");
        assert!(draft(&missing).is_err());
    }
}
