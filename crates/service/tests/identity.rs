//! The standard level on both databases against the registry emulator on a
//! loopback port: verified, rejected with the reason, pending while a
//! registry is down and verified on the retry, a stale verdict dropped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::sync::Arc;

use common::{PASSWORD, client, last_code, services};
use propusk_core::account::{IdentityState, TrustLevel};
use propusk_registries::Population;
use propusk_registries::population::Person;
use propusk_service::Services;
use propusk_service::profile::ProfileInput;
use propusk_service::registration::Registration;
use propusk_store::identity::{self, CheckState};
use propusk_store::{accounts, audit};
use propusk_testkit::both_backends;
use time::Duration;

const SEED: u64 = 21;

async fn emulator() -> String {
    common::emulator(SEED, 3_000).await
}

use common::connectors;

/// An active account for `p`, signed in, with the profile form filled from
/// `p` (changed by `edit`).
async fn account_for(
    s: &Services,
    p: &Person,
    phone: &str,
    edit: impl FnOnce(&mut ProfileInput),
) -> uuid::Uuid {
    let reg = s
        .register_person(Registration {
            last_name: p.last_name.clone(),
            first_name: p.first_name.clone(),
            middle_name: p.middle_name.clone(),
            phone: phone.into(),
            email: String::new(),
            password: PASSWORD.into(),
            pd_consent: true,
            lang: propusk_core::Lang::Ru,
        })
        .await
        .unwrap();
    let code = last_code(s, phone).await;
    s.confirm_phone(reg.registration, &code).await.unwrap();
    let signed = s
        .sign_in(phone, PASSWORD, &client("192.0.2.50"))
        .await
        .unwrap();
    let current = s.session(&signed.session.token).await.unwrap().unwrap();
    let mut input = ProfileInput {
        birth_date: p.birth_date.to_string(),
        birth_place: p.birth_place.clone(),
        gender: match p.gender {
            propusk_registries::population::Gender::Male => "male".into(),
            propusk_registries::population::Gender::Female => "female".into(),
        },
        passport_number: format!("{} {}", p.passport.series, p.passport.number),
        passport_issue_date: p.passport.issue_date.to_string(),
        passport_issuer: p.passport.issued_by.clone(),
        passport_division_code: p.passport.division_code.clone(),
        snils: p.snils.to_string(),
        inn: String::new(),
        address: p.address.line(),
        postal_code: p.address.zip_code.clone(),
    };
    edit(&mut input);
    assert!(
        s.update_profile(&current, &input).await.unwrap(),
        "the check is queued"
    );
    reg.registration
}

async fn state_of(
    s: &Services,
    id: uuid::Uuid,
) -> (CheckState, Option<IdentityState>, Option<TrustLevel>) {
    let check = identity::get(&s.db, id).await.unwrap().unwrap();
    let profile = s.profile(id).await.unwrap();
    let row = accounts::get(&s.db, id).await.unwrap();
    (
        check.state,
        profile.identity_check.map(|c| c.state),
        row.trust_level,
    )
}

both_backends! {
    async fn documents_that_match_make_the_account_standard(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let s = Arc::new(s);
        let reg = connectors(&emulator().await);
        let pop = Population::new(SEED, 3_000);
        let good = pop.person(1_001).unwrap();
        let good_id = account_for(&s, &good, "+79166000001", |_| {}).await;
        let lebedev = pop.person(4).unwrap();
        let expired_id = account_for(&s, &lebedev, "+79166000002", |_| {}).await;
        let other = pop.person(1_002).unwrap();
        let wrong_id = account_for(&s, &other, "+79166000003", |f| f.birth_date = "1950-01-01".into()).await;

        assert_eq!(s.run_identity_checks(&reg, 100, 8).await.unwrap(), 3);

        assert_eq!(state_of(&s, good_id).await, (CheckState::Verified, Some(IdentityState::Verified), Some(TrustLevel::Standard)));
        assert_eq!(s.profile(good_id).await.unwrap().inn.as_deref(), Some(good.inn.as_str()), "the INN comes from ФНС");
        let (_, log) = s.identity_status(good_id).await.unwrap();
        let messages: Vec<&str> = log.iter().rev().map(|l| l.message.as_str()).collect();
        assert_eq!(messages, ["queued", "passed", "passed", "passed", "verified"]);

        assert_eq!(state_of(&s, expired_id).await.0, CheckState::Rejected);
        let profile = s.profile(expired_id).await.unwrap();
        assert_eq!(profile.identity_check.unwrap().reason.as_deref(), Some("passport_invalid"));
        let (_, log) = s.identity_status(expired_id).await.unwrap();
        assert!(log.iter().any(|l| l.message == "passport_invalid" && l.detail.as_deref() == Some("EXPIRED")));
        assert_ne!(accounts::get(&s.db, expired_id).await.unwrap().trust_level, Some(TrustLevel::Standard));

        let reason = s.profile(wrong_id).await.unwrap().identity_check.unwrap().reason.unwrap();
        assert_eq!(reason, "passport_mismatch,snils_mismatch");
        let (_, log) = s.identity_status(wrong_id).await.unwrap();
        assert!(log.iter().any(|l| l.message == "passport_mismatch" && l.detail.as_deref() == Some("birthDate")));

        // Nothing is left to do, and the chain holds the verdicts.
        assert_eq!(s.run_identity_checks(&reg, 100, 8).await.unwrap(), 0);
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
        let notices = propusk_service::notify::recent(&s.db, &s.vault, 50).await.unwrap();
        assert!(notices.iter().any(|m| m.content.subject == "Данные подтверждены"));
    }

    async fn a_registry_that_is_down_leaves_it_pending_until_the_retry(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let s = Arc::new(s);
        let pop = Population::new(SEED, 3_000);
        let p = pop.person(1_500).unwrap();
        let id = account_for(&s, &p, "+79166000011", |_| {}).await;

        // Nothing listens there.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        assert_eq!(s.run_identity_checks(&connectors(&dead), 10, 4).await.unwrap(), 1);
        let check = identity::get(&s.db, id).await.unwrap().unwrap();
        assert_eq!(check.state, CheckState::Pending);
        assert!(check.last_error.as_deref().unwrap().starts_with("unavailable:"), "{check:?}");
        assert_eq!(check.next_try_at, Some(clock.now_for_test() + Duration::seconds(30)));
        let (_, log) = s.identity_status(id).await.unwrap();
        assert_eq!(log[0].message, "retry");
        assert!(log.iter().filter(|l| l.message == "unavailable").count() == 3);

        // Not due yet; then due, and the registries are back.
        let reg = connectors(&emulator().await);
        assert_eq!(s.run_identity_checks(&reg, 10, 4).await.unwrap(), 0);
        clock.advance(Duration::seconds(31));
        assert_eq!(s.run_identity_checks(&reg, 10, 4).await.unwrap(), 1);
        assert_eq!(state_of(&s, id).await.0, CheckState::Verified);
    }

    async fn a_verdict_on_data_changed_meanwhile_is_dropped(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let pop = Population::new(SEED, 3_000);
        let id = account_for(&s, &pop.person(1_600).unwrap(), "+79166000021", |_| {}).await;
        let now = clock.now_for_test();
        let claims = identity::claim_due(&s.db, now, now + Duration::minutes(5), 10).await.unwrap();
        assert_eq!(claims.len(), 1);
        assert!(identity::claim_due(&s.db, now, now + Duration::minutes(5), 10).await.unwrap().is_empty(), "leased");
        // The person saves new documents: a new generation.
        let mut tx = s.db.begin().await.unwrap();
        identity::request(&mut tx, id, now).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.db.begin().await.unwrap();
        assert!(!identity::finish(&mut tx, &claims[0], CheckState::Verified, now).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(identity::get(&s.db, id).await.unwrap().unwrap().state, CheckState::Pending);
        assert_eq!(identity::claim_due(&s.db, now, now + Duration::minutes(5), 10).await.unwrap()[0].generation, 2);
    }
}

async fn confirmed(s: &Services, id: uuid::Uuid) {
    let mut tx = s.db.begin().await.unwrap();
    accounts::set_status(
        &mut tx,
        id,
        propusk_core::account::AccountStatus::Active,
        Some(TrustLevel::Confirmed),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn current_of(s: &Services, phone: &str) -> propusk_service::sessions::Current {
    let signed = s
        .sign_in(phone, PASSWORD, &client("192.0.2.51"))
        .await
        .unwrap();
    s.session(&signed.session.token).await.unwrap().unwrap()
}

fn code(e: propusk_service::ServiceError) -> &'static str {
    match e {
        propusk_service::ServiceError::Invalid(p) => p[0].code,
        other => panic!("{other:?}"),
    }
}

both_backends! {
    async fn a_confirmed_person_adds_their_own_sole_proprietorship(tdb: TestDb) {
        let (mut s, _) = services(&tdb).await;
        s.registries = Some(connectors(&emulator().await));
        let s = Arc::new(s);
        let pop = Population::new(SEED, 3_000);
        let kuznetsova = pop.person(3).unwrap();
        let id = account_for(&s, &kuznetsova, "+79166000031", |_| {}).await;
        let current = current_of(&s, "+79166000031").await;

        // Not yet confirmed, and no INN before the check: refused with the reason.
        assert_eq!(code(s.add_entrepreneur(&current, "321500000543216").await.unwrap_err()), "level");
        confirmed(&s, id).await;
        assert_eq!(code(s.add_entrepreneur(&current, "321500000543216").await.unwrap_err()), "no_inn");
        s.run_identity_checks(s.registries.as_ref().unwrap(), 10, 2).await.unwrap();
        confirmed(&s, id).await; // the check made it standard; the bank would confirm it

        assert_eq!(code(s.add_entrepreneur(&current, "32150000054321").await.unwrap_err()), "format");
        // Морозов's ИП is not hers.
        assert_eq!(code(s.add_entrepreneur(&current, "318770000123457").await.unwrap_err()), "not_yours");
        // A valid number nobody holds.
        let unknown = propusk_core::ident::build::ogrnip("32150000000000").unwrap();
        assert_eq!(code(s.add_entrepreneur(&current, unknown.as_str()).await.unwrap_err()), "not_found");

        let added = s.add_entrepreneur(&current, "321 500 000 543 216").await.unwrap();
        assert_eq!(added.extract.last_name, "Кузнецова");
        assert_eq!(s.entrepreneurs(id).await.unwrap(), vec![added]);
        assert_eq!(code(s.add_entrepreneur(&current, "321500000543216").await.unwrap_err()), "taken");
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
    }
}
