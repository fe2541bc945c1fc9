//! The citizen's rights (152-FZ) on both databases, against the registry
//! emulator on loopback: a correction filed with the registry and followed
//! until it decides (accepted, refused, registry down at first), taken
//! back while still ours to take back; the copy of all one's data (JSON
//! and a PDF whose Cyrillic `pdftotext` reads, no secrets); deleting the
//! kept registry answers; and erasure ending the citizen's consents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::client;
use propusk_core::Lang;
use propusk_core::account::ContactChannel;
use propusk_core::consent::Status;
use propusk_core::rights::CorrectionStatus;
use propusk_service::demo::DEMO_PASSWORD;
use propusk_service::sessions::Current;
use propusk_service::{ServiceError, Services, notify};
use propusk_store::{accounts, audit, consents};
use propusk_testkit::both_backends;
use time::Duration;
use uuid::Uuid;

const VOLKOVA: &str = "+79000000002";
const SOKOLOV: &str = "+79000000001";

async fn emulator() -> String {
    common::emulator(5, 500).await
}

use common::connectors;

async fn demo_account(s: &Services, phone: &str) -> Uuid {
    let index = s.vault.blind_index_hex("phone", phone);
    accounts::find_confirmed_contact(&s.db, ContactChannel::Phone, &index)
        .await
        .unwrap()
        .unwrap()
        .account_id
}

/// A session of the demo account at `phone`, and its token.
async fn signed_in(s: &Services, phone: &str) -> (Current, String) {
    let a = s
        .sign_in(phone, DEMO_PASSWORD, &client("192.0.2.70"))
        .await
        .unwrap();
    let current = s.session(&a.session.token).await.unwrap().unwrap();
    (current, a.session.token.to_string())
}

/// The audit actions about a correction, oldest first.
async fn actions(s: &Services, id: Uuid) -> Vec<String> {
    audit::recent_for_subject(&s.db, &format!("data_correction:{id}"), 50)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect()
}

both_backends! {
    async fn a_correction_goes_to_the_registry_and_comes_back_decided(tdb: TestDb) {
        let (mut s, clock) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        s.registries = Some(connectors(&emulator().await));
        let me = demo_account(&s, VOLKOVA).await;

        // Kept answers: the address one goes stale when the registry corrects it.
        let now = clock.now_for_test();
        consents::put_cache(&s.db, me, "address", b"sealed", now).await.unwrap();
        consents::put_cache(&s.db, me, "income", b"sealed", now).await.unwrap();

        let c = s.request_correction(me, "address.address", "г. Москва, ул. Тверская, д. 7, кв. 12", "Переехала в 2025 году").await.unwrap();
        assert_eq!(c.status, CorrectionStatus::Sent, "filed with the registry at once");
        assert_eq!(c.registry.code(), "mvd");
        let reference = c.reference.clone().unwrap();
        assert!(reference.starts_with("MVD-"), "{reference}");
        assert_eq!(c.field_title(Lang::Ru), "Адрес регистрации по месту жительства");

        // Not looked at again before its time; then the registry decides.
        assert_eq!(s.follow_corrections(10).await.unwrap(), 0);
        clock.advance(Duration::minutes(2));
        assert_eq!(s.follow_corrections(10).await.unwrap(), 1);
        assert_eq!(s.follow_corrections(10).await.unwrap(), 0, "decided requests are not followed");
        let c = s.correction_of(me, c.id).await.unwrap();
        assert_eq!(c.status, CorrectionStatus::Accepted);
        assert_eq!(c.reference.as_deref(), Some(reference.as_str()), "the same request at the registry");
        assert!(c.decided_at.is_some() && c.reason.is_none());
        assert_eq!(c.proposed, "г. Москва, ул. Тверская, д. 7, кв. 12", "sealed and opened back");

        let kept: Vec<String> = consents::cache_of(&s.db, me).await.unwrap().into_iter().map(|(c, _, _)| c).collect();
        assert_eq!(kept, vec!["income".to_owned()], "only the corrected category's copy is dropped");
        assert_eq!(actions(&s, c.id).await, vec!["data.correction_requested", "data.correction_sent", "data.correction_accepted"]);
        let told = notify::recent(&s.db, &s.vault, 20).await.unwrap();
        assert!(told.iter().any(|m| m.content.body.contains(&format!("по вашему обращению № {reference}"))), "the citizen is told");

        // Too late to take back now; nobody else sees it.
        assert!(matches!(s.withdraw_correction(me, c.id).await, Err(ServiceError::Conflict)));
        let other = demo_account(&s, "+79000000004").await;
        assert!(matches!(s.correction_of(other, c.id).await, Err(ServiceError::NotFound)));
        assert!(matches!(s.withdraw_correction(other, c.id).await, Err(ServiceError::NotFound)));
        assert!(s.corrections_of(other).await.unwrap().is_empty());
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
    }

    async fn a_value_in_the_wrong_form_is_refused_by_the_registry(tdb: TestDb) {
        let (mut s, clock) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        s.registries = Some(connectors(&emulator().await));
        let me = demo_account(&s, VOLKOVA).await;
        let c = s.request_correction(me, "passport.series", "45АБ", "").await.unwrap();
        clock.advance(Duration::minutes(2));
        assert_eq!(s.follow_corrections(10).await.unwrap(), 1);
        let c = s.correction_of(me, c.id).await.unwrap();
        assert_eq!(c.status, CorrectionStatus::Rejected);
        assert_eq!(c.reason.as_deref(), Some("Предложенное значение не соответствует формату поля"));
        let told = notify::recent(&s.db, &s.vault, 20).await.unwrap();
        assert!(told.iter().any(|m| m.content.body.contains("отказал в исправлении")));
        assert!(actions(&s, c.id).await.contains(&"data.correction_rejected".to_owned()));
    }

    async fn a_registry_that_is_down_gets_the_request_later(tdb: TestDb) {
        let (mut s, clock) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        let me = demo_account(&s, VOLKOVA).await;

        // Nothing to reach: saved, waiting to be sent.
        let first = s.request_correction(me, "snils.snils", "145-678-932 12", "Проверка").await.unwrap();
        let second = s.request_correction(me, "inn.inn", "500100732259", "").await.unwrap();
        assert_eq!(first.status, CorrectionStatus::Submitted);
        assert!(first.reference.is_none() && first.sent_at.is_none());
        assert_eq!(s.follow_corrections(10).await.unwrap(), 0, "retried later, not in a loop");

        // While it is still ours, the citizen can take it back.
        s.withdraw_correction(me, second.id).await.unwrap();
        assert_eq!(s.correction_of(me, second.id).await.unwrap().status, CorrectionStatus::Withdrawn);
        assert!(matches!(s.withdraw_correction(me, second.id).await, Err(ServiceError::Conflict)));

        // The registry is back; the job files what waited, and only that.
        s.registries = Some(connectors(&emulator().await));
        assert_eq!(s.follow_corrections(10).await.unwrap(), 0, "not due before its back-off");
        clock.advance(Duration::minutes(3));
        assert_eq!(s.follow_corrections(10).await.unwrap(), 1);
        let views = s.corrections_of(me).await.unwrap();
        let status: Vec<_> = views.iter().map(|c| (c.id, c.status)).collect();
        assert_eq!(status, vec![(second.id, CorrectionStatus::Withdrawn), (first.id, CorrectionStatus::Sent)], "newest first");
    }

    async fn corrections_are_checked_before_anything_is_saved(tdb: TestDb) {
        let (s, _) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        let me = demo_account(&s, VOLKOVA).await;
        for (target, proposed, comment, field) in [
            ("", "x", "", "target"),
            ("passport.colour", "x", "", "target"),
            ("nothing.snils", "x", "", "target"),
            ("passport.series", "  ", "", "proposed"),
            ("passport.series", &"я".repeat(501), "", "proposed"),
            ("passport.series", "4510", &"я".repeat(2001), "comment"),
        ] {
            match s.request_correction(me, target, proposed, comment).await {
                Err(ServiceError::Invalid(p)) => assert!(p.iter().any(|p| p.field == field), "{target}: {p:?}"),
                other => panic!("{target}: {other:?}"),
            }
        }
        // A simplified account has no verified data to correct.
        let sokolov = demo_account(&s, SOKOLOV).await;
        assert!(matches!(s.request_correction(sokolov, "passport.series", "4510", "").await, Err(ServiceError::NotVerified)));
        assert!(s.corrections_of(me).await.unwrap().is_empty(), "nothing saved");

        // At most twenty open at once.
        for _ in 0..propusk_service::rights::corrections::MAX_OPEN {
            s.request_correction(me, "passport.series", "4510", "").await.unwrap();
        }
        match s.request_correction(me, "passport.series", "4510", "").await {
            Err(ServiceError::Invalid(p)) => assert_eq!(p[0].code, "rights-error-too-many"),
            other => panic!("{other:?}"),
        }
    }

    async fn the_export_holds_everything_about_the_citizen_and_no_secrets(tdb: TestDb) {
        let (mut s, _) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        s.registries = Some(connectors(&emulator().await));
        let (current, token) = signed_in(&s, VOLKOVA).await;
        let me = current.account_id;
        s.request_correction(me, "address.address", "г. Тверь, ул. Советская, д. 1", "").await.unwrap();

        assert!(matches!(s.export_own_data(&current, "Wrong-Password-1").await, Err(ServiceError::BadCredentials)));
        let export = s.export_own_data(&current, DEMO_PASSWORD).await.unwrap();
        let j = &export.json;
        assert_eq!(j["format"], "propusk-export/1");
        assert_eq!(j["account"]["id"], me.to_string());
        assert_eq!(j["account"]["trust_level"], "standard");
        assert_eq!(j["profile"]["last"], "Волкова", "{}", j["profile"]);
        assert_eq!(j["profile"]["snils"], "145-678-932 12");
        assert!(j["contacts"].as_array().unwrap().iter().any(|c| c["value"] == VOLKOVA));
        assert_eq!(j["sign_ins"].as_array().unwrap().len(), 1);
        assert_eq!(j["sessions"].as_array().unwrap().len(), 1);
        assert_eq!(j["corrections"][0]["registry"], "mvd");
        assert_eq!(j["corrections"][0]["proposed"], "г. Тверь, ул. Советская, д. 1");

        let bytes = export.to_json_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let row = accounts::get(&s.db, me).await.unwrap();
        for secret in [row.password_hash.as_str(), "$argon2", token.as_str()] {
            assert!(!text.contains(secret), "no secrets in the export");
        }
        let round: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(&round, j);

        // The PDF says the same to a person, in Russian.
        let pdf = export.to_pdf().unwrap();
        let text = pdf_text(&pdf);
        for expected in ["Волкова", "145-678-932 12", "+79000000002", "г. Тверь, ул. Советская, д. 1"] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
        assert!(!text.contains("$argon2"));

        let events = audit::recent_for_subject(&s.db, &format!("account:{me}"), 20).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.action == "account.data_exported").count(), 1, "recorded once, only when made");
    }

    async fn kept_registry_answers_can_be_deleted(tdb: TestDb) {
        let (s, clock) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        let me = demo_account(&s, VOLKOVA).await;
        let other = demo_account(&s, "+79000000004").await;
        let now = clock.now_for_test();
        for (who, category) in [(me, "income"), (me, "debts"), (other, "income")] {
            consents::put_cache(&s.db, who, category, b"sealed", now).await.unwrap();
        }
        let mut copies: Vec<&str> = Vec::new();
        let got = s.registry_copies(me).await.unwrap();
        copies.extend(got.iter().map(|c| c.category.code()));
        copies.sort_unstable();
        assert_eq!(copies, vec!["debts", "income"]);
        assert_eq!(s.delete_registry_copies(me).await.unwrap(), 2);
        assert!(s.registry_copies(me).await.unwrap().is_empty());
        assert_eq!(s.registry_copies(other).await.unwrap().len(), 1, "only one's own");
        let events = audit::recent_for_subject(&s.db, &format!("account:{me}"), 20).await.unwrap();
        assert!(events.iter().any(|e| e.action == "data.copies_deleted"));
    }

    async fn erasing_an_account_ends_its_consents_and_forgets_what_was_kept(tdb: TestDb) {
        let (mut s, clock) = common::services(&tdb).await;
        s.seed_demo().await.unwrap();
        s.registries = Some(connectors(&emulator().await));
        let (current, _) = signed_in(&s, VOLKOVA).await;
        let me = current.account_id;
        let consent = active_consent(&s, me, VOLKOVA).await;
        consents::put_cache(&s.db, me, "income", b"sealed", clock.now_for_test()).await.unwrap();
        s.request_correction(me, "address.address", "г. Тверь", "").await.unwrap();

        s.request_deletion(&current, DEMO_PASSWORD, "", Lang::Ru).await.unwrap();
        clock.advance(propusk_service::deletion::GRACE + Duration::minutes(1));
        assert_eq!(s.housekeeping().await.unwrap().accounts_erased, 1);

        let c = consents::get(&s.db, consent).await.unwrap().unwrap();
        assert_eq!(c.status, Status::Revoked, "the partner may read nothing more");
        let events = consents::events(&s.db, consent).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!((last.event.as_str(), last.reason.as_deref()), ("consent.revoked", Some("account_deleted")));
        assert!(last.receipt.is_some(), "a revocation receipt");
        assert!(consents::cache_of(&s.db, me).await.unwrap().is_empty());
        assert!(s.corrections_of(me).await.unwrap().is_empty());
        assert!(matches!(audit::verify(&s.db).await.unwrap(), audit::Verdict::Intact { .. }));
    }
}

/// An active consent of the demo bank for `account` (signed in by phone
/// `phone`), approved with the SMS code as the citizen would.
async fn active_consent(s: &Services, account: Uuid, phone: &str) -> Uuid {
    use propusk_core::audit::Actor;
    use propusk_core::consent::Category;
    use propusk_core::consent::terms::Draft;
    use propusk_service::oauth::NewClient;
    let org = s.seed_demo_partner().await.unwrap();
    s.ensure_signing_keys().await.unwrap();
    let new = NewClient {
        org_id: org,
        name: "Банк".into(),
        profile: propusk_oidc::Profile::Oidc,
        sandbox: true,
        redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
        scopes: vec!["fullname".into(), "income".into()],
        jwks: None,
        jwks_uri: None,
        secret: true,
        ip_allow: vec![],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
    };
    let created = s.create_client(&new, Actor::system()).await.unwrap();
    let client = s.client(&created.client_id).await.unwrap().unwrap();
    let sub = s.pairwise_sub(&client.sector, account);
    let mut tx = s.db.begin().await.unwrap();
    consents::remember_subject(
        &mut tx,
        &client.sector,
        &sub,
        account,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let draft = Draft {
        purpose: "loan_application".into(),
        categories: vec!["income".into()],
        optional: vec![],
        valid_until: Some(time::OffsetDateTime::now_utc() + Duration::days(90)),
        mode: "one_time".into(),
        max_reads: None,
        per: None,
        return_url: None,
    };
    let c = s.request_consent(&client, &sub, &draft).await.unwrap();
    s.send_consent_code(account, c.id, Lang::Ru).await.unwrap();
    let code = common::last_code(s, phone).await;
    let keep: std::collections::BTreeSet<Category> = [].into();
    let c = s
        .approve_consent(account, c.id, &keep, &code)
        .await
        .unwrap();
    assert_eq!(c.status, Status::Active);
    c.id
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("propusk-export-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("export.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout).unwrap()
}
