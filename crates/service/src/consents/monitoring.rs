//! What a partner watches (docs/consents.md, «Monitoring»): its consents
//! by status and purpose, its reads per day and category, the reads that
//! were refused and why; and the daily digest to its administrators with
//! the consents about to end.

use std::collections::{BTreeMap, BTreeSet};

use propusk_core::account::ContactChannel;
use propusk_core::consent::{Category, Status, catalogue};
use propusk_core::org::Role;
use propusk_store::{consent_stats, orgs};
use time::{Duration, OffsetDateTime};

use crate::notify::Content;
use crate::{Result, Services};

/// How far back monitoring looks at most.
pub const MAX_DAYS: i64 = 90;
/// The digest names consents ending within this.
pub const DIGEST_HORIZON: Duration = Duration::days(7);
/// The most consents one digest lists by name.
const DIGEST_LIST: usize = 50;

/// A Moscow day of a client's reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Day {
    /// `YYYY-MM-DD`, Moscow time.
    pub day: String,
    /// Reads answered.
    pub ok: i64,
    /// Categories returned by those reads, each read counted per category.
    pub by_category: BTreeMap<Category, i64>,
    /// Refused reads by problem code (`consent_revoked`, `too_frequent`, …).
    pub refused: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitoring {
    pub since: OffsetDateTime,
    /// `(status, purpose, count)`.
    pub by_status: Vec<(Status, String, i64)>,
    /// Oldest first; days without reads are left out.
    pub days: Vec<Day>,
}

impl Monitoring {
    /// Every consent of the client, whatever its state.
    pub fn total(&self) -> i64 {
        self.by_status.iter().map(|(_, _, n)| n).sum()
    }

    /// How many consents are in `status`.
    pub fn in_status(&self, status: Status) -> i64 {
        self.by_status
            .iter()
            .filter(|(s, _, _)| *s == status)
            .map(|(_, _, n)| n)
            .sum()
    }

    pub fn to_json(&self) -> serde_json::Value {
        use time::format_description::well_known::Rfc3339;
        serde_json::json!({
            "since": self.since.format(&Rfc3339).ok(),
            "consents": self.by_status.iter().map(|(s, p, n)| serde_json::json!({
                "status": s.code(), "purpose": p, "count": n,
            })).collect::<Vec<_>>(),
            "reads": self.days.iter().map(|d| serde_json::json!({
                "day": d.day,
                "ok": d.ok,
                "categories": d.by_category.iter().map(|(c, n)| (c.code().to_owned(), serde_json::Value::from(*n))).collect::<serde_json::Map<_, _>>(),
                "refused": d.refused,
            })).collect::<Vec<_>>(),
        })
    }
}

impl Services {
    /// A client's monitoring over the last `days` (1 to [`MAX_DAYS`]).
    pub async fn consent_monitoring(&self, client_id: &str, days: i64) -> Result<Monitoring> {
        let since = self.clock.now() - Duration::days(days.clamp(1, MAX_DAYS));
        let by_status = consent_stats::by_status(&self.db, client_id)
            .await?
            .into_iter()
            .filter_map(|(s, p, n)| Status::parse(&s).map(|s| (s, p, n)))
            .collect();
        let mut days: BTreeMap<String, Day> = BTreeMap::new();
        for g in consent_stats::reads(&self.db, client_id, since).await? {
            let day = days.entry(g.day.clone()).or_insert_with(|| Day {
                day: g.day.clone(),
                ..Day::default()
            });
            if g.result == "ok" {
                day.ok += g.count;
                let cats: BTreeSet<Category> =
                    serde_json::from_str(&g.categories).unwrap_or_default();
                for c in cats {
                    *day.by_category.entry(c).or_default() += g.count;
                }
            } else {
                *day.refused.entry(g.result).or_default() += g.count;
            }
        }
        Ok(Monitoring {
            since,
            by_status,
            days: days.into_values().collect(),
        })
    }

    /// The daily digest: to each administrator (confirmed e-mail) of each
    /// organization whose clients have active consents ending within
    /// [`DIGEST_HORIZON`], the list of them. Organizations with none get
    /// nothing. Returns how many organizations were written to.
    pub async fn send_partner_digests(&self) -> Result<usize> {
        let now = self.clock.now();
        let ending = consent_stats::ending(&self.db, now, now + DIGEST_HORIZON, 100_000).await?;
        // client → its consents; then organization → its clients' lines.
        let mut by_org: BTreeMap<uuid::Uuid, (String, Vec<String>, usize)> = BTreeMap::new();
        for (client_id, id, purpose, until) in ending {
            let Some(client) = self.client(&client_id).await? else {
                continue;
            };
            let entry = by_org
                .entry(client.org_id)
                .or_insert_with(|| (client.org_name.clone(), Vec::new(), 0));
            entry.2 += 1;
            if entry.1.len() < DIGEST_LIST {
                let purpose = catalogue::purpose(&purpose).map_or(purpose.clone(), |p| {
                    p.title(propusk_core::Lang::Ru).to_owned()
                });
                entry.1.push(format!(
                    "— {} «{}»: {}, до {} (МСК), {id}",
                    client.name,
                    client.id,
                    purpose,
                    crate::format::moscow_time(until)
                ));
            }
        }
        let mut sent = 0;
        for (org_id, (org_name, lines, total)) in by_org {
            let admins: Vec<_> = orgs::members(&self.db, org_id)
                .await?
                .into_iter()
                .filter(|m| Role::parse(&m.role) == Some(Role::Administrator))
                .collect();
            if admins.is_empty() {
                continue;
            }
            let more = total.saturating_sub(lines.len());
            let tail = if more > 0 {
                format!(
                    "\n…и ещё {more}. Полный список — в кабинете организации, раздел «Мониторинг согласий»."
                )
            } else {
                String::new()
            };
            let content = Content::text(
                propusk_core::Lang::Ru,
                "Пропуск: согласия, которые истекают в ближайшие 7 дней",
                format!(
                    "{org_name}: согласий, которые истекают в ближайшие 7 дней, — {total}.\n{}{tail}\n\
                     Чтобы продолжить получать данные, попросите граждан о новом согласии заранее.",
                    lines.join("\n")
                ),
            );
            let mut tx = self.db.begin().await?;
            for m in &admins {
                self.notify_contacts(&mut tx, m.account_id, &content, Some(ContactChannel::Email))
                    .await?;
            }
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}

/// How many consents a CSV export holds at most (newest first).
pub const EXPORT_LIMIT: i64 = 100_000;

fn csv_text(w: csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w
        .into_inner()
        .map_err(|e| crate::error::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(crate::error::internal)
}

impl Monitoring {
    /// The reads as CSV, one row per day and category answered or per day
    /// and refusal: `day,result,category,count`.
    pub fn reads_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let bad = |e: csv::Error| crate::error::internal(e.to_string());
        w.write_record(["day", "result", "category", "count"])
            .map_err(bad)?;
        for d in &self.days {
            for (c, n) in &d.by_category {
                w.write_record([d.day.as_str(), "ok", c.code(), &n.to_string()])
                    .map_err(bad)?;
            }
            for (code, n) in &d.refused {
                w.write_record([d.day.as_str(), code.as_str(), "", &n.to_string()])
                    .map_err(bad)?;
            }
        }
        csv_text(w)
    }
}

impl Services {
    /// A client's consents as CSV (no personal data: the pairwise `sub`
    /// only), newest first, at most [`EXPORT_LIMIT`].
    pub async fn consents_csv(&self, client_id: &str) -> Result<String> {
        use time::format_description::well_known::Rfc3339;
        let t =
            |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default();
        let bad = |e: csv::Error| crate::error::internal(e.to_string());
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "id",
            "sub",
            "status",
            "purpose",
            "channel",
            "categories",
            "granted_categories",
            "mode",
            "created_at",
            "approved_at",
            "valid_until",
            "status_changed_at",
            "read_count",
            "last_read_at",
        ])
        .map_err(bad)?;
        let rows =
            propusk_store::consents::of_client(&self.db, client_id, None, EXPORT_LIMIT).await?;
        for row in rows {
            let (terms, granted) = super::terms_of(&row)?;
            let join = |set: &BTreeSet<Category>| {
                set.iter().map(|c| c.code()).collect::<Vec<_>>().join(" ")
            };
            let mode = match terms.mode {
                propusk_core::consent::Mode::OneTime => "one_time".to_owned(),
                propusk_core::consent::Mode::Periodic { max_reads, per } => {
                    format!("periodic {max_reads}/{}", per.code())
                }
            };
            w.write_record([
                row.id.to_string(),
                row.subject.clone(),
                row.status.code().to_owned(),
                row.purpose.clone(),
                row.channel.clone(),
                join(&terms.categories),
                join(&granted),
                mode,
                t(Some(row.created_at)),
                t(row.approved_at),
                t(Some(row.valid_until)),
                t(Some(row.status_changed_at)),
                row.read_count.to_string(),
                t(row.last_read_at),
            ])
            .map_err(bad)?;
        }
        csv_text(w)
    }

    /// Monitoring from the partner portal, for one of the organization's
    /// own clients.
    pub async fn org_consent_monitoring(
        &self,
        acting: &crate::org::Acting,
        client_id: &str,
        days: i64,
    ) -> Result<Monitoring> {
        self.own_client(acting, client_id).await?;
        self.consent_monitoring(client_id, days).await
    }

    /// The consents CSV from the partner portal.
    pub async fn org_consents_csv(
        &self,
        acting: &crate::org::Acting,
        client_id: &str,
    ) -> Result<String> {
        self.own_client(acting, client_id).await?;
        self.consents_csv(client_id).await
    }
}
