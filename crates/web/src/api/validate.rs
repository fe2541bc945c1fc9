//! `POST /api/v1/validate`: the same check and the same JSON as
//! `propusk validate KIND VALUE`.

use axum::Json;
use propusk_core::ident::{self, Kind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::error::{FieldError, WebError};
use crate::i18n::{Tr, UserLang};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// One of `inn`, `inn_person`, `inn_org`, `snils`, `ogrn`, `ogrnip`, `kpp`, `bik`,
    /// `bank_account`, `passport`, `division_code`, `phone`, `email`, `cadastral`, `uin`, `oktmo`.
    #[schema(example = "inn")]
    pub kind: String,
    #[schema(example = "7707083893")]
    pub value: String,
    /// The bank's BIK; required for `bank_account`, whose control key depends on it.
    #[serde(default)]
    pub bik: Option<String>,
}

/// The verdict. An invalid value is a normal answer (200), not an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResponse {
    pub valid: bool,
    /// The value in its one canonical form, when valid.
    pub normalized: Option<String>,
    /// What is wrong, in the caller's language, when invalid.
    pub error: Option<String>,
    /// A stable code for what is wrong (`length`, `checksum`, …), when invalid.
    pub code: Option<String>,
}

impl ValidateResponse {
    pub fn from_result(
        result: Result<String, ident::IdentError>,
        lang: propusk_core::Lang,
    ) -> ValidateResponse {
        match result {
            Ok(normalized) => ValidateResponse {
                valid: true,
                normalized: Some(normalized),
                error: None,
                code: None,
            },
            Err(e) => ValidateResponse {
                valid: false,
                normalized: None,
                error: Some(e.message(lang)),
                code: Some(e.code().to_owned()),
            },
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/validate",
    tag = "identifiers",
    request_body = ValidateRequest,
    responses(
        (status = 200, description = "The value was checked", body = ValidateResponse),
        (status = 400, description = "The body is not JSON of this shape", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown kind, or a bank account without a BIK", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn validate(
    UserLang(lang): UserLang,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, WebError> {
    let t = Tr::new(lang);
    let kind: Kind = req.kind.parse().map_err(|_| WebError::Validation {
        errors: vec![FieldError {
            pointer: "/kind".into(),
            code: "unknown_kind".into(),
            detail: t.get_arg("problem-unknown-kind", "kinds", kinds_list()),
        }],
    })?;
    if kind == Kind::BankAccount && req.bik.as_deref().is_none_or(|b| b.trim().is_empty()) {
        return Err(WebError::Validation {
            errors: vec![FieldError {
                pointer: "/bik".into(),
                code: "required".into(),
                detail: t.get("problem-bik-required"),
            }],
        });
    }
    let result = ident::validate(kind, &req.value, req.bik.as_deref());
    Ok(Json(ValidateResponse::from_result(result, lang)))
}

fn kinds_list() -> String {
    Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
