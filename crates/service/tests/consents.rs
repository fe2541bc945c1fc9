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

fn client_for(org: Uuid) -> NewClient {
    NewClient {
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
    }
}

fn new_client(w: &World) -> NewClient {
    client_for(w.client.org_id)
}

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
        .create_client(&client_for(org), Actor::system())
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

/// Another node on the same database, with the same keys and clock.
fn second_node(w: &World) -> Services {
    use propusk_core::password::{HashParams, Hasher};
    let hasher = Hasher::new(HashParams::default(), &mut rand_core::OsRng).unwrap();
    Services::new(
        w.s.db.clone(),
        w.s.vault.clone(),
        std::sync::Arc::new(hasher),
        w.clock.clone(),
        "http://propusk.test".into(),
    )
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

/// A webhook receiver on loopback: answers 200 and keeps what it got.
struct Receiver {
    got: std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens on `port` (0: any); returns it with the port taken.
    async fn start(port: u16) -> (Receiver, u16) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = got.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let keep = keep.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let head = &text[..end];
                            let len: usize = head
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap())
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len])
                                    .to_string();
                                let header = |name: &str| {
                                    head.lines()
                                        .find_map(|l| {
                                            let (k, v) = l.split_once(':')?;
                                            k.eq_ignore_ascii_case(name)
                                                .then(|| v.trim().to_owned())
                                        })
                                        .unwrap_or_default()
                                };
                                keep.lock().unwrap().push((
                                    header("propusk-signature"),
                                    header("propusk-event-id"),
                                    body,
                                ));
                                let _ = sock
                                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                    .await;
                                return;
                            }
                        }
                    }
                });
            }
        });
        (Receiver { got, task }, port)
    }

    fn got(&self) -> Vec<(String, String, String)> {
        self.got.lock().unwrap().clone()
    }
}

both_backends! {
    async fn webhooks_are_retried_while_the_receiver_is_down_and_dead_lettered_when_it_never_returns(tdb: TestDb) {
        let w = world(&tdb).await;
        let http = reqwest::Client::new();
        // A port nothing listens on yet.
        let port = { let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); l.local_addr().unwrap().port() };
        let url = format!("http://127.0.0.1:{port}/hooks");
        let (endpoint, secret) = w.s.create_webhook(&w.client, &url, &["consent.approved".into(), "consent.revoked".into()]).await.unwrap();
        assert!(w.s.create_webhook(&w.client, "http://bank.example/h", &[]).await.is_err(), "http only on loopback");
        assert!(w.s.create_webhook(&w.client, &url, &["consent.nope".into()]).await.is_err());

        let id = approved(&w, 30, "periodic").await;
        // Down: the attempt fails and is kept for later.
        assert_eq!(w.s.deliver_webhooks(&http).await.unwrap(), (0, 1, 0));
        let (receiver, _) = Receiver::start(port).await;
        assert_eq!(w.s.deliver_webhooks(&http).await.unwrap(), (0, 0, 0), "not due yet");
        w.clock.advance(Duration::seconds(11));
        assert_eq!(w.s.deliver_webhooks(&http).await.unwrap(), (1, 0, 0));
        let got = receiver.got();
        assert_eq!(got.len(), 1);
        let (signature, event_id, body) = &got[0];
        let payload: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["type"], "consent.approved");
        assert_eq!(payload["data"]["consent_id"], id.to_string());
        assert_eq!(payload["id"].as_str().unwrap(), event_id);
        propusk_core::webhook::verify(signature, body.as_bytes(), &[&secret], w.clock.now_for_test()).unwrap();

        // Redelivery keeps the event id, so the receiver can tell it has it.
        let deliveries = w.s.webhook_deliveries(&w.client, endpoint.id, 10).await.unwrap();
        assert_eq!((deliveries.len(), deliveries[0].status.as_str(), deliveries[0].attempts), (1, "delivered", 2));
        w.s.redeliver_webhook(&w.client, deliveries[0].id).await.unwrap();
        assert_eq!(w.s.deliver_webhooks(&http).await.unwrap(), (1, 0, 0));
        assert_eq!(receiver.got()[1].1, *event_id);

        // Rotation: both secrets sign for a day.
        let new = w.s.rotate_webhook_secret(&w.client, endpoint.id).await.unwrap();
        // The receiver goes away for good; the revocation is tried for a day, then dead.
        receiver.task.abort();
        drop(receiver);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        w.s.citizen_consent_action(w.account, id, propusk_core::consent::Action::Revoke).await.unwrap();
        let mut rounds = 0;
        loop {
            let (sent, _retried, dead) = w.s.deliver_webhooks(&http).await.unwrap();
            assert_eq!(sent, 0);
            if dead == 1 {
                break;
            }
            rounds += 1;
            assert!(rounds < 60, "dead-lettered within a day");
            w.clock.advance(Duration::hours(1));
        }
        let deliveries = w.s.webhook_deliveries(&w.client, endpoint.id, 10).await.unwrap();
        let dead = deliveries.iter().find(|d| d.event_type == "consent.revoked").unwrap();
        assert_eq!(dead.status, "dead");
        assert!(dead.last_error.is_some() && dead.attempts > 5, "{dead:?}");
        // Nothing else was lost: the approval stays delivered.
        assert!(deliveries.iter().any(|d| d.event_type == "consent.approved" && d.status == "delivered"));
        assert_ne!(new, secret);
        // Another partner sees none of it.
        let other = w.s.create_client(&NewClient { name: "Другой".into(), ..new_client(&w) }, Actor::system()).await.unwrap();
        let other = w.s.client(&other.client_id).await.unwrap().unwrap();
        assert!(matches!(w.s.webhook_deliveries(&other, endpoint.id, 10).await, Err(ServiceError::NotFound)));
        assert!(matches!(w.s.redeliver_webhook(&other, dead.id).await, Err(ServiceError::NotFound)));
        assert!(w.s.webhooks_of(&other).await.unwrap().is_empty());
    }

    async fn expiring_consents_are_announced_once(tdb: TestDb) {
        let w = world(&tdb).await;
        let (receiver, port) = Receiver::start(0).await;
        w.s.create_webhook(&w.client, &format!("http://127.0.0.1:{port}/h"), &["consent.expiring".into()]).await.unwrap();
        approved(&w, 30, "periodic").await;
        assert_eq!(w.s.announce_expiring_consents(10).await.unwrap(), 0);
        w.clock.advance(Duration::days(24));
        assert_eq!(w.s.announce_expiring_consents(10).await.unwrap(), 1);
        assert_eq!(w.s.announce_expiring_consents(10).await.unwrap(), 0, "once");
        let http = reqwest::Client::new();
        assert_eq!(w.s.deliver_webhooks(&http).await.unwrap(), (1, 0, 0));
        assert_eq!(receiver.got().len(), 1);
        assert!(receiver.got()[0].2.contains("consent.expiring"));
    }

    async fn expiry_runs_on_one_node_at_a_time(tdb: TestDb) {
        let w = world(&tdb).await;
        let other = second_node(&w);
        assert_ne!(w.s.node, other.node);
        let a = approved(&w, 2, "periodic").await;
        w.clock.advance(Duration::minutes(2)); // the next SMS code may go
        let b = approved(&w, 2, "periodic").await;
        w.clock.advance(Duration::days(3));
        // The other node holds the job: this one skips it.
        let now = w.clock.now_for_test();
        assert!(propusk_store::jobs::acquire(&w.s.db, "consent_expiry", &other.node, now, now + Duration::minutes(2)).await.unwrap());
        assert_eq!(w.s.housekeeping().await.unwrap().consents_expired, 0);
        // Both at once: exactly one of them does the work, and does it once.
        let (x, y) = tokio::join!(w.s.housekeeping(), other.housekeeping());
        assert_eq!(x.unwrap().consents_expired + y.unwrap().consents_expired, 2);
        for id in [a, b] {
            let (c, events, _) = w.s.consent_of_citizen(w.account, id).await.unwrap();
            assert_eq!(c.status, Status::Expired);
            assert_eq!(events.iter().filter(|e| e.to_status == Status::Expired).count(), 1);
        }
        // A node that died holding the lease loses it once the lease runs out.
        let now = w.clock.now_for_test();
        let c = approved(&w, 2, "periodic").await;
        assert!(propusk_store::jobs::acquire(&w.s.db, "consent_expiry", &other.node, now, now + Duration::minutes(2)).await.unwrap());
        w.clock.advance(Duration::days(3));
        assert_eq!(w.s.housekeeping().await.unwrap().consents_expired, 1);
        let (c, _, _) = w.s.consent_of_citizen(w.account, c).await.unwrap();
        assert_eq!(c.status, Status::Expired);
    }

    async fn administrators_get_a_daily_digest_of_consents_about_to_end(tdb: TestDb) {
        let w = world(&tdb).await;
        let other = second_node(&w);
        let soon = approved(&w, 5, "periodic").await;
        w.clock.advance(Duration::minutes(2)); // the next SMS code may go
        approved(&w, 60, "periodic").await;
        assert_eq!(w.s.housekeeping().await.unwrap().partner_digests, 1);
        let digests = |s: &Services| {
            let s = s.db.clone();
            let vault = w.s.vault.clone();
            async move {
                propusk_service::notify::recent(&s, &vault, 50).await.unwrap().into_iter()
                    .filter(|m| m.channel == propusk_store::outbox::Channel::Email && m.to == "kuznetsova@demo-bank.propusk.test")
                    .collect::<Vec<_>>()
            }
        };
        let sent = digests(&w.s).await;
        assert_eq!(sent.len(), 1);
        let body = &sent[0].content.body;
        assert!(body.contains(&soon.to_string()), "{body}");
        assert!(body.contains("согласий, которые истекают в ближайшие 7 дней, — 1"), "{body}");
        // Once a day, whichever node asks.
        assert_eq!(w.s.housekeeping().await.unwrap().partner_digests, 0);
        assert_eq!(other.housekeeping().await.unwrap().partner_digests, 0);
        w.clock.advance(Duration::days(1));
        assert_eq!(other.housekeeping().await.unwrap().partner_digests, 1);
        assert_eq!(digests(&w.s).await.len(), 2);
        // Nothing ending soon: no mail.
        w.clock.advance(Duration::days(5));
        assert_eq!(w.s.housekeeping().await.unwrap().partner_digests, 0);
    }

    async fn monitoring_counts_consents_reads_and_refusals(tdb: TestDb) {
        let w = world(&tdb).await;
        let id = approved(&w, 30, "periodic").await;
        w.s.request_consent(&w.client, &w.sub, &draft(&w, 10, "one_time")).await.unwrap();
        w.s.read_person(&w.client, &ask(id)).await.unwrap();
        w.s.read_person(&w.client, &Ask { categories: Some(vec!["passport".into()]), ..ask(id) }).await.unwrap();
        let refused = w.s.read_person(&w.client, &Ask { categories: Some(vec!["income".into()]), ..ask(id) }).await;
        assert!(matches!(refused, Err(ServiceError::Consent(Denial::CategoryNotCovered(_)))), "{refused:?}");
        let m = w.s.consent_monitoring(&w.client.id, 30).await.unwrap();
        assert_eq!((m.total(), m.in_status(Status::Active), m.in_status(Status::Requested)), (2, 1, 1));
        assert_eq!(m.days.len(), 1);
        let day = &m.days[0];
        assert_eq!(day.day, propusk_service::format::moscow_date(w.clock.now_for_test()).to_string());
        assert_eq!(day.ok, 2);
        assert_eq!(day.by_category.get(&Category::Passport), Some(&2));
        assert_eq!(day.by_category.get(&Category::Snils), Some(&1));
        assert_eq!(day.refused.get("category_not_covered"), Some(&1));
        let csv = m.reads_csv().unwrap();
        assert!(csv.starts_with("day,result,category,count\n"), "{csv}");
        assert!(csv.contains(",ok,passport,2\n") && csv.contains(",category_not_covered,,1\n"), "{csv}");
        let consents = w.s.consents_csv(&w.client.id).await.unwrap();
        assert_eq!(consents.lines().count(), 3, "{consents}");
        assert!(consents.contains(&format!("{id},{},active,loan_application,api,passport snils,passport snils,periodic 10/day", w.sub)), "{consents}");
        // Another client's monitoring is empty.
        let other = w.s.create_client(&NewClient { name: "Другой".into(), ..new_client(&w) }, Actor::system()).await.unwrap();
        let m = w.s.consent_monitoring(&other.client_id, 30).await.unwrap();
        assert_eq!((m.total(), m.days.len()), (0, 0));
    }
}
