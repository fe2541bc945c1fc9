//! The outbox dispatcher against a real SMTP server and an SMS gateway on
//! loopback, on both databases: delivery, retries with back-off, dead
//! letters, and two dispatchers never sending one message twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::services;
use propusk_core::Lang;
use propusk_service::Services;
use propusk_service::delivery::{DeliverySettings, Dispatcher, Round};
use propusk_service::notify::{self, Content, Link};
use propusk_store::outbox::{self, Channel};
use propusk_testkit::both_backends;
use propusk_testkit::sinks::{HttpSink, SmtpSink};
use time::Duration;

async fn enqueue(s: &Services, channel: Channel, to: &str, content: &Content) {
    let mut tx = s.db.begin().await.unwrap();
    notify::enqueue(&mut tx, &s.vault, channel, to, content, s.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn settings(smtp: &SmtpSink, gateway: &HttpSink) -> DeliverySettings {
    DeliverySettings {
        smtp_url: Some(smtp.url()),
        mail_from: "Пропуск <noreply@propusk.test>".into(),
        sms_gateway_url: Some(gateway.url("/sms")),
        sms_gateway_token: Some("gateway-secret".into()),
        demo: false,
    }
}

async fn status_counts(s: &Services) -> Vec<(String, i64)> {
    outbox::counts(&s.db).await.unwrap()
}

both_backends! {
    async fn email_and_sms_are_delivered(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let (smtp, gateway) = (SmtpSink::start().await, HttpSink::start().await);
        let mut mail = Content::text(Lang::Ru, "Подтвердите почту", "Здравствуйте!\n\nНажмите кнопку ниже.");
        mail.link = Some(Link { label: "Подтвердить почту".into(), url: "https://propusk.test/confirm?c=1&t=abc".into() });
        enqueue(&s, Channel::Email, "anna@example.ru", &mail).await;
        enqueue(&s, Channel::Sms, "+79161234567", &Content::text(Lang::Ru, "", "Пропуск: код 123456")).await;
        let d = Dispatcher::new(s.clone(), &settings(&smtp, &gateway)).unwrap();
        assert_eq!(d.run_once().await.unwrap(), Round { sent: 2, retried: 0, dead: 0 });
        assert_eq!(d.run_once().await.unwrap(), Round::default(), "nothing is sent twice");

        let mails = smtp.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, vec!["<anna@example.ru>".to_owned()]);
        assert!(mails[0].data.contains("multipart/alternative"));
        let texts = mails[0].texts();
        assert_eq!(texts.len(), 2, "plain text and HTML");
        assert!(texts[0].contains("Нажмите кнопку ниже.") && texts[0].contains("https://propusk.test/confirm?c=1&t=abc"));
        assert!(texts[1].contains("<a href=\"https://propusk.test/confirm?c=1&amp;t=abc\"") || texts[1].contains("c=1&#38;t=abc"), "{}", texts[1]);

        let reqs = gateway.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].path, "/sms");
        assert_eq!(reqs[0].header("authorization"), Some("Bearer gateway-secret"));
        let body: serde_json::Value = serde_json::from_str(&reqs[0].body).unwrap();
        assert_eq!(body, serde_json::json!({ "to": "+79161234567", "text": "Пропуск: код 123456" }));
        assert_eq!(status_counts(&s).await, vec![("sent".to_owned(), 2)]);
    }

    async fn failures_back_off_and_end_in_dead_letters(tdb: TestDb) {
        let (s, clock) = services(&tdb).await;
        let (smtp, gateway) = (SmtpSink::start().await, HttpSink::start().await);
        gateway.answer_with(503);
        enqueue(&s, Channel::Sms, "+79161234567", &Content::text(Lang::Ru, "", "один")).await;
        let mut d = Dispatcher::new(s.clone(), &settings(&smtp, &gateway)).unwrap();
        d.backoff.max_attempts = 3;
        assert_eq!(d.run_once().await.unwrap().retried, 1);
        // Not due again before its back-off (30 s, then 60 s).
        assert_eq!(d.run_once().await.unwrap(), Round::default());
        clock.advance(Duration::seconds(31));
        assert_eq!(d.run_once().await.unwrap().retried, 1);
        clock.advance(Duration::seconds(61));
        assert_eq!(d.run_once().await.unwrap().dead, 1, "the third failure is the last");
        assert_eq!(gateway.requests().len(), 3);

        // A request the gateway calls wrong (400) is not retried at all.
        gateway.answer_with(400);
        enqueue(&s, Channel::Sms, "+79161234567", &Content::text(Lang::Ru, "", "два")).await;
        assert_eq!(d.run_once().await.unwrap().dead, 1);
        assert_eq!(status_counts(&s).await, vec![("dead".to_owned(), 2)]);
    }

    async fn without_a_transport_messages_wait_unless_demo(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        enqueue(&s, Channel::Email, "anna@example.ru", &Content::text(Lang::En, "Hi", "Hello")).await;
        let d = Dispatcher::new(s.clone(), &DeliverySettings::default()).unwrap();
        assert_eq!(d.run_once().await.unwrap().retried, 1);
        assert_eq!(status_counts(&s).await, vec![("pending".to_owned(), 1)]);
        enqueue(&s, Channel::Email, "boris@example.ru", &Content::text(Lang::En, "Hi", "Hello")).await;
        let demo = Dispatcher::new(s.clone(), &DeliverySettings { demo: true, ..Default::default() }).unwrap();
        assert_eq!(demo.run_once().await.unwrap().sent, 1);
    }

    async fn two_dispatchers_send_each_message_once(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let (smtp, gateway) = (SmtpSink::start().await, HttpSink::start().await);
        for i in 0..40 {
            enqueue(&s, Channel::Sms, "+79161234567", &Content::text(Lang::Ru, "", format!("message {i}"))).await;
        }
        let mut a = Dispatcher::new(s.clone(), &settings(&smtp, &gateway)).unwrap();
        let mut b = Dispatcher::new(s.clone(), &settings(&smtp, &gateway)).unwrap();
        a.batch = 7;
        b.batch = 7;
        let (ra, rb) = tokio::join!(
            async { let mut n = 0; for _ in 0..10 { n += a.run_once().await.unwrap().sent; } n },
            async { let mut n = 0; for _ in 0..10 { n += b.run_once().await.unwrap().sent; } n },
        );
        assert_eq!(ra + rb, 40);
        let mut texts: Vec<String> = gateway.requests().iter().map(|r| r.body.clone()).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 40, "each message exactly once");
        assert_eq!(gateway.requests().len(), 40);
    }
}
