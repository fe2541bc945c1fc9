//! Delivering the outbox. A dispatcher runs inside every `serve` process;
//! each round it claims a batch of due messages under a lease (see
//! `propusk_store::outbox::claim_due`), sends them, and records the result:
//! sent, retried later with exponential back-off, or dead after the last try.
//! Several nodes never claim the same message while its lease runs.

pub mod email;
pub mod sms;

use std::time::Duration as StdDuration;

use propusk_core::retry::Backoff;
use propusk_store::outbox::{self, Channel, Claimed};
use time::Duration;
use tokio::sync::watch;

use crate::notify;
use crate::{Result, Services};

/// How messages leave Propusk. Without a transport for a channel its
/// messages wait (and are dead-lettered after the last try), except in demo
/// mode, where they count as delivered to the demo outbox page.
#[derive(Debug, Clone, Default)]
pub struct DeliverySettings {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub sms_gateway_url: Option<String>,
    pub sms_gateway_token: Option<String>,
    pub demo: bool,
}

enum EmailOut {
    Smtp(email::Smtp),
    Demo,
    None,
}

enum SmsOut {
    Gateway(sms::Gateway),
    Demo,
    None,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

pub struct Dispatcher {
    services: Services,
    email: EmailOut,
    sms: SmsOut,
    pub backoff: Backoff,
    /// How long a claimed message is this dispatcher's alone.
    pub lease: Duration,
    pub batch: i64,
    pub idle_wait: StdDuration,
    /// For back-channel logout tokens to partners.
    http: reqwest::Client,
}

impl Dispatcher {
    pub fn new(services: Services, settings: &DeliverySettings) -> Result<Dispatcher, String> {
        let email = match &settings.smtp_url {
            Some(url) => EmailOut::Smtp(email::Smtp::new(url, &settings.mail_from)?),
            None if settings.demo => EmailOut::Demo,
            None => EmailOut::None,
        };
        let sms = match &settings.sms_gateway_url {
            Some(url) => {
                SmsOut::Gateway(sms::Gateway::new(url, settings.sms_gateway_token.clone())?)
            }
            None if settings.demo => SmsOut::Demo,
            None => SmsOut::None,
        };
        if matches!(email, EmailOut::None) {
            tracing::warn!("no --smtp-url: emails wait in the outbox");
        }
        if matches!(sms, SmsOut::None) {
            tracing::warn!("no --sms-gateway-url: SMS wait in the outbox");
        }
        Ok(Dispatcher {
            services,
            email,
            sms,
            backoff: Backoff::default(),
            lease: Duration::minutes(2),
            batch: 50,
            idle_wait: StdDuration::from_secs(1),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(StdDuration::from_secs(5))
                .build()
                .map_err(|e| e.to_string())?,
        })
    }

    /// Claims and delivers one batch.
    pub async fn run_once(&self) -> Result<Round> {
        let now = self.services.clock.now();
        let claimed =
            outbox::claim_due(&self.services.db, now, now + self.lease, self.batch).await?;
        let mut round = Round::default();
        for c in claimed {
            match self.deliver(&c).await {
                Ok(()) => {
                    outbox::mark_sent(&self.services.db, c.row.id, self.services.clock.now())
                        .await?;
                    round.sent += 1;
                }
                Err((permanent, error)) => {
                    let attempts = u32::try_from(c.attempts).unwrap_or(u32::MAX);
                    let retry = if permanent {
                        None
                    } else {
                        self.backoff.after(attempts)
                    };
                    let at = retry.map(|d| self.services.clock.now() + d);
                    outbox::mark_failed(&self.services.db, c.row.id, &error, at).await?;
                    if at.is_some() {
                        round.retried += 1;
                    } else {
                        tracing::warn!(message = %c.row.id, %error, "message dead-lettered");
                        round.dead += 1;
                    }
                }
            }
        }
        round.sent += self.services.deliver_logouts(&self.http).await?;
        let (sent, retried, dead) = self.services.deliver_webhooks(&self.http).await?;
        round.sent += sent;
        round.retried += retried;
        round.dead += dead;
        if round != Round::default() {
            metrics::counter!("propusk_outbox_sent_total").increment(round.sent as u64);
            metrics::counter!("propusk_outbox_retried_total").increment(round.retried as u64);
            metrics::counter!("propusk_outbox_dead_total").increment(round.dead as u64);
        }
        Ok(round)
    }

    /// `Err((permanent, text))` on failure; texts hold no personal data.
    async fn deliver(&self, c: &Claimed) -> std::result::Result<(), (bool, String)> {
        let message = notify::open(&self.services.vault, &c.row)
            .map_err(|e| (true, format!("cannot open message: {e}")))?;
        match c.row.channel {
            Channel::Email => match &self.email {
                EmailOut::Smtp(smtp) => {
                    smtp.send(&message.to, &message.content)
                        .await
                        .map_err(|e| match e {
                            email::EmailError::Permanent(t) => (true, t),
                            email::EmailError::Transient(t) => (false, t),
                        })
                }
                EmailOut::Demo => Ok(()),
                EmailOut::None => Err((false, "no SMTP server configured".into())),
            },
            Channel::Sms => match &self.sms {
                SmsOut::Gateway(g) => {
                    g.send(&message.to, &message.content.body)
                        .await
                        .map_err(|e| match e {
                            sms::SmsError::Permanent(t) => (true, t),
                            sms::SmsError::Transient(t) => (false, t),
                        })
                }
                SmsOut::Demo => Ok(()),
                SmsOut::None => Err((false, "no SMS gateway configured".into())),
            },
            Channel::Push => Err((true, "push delivery is not built yet".into())),
        }
    }

    /// Delivers until `stop` turns true. A round that fails (database away)
    /// is logged and retried after the idle wait.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            let busy = match self.run_once().await {
                Ok(r) => r.sent + r.retried + r.dead > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed");
                    false
                }
            };
            if *stop.borrow() {
                return;
            }
            if !busy {
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(self.idle_wait) => {}
                }
            }
        }
    }
}
