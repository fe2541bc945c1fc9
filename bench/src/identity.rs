//! `propusk-bench identity N [DATABASE_URL]`: the standard-level job against the registry
//! emulator on loopback. N accounts with documents from the emulator's
//! population are written straight into a fresh SQLite database (or the
//! given one, which should be empty; no
//! password hashing: that is the sign-in bench's business), the job runs
//! until none is pending, and the rate is printed.

use std::sync::Arc;
use std::time::Instant;

use propusk_core::account::{AccountKind, AccountStatus, TrustLevel};
use propusk_registries::Population;
use propusk_registries::connect::{BreakerConfig, Endpoints, Registries, RetryPolicy};
use propusk_registries::emulator::{Emulator, Faults};
use propusk_service::Services;
use propusk_store::accounts::{self, AccountRow};
use propusk_store::{Db, DbOptions, identity};
use rand_core::OsRng;

/// The documents as the person enters them: no INN (ФНС gives it).
fn profile(p: &propusk_registries::population::Person) -> Option<propusk_core::account::Profile> {
    let mut profile = propusk_service::demo::profile_of(p)?;
    profile.inn = None;
    Some(profile)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let n: u64 = args
        .first()
        .and_then(|s| s.parse().ok())
        .ok_or("usage: identity N [DATABASE_URL]")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("propusk-bench-identity-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = match args.get(1) {
            Some(url) => Db::connect(url, &DbOptions::default()).await,
            None => Db::open_data_dir(&dir, &DbOptions::default()).await,
        }
        .map_err(|e| e.to_string())?;
        let backend = db.backend().name();
        db.migrate().await.map_err(|e| e.to_string())?;
        let vault = Arc::new(propusk_core::vault::KeyRing::generate(&mut OsRng));
        let hasher = Arc::new(propusk_core::password::Hasher::new(Default::default(), &mut OsRng).map_err(|e| e.to_string())?);
        let services = Arc::new(Services::new(
            db.clone(),
            vault.clone(),
            hasher,
            Arc::new(propusk_core::time::SystemClock),
            "http://bench.test".into(),
        ));

        let pop = Population::new(7, n + 10);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        tokio::spawn(Emulator::new(pop.clone(), Faults::default()).serve(listener, std::future::pending()));

        let t0 = Instant::now();
        let now = propusk_core::time::truncate_micros(time::OffsetDateTime::now_utc());
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        for (k, p) in pop.people().skip(5).take(n as usize).enumerate() {
            let Some(prof) = profile(&p) else { continue };
            let id = uuid::Uuid::now_v7();
            let json = serde_json::to_vec(&prof).map_err(|e| e.to_string())?;
            let row = AccountRow {
                id,
                kind: AccountKind::Person,
                status: AccountStatus::Active,
                trust_level: Some(TrustLevel::Simplified),
                profile: vault.seal(&mut OsRng, &json, format!("account.profile:{id}").as_bytes()),
                password_hash: "-".into(),
                pd_consent_version: "bench".into(),
                pd_consent_at: now,
                created_at: now,
                updated_at: now,
            };
            accounts::insert(&mut tx, &row).await.map_err(|e| e.to_string())?;
            identity::request(&mut tx, id, now).await.map_err(|e| e.to_string())?;
            if k % 1_000 == 999 {
                tx.commit().await.map_err(|e| e.to_string())?;
                tx = db.begin().await.map_err(|e| e.to_string())?;
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("identity_setup {n} accounts in {:.1} s", t0.elapsed().as_secs_f64());

        let registries = Arc::new(
            Registries::new(Endpoints::one_base(&url), RetryPolicy::default(), BreakerConfig::default())
                .map_err(|e| e.to_string())?,
        );
        let t1 = Instant::now();
        let mut done = 0;
        loop {
            let k = services.run_identity_checks(&registries, 512, 64).await.map_err(|e| e.to_string())?;
            done += k;
            if k == 0 {
                break;
            }
        }
        let secs = t1.elapsed().as_secs_f64();
        let counts = identity::counts(&db).await.map_err(|e| e.to_string())?;
        println!(
            "identity_checks {:.0} people/s ({done} checks in {secs:.1} s; states {counts:?}; emulator in-process on loopback, {backend})",
            done as f64 / secs
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}
