//! The emulator's endpoints. Checks answer 200 with the registry's verdict
//! (as the real services do: "not found" is an answer, not an error); a
//! malformed request gets 400 and a problem document.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use propusk_core::ident::{InnOrg, InnPerson, Ogrn, Ogrnip, Passport, Snils, Uin};
use serde_json::json;
use utoipa::OpenApi;

use super::{Emulator, convert};
use crate::population::{DocStatus, Person, Population, payer_identifier};
use crate::wire::*;

type Reply<T> = Result<Json<T>, Problem>;

/// An RFC 9457 problem document.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    kind: &'static str,
    detail: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(json!({
                "type": format!("urn:propusk:emulator:{}", self.kind),
                "title": self.status.canonical_reason().unwrap_or("error"),
                "status": self.status.as_u16(),
                "detail": self.detail,
            })),
        )
            .into_response()
    }
}

pub(crate) fn problem(status: StatusCode, kind: &'static str, detail: &str) -> Problem {
    Problem {
        status,
        kind,
        detail: detail.to_owned(),
    }
}

fn bad(detail: &str) -> Problem {
    problem(StatusCode::BAD_REQUEST, "bad_request", detail)
}

fn not_found(detail: &str) -> Problem {
    problem(StatusCode::NOT_FOUND, "not_found", detail)
}

/// A JSON body that did not parse is a 400 with the parser's reason.
fn body<T>(parsed: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, Problem> {
    parsed.map(|Json(t)| t).map_err(|e| bad(&e.body_text()))
}

pub(super) fn api() -> Router<Emulator> {
    Router::new()
        .route("/fns/inn", post(fns_inn))
        .route("/fns/income", post(fns_income))
        .route("/fns/egr", get(fns_search))
        .route("/fns/egrul/{ogrn}", get(fns_egrul))
        .route("/fns/egrip/{ogrnip}", get(fns_egrip))
        .route("/mvd/passport/check", post(mvd_check))
        .route("/mvd/registration", post(mvd_registration))
        .route("/sfr/snils/verify", post(sfr_verify))
        .route("/sfr/pension", post(sfr_pension))
        .route("/rosreestr/rights", post(rosreestr_rights))
        .route("/rosreestr/objects/{cad}", get(rosreestr_object))
        .route("/gisgmp/charges", post(gisgmp_charges))
        .route("/gisgmp/charges/{uin}", get(gisgmp_charge))
        .route("/gisgmp/payments", post(gisgmp_payment))
        .route(
            "/{registry}/corrections/{id}",
            get(super::corrections::status).put(super::corrections::file),
        )
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Propusk state-registry emulator",
        description = "ФНС, МВД, СФР, Росреестр and ГИС ГМП as Propusk's connectors speak to them, \
                       served from a deterministic synthetic population. Personal identifiers go \
                       in POST bodies only.",
        version = "1"
    ),
    paths(
        fns_inn,
        fns_income,
        fns_search,
        fns_egrul,
        fns_egrip,
        mvd_check,
        mvd_registration,
        sfr_verify,
        sfr_pension,
        rosreestr_rights,
        rosreestr_object,
        gisgmp_charges,
        gisgmp_charge,
        gisgmp_payment
    )
)]
pub struct ApiDoc;

pub(super) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A person by a key (SNILS, INN or ГИС ГМП payer identifier).
pub(super) fn person_by_key(pop: &Population, key: &PersonKey) -> Result<Option<Person>, Problem> {
    if let Some(s) = &key.snils {
        let snils = Snils::parse(s).map_err(|_| bad("snils is not a valid SNILS"))?;
        return Ok(pop.by_snils(&snils));
    }
    if let Some(i) = &key.inn {
        let inn = InnPerson::parse(i).map_err(|_| bad("inn is not a valid personal INN"))?;
        return Ok(pop.by_inn(&inn));
    }
    if let Some(id) = &key.payer_identifier {
        // `1` + `01` (passport) + series and number padded to 19 digits.
        let doc = id
            .strip_prefix("101")
            .filter(|d| d.len() == 19 && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("payerIdentifier: only passports (101…) are served"))?;
        let passport =
            Passport::parse(&doc[9..]).map_err(|_| bad("payerIdentifier: bad passport"))?;
        return Ok(pop
            .by_passport(&passport)
            .filter(|p| &payer_identifier(p) == id));
    }
    Err(bad("one of snils, inn, payerIdentifier is required"))
}

/// ФНС: a person's INN from their passport.
#[utoipa::path(post, path = "/fns/inn", request_body = InnRequest,
    responses((status = 200, body = InnResponse), (status = 400, description = "malformed")))]
async fn fns_inn(
    State(emu): State<Emulator>,
    req: Result<Json<InnRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply<InnResponse> {
    let req = body(req)?;
    if req.doc_type != "21" {
        return Err(bad(
            "docType: only 21 (passport of a citizen of Russia) is served",
        ));
    }
    let passport =
        Passport::parse(&req.doc_number).map_err(|_| bad("docNumber is not a passport"))?;
    let found = emu
        .population()
        .by_passport(&passport)
        .filter(|p| convert::mismatches(p, &req.person).is_empty());
    Ok(Json(match found {
        Some(p) => InnResponse {
            code: 1,
            inn: Some(p.inn.to_string()),
        },
        None => InnResponse { code: 0, inn: None },
    }))
}

/// ФНС: 2-НДФЛ income statements of a person.
#[utoipa::path(post, path = "/fns/income", request_body = IncomeRequest,
    responses((status = 200, body = IncomeResponse), (status = 404, description = "no such taxpayer")))]
async fn fns_income(
    State(emu): State<Emulator>,
    req: Result<Json<IncomeRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply<IncomeResponse> {
    let req = body(req)?;
    let inn = InnPerson::parse(&req.inn).map_err(|_| bad("inn is not a valid personal INN"))?;
    let pop = emu.population();
    let person = pop
        .by_inn(&inn)
        .ok_or_else(|| not_found("no taxpayer with this INN"))?;
    let statements = pop
        .income(&person)
        .iter()
        .filter(|i| req.year.is_none_or(|y| y == i.year))
        .map(convert::income)
        .collect();
    Ok(Json(IncomeResponse { statements }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// OGRN, OGRNIP or INN.
    query: String,
}

/// ФНС: the ЕГРЮЛ/ЕГРИП search, by OGRN, OGRNIP or INN (public data).
#[utoipa::path(get, path = "/fns/egr", params(SearchQuery), responses((status = 200, body = EgrSearch)))]
async fn fns_search(
    State(emu): State<Emulator>,
    query: Result<axum::extract::Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply<EgrSearch> {
    let q = query.map_err(|e| bad(&e.body_text()))?.0.query;
    let q = q.trim();
    let pop = emu.population();
    let mut rows = Vec::new();
    match q.len() {
        13 => {
            let ogrn = Ogrn::parse(q).map_err(|_| bad("query is not a valid OGRN"))?;
            rows.extend(pop.company_by_ogrn(&ogrn).map(|c| convert::company_row(&c)));
        }
        15 => {
            let ogrnip = Ogrnip::parse(q).map_err(|_| bad("query is not a valid OGRNIP"))?;
            rows.extend(
                pop.entrepreneur_by_ogrnip(&ogrnip)
                    .map(|e| convert::entrepreneur_row(&e)),
            );
        }
        10 => {
            let inn = InnOrg::parse(q).map_err(|_| bad("query is not a valid INN"))?;
            rows.extend(pop.company_by_inn(&inn).map(|c| convert::company_row(&c)));
        }
        12 => {
            let inn = InnPerson::parse(q).map_err(|_| bad("query is not a valid INN"))?;
            if let Some(p) = pop.by_inn(&inn) {
                rows.extend(pop.entrepreneur(&p).map(|e| convert::entrepreneur_row(&e)));
            }
        }
        _ => {
            return Err(bad(
                "query: an OGRN (13), OGRNIP (15) or INN (10 or 12 digits)",
            ));
        }
    }
    Ok(Json(EgrSearch { rows }))
}

/// ФНС: an ЕГРЮЛ extract.
#[utoipa::path(get, path = "/fns/egrul/{ogrn}", params(("ogrn" = String, Path)),
    responses((status = 200, body = EgrulExtract), (status = 404, description = "no such entity")))]
async fn fns_egrul(State(emu): State<Emulator>, Path(ogrn): Path<String>) -> Reply<EgrulExtract> {
    let ogrn = Ogrn::parse(&ogrn).map_err(|_| bad("not a valid OGRN"))?;
    emu.population()
        .company_by_ogrn(&ogrn)
        .map(|c| Json(convert::company(&c)))
        .ok_or_else(|| not_found("no legal entity with this OGRN"))
}

/// ФНС: an ЕГРИП extract.
#[utoipa::path(get, path = "/fns/egrip/{ogrnip}", params(("ogrnip" = String, Path)),
    responses((status = 200, body = EgripExtract), (status = 404, description = "no such entrepreneur")))]
async fn fns_egrip(State(emu): State<Emulator>, Path(ogrnip): Path<String>) -> Reply<EgripExtract> {
    let ogrnip = Ogrnip::parse(&ogrnip).map_err(|_| bad("not a valid OGRNIP"))?;
    emu.population()
        .entrepreneur_by_ogrnip(&ogrnip)
        .map(|e| Json(convert::entrepreneur(&e)))
        .ok_or_else(|| not_found("no sole proprietor with this OGRNIP"))
}

/// МВД: whether a passport is valid, and whether it is the given person's.
#[utoipa::path(post, path = "/mvd/passport/check", request_body = PassportCheckRequest,
    responses((status = 200, body = PassportCheckResponse)))]
async fn mvd_check(
    State(emu): State<Emulator>,
    req: Result<Json<PassportCheckRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply<PassportCheckResponse> {
    let req = body(req)?;
    let passport = Passport::parse(&format!("{}{}", req.series, req.number))
        .map_err(|_| bad("series and number do not make a passport"))?;
    let Some(holder) = emu.population().by_passport(&passport) else {
        return Ok(Json(PassportCheckResponse {
            status: PassportStatus::NotFound,
            reason: None,
            message: "Паспорт с указанными серией и номером не выдавался".into(),
            mismatched: Vec::new(),
        }));
    };
    let mut mismatched = req
        .person
        .as_ref()
        .map(|q| convert::mismatches(&holder, q))
        .unwrap_or_default();
    if let Some(d) = &req.issue_date
        && parse_date(d) != Some(holder.passport.issue_date)
    {
        mismatched.push("issueDate".into());
    }
    let (status, reason, message) = match holder.passport.status {
        DocStatus::Valid => (
            PassportStatus::Valid,
            None,
            "Среди недействительных не значится",
        ),
        DocStatus::Expired => (
            PassportStatus::Invalid,
            Some("EXPIRED"),
            "Недействителен: истёк срок действия",
        ),
        DocStatus::Lost => (
            PassportStatus::Invalid,
            Some("LOST"),
            "Недействителен: утрачен",
        ),
        DocStatus::Replaced => (
            PassportStatus::Invalid,
            Some("REPLACED"),
            "Недействителен: заменён на новый",
        ),
    };
    Ok(Json(PassportCheckResponse {
        status,
        reason: reason.map(str::to_owned),
        message: message.into(),
        mismatched,
    }))
}

/// МВД: the registration address of a passport's holder.
#[utoipa::path(post, path = "/mvd/registration", request_body = PassportRef,
    responses((status = 200, body = AddressDoc), (status = 404, description = "no such passport")))]
async fn mvd_registration(
    State(emu): State<Emulator>,
    req: Result<Json<PassportRef>, axum::extract::rejection::JsonRejection>,
) -> Reply<AddressDoc> {
    let req = body(req)?;
    let passport = Passport::parse(&format!("{}{}", req.series, req.number))
        .map_err(|_| bad("series and number do not make a passport"))?;
    emu.population()
        .by_passport(&passport)
        .map(|p| Json(convert::address(&p)))
        .ok_or_else(|| not_found("no such passport"))
}

/// СФР: whether a SNILS belongs to the person.
#[utoipa::path(post, path = "/sfr/snils/verify", request_body = SnilsVerifyRequest,
    responses((status = 200, body = SnilsVerifyResponse)))]
async fn sfr_verify(
    State(emu): State<Emulator>,
    req: Result<Json<SnilsVerifyRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply<SnilsVerifyResponse> {
    let req = body(req)?;
    let snils = Snils::parse(&req.snils).map_err(|_| bad("snils is not a valid SNILS"))?;
    let Some(p) = emu.population().by_snils(&snils) else {
        return Ok(Json(SnilsVerifyResponse {
            result: SnilsResult::NotFound,
            mismatched: Vec::new(),
        }));
    };
    let mut mismatched = convert::mismatches(&p, &req.person);
    if let Some(g) = &req.gender
        && !g.eq_ignore_ascii_case(p.gender.code())
    {
        mismatched.push("gender".into());
    }
    Ok(Json(SnilsVerifyResponse {
        result: if mismatched.is_empty() {
            SnilsResult::Match
        } else {
            SnilsResult::Mismatch
        },
        mismatched,
    }))
}

/// СФР: the individual pension account statement.
#[utoipa::path(post, path = "/sfr/pension", request_body = PersonKey,
    responses((status = 200, body = PensionStatement), (status = 404, description = "no such insured person")))]
async fn sfr_pension(
    State(emu): State<Emulator>,
    req: Result<Json<PersonKey>, axum::extract::rejection::JsonRejection>,
) -> Reply<PensionStatement> {
    let req = body(req)?;
    let pop = emu.population();
    let p = person_by_key(pop, &req)?.ok_or_else(|| not_found("no insured person"))?;
    Ok(Json(convert::pension(&p, &pop.pension(&p))))
}

/// Росреестр: the objects a person holds rights to.
#[utoipa::path(post, path = "/rosreestr/rights", request_body = PersonKey,
    responses((status = 200, body = EstateList)))]
async fn rosreestr_rights(
    State(emu): State<Emulator>,
    req: Result<Json<PersonKey>, axum::extract::rejection::JsonRejection>,
) -> Reply<EstateList> {
    let req = body(req)?;
    let pop = emu.population();
    let objects = match person_by_key(pop, &req)? {
        Some(p) => pop
            .estate(&p)
            .iter()
            .map(|e| convert::estate(&p, e))
            .collect(),
        None => Vec::new(),
    };
    Ok(Json(EstateList { objects }))
}

/// Росреестр: one object by its cadastral number.
#[utoipa::path(get, path = "/rosreestr/objects/{cad}", params(("cad" = String, Path)),
    responses((status = 200, body = EstateDoc), (status = 404, description = "no such object")))]
async fn rosreestr_object(
    State(emu): State<Emulator>,
    Path(cad): Path<String>,
) -> Reply<EstateDoc> {
    let cad = propusk_core::ident::CadastralNumber::parse(&cad)
        .map_err(|_| bad("not a valid cadastral number"))?;
    emu.population()
        .estate_by_number(cad.as_str())
        .map(|(p, e)| Json(convert::estate(&p, &e)))
        .ok_or_else(|| not_found("no object with this cadastral number"))
}

fn paid(emu: &Emulator, uin: &str) -> i64 {
    emu.0
        .payments
        .lock()
        .ok()
        .and_then(|m| m.get(uin).map(|p| p.values().sum()))
        .unwrap_or(0)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// ГИС ГМП: a person's charges.
#[utoipa::path(post, path = "/gisgmp/charges", request_body = PersonKey,
    responses((status = 200, body = ChargeList)))]
async fn gisgmp_charges(
    State(emu): State<Emulator>,
    req: Result<Json<PersonKey>, axum::extract::rejection::JsonRejection>,
) -> Reply<ChargeList> {
    let req = body(req)?;
    let pop = emu.population();
    let charges = match person_by_key(pop, &req)? {
        Some(p) => pop
            .charges(&p)
            .iter()
            .map(|c| convert::charge(c, paid(&emu, &c.uin), today()))
            .collect(),
        None => Vec::new(),
    };
    Ok(Json(ChargeList { charges }))
}

/// ГИС ГМП: one charge by its UIN.
#[utoipa::path(get, path = "/gisgmp/charges/{uin}", params(("uin" = String, Path)),
    responses((status = 200, body = ChargeDoc), (status = 404, description = "no such charge")))]
async fn gisgmp_charge(State(emu): State<Emulator>, Path(uin): Path<String>) -> Reply<ChargeDoc> {
    let uin = Uin::parse(&uin).map_err(|_| bad("not a valid UIN"))?;
    emu.population()
        .charge_by_uin(&uin)
        .map(|(_, c)| Json(convert::charge(&c, paid(&emu, &c.uin), today())))
        .ok_or_else(|| not_found("no charge with this UIN"))
}

/// ГИС ГМП: report a payment; the same `paymentId` again changes nothing.
#[utoipa::path(post, path = "/gisgmp/payments", request_body = PaymentNotice,
    responses((status = 200, body = PaymentAck)))]
async fn gisgmp_payment(
    State(emu): State<Emulator>,
    req: Result<Json<PaymentNotice>, axum::extract::rejection::JsonRejection>,
) -> Reply<PaymentAck> {
    let req = body(req)?;
    if req.amount <= 0 || req.payment_id.trim().is_empty() || req.payment_id.len() > 64 {
        return Err(bad(
            "amount must be positive and paymentId 1 to 64 characters",
        ));
    }
    let uin = Uin::parse(&req.supplier_bill_id).map_err(|_| bad("supplierBillID is not a UIN"))?;
    let Some((_, charge)) = emu.population().charge_by_uin(&uin) else {
        return Ok(Json(PaymentAck {
            payment_id: req.payment_id,
            acknowledgment_status: 3,
            amount_to_pay: 0,
        }));
    };
    let total = {
        let mut all =
            emu.0.payments.lock().map_err(|_| {
                problem(StatusCode::INTERNAL_SERVER_ERROR, "state", "payments lock")
            })?;
        let payments = all.entry(charge.uin.clone()).or_default();
        payments.entry(req.payment_id.clone()).or_insert(req.amount);
        payments.values().sum::<i64>()
    };
    let left = (convert::due(&charge, today()) - total).max(0);
    Ok(Json(PaymentAck {
        payment_id: req.payment_id,
        acknowledgment_status: if left == 0 { 1 } else { 2 },
        amount_to_pay: left,
    }))
}
