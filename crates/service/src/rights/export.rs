//! "Everything you hold about me" (152-FZ art. 14): one document with the
//! account, profile, contacts, sign-ins, organizations, consents with their
//! history and every read under them, the registry answers Propusk keeps,
//! correction requests and the audit events about the account. Secrets
//! (password hash, TOTP key, backup codes, session tokens) are never in it:
//! they are not data about the person but keys to the account.
//!
//! The same collection gives the JSON (`propusk-export/1`, for machines
//! and moving elsewhere) and the PDF (for people, in Russian).

use propusk_core::Lang;
use propusk_core::consent::Category;
use propusk_core::time::canonical;
use propusk_store::{accounts, audit, bank_links, consents, identity, oauth_grants};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::internal;
use crate::format::moscow_time;
use crate::sessions::Current;
use crate::{Result, Services};

/// The export's format name; a change that breaks readers bumps it.
pub const FORMAT: &str = "propusk-export/1";

/// How much of each long list goes into one export.
const READS: i64 = 10_000;
const AUDIT: i64 = 2_000;

/// An export, made once and given as JSON or PDF.
#[derive(Debug, Clone)]
pub struct Export {
    pub generated_at: OffsetDateTime,
    pub json: Value,
}

fn t(at: OffsetDateTime) -> String {
    canonical(at)
}

fn opt(at: Option<OffsetDateTime>) -> Value {
    at.map_or(Value::Null, |a| Value::String(canonical(a)))
}

impl Services {
    /// Collects the export after checking the password again (it is a copy
    /// of everything, so a stolen session alone must not give it), and
    /// records that it was made.
    pub async fn export_own_data(&self, current: &Current, password: &str) -> Result<Export> {
        self.confirm_password(current.account_id, password).await?;
        let export = self.collect_export(current).await?;
        let event = propusk_core::audit::NewEvent::new(
            propusk_core::audit::Actor::citizen(current.account_id),
            "account.data_exported",
        )
        .subject(format!("account:{}", current.account_id));
        audit::record(&self.db, export.generated_at, &event).await?;
        Ok(export)
    }

    async fn collect_export(&self, current: &Current) -> Result<Export> {
        let id = current.account_id;
        let now = self.clock.now();
        let row = accounts::get(&self.db, id).await?;
        let profile = self.open_profile(&row)?;

        let mut contacts = Vec::new();
        for c in accounts::contacts_of(&self.db, id).await? {
            let value = self
                .vault
                .open_str(&c.value, &format!("contact:{}", c.id))
                .map_err(internal)?;
            contacts.push(json!({
                "channel": c.channel.as_str(), "value": value.to_string(),
                "added_at": t(c.created_at), "confirmed_at": opt(c.confirmed_at),
                "removed_at": opt(c.removed_at),
            }));
        }
        let factors = self.factor_status(id).await?;
        let (sessions, _) = self.list_sessions(current, 0, 100).await?;
        let (sign_ins, _) = self.sign_in_history(id, 0, 100).await?;
        let bank = bank_links::link_of(&self.db, id).await?.map(|l| {
            json!({ "bank": l.bank, "state": format!("{:?}", l.state).to_lowercase(),
                    "verified_at": opt(l.verified_at), "confirmed_at": opt(l.confirmed_at) })
        });
        let checks: Vec<Value> = identity::log_of(&self.db, id, 200)
            .await?
            .into_iter()
            .map(|l| json!({ "at": t(l.at), "registry": l.registry, "outcome": l.outcome }))
            .collect();
        let orgs: Vec<Value> = self
            .organizations_of(id)
            .await?
            .into_iter()
            .map(|o| json!({ "ogrn": o.ogrn, "name": o.name, "role": o.role.as_str(), "head": o.head }))
            .collect();
        let entrepreneurs: Vec<Value> = self
            .entrepreneurs(id)
            .await?
            .into_iter()
            .map(|e| json!({ "added_at": t(e.added_at), "egrip": e.extract }))
            .collect();
        let sign_in_access: Vec<Value> = oauth_grants::consents_of(&self.db, id)
            .await?
            .into_iter()
            .map(|(c, name)| {
                json!({ "client_id": c.client_id, "client_name": name,
                                     "scopes": c.scopes, "granted_at": t(c.granted_at) })
            })
            .collect();

        let mut consent_list = Vec::new();
        for c in self.consents_of_citizen(id, None).await? {
            let history: Vec<Value> = consents::events(&self.db, c.id)
                .await?
                .into_iter()
                .map(|e| {
                    json!({ "at": t(e.at), "event": e.event,
                                 "from": e.from_status.map(|s| s.code()), "to": e.to_status.code(),
                                 "by": e.by_whom, "reason": e.reason, "receipt": e.receipt })
                })
                .collect();
            let mut v = c.to_json();
            v["organization"] = json!({ "name": c.org_name, "ogrn": c.org_ogrn, "inn": c.org_inn });
            v["history"] = Value::Array(history);
            consent_list.push(v);
        }
        let reads: Vec<Value> = consents::reads_of_account(&self.db, id, READS)
            .await?
            .into_iter()
            .map(|r| {
                json!({ "at": t(r.at), "consent_id": r.consent_id, "client_id": r.client_id,
                        "endpoint": r.endpoint, "result": r.result,
                        "categories_asked": serde_json::from_str::<Value>(&r.categories_asked).unwrap_or(Value::Null),
                        "categories_returned": serde_json::from_str::<Value>(&r.categories_returned).unwrap_or(Value::Null) })
            })
            .collect();
        let mut copies = Vec::new();
        for (category, sealed, at) in consents::cache_of(&self.db, id).await? {
            let context = format!("person_data_cache:{id}:{category}");
            let data = self
                .vault
                .open(&sealed, context.as_bytes())
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            copies.push(json!({ "category": category, "fetched_at": t(at), "answer": data }));
        }
        let corrections: Vec<Value> = self
            .corrections_of(id)
            .await?
            .into_iter()
            .map(|c| json!({ "id": c.id, "category": c.category.code(), "field": c.field,
                             "registry": c.registry.code(), "proposed": c.proposed, "comment": c.comment,
                             "status": c.status.code(), "reference": c.reference, "reason": c.reason,
                             "created_at": t(c.created_at), "sent_at": opt(c.sent_at),
                             "decided_at": opt(c.decided_at) }))
            .collect();
        let events: Vec<Value> = audit::recent_for_subject(&self.db, &format!("account:{id}"), AUDIT)
            .await?
            .into_iter()
            .map(|e| json!({ "seq": e.seq, "at": t(e.at), "actor": e.actor, "action": e.action,
                             "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null) }))
            .collect();

        let json = json!({
            "format": FORMAT,
            "generated_at": t(now),
            "controller": { "name": "Пропуск", "base_url": self.public_base.as_ref() },
            "account": {
                "id": id, "kind": row.kind.as_str(), "status": row.status.as_str(),
                "trust_level": row.trust_level.map(|l| l.as_str()),
                "created_at": t(row.created_at),
                "personal_data_consent": { "version": row.pd_consent_version, "accepted_at": t(row.pd_consent_at) },
                "deletion_due": opt(accounts::deletion_due(&self.db, id).await?),
            },
            "profile": profile,
            "contacts": contacts,
            "second_factor": { "totp": factors.totp, "backup_codes_left": factors.backup_codes_left },
            "sessions": sessions.iter().map(|s| json!({ "device": s.device, "ip": s.ip,
                "created_at": t(s.created_at), "last_seen_at": t(s.last_seen_at) })).collect::<Vec<_>>(),
            "sign_ins": sign_ins.iter().map(|h| json!({ "at": t(h.at), "device": h.device,
                "ip": h.ip, "result": h.result.as_str() })).collect::<Vec<_>>(),
            "identity": { "checks": checks, "bank_confirmation": bank },
            "organizations": orgs,
            "entrepreneurs": entrepreneurs,
            "sign_in_access": sign_in_access,
            "consents": consent_list,
            "consent_reads": reads,
            "registry_copies": copies,
            "corrections": corrections,
            "audit_events": events,
        });
        Ok(Export {
            generated_at: now,
            json,
        })
    }
}

impl Export {
    pub fn to_json_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(&self.json).map_err(internal)
    }

    /// The same content for people: in Russian, dates in Moscow time.
    pub fn to_pdf(&self) -> Result<Vec<u8>> {
        use propusk_docs::export::Section;
        let j = &self.json;
        let s = |v: &Value| match v {
            Value::Null => "—".to_owned(),
            Value::String(x) => x.clone(),
            other => other.to_string(),
        };
        let when = |v: &Value| {
            v.as_str()
                .and_then(|x| {
                    OffsetDateTime::parse(x, &time::format_description::well_known::Rfc3339).ok()
                })
                .map_or_else(|| "—".to_owned(), moscow_time)
        };
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let mut sections = Vec::new();

        let p = &j["profile"];
        let mut sec = Section::new("Учётная запись и профиль");
        sec.row("Идентификатор", s(&j["account"]["id"]))
            .row("Создана", when(&j["account"]["created_at"]))
            .row(
                "Уровень учётной записи",
                match j["account"]["trust_level"].as_str() {
                    Some("simplified") => "упрощённая",
                    Some("standard") => "стандартная",
                    Some("confirmed") => "подтверждённая",
                    _ => "—",
                },
            )
            .row(
                "ФИО",
                [&p["last"], &p["first"], &p["middle"]]
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
            .row("Дата рождения", s(&p["birth_date"]))
            .row("Место рождения", s(&p["birth_place"]))
            .row("СНИЛС", s(&p["snils"]))
            .row("ИНН", s(&p["inn"]))
            .row(
                "Паспорт",
                format!(
                    "{}, выдан {} {}",
                    s(&p["passport"]["number"]),
                    s(&p["passport"]["issue_date"]),
                    s(&p["passport"]["issuer"])
                ),
            )
            .row("Адрес регистрации", s(&p["address"]));
        sections.push(sec);

        let mut sec = Section::new("Контакты и вход");
        for c in list(&j["contacts"]) {
            let label = if c["channel"] == "phone" {
                "Телефон"
            } else {
                "Эл. почта"
            };
            let state = if !c["removed_at"].is_null() {
                "удалён"
            } else if c["confirmed_at"].is_null() {
                "не подтверждён"
            } else {
                "подтверждён"
            };
            sec.row(label, format!("{} ({state})", s(&c["value"])));
        }
        sec.row(
            "Второй фактор",
            if j["second_factor"]["totp"] == true {
                "приложение-аутентификатор"
            } else {
                "SMS-код"
            },
        );
        for h in list(&j["sign_ins"]).iter().take(20) {
            sec.row(
                format!("Вход {}", when(&h["at"])),
                format!(
                    "{}, {}, {}",
                    match h["result"].as_str() {
                        Some("success") => "успешный вход",
                        Some("wrong_password") => "неверный пароль",
                        Some("locked") => "вход заблокирован",
                        Some("factor_failed") => "неверный второй фактор",
                        Some("rate_limited") => "слишком много попыток",
                        _ => "—",
                    },
                    s(&h["device"]),
                    s(&h["ip"])
                ),
            );
        }
        sections.push(sec);

        let mut sec = Section::new("Организации и ИП");
        for o in list(&j["organizations"]) {
            sec.row(
                s(&o["name"]),
                format!("ОГРН {}, роль {}", s(&o["ogrn"]), s(&o["role"])),
            );
        }
        for e in list(&j["entrepreneurs"]) {
            sec.row("ИП", format!("ОГРНИП {}", s(&e["egrip"]["ogrnip"])));
        }
        if sec.is_empty() {
            sec.row("—", "нет");
        }
        sections.push(sec);

        let mut sec = Section::new("Согласия на передачу данных");
        for c in list(&j["consents"]) {
            // What was granted; before approval, what was asked.
            let granted = list(&c["granted_categories"]);
            let shown = if granted.is_empty() {
                list(&c["categories"])
            } else {
                granted
            };
            let cats: Vec<&str> = shown
                .iter()
                .filter_map(|v| v.as_str())
                .filter_map(Category::parse)
                .map(|c| c.title(Lang::Ru))
                .collect();
            let status = c["status"]
                .as_str()
                .and_then(propusk_core::consent::Status::parse)
                .map_or("—", |st| st.title(Lang::Ru));
            sec.row(
                format!(
                    "{} (ОГРН {})",
                    s(&c["organization"]["name"]),
                    s(&c["organization"]["ogrn"])
                ),
                format!(
                    "{status}; цель: {}; данные: {}; до {}; прочтений: {}",
                    s(&c["purpose"]),
                    cats.join(", "),
                    when(&c["valid_until"]),
                    s(&c["read_count"])
                ),
            );
        }
        if sec.is_empty() {
            sec.row("—", "нет");
        }
        sections.push(sec);

        let reads = list(&j["consent_reads"]);
        let mut sec = Section::new(format!("Журнал прочтений ({} записей)", reads.len()));
        for r in reads.iter().take(200) {
            sec.row(
                when(&r["at"]),
                format!(
                    "{}: {} {}",
                    s(&r["client_id"]),
                    s(&r["endpoint"]),
                    s(&r["result"])
                ),
            );
        }
        if reads.len() > 200 {
            sec.row("…", "полный журнал — в выгрузке JSON");
        }
        sections.push(sec);

        let mut sec = Section::new("Копии ответов реестров, которые хранит Пропуск");
        for c in list(&j["registry_copies"]) {
            let title = c["category"]
                .as_str()
                .and_then(Category::parse)
                .map_or("—", |c| c.title(Lang::Ru));
            sec.row(title, format!("получено {}", when(&c["fetched_at"])));
        }
        if sec.is_empty() {
            sec.row("—", "нет");
        }
        sections.push(sec);

        let mut sec = Section::new("Обращения об исправлении сведений");
        for c in list(&j["corrections"]) {
            let status = c["status"]
                .as_str()
                .and_then(propusk_core::rights::CorrectionStatus::parse)
                .map_or("—", |st| st.title(Lang::Ru));
            let category = c["category"].as_str().and_then(Category::parse);
            let field = category
                .and_then(|cat| cat.fields().iter().find(|f| c["field"] == f.name))
                .map_or_else(|| s(&c["field"]), |f| f.title(Lang::Ru).to_owned());
            sec.row(
                format!(
                    "{}: {field}",
                    category.map_or("—", |cat| cat.title(Lang::Ru))
                ),
                format!(
                    "«{}» — {status}{}",
                    s(&c["proposed"]),
                    c["reference"]
                        .as_str()
                        .map(|r| format!(", № {r}"))
                        .unwrap_or_default()
                ),
            );
        }
        if sec.is_empty() {
            sec.row("—", "нет");
        }
        sections.push(sec);

        let events = list(&j["audit_events"]);
        let mut sec = Section::new(format!(
            "Журнал событий учётной записи ({} записей)",
            events.len()
        ));
        for e in events.iter().take(200) {
            let action = s(&e["action"]);
            sec.row(
                when(&e["at"]),
                action_title(&action).map_or(action.clone(), str::to_owned),
            );
        }
        sections.push(sec);

        propusk_docs::export::render(
            "Сведения, которые Пропуск хранит о вас",
            &format!(
                "Выгрузка по статье 14 Федерального закона № 152-ФЗ «О персональных данных». \
                 Сформирована {} (МСК). Машиночитаемая версия — файл JSON в формате {FORMAT}.",
                moscow_time(self.generated_at)
            ),
            &sections,
        )
        .map_err(internal)
    }
}

/// What an audit action on the account means, for the PDF; the JSON keeps
/// the codes. An action not listed shows as its code.
fn action_title(action: &str) -> Option<&'static str> {
    Some(match action {
        "account.registered" => "Регистрация учётной записи",
        "account.registration_with_taken_contact" => {
            "Попытка регистрации с вашим телефоном или почтой"
        }
        "account.data_exported" => "Выгрузка ваших данных",
        "account.deletion_requested" => "Запрос на удаление учётной записи",
        "account.deletion_cancelled" => "Отмена удаления учётной записи",
        "contact.added" => "Добавлен контакт",
        "contact.confirmed" => "Подтверждён контакт",
        "contact.replaced" => "Заменён контакт",
        "entrepreneur.added" => "Добавлены сведения об ИП",
        "factor.totp_enabled" => "Включён вход с приложением-аутентификатором",
        "factor.totp_disabled" => "Отключён вход с приложением-аутентификатором",
        "password.changed" => "Смена пароля",
        "password.recovered" => "Восстановление пароля",
        "profile.updated" => "Изменение профиля",
        "session.ended" => "Завершён сеанс",
        "session.ended_others" => "Завершены другие сеансы",
        "session.signed_out" => "Выход",
        "sign_in.succeeded" => "Вход",
        "sign_in.locked" => "Вход временно заблокирован после неверных паролей",
        "oauth.granted" => "Разрешён вход в сервис организации",
        "oauth.access_revoked" => "Отозван доступ сервиса организации",
        "data.copies_deleted" => "Удалены копии ответов реестров",
        "demo.account_seeded" => "Демонстрационная учётная запись создана",
        _ => return None,
    })
}
