//! Failed client authentications and refused token requests, in the audit
//! log. One event per request would let anyone who can reach the token
//! endpoint fill the hash chain and make it the endpoint's bottleneck, so
//! each node counts failures in memory by client and reason and writes
//! them every [`FLUSH_EVERY`] as one `oauth.request_failed` event per
//! pair, with the count and the window. A failure for a client that does
//! not exist counts under `oauth_client:unknown`. What a node counted in
//! its last seconds before a crash is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use propusk_core::audit::{Actor, NewEvent};
use propusk_core::time::Clock;
use propusk_oidc::OAuthError;
use propusk_store::{Db, audit};
use time::OffsetDateTime;

pub const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Distinct (client, reason) pairs kept between flushes; beyond it, new
/// pairs count under one "other reasons" line of their client.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    client: String,
    endpoint: &'static str,
    error: &'static str,
    reason: String,
}

#[derive(Default)]
struct Window {
    since: Option<OffsetDateTime>,
    counts: HashMap<Key, u64>,
}

#[derive(Default)]
pub struct Failures {
    window: Arc<Mutex<Window>>,
    flusher: OnceLock<()>,
}

impl Failures {
    /// Counts one refusal at `endpoint` for `client` (`None`: unknown).
    pub(crate) fn note(
        &self,
        db: &Db,
        clock: &Arc<dyn Clock>,
        endpoint: &'static str,
        client: Option<&str>,
        e: &OAuthError,
    ) {
        self.start(db, clock);
        let Ok(mut w) = self.window.lock() else {
            return;
        };
        let now = clock.now();
        w.since.get_or_insert(now);
        let mut key = Key {
            client: client.unwrap_or("unknown").to_owned(),
            endpoint,
            error: e.code.as_str(),
            reason: e.description.chars().take(120).collect(),
        };
        if !w.counts.contains_key(&key) && w.counts.len() >= MAX_KEYS {
            key.reason = "other reasons".into();
        }
        *w.counts.entry(key).or_default() += 1;
    }

    fn start(&self, db: &Db, clock: &Arc<dyn Clock>) {
        self.flusher.get_or_init(|| {
            let (db, clock, window) = (db.clone(), clock.clone(), self.window.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(FLUSH_EVERY).await;
                    flush(&db, clock.as_ref(), &window).await;
                }
            });
        });
    }
}

async fn flush(db: &Db, clock: &dyn Clock, window: &Mutex<Window>) {
    let (since, counts) = match window.lock() {
        Ok(mut w) if !w.counts.is_empty() => (w.since.take(), std::mem::take(&mut w.counts)),
        _ => return,
    };
    let now = clock.now();
    let written = async {
        let mut tx = db.begin().await?;
        for (k, n) in &counts {
            let event = NewEvent::new(Actor::system(), "oauth.request_failed")
                .subject(format!("oauth_client:{}", k.client))
                .details(serde_json::json!({
                    "endpoint": k.endpoint,
                    "error": k.error,
                    "reason": k.reason,
                    "count": n,
                    "since": since.map(rfc3339),
                    "until": rfc3339(now),
                }));
            audit::append(&mut tx, now, &event).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "failed OAuth requests not audited; kept for the next round");
        if let Ok(mut w) = window.lock() {
            if since.is_some() {
                w.since = since;
            }
            for (k, n) in counts {
                *w.counts.entry(k).or_default() += n;
            }
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
