//! Consents over time, with a clock the test moves: an approved consent
//! expires at its end (reads refused before the job runs, the job then
//! marks it and signs a receipt), an unanswered request expires, a
//! one-time consent is consumed by its read, and the SMS code allows three
//! tries and five minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use propusk_core::Lang;
use propusk_core::account::ContactChannel;
use propusk_core::audit::Actor;
use propusk_core::consent::read::Denial;
use propusk_core::consent::terms::Draft;
use propusk_core::consent::{Category, Status};
use propusk_oidc::Profile;
use propusk_service::consents::read::Ask;
use propusk_service::oauth::{Client, NewClient};
use propusk_service::{ServiceError, Services};
use propusk_store::{accounts, consents};
use propusk_testkit::both_backends;
use time::Duration;
use uuid::Uuid;

const VOLKOVA: &str = "+79000000002";

struct World {
    s: Services,
    clock: std::sync::Arc<common::TestClock>,
    client: std::sync::Arc<Client>,
    account: Uuid,
    sub: String,
}

async fn world(tdb: &propusk_testkit::TestDb) -> World {
    let (s, clock) = common::services(tdb).await;
    s.seed_demo().await.unwrap();
    let org = s.seed_demo_partner().await.unwrap();
    s.ensure_signing_keys().await.unwrap();
    let created = s
        .create_client(
            &NewClient {
                org_id: org,
                name: "Банк".into(),
                profile: Profile::Oidc,
                sandbox: true,
                redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
                scopes: vec![
                    "fullname".into(),
                    "id_doc".into(),
                    "snils".into(),
                    "income".into(),
                ],
                jwks: None,
                jwks_uri: None,
                secret: true,
                ip_allow: vec![],
                post_logout_redirect_uris: vec![],
                backchannel_logout_uri: None,
            },
            Actor::system(),
        )
        .await
        .unwrap();
    let client = s.client(&created.client_id).await.unwrap().unwrap();
    let index = s.vault.blind_index_hex("phone", VOLKOVA);
    let account = accounts::find_confirmed_contact(&s.db, ContactChannel::Phone, &index)
        .await
        .unwrap()
        .unwrap()
        .account_id;
    // What a sign-in through this client would have handed out.
    let sub = s.pairwise_sub(&client.sector, account);
    let mut tx = s.db.begin().await.unwrap();
    consents::remember_subject(&mut tx, &client.sector, &sub, account, clock.now_for_test())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    World {
        s,
        clock,
        client,
        account,
        sub,
    }
}

fn draft(w: &World, days: i64, mode: &str) -> Draft {
    Draft {
        purpose: "loan_application".into(),
        categories: vec!["passport".into(), "snils".into()],
        optional: vec!["snils".into()],
        valid_until: Some(w.clock.now_for_test() + Duration::days(days)),
        mode: mode.into(),
        max_reads: (mode == "periodic").then_some(10),
        per: (mode == "periodic").then(|| "day".into()),
        return_url: None,
    }
}

async fn approved(w: &World, days: i64, mode: &str) -> Uuid {
    let c =
        w.s.request_consent(&w.client, &w.sub, &draft(w, days, mode))
            .await
            .unwrap();
    w.s.send_consent_code(w.account, c.id, Lang::Ru)
        .await
        .unwrap();
    let code = common::last_code(&w.s, VOLKOVA).await;
    let keep: BTreeSet<Category> = [Category::Snils].into();
    let c =
        w.s.approve_consent(w.account, c.id, &keep, &code)
            .await
            .unwrap();
    assert_eq!(c.status, Status::Active);
    c.id
}

fn ask(id: Uuid) -> Ask {
    Ask {
        consent_id: id,
        categories: None,
        purpose: None,
        endpoint: "/api/v1/person".into(),
    }
}

both_backends! {
    async fn a_consent_expires_at_its_end(tdb: TestDb) {
        let w = world(&tdb).await;
        let id = approved(&w, 30, "periodic").await;
        let data = w.s.read_person(&w.client, &ask(id)).await.unwrap();
        assert_eq!(data["categories"]["snils"]["data"]["snils"], "145-678-932 12");

        w.clock.advance(Duration::days(30));
        match w.s.read_person(&w.client, &ask(id)).await {
            Err(ServiceError::Consent(Denial::Expired)) => {}
            other => panic!("refused at its end, before the job: {other:?}"),
        }
        assert_eq!(w.s.expire_consents(100).await.unwrap(), 1);
        assert_eq!(w.s.expire_consents(100).await.unwrap(), 0, "once");
        let (c, events, reads) = w.s.consent_of_citizen(w.account, id).await.unwrap();
        assert_eq!(c.status, Status::Expired);
        let last = events.last().unwrap();
        assert_eq!((last.event.as_str(), last.by_whom.as_str()), ("consent.expired", "system"));
        assert!(last.receipt.is_some(), "an expiry receipt");
        assert_eq!(reads.iter().map(|r| r.result.as_str()).collect::<Vec<_>>(), vec!["consent_expired", "ok"]);
        // The citizen cannot resume what has ended.
        assert!(matches!(
            w.s.citizen_consent_action(w.account, id, propusk_core::consent::Action::Resume).await,
            Err(ServiceError::Conflict)
        ));
    }

    async fn unanswered_requests_expire_and_one_time_consents_are_consumed(tdb: TestDb) {
        let w = world(&tdb).await;
        let waiting = w.s.request_consent(&w.client, &w.sub, &draft(&w, 60, "one_time")).await.unwrap();
        let once = approved(&w, 60, "one_time").await;
        w.s.read_person(&w.client, &ask(once)).await.unwrap();
        match w.s.read_person(&w.client, &ask(once)).await {
            Err(ServiceError::Consent(Denial::Consumed)) => {}
            other => panic!("{other:?}"),
        }
        w.clock.advance(Duration::days(7));
        assert_eq!(w.s.expire_consents(100).await.unwrap(), 1);
        let (c, _, _) = w.s.consent_of_citizen(w.account, waiting.id).await.unwrap();
        assert_eq!(c.status, Status::RequestExpired);
        assert!(c.receipt.is_none(), "never approved, no receipt");
        let (c, _, _) = w.s.consent_of_citizen(w.account, once).await.unwrap();
        assert_eq!(c.status, Status::Consumed);
    }

    async fn the_approval_code_allows_three_tries_and_five_minutes(tdb: TestDb) {
        let w = world(&tdb).await;
        let keep = BTreeSet::new();
        let c = w.s.request_consent(&w.client, &w.sub, &draft(&w, 30, "one_time")).await.unwrap();
        w.s.send_consent_code(w.account, c.id, Lang::Ru).await.unwrap();
        let code = common::last_code(&w.s, VOLKOVA).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in [2, 1] {
            match w.s.approve_consent(w.account, c.id, &keep, wrong).await {
                Err(ServiceError::WrongCode { tries_left }) => assert_eq!(tries_left, left),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            w.s.approve_consent(w.account, c.id, &keep, wrong).await,
            Err(ServiceError::CodeExhausted)
        ));
        assert!(w.s.approve_consent(w.account, c.id, &keep, &code).await.is_err(), "spent");

        w.clock.advance(Duration::minutes(2));
        w.s.send_consent_code(w.account, c.id, Lang::Ru).await.unwrap();
        let code = common::last_code(&w.s, VOLKOVA).await;
        w.clock.advance(Duration::minutes(6));
        assert!(matches!(
            w.s.approve_consent(w.account, c.id, &keep, &code).await,
            Err(ServiceError::CodeExpired)
        ));
        // Someone else's consent is not found, whatever the code.
        assert!(matches!(
            w.s.approve_consent(Uuid::now_v7(), c.id, &keep, &code).await,
            Err(ServiceError::NotFound)
        ));
        w.clock.advance(Duration::minutes(2));
        w.s.send_consent_code(w.account, c.id, Lang::Ru).await.unwrap();
        let code = common::last_code(&w.s, VOLKOVA).await;
        let approved = w.s.approve_consent(w.account, c.id, &keep, &code).await.unwrap();
        assert_eq!(approved.granted, [Category::Passport].into(), "the optional SNILS was not kept");
    }
}
