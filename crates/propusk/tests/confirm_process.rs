//! The whole confirmation as it runs in production, each part its own
//! process: `propusk emulator` answering in 200 ms with a fifth of answers
//! failing, `propusk demo-bank`, and Propusk. A new person's documents get
//! checked through the retries, then the person confirms the account at the
//! bank in headless Chromium and ends `Confirmed`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::spawn;
use fantoccini::Locator;
use propusk_e2e::TestApp;
use propusk_e2e::bank::standard_account;
use propusk_e2e::browser::{Browser, ensure, sign_in_with, wait_for_heading, wait_for_text};
use propusk_registries::Population;
use propusk_registries::population::DocStatus;
use propusk_service::confirm::PartnerBank;

#[tokio::test]
async fn a_person_is_checked_through_faults_and_confirmed_at_the_bank_in_a_browser() {
    let emulator = spawn(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--people",
        "10000",
        "--seed",
        "1",
        "--latency-ms",
        "200",
        "--fault-rate",
        "0.2",
    ]);
    // The bank must know Propusk's callback before Propusk starts: pick its port first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let propusk_url = format!("http://127.0.0.1:{port}");
    let bank = spawn(&[
        "demo-bank",
        "--listen",
        "127.0.0.1:0",
        "--propusk-url",
        &propusk_url,
        "--people",
        "10000",
        "--seed",
        "1",
        "--client-secret",
        "process-secret",
    ]);
    let registries = emulator.1.clone();
    let issuer = bank.1.clone();
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| {
        s.listen = format!("127.0.0.1:{port}").parse().unwrap();
        s.demo = true;
        s.registries_url = Some(registries);
        s.partner_banks = vec![PartnerBank {
            id: "demo".into(),
            name: propusk_registries::bank::DEMO_BANK_NAME.into(),
            issuer,
            client_id: "propusk".into(),
            client_secret: "process-secret".into(),
        }];
    })
    .await;
    let pop = Population::new(1, 10_000);
    let person = (500..10_000u64)
        .step_by(2)
        .filter_map(|i| pop.person(i))
        .find(|p| p.passport.status == DocStatus::Valid)
        .unwrap();
    let phone = "+79167500001";
    standard_account(&app, &person, phone).await;

    let base = app.base.clone();
    let bank_phone = person.phone.to_string();
    let bank_url = bank.1.clone();
    let name = person.full_name();
    Browser::run(
        "a_person_is_checked_through_faults_and_confirmed_at_the_bank_in_a_browser",
        |c| async move {
            sign_in_with(&c, &base, phone, propusk_e2e::pages::PASSWORD).await?;
            wait_for_heading(&c, &name).await?;
            c.find(Locator::Css("nav.cabinet-nav a[href='/cabinet/confirm']"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Подтверждение личности").await?;
            c.find(Locator::Id("confirm-submit")).await?.click().await?;
            // At the bank, on its own origin.
            wait_for_heading(&c, "Демо-банк").await?;
            let url = c.current_url().await?;
            ensure(
                url.as_str().starts_with(&bank_url),
                format!("at the bank: {url}"),
            )?;
            c.find(Locator::Id("bank_login"))
                .await?
                .send_keys(&bank_phone)
                .await?;
            c.find(Locator::Id("bank_password"))
                .await?
                .send_keys(propusk_registries::bank::CUSTOMER_PASSWORD)
                .await?;
            c.find(Locator::Css("form button[type=submit]"))
                .await?
                .click()
                .await?;
            // Back at Propusk, confirmed (МВД asked through the faults).
            wait_for_text(&c, "#link-state", "активна").await?;
            let link = c.find(Locator::Id("bank-link")).await?.text().await?;
            ensure(
                link.contains("Демо-банк"),
                format!("the bank is named: {link}"),
            )?;
            c.find(Locator::Css("#confirm-log summary"))
                .await?
                .click()
                .await?;
            let log = c.find(Locator::Id("confirm-log")).await?.text().await?;
            ensure(
                log.contains("Вы перешли в банк") && log.contains("Личность подтверждена банком"),
                format!("the log: {log}"),
            )?;
            c.goto(&format!("{base}/cabinet/business")).await?;
            wait_for_heading(&c, "Бизнес").await?;
            ensure(
                c.find(Locator::Id("business-level")).await.is_err(),
                "a confirmed account may add a sole proprietorship",
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
    drop(bank);
    drop(emulator);
}
