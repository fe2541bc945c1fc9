//! Data at scale for benchmarks and load tests (`propusk demo seed`):
//! citizens from the registries' synthetic population, each with a
//! confirmed phone and the demo password, standard level; consents of a
//! bench partner's client over their passport and SNILS, each approved
//! with a real signed receipt and its history; and an access log of reads
//! under them. Rows go in many to a statement (`store::bulk`) and are the
//! same rows the service writes one at a time, so the server reads them as
//! its own.
//!
//! Not done per row: argon2id (one hash of the demo password is shared:
//! hashing a million passwords would take hours and measures nothing),
//! audit events (one `demo.scale_seeded` records the whole seeding), and
//! webhooks (nobody listens to a seed).

use std::collections::BTreeSet;

use propusk_core::account::{AccountKind, AccountStatus, ContactChannel, TrustLevel};
use propusk_core::audit::{Actor, NewEvent};
use propusk_core::consent::record::Channel;
use propusk_core::consent::terms::{Mode, Per, Terms};
use propusk_core::consent::{By, Category, Status};
use propusk_registries::Population;
use propusk_registries::population::FIXTURES;
use propusk_store::accounts::{AccountRow, ContactRow};
use propusk_store::consents::{ConsentRow, EventRow, ReadRow};
use propusk_store::{accounts, audit, bulk, orgs, signing_keys};
use rand_core::OsRng;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::consents::Consent;
use crate::demo::{DEMO_PARTNER_OGRN, DEMO_PASSWORD, profile_of};
use crate::error::internal;
use crate::oauth::NewClient;
use crate::{Result, ServiceError, Services};

/// How much to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub citizens: u64,
    pub consents: u64,
    pub reads: u64,
    /// The population's seed: the same seed gives the same people.
    pub seed: u64,
}

/// What a progress display is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Citizens,
    Consents,
    Reads,
}

/// What was made, and how a bench reaches it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seeded {
    pub citizens: u64,
    pub consents: u64,
    pub reads: u64,
    /// The bench partner's sandbox client (`client_secret_basic`).
    pub client_id: String,
    pub client_secret: String,
    /// Seeded citizens sign in with this phone (and the next ones) and the
    /// demo password.
    pub first_phone: String,
    pub database_bytes: i64,
}

/// The first seeded citizen's phone is `+7 950 000-00-00`; the n-th is
/// that plus n. The demo accounts use `+7 900 …`.
const PHONE_BASE: u64 = 79_500_000_000;
pub const MAX_CITIZENS: u64 = 10_000_000;
/// Rows per transaction: few commits (each waits for the disk), and
/// progress often enough to watch.
const BATCH: usize = 10_000;
/// Consents are approved this long before the seed runs, and reads spread
/// over the days between, ending a day before: a bench that reads "today"
/// is not held back by the seeded reads' frequency limits.
const HISTORY: Duration = Duration::days(30);
/// The bench client's requests a minute (the default is for real partners).
const BENCH_RATE: i64 = 10_000_000;

fn phone(n: u64) -> String {
    format!("+{}", PHONE_BASE + n)
}

impl Services {
    /// Seeds `scale` into this database, telling `progress` how far each
    /// stage got. Refuses a database already seeded (the phones would
    /// clash).
    pub async fn seed_scale(
        &self,
        scale: Scale,
        progress: &(dyn Fn(Stage, u64) + Send + Sync),
    ) -> Result<Seeded> {
        if scale.citizens == 0 || scale.citizens > MAX_CITIZENS {
            return Err(ServiceError::field(
                "citizens",
                "out_of_range",
                "Число граждан: от 1 до 10 000 000",
                "Citizens: 1 to 10,000,000",
            ));
        }
        let first = self.vault.blind_index_hex("phone", &phone(0));
        if accounts::find_confirmed_contact(&self.db, ContactChannel::Phone, &first)
            .await?
            .is_some()
        {
            return Err(ServiceError::field(
                "citizens",
                "seeded",
                "Эта база уже заполнена: начните с пустой",
                "This database is already seeded: start from an empty one",
            ));
        }
        let now = self.clock.now();
        self.ensure_signing_keys().await?;
        let org = match orgs::by_ogrn(&self.db, DEMO_PARTNER_OGRN).await? {
            Some(o) => o.id,
            None => {
                // The demo partner's administrator is a demo account.
                self.seed_demo().await?;
                self.seed_demo_partner().await?
            }
        };
        let created = self
            .create_client(&bench_client(org), Actor::system())
            .await?;
        self.set_rate_limit(&created.client_id, BENCH_RATE).await?;
        let client = self
            .client(&created.client_id)
            .await?
            .ok_or_else(|| internal("the bench client just made"))?;
        let accounts = self.seed_citizens(scale, now, progress).await?;
        self.seed_consents(&client, &accounts, scale, now, progress)
            .await?;

        let event = NewEvent::new(Actor::system(), "demo.scale_seeded")
            .subject(format!("oauth_client:{}", client.id))
            .details(serde_json::json!({
                "citizens": scale.citizens, "consents": scale.consents, "reads": scale.reads,
            }));
        audit::record(&self.db, self.clock.now(), &event).await?;
        Ok(Seeded {
            citizens: scale.citizens,
            consents: scale.consents,
            reads: scale.reads,
            client_id: created.client_id,
            client_secret: created.client_secret.unwrap_or_default(),
            first_phone: phone(0),
            database_bytes: bulk::database_bytes(&self.db).await?,
        })
    }

    async fn seed_citizens(
        &self,
        scale: Scale,
        now: OffsetDateTime,
        progress: &(dyn Fn(Stage, u64) + Send + Sync),
    ) -> Result<Vec<Uuid>> {
        let fixtures = FIXTURES.len() as u64;
        let pop = Population::new(scale.seed, scale.citizens + fixtures);
        let hash = self.passwords.hash(DEMO_PASSWORD).await?;
        let since = propusk_core::time::canonical(now - HISTORY - Duration::days(1));
        let mut ids = Vec::with_capacity(usize::try_from(scale.citizens).unwrap_or(0));
        let mut people = Vec::with_capacity(BATCH);
        let mut contacts = Vec::with_capacity(BATCH);
        for n in 0..scale.citizens {
            let person = pop
                .person(fixtures + n)
                .ok_or_else(|| internal("a person of the population"))?;
            let mut profile = profile_of(&person).ok_or_else(|| internal("a generated name"))?;
            profile.identity_check = Some(propusk_core::account::IdentityCheck {
                state: propusk_core::account::IdentityState::Verified,
                since: since.clone(),
                reason: None,
            });
            let id = Uuid::now_v7();
            let json = serde_json::to_vec(&profile).map_err(internal)?;
            people.push(AccountRow {
                id,
                kind: AccountKind::Person,
                status: AccountStatus::Active,
                trust_level: Some(TrustLevel::Standard),
                profile: self.vault.seal(
                    &mut OsRng,
                    &json,
                    format!("account.profile:{id}").as_bytes(),
                ),
                password_hash: hash.clone(),
                pd_consent_version: crate::registration::PD_CONSENT_VERSION.into(),
                pd_consent_at: now,
                created_at: now,
                updated_at: now,
            });
            let contact = Uuid::now_v7();
            let phone = phone(n);
            contacts.push(ContactRow {
                id: contact,
                account_id: id,
                channel: ContactChannel::Phone,
                value_index: self.vault.blind_index_hex("phone", &phone),
                value: self.vault.seal(
                    &mut OsRng,
                    phone.as_bytes(),
                    format!("contact:{contact}").as_bytes(),
                ),
                created_at: now,
                confirmed_at: Some(now),
                removed_at: None,
            });
            ids.push(id);
            if people.len() == BATCH || n + 1 == scale.citizens {
                let mut tx = self.db.begin().await?;
                bulk::accounts(&mut tx, &people).await?;
                bulk::contacts(&mut tx, &contacts).await?;
                tx.commit().await?;
                people.clear();
                contacts.clear();
                progress(Stage::Citizens, n + 1);
            }
        }
        Ok(ids)
    }

    /// Consent `j` is the citizen `j mod N`'s; read `r` is under consent
    /// `r mod M`, so counts and last reads are known without a look-up.
    async fn seed_consents(
        &self,
        client: &crate::oauth::Client,
        accounts: &[Uuid],
        scale: Scale,
        now: OffsetDateTime,
        progress: &(dyn Fn(Stage, u64) + Send + Sync),
    ) -> Result<()> {
        let org = orgs::get(&self.db, client.org_id)
            .await?
            .ok_or_else(|| internal("the bench client's organization"))?;
        let approved_at = now - HISTORY - Duration::hours(1);
        let valid_until = approved_at + Duration::days(364);
        let categories: BTreeSet<Category> = [Category::Passport, Category::Snils].into();
        let terms = Terms {
            purpose: "loan_application".into(),
            categories: categories.clone(),
            optional: BTreeSet::new(),
            valid_until,
            mode: Mode::Periodic {
                max_reads: 100,
                per: Per::Day,
            },
            return_url: None,
        };
        let terms_json = serde_json::to_string(&terms).map_err(internal)?;
        let granted_json = serde_json::to_string(&["passport", "snils"]).map_err(internal)?;
        let m = scale.consents;
        let reads_of = |j: u64| scale.reads / m.max(1) + u64::from(j < scale.reads % m.max(1));
        // Read r is at the start of the history plus r steps.
        let step = if scale.reads > 0 {
            (HISTORY - Duration::days(1)) / u32::try_from(scale.reads).unwrap_or(u32::MAX)
        } else {
            Duration::ZERO
        };
        let read_at = |r: u64| approved_at + Duration::hours(1) + step * r as f64;
        let mut receipt_kid = None;
        let mut ids = Vec::with_capacity(usize::try_from(m).unwrap_or(0));
        let mut rows = Vec::with_capacity(BATCH);
        let mut events = Vec::with_capacity(2 * BATCH);
        let mut subjects = Vec::with_capacity(BATCH);
        for j in 0..m {
            let account = accounts[usize::try_from(j % accounts.len() as u64).map_err(internal)?];
            let subject = self.pairwise_sub(&client.sector, account);
            if (j as usize) < accounts.len() {
                subjects.push((client.sector.clone(), subject.clone(), account, approved_at));
            }
            let id = Uuid::now_v7();
            ids.push(id);
            let count = reads_of(j);
            let consent = Consent {
                id,
                client_id: client.id.clone(),
                client_name: client.name.clone(),
                org_name: org.name.clone(),
                org_ogrn: org.ogrn.clone(),
                org_inn: org.inn.clone(),
                account_id: account,
                subject: subject.clone(),
                channel: Channel::Api,
                terms: terms.clone(),
                granted: categories.clone(),
                status: Status::Active,
                status_by: Some(By::Citizen.code().into()),
                status_reason: None,
                created_at: approved_at - Duration::minutes(5),
                request_expires_at: approved_at + Duration::days(1),
                approved_at: Some(approved_at),
                status_changed_at: approved_at,
                read_count: i64::try_from(count).unwrap_or(i64::MAX),
                last_read_at: (count > 0).then(|| read_at(j + (count - 1) * m)),
                record_hash: None,
                receipt: None,
            };
            let hash = consent.record(approved_at).hash();
            let receipt = self
                .sign_receipt(&consent, "consent.approved", approved_at)
                .await?;
            receipt_kid.get_or_insert_with(|| receipt.kid.clone());
            events.push(EventRow {
                id: Uuid::now_v7(),
                consent_id: id,
                at: consent.created_at,
                event: "consent.requested".into(),
                from_status: None,
                to_status: Status::Requested,
                by_whom: By::Partner.code().into(),
                reason: None,
                receipt: None,
            });
            events.push(EventRow {
                id: receipt.id,
                consent_id: id,
                at: approved_at,
                event: "consent.approved".into(),
                from_status: Some(Status::Requested),
                to_status: Status::Active,
                by_whom: By::Citizen.code().into(),
                reason: None,
                receipt: Some(receipt.jws.clone()),
            });
            rows.push(ConsentRow {
                id,
                client_id: consent.client_id,
                org_id: client.org_id,
                account_id: account,
                subject,
                channel: Channel::Api.code().into(),
                purpose: terms.purpose.clone(),
                terms: terms_json.clone(),
                granted: Some(granted_json.clone()),
                status: Status::Active,
                status_by: consent.status_by,
                status_reason: None,
                created_at: consent.created_at,
                request_expires_at: consent.request_expires_at,
                valid_until,
                approved_at: Some(approved_at),
                status_changed_at: approved_at,
                read_count: consent.read_count,
                last_read_at: consent.last_read_at,
                record_hash: Some(hash),
                receipt: Some(receipt.jws),
            });
            if rows.len() == BATCH || j + 1 == m {
                let mut tx = self.db.begin().await?;
                bulk::subjects(&mut tx, &subjects).await?;
                bulk::consents(&mut tx, &rows).await?;
                for half in events.chunks(BATCH) {
                    bulk::consent_events(&mut tx, half).await?;
                }
                tx.commit().await?;
                rows.clear();
                events.clear();
                subjects.clear();
                progress(Stage::Consents, j + 1);
            }
        }
        if let Some(kid) = receipt_kid {
            // The receipts' key stays published as long as they matter.
            let retention = propusk_core::consent::catalogue::purpose(&terms.purpose)
                .map_or(0, |p| p.retention_days);
            let mut tx = self.db.begin().await?;
            signing_keys::keep_until(
                &mut tx,
                &kid,
                valid_until + Duration::days(i64::from(retention)),
            )
            .await?;
            tx.commit().await?;
        }
        self.seed_reads(client, accounts, &ids, scale, read_at, progress)
            .await
    }

    /// The access log: read `r` under consent `r mod M`.
    async fn seed_reads(
        &self,
        client: &crate::oauth::Client,
        accounts: &[Uuid],
        ids: &[Uuid],
        scale: Scale,
        read_at: impl Fn(u64) -> OffsetDateTime,
        progress: &(dyn Fn(Stage, u64) + Send + Sync),
    ) -> Result<()> {
        if scale.reads == 0 || scale.consents == 0 {
            return Ok(());
        }
        let asked = serde_json::to_string(&["passport", "snils"]).map_err(internal)?;
        let mut batch = Vec::with_capacity(BATCH);
        for r in 0..scale.reads {
            let j = r % scale.consents;
            let consent_id = ids[usize::try_from(j).map_err(internal)?];
            let account = accounts[usize::try_from(j % accounts.len() as u64).map_err(internal)?];
            batch.push(ReadRow {
                id: Uuid::now_v7(),
                consent_id,
                account_id: account,
                client_id: client.id.clone(),
                at: read_at(r),
                endpoint: "/api/v1/person".into(),
                categories_asked: asked.clone(),
                categories_returned: asked.clone(),
                result: "ok".into(),
                answer_sha256: None,
            });
            if batch.len() == BATCH || r + 1 == scale.reads {
                let mut tx = self.db.begin().await?;
                bulk::consent_reads(&mut tx, &batch).await?;
                tx.commit().await?;
                batch.clear();
                progress(Stage::Reads, r + 1);
            }
        }
        Ok(())
    }
}

fn bench_client(org: Uuid) -> NewClient {
    NewClient {
        org_id: org,
        name: "Нагрузочный тест".into(),
        profile: propusk_oidc::Profile::Oidc,
        sandbox: true,
        redirect_uris: vec!["http://127.0.0.1:9/bench".into()],
        scopes: vec![
            "fullname".into(),
            "id_doc".into(),
            "snils".into(),
            "inn".into(),
        ],
        jwks: None,
        jwks_uri: None,
        secret: true,
        ip_allow: vec![],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
    }
}
