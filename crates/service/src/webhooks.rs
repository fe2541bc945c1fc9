//! Webhooks to partners: endpoints a client registers (https in
//! production, loopback http in the sandbox), an event queued for each
//! endpoint in the transaction of the change that causes it, and delivery
//! from that queue by the dispatcher on every node: signed with HMAC-SHA256
//! (`core::webhook`), retried with back-off for a day, then dead-lettered.

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::webhook::{self, EVENTS, ROTATION_OVERLAP, SIGNATURE_HEADER};
use propusk_store::webhooks::{self, DeliveryRow, EndpointRow};
use propusk_store::{Tx, audit};
use rand_core::{OsRng, RngCore};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::consents::Consent;
use crate::error::internal;
use crate::oauth::Client;
use crate::{Result, ServiceError, Services};

/// An endpoint as its owner sees it (never its secret, after creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: OffsetDateTime,
    pub disabled: bool,
    pub rotating_until: Option<OffsetDateTime>,
}

fn endpoint(row: &EndpointRow, now: OffsetDateTime) -> Endpoint {
    Endpoint {
        id: row.id,
        url: row.url.clone(),
        events: serde_json::from_str(&row.events).unwrap_or_default(),
        created_at: row.created_at,
        disabled: row.disabled_at.is_some(),
        rotating_until: row.previous_until.filter(|u| *u > now),
    }
}

fn new_secret() -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// https, or for a sandbox client also http on a loopback address.
fn url_allowed(url: &str, sandbox: bool) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    if url.len() > 2000 || !u.username().is_empty() || u.password().is_some() {
        return false;
    }
    match u.scheme() {
        "https" => u.host_str().is_some(),
        "http" if sandbox => {
            matches!(
                u.host(),
                Some(url::Host::Ipv4(a)) if a.is_loopback()
            ) || matches!(u.host(), Some(url::Host::Ipv6(a)) if a.is_loopback())
                || u.host_str() == Some("localhost")
        }
        _ => false,
    }
}

/// How many to claim at once, and how long a claim holds.
const BATCH: i64 = 64;
const LEASE: Duration = Duration::seconds(60);

impl Services {
    fn webhook_context(id: Uuid) -> String {
        format!("webhook_secret:{id}")
    }

    /// Registers an endpoint; returns it and its secret (shown once).
    pub async fn create_webhook(
        &self,
        caller: &Client,
        url: &str,
        events: &[String],
    ) -> Result<(Endpoint, String)> {
        let mut problems = Vec::new();
        if !url_allowed(url, caller.sandbox) {
            problems.push(crate::FieldProblem::text(
                "/url",
                "invalid",
                "Адрес должен начинаться с https:// (в песочнице — также http://127.0.0.1)",
                "The URL must start with https:// (in the sandbox, http://127.0.0.1 also)",
            ));
        }
        let mut list: Vec<String> = Vec::new();
        if events.is_empty() {
            list = EVENTS.iter().map(|e| (*e).to_owned()).collect();
        }
        for e in events {
            if !EVENTS.contains(&e.as_str()) {
                problems.push(crate::FieldProblem::new(
                    "/events",
                    "unknown_event",
                    |l| match l {
                        propusk_core::Lang::Ru => {
                            format!("Неизвестное событие; возможные: {}", EVENTS.join(", "))
                        }
                        propusk_core::Lang::En => {
                            format!("Unknown event; known ones: {}", EVENTS.join(", "))
                        }
                    },
                ));
            } else if !list.contains(e) {
                list.push(e.clone());
            }
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        let now = self.clock.now();
        let id = Uuid::now_v7();
        let secret = new_secret();
        let row = EndpointRow {
            id,
            client_id: caller.id.clone(),
            url: url.to_owned(),
            events: serde_json::to_string(&list).map_err(internal)?,
            secret: self.vault.seal(
                &mut OsRng,
                secret.as_bytes(),
                Self::webhook_context(id).as_bytes(),
            ),
            previous_secret: None,
            previous_until: None,
            created_at: now,
            disabled_at: None,
        };
        let mut tx = self.db.begin().await?;
        webhooks::insert_endpoint(&mut tx, &row).await?;
        let event = NewEvent::new(Actor::client(&caller.id), "webhook.created")
            .subject(format!("webhook:{id}"))
            .details(serde_json::json!({ "url": url, "events": list }));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok((endpoint(&row, now), secret))
    }

    async fn own_endpoint(&self, caller: &Client, id: Uuid) -> Result<EndpointRow> {
        webhooks::get_endpoint(&self.db, id)
            .await?
            .filter(|e| e.client_id == caller.id)
            .ok_or(ServiceError::NotFound)
    }

    pub async fn webhooks_of(&self, caller: &Client) -> Result<Vec<Endpoint>> {
        let now = self.clock.now();
        Ok(webhooks::endpoints_of(&self.db, &caller.id)
            .await?
            .iter()
            .map(|r| endpoint(r, now))
            .collect())
    }

    /// A new secret; the old one keeps signing for a day beside it.
    pub async fn rotate_webhook_secret(&self, caller: &Client, id: Uuid) -> Result<String> {
        self.own_endpoint(caller, id).await?;
        let now = self.clock.now();
        let secret = new_secret();
        let sealed = self.vault.seal(
            &mut OsRng,
            secret.as_bytes(),
            Self::webhook_context(id).as_bytes(),
        );
        let mut tx = self.db.begin().await?;
        if !webhooks::rotate_secret(&mut tx, id, &sealed, now + ROTATION_OVERLAP).await? {
            return Err(ServiceError::Conflict);
        }
        let event = NewEvent::new(Actor::client(&caller.id), "webhook.secret_rotated")
            .subject(format!("webhook:{id}"));
        audit::append(&mut tx, now, &event).await?;
        tx.commit().await?;
        Ok(secret)
    }

    pub async fn disable_webhook(&self, caller: &Client, id: Uuid) -> Result<()> {
        self.own_endpoint(caller, id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if webhooks::disable_endpoint(&mut tx, id, now).await? {
            let event = NewEvent::new(Actor::client(&caller.id), "webhook.disabled")
                .subject(format!("webhook:{id}"));
            audit::append(&mut tx, now, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn webhook_deliveries(
        &self,
        caller: &Client,
        id: Uuid,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        self.own_endpoint(caller, id).await?;
        Ok(webhooks::deliveries_of(&self.db, id, limit.clamp(1, 500)).await?)
    }

    /// Queues a delivered or dead delivery again, with its event id.
    pub async fn redeliver_webhook(&self, caller: &Client, delivery: Uuid) -> Result<()> {
        let d = webhooks::get_delivery(&self.db, delivery)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.own_endpoint(caller, d.endpoint_id).await?;
        if !webhooks::redeliver(&self.db, delivery, self.clock.now()).await? {
            return Err(ServiceError::Conflict);
        }
        Ok(())
    }

    /// Queues `event` about `consent` for each of its client's endpoints
    /// that listen, in the caller's transaction. `event_id` is stable: the
    /// history row's id.
    pub(crate) async fn enqueue_consent_webhook(
        &self,
        tx: &mut Tx,
        consent: &Consent,
        event: &str,
        event_id: Uuid,
        status: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let endpoints = webhooks::live_endpoints_in(tx, &consent.client_id).await?;
        if endpoints.is_empty() {
            return Ok(());
        }
        use time::format_description::well_known::Rfc3339;
        let payload = serde_json::json!({
            "id": event_id,
            "type": event,
            "created_at": at.format(&Rfc3339).map_err(internal)?,
            "data": {
                "consent_id": consent.id,
                "sub": consent.subject,
                "status": status,
                "purpose": consent.terms.purpose,
                "valid_until": consent.terms.valid_until.format(&Rfc3339).map_err(internal)?,
            },
        })
        .to_string();
        for e in endpoints {
            let listens: Vec<String> = serde_json::from_str(&e.events).unwrap_or_default();
            if listens.iter().any(|l| l == event) {
                webhooks::enqueue(tx, e.id, event_id, event, &payload, at).await?;
            }
        }
        Ok(())
    }

    /// Announces consents that end within seven days (`consent.expiring`),
    /// each once. Returns how many.
    pub async fn announce_expiring_consents(&self, limit: i64) -> Result<usize> {
        let now = self.clock.now();
        let mut n = 0;
        for id in webhooks::expiring_consents(&self.db, now, now + Duration::days(7), limit).await?
        {
            let Some(row) = propusk_store::consents::get(&self.db, id).await? else {
                continue;
            };
            let consent = self.consent_of_row(row).await?;
            let mut tx = self.db.begin().await?;
            if webhooks::mark_expiring_sent(&mut tx, id, now).await? {
                self.enqueue_consent_webhook(
                    &mut tx,
                    &consent,
                    "consent.expiring",
                    Uuid::now_v7(),
                    consent.status.code(),
                    now,
                )
                .await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// The secrets an endpoint signs with now: the current one, and the
    /// previous one during a rotation.
    fn signing_secrets(&self, e: &EndpointRow, now: OffsetDateTime) -> Result<Vec<String>> {
        let context = Self::webhook_context(e.id);
        let mut out = vec![
            self.vault
                .open_str(&e.secret, &context)
                .map_err(internal)?
                .to_string(),
        ];
        if let (Some(prev), Some(until)) = (&e.previous_secret, e.previous_until)
            && until > now
        {
            out.push(
                self.vault
                    .open_str(prev, &context)
                    .map_err(internal)?
                    .to_string(),
            );
        }
        Ok(out)
    }

    /// Claims due deliveries and sends them; returns (delivered, retried, dead).
    pub async fn deliver_webhooks(&self, http: &reqwest::Client) -> Result<(usize, usize, usize)> {
        let now = self.clock.now();
        let claimed = webhooks::claim_due(&self.db, now, now + LEASE, BATCH).await?;
        let mut counts = (0, 0, 0);
        // A batch is mostly a few endpoints: each is read and its secrets
        // opened once per round.
        let mut endpoints: std::collections::HashMap<Uuid, (EndpointRow, Vec<String>)> =
            std::collections::HashMap::new();
        for d in claimed {
            let (e, secrets) = match endpoints.entry(d.endpoint_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let Some(e) = webhooks::get_endpoint(&self.db, d.endpoint_id).await? else {
                        continue;
                    };
                    let secrets = self.signing_secrets(&e, now)?;
                    v.insert((e, secrets))
                }
            };
            let attempt_at = self.clock.now();
            let (code, error) = if e.disabled_at.is_some() {
                (None, Some("endpoint disabled".to_owned()))
            } else {
                let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                let signature = webhook::sign(&refs, attempt_at, d.payload.as_bytes());
                let sent = http
                    .post(&e.url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, signature)
                    .header("Propusk-Event-Id", d.event_id.to_string())
                    .body(d.payload.clone())
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status().is_success() => {
                        (Some(i32::from(res.status().as_u16())), None)
                    }
                    Ok(res) => (
                        Some(i32::from(res.status().as_u16())),
                        Some(format!("answered {}", res.status().as_u16())),
                    ),
                    Err(err) => (None, Some(err.without_url().to_string())),
                }
            };
            let delivered = error.is_none();
            let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            let next = if delivered || e.disabled_at.is_some() {
                None
            } else {
                webhook::next_attempt(d.created_at, attempts, attempt_at)
            };
            webhooks::record_attempt(
                &self.db,
                d.id,
                attempt_at,
                code,
                error.as_deref(),
                delivered,
                next,
            )
            .await?;
            match (delivered, next) {
                (true, _) => counts.0 += 1,
                (false, Some(_)) => counts.1 += 1,
                (false, None) => {
                    tracing::warn!(delivery = %d.id, event = %d.event_type, "webhook dead-lettered");
                    counts.2 += 1;
                }
            }
        }
        Ok(counts)
    }
}

impl Services {
    /// The partner portal's view: a client's endpoints with their newest
    /// deliveries, for the organization's administrators.
    pub async fn org_client_webhooks(
        &self,
        acting: &crate::org::Acting,
        client_id: &str,
    ) -> Result<Vec<(Endpoint, Vec<DeliveryRow>)>> {
        self.own_client(acting, client_id).await?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for e in webhooks::endpoints_of(&self.db, client_id).await? {
            let deliveries = webhooks::deliveries_of(&self.db, e.id, 50).await?;
            out.push((endpoint(&e, now), deliveries));
        }
        Ok(out)
    }

    /// Redelivery from the portal, for one of the client's deliveries.
    pub async fn org_redeliver_webhook(
        &self,
        acting: &crate::org::Acting,
        client_id: &str,
        delivery: Uuid,
    ) -> Result<()> {
        self.own_client(acting, client_id).await?;
        let client = self
            .client(client_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.redeliver_webhook(&client, delivery).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(url_allowed("https://bank.example/hooks", false));
        assert!(!url_allowed("http://bank.example/hooks", true));
        assert!(!url_allowed("http://127.0.0.1:9000/h", false));
        assert!(url_allowed("http://127.0.0.1:9000/h", true));
        assert!(url_allowed("http://[::1]:9000/h", true));
        assert!(!url_allowed("https://user:pw@bank.example/", false));
        assert!(!url_allowed("ftp://bank.example/", false));
        assert!(!url_allowed("not a url", true));
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() > 40);
    }
}
