//! Correction requests (152-FZ art. 21) as a registry takes them: filed
//! under the sender's id (a repeat is the same request), given a reference
//! number, and decided when the sender next asks. The verdict follows
//! fixed rules so that tests and demos see both outcomes: a request about
//! a person the registry does not know, or a value in the wrong form for
//! its field, is refused; anything else is accepted. The emulator records
//! corrections; it does not rewrite its synthetic population.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use propusk_core::consent::Category;
use propusk_core::ident::{InnPerson, Snils, Uin};

use super::Emulator;
use super::routes::{Problem, person_by_key, problem};
use crate::wire::{CorrectionAnswer, CorrectionRequest};

/// One filed request and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Filed {
    registry: String,
    request: CorrectionRequest,
    answer: CorrectionAnswer,
}

fn bad(detail: &str) -> Problem {
    problem(StatusCode::BAD_REQUEST, "bad_request", detail)
}

/// `PUT /{registry}/corrections/{id}`.
pub(super) async fn file(
    State(emu): State<Emulator>,
    Path((registry, id)): Path<(String, String)>,
    body: Result<Json<CorrectionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CorrectionAnswer>, Problem> {
    let Json(request) = body.map_err(|e| bad(&e.body_text()))?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(bad("the id is 1 to 64 letters, digits or dashes"));
    }
    let category = Category::parse(&request.category).ok_or_else(|| bad("unknown category"))?;
    if category.source().code() != registry {
        return Err(bad("this registry does not hold that category"));
    }
    if !category.fields().iter().any(|f| f.name == request.field) {
        return Err(bad("unknown field for the category"));
    }
    if request.proposed.trim().is_empty() {
        return Err(bad("proposed is required"));
    }
    let mut filed = emu.0.corrections.lock().map_err(|_| bad("poisoned"))?;
    if let Some(f) = filed.get(&id) {
        if f.request != request || f.registry != registry {
            return Err(problem(
                StatusCode::CONFLICT,
                "conflict",
                "a different request was filed under this id",
            ));
        }
        return Ok(Json(f.answer.clone()));
    }
    let answer = CorrectionAnswer {
        id: id.clone(),
        status: "received".into(),
        reference: format!("{}-{:06}", registry.to_uppercase(), filed.len() + 1),
        reason: None,
    };
    filed.insert(
        id,
        Filed {
            registry,
            request,
            answer: answer.clone(),
        },
    );
    Ok(Json(answer))
}

/// `GET /{registry}/corrections/{id}`: decides a request still pending.
pub(super) async fn status(
    State(emu): State<Emulator>,
    Path((registry, id)): Path<(String, String)>,
) -> Result<Json<CorrectionAnswer>, Problem> {
    let mut filed = emu.0.corrections.lock().map_err(|_| bad("poisoned"))?;
    let Some(f) = filed.get_mut(&id).filter(|f| f.registry == registry) else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such request",
        ));
    };
    if f.answer.status == "received" {
        let reason = match person_by_key(emu.population(), &f.request.person) {
            Ok(Some(_)) => wrong_form(&f.request),
            _ => Some("Сведения о гражданине в реестре не найдены".to_owned()),
        };
        f.answer.status = if reason.is_some() {
            "rejected"
        } else {
            "accepted"
        }
        .into();
        f.answer.reason = reason;
    }
    Ok(Json(f.answer.clone()))
}

/// Why a proposed value cannot be what its field holds, if it cannot.
fn wrong_form(r: &CorrectionRequest) -> Option<String> {
    let v = r.proposed.trim();
    let digits = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
    let date = || {
        let parts: Vec<&str> = v.split(['.', '-']).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let ok = match r.field.as_str() {
        "snils" => Snils::parse(v).is_ok(),
        "inn" if r.category == "inn" => InnPerson::parse(v).is_ok(),
        "series" => digits(4),
        "number" if r.category == "passport" => digits(6),
        "division_code" => {
            v.len() == 7
                && v.as_bytes()[3] == b'-'
                && v.bytes().filter(u8::is_ascii_digit).count() == 6
        }
        "issue_date" | "birthdate" | "registered_since" | "bill_date" => date(),
        "uin" => Uin::parse(v).is_ok(),
        "cadastral_number" => {
            v.split(':').count() == 4 && v.bytes().all(|b| b.is_ascii_digit() || b == b':')
        }
        _ => true,
    };
    (!ok).then(|| "Предложенное значение не соответствует формату поля".to_owned())
}
