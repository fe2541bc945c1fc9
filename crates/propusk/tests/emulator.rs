//! `propusk emulator` as its own process, as the standard-level job meets
//! it in production: 200 ms per answer and a fifth of answers failing. The
//! checks still all finish, through retries. Also its flags and its export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{BIN, Proc, spawn};
use propusk_core::account::{AccountKind, AccountStatus, TrustLevel};
use propusk_core::time::Clock;
use propusk_registries::Population;
use propusk_registries::connect::{BreakerConfig, Endpoints, Registries, RetryPolicy};
use propusk_service::Services;
use propusk_store::accounts::{self, AccountRow};
use propusk_store::{Db, DbOptions, identity};
use propusk_testkit::both_backends;
use time::OffsetDateTime;

fn emulator(args: &[&str]) -> Proc {
    let mut all = vec!["emulator", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    spawn(&all)
}

struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// The documents as the person enters them: no INN (ФНС gives it).
fn profile(p: &propusk_registries::population::Person) -> propusk_core::account::Profile {
    let mut profile = propusk_service::demo::profile_of(p).unwrap();
    profile.inn = None;
    profile
}

both_backends! {
    async fn checks_finish_through_latency_and_faults(tdb: TestDb) {
        let emu = emulator(&["--people", "3000", "--seed", "5", "--latency-ms", "200", "--fault-rate", "0.2"]);
        let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
        db.migrate().await.unwrap();
        let vault = Arc::new(propusk_core::vault::KeyRing::generate(&mut rand_core::OsRng));
        let clock = Arc::new(TestClock(Mutex::new(propusk_core::time::truncate_micros(OffsetDateTime::now_utc()))));
        let services = Arc::new(Services::new(
            db.clone(),
            vault.clone(),
            Arc::new(propusk_core::password::Hasher::new(Default::default(), &mut rand_core::OsRng).unwrap()),
            clock.clone(),
            "http://propusk.test".into(),
        ));
        let pop = Population::new(5, 3_000);
        let now = clock.now();
        let mut ids = Vec::new();
        let mut tx = db.begin().await.unwrap();
        for p in pop.people().skip(100).take(40) {
            let id = uuid::Uuid::now_v7();
            let json = serde_json::to_vec(&profile(&p)).unwrap();
            accounts::insert(&mut tx, &AccountRow {
                id,
                kind: AccountKind::Person,
                status: AccountStatus::Active,
                trust_level: Some(TrustLevel::Simplified),
                profile: vault.seal(&mut rand_core::OsRng, &json, format!("account.profile:{id}").as_bytes()),
                password_hash: "-".into(),
                pd_consent_version: "test".into(),
                pd_consent_at: now,
                created_at: now,
                updated_at: now,
            }).await.unwrap();
            identity::request(&mut tx, id, now).await.unwrap();
            ids.push(id);
        }
        tx.commit().await.unwrap();

        let policy = RetryPolicy {
            timeout: std::time::Duration::from_secs(2),
            attempts: 4,
            backoff_base: std::time::Duration::from_millis(20),
            backoff_cap: std::time::Duration::from_millis(200),
        };
        let registries = Arc::new(Registries::new(Endpoints::one_base(&emu.1), policy, BreakerConfig::default()).unwrap());
        let mut rounds = 0;
        loop {
            services.run_identity_checks(&registries, 100, 20).await.unwrap();
            let counts = identity::counts(&db).await.unwrap();
            if !counts.iter().any(|(s, n)| s == "pending" && *n > 0) {
                break;
            }
            rounds += 1;
            assert!(rounds < 10, "still pending after {rounds} rounds: {counts:?}");
            // The job's own back-off: the next try is due 30 s on.
            *clock.0.lock().unwrap() += time::Duration::minutes(2);
        }
        for id in ids {
            let check = identity::get(&db, id).await.unwrap().unwrap();
            assert_eq!(check.state, identity::CheckState::Verified, "{check:?}");
        }
    }
}

#[test]
fn bad_flags_are_one_line_and_exit_2() {
    for args in [
        vec!["emulator", "--listen", "127.0.0.1:0", "--fault-rate", "2"],
        vec!["emulator", "--listen", "127.0.0.1:0", "--people", "0"],
        vec!["emulator"],
    ] {
        let o = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("propusk: "), "{err}");
    }
}

#[test]
fn export_writes_one_line_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.jsonl");
    let o = Command::new(BIN)
        .args(["emulator", "--people", "300", "--seed", "9", "--export"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 300);
    let third: serde_json::Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    assert_eq!(third["snils"], "160-503-741 28");
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrote 300 people"));
}

#[test]
fn it_serves_health_and_its_openapi() {
    let emu = emulator(&["--people", "100"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let health = reqwest::get(format!("{}/healthz", emu.1)).await.unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
        let doc: serde_json::Value = reqwest::get(format!("{}/openapi.json", emu.1))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/fns/inn"]["post"].is_object());
    });
}

#[test]
fn the_demo_bank_runs_as_its_own_process() {
    let bank = spawn(&[
        "demo-bank",
        "--listen",
        "127.0.0.1:0",
        "--propusk-url",
        "http://127.0.0.1:8080",
    ]);
    let base = bank.1.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let disco: serde_json::Value = reqwest::get(format!("{base}/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
        assert_eq!(disco["issuer"], base);
        let jwks: serde_json::Value = reqwest::get(format!("{base}/jwks")).await.unwrap().json().await.unwrap();
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
        // Only Propusk's callback is accepted.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client
            .get(format!("{base}/authorize?response_type=code&client_id=propusk&scope=openid&redirect_uri=http%3A%2F%2Fevil.test%2F&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = client
            .get(format!("{base}/authorize?response_type=code&client_id=propusk&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcabinet%2Fconfirm%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    });
}
