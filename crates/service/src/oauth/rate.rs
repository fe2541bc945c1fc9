//! Per-client rate limits (requests a minute, `rate_per_minute` on the
//! client). Each node counts in memory and adds its counts to the shared
//! table every second, reading back the total of all nodes: a client is
//! held to its limit across nodes, give or take one second of the others'
//! requests, without a database write per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use propusk_oidc::{ErrorCode, OAuthError};
use propusk_store::{Db, oauth_rate};

use super::Client;
use crate::{Result, ServiceError, Services};

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    window: i64,
    /// Counted here, not yet added to the table.
    pending: i64,
    /// Every node's count in this window, as last read.
    global: i64,
}

#[derive(Default)]
pub struct RateLimits {
    counters: Arc<Mutex<HashMap<String, Counter>>>,
    flusher: OnceLock<()>,
}

/// Seconds until the next minute starts.
pub fn retry_after(now: i64) -> i64 {
    60 - now.rem_euclid(60)
}

impl RateLimits {
    fn start(&self, db: &Db) {
        self.flusher.get_or_init(|| {
            let (db, counters) = (db.clone(), self.counters.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    flush(&db, &counters).await;
                }
            });
        });
    }
}

async fn flush(db: &Db, counters: &Mutex<HashMap<String, Counter>>) {
    let due: Vec<(String, i64, i64)> = match counters.lock() {
        Ok(mut c) => c
            .iter_mut()
            .filter(|(_, v)| v.pending > 0)
            .map(|(k, v)| {
                let n = std::mem::take(&mut v.pending);
                (k.clone(), v.window, n)
            })
            .collect(),
        Err(_) => return,
    };
    for (client, window, n) in due {
        match oauth_rate::add(db, &client, window, n).await {
            Ok(total) => {
                if let Ok(mut c) = counters.lock()
                    && let Some(v) = c.get_mut(&client)
                    && v.window == window
                {
                    v.global = total;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "rate counts not saved; kept for the next round");
                if let Ok(mut c) = counters.lock()
                    && let Some(v) = c.get_mut(&client)
                    && v.window == window
                {
                    v.pending += n;
                }
            }
        }
    }
}

impl Services {
    /// Sets a client's limit (requests a minute, over all nodes).
    pub async fn set_rate_limit(&self, client_id: &str, per_minute: i64) -> Result<()> {
        if per_minute < 1 {
            return Err(ServiceError::field(
                "rate_per_minute",
                "invalid",
                "Лимит должен быть положительным",
                "The limit must be positive",
            ));
        }
        oauth_rate::set_limit(&self.db, client_id, per_minute).await?;
        self.oauth.clear();
        Ok(())
    }

    /// Counts one request of `client`; `slow_down` (429) over its limit.
    pub(crate) fn check_rate(&self, client: &Client) -> Result<()> {
        self.oauth.rates.start(&self.db);
        let now = self.unix_now();
        let window = now.div_euclid(60);
        let mut counters = self
            .oauth
            .rates
            .counters
            .lock()
            .map_err(|_| crate::error::internal("rate counters poisoned"))?;
        let c = counters.entry(client.id.clone()).or_default();
        if c.window != window {
            *c = Counter {
                window,
                ..Counter::default()
            };
        }
        if c.global + c.pending >= client.rate_per_minute {
            return Err(ServiceError::OAuth(OAuthError::new(
                ErrorCode::SlowDown,
                format!(
                    "over this client's limit of {} requests a minute; retry in {} s",
                    client.rate_per_minute,
                    retry_after(now)
                ),
            )));
        }
        c.pending += 1;
        Ok(())
    }
}
