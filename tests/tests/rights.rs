//! «Мои данные» end to end, the real server in demo mode (its registries
//! emulated in process) on both databases: the copy of all one's data as
//! JSON and PDF after the password, a correction request carried to the
//! registry, errors shown in Russian beside their fields, and deleting the
//! kept registry answers; then the same page flow in Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::pages::{csrf_of, sign_in};
use propusk_e2e::{TestApp, both_backends, client};

const VOLKOVA: &str = "+79000000002";
const SOKOLOV: &str = "+79000000001";
const DEMO_PASSWORD: &str = "Propusk-Demo-2026";

async fn signed_in(app: &TestApp, phone: &str) -> reqwest::Client {
    let browser = client();
    let r = sign_in(app, &browser, phone, DEMO_PASSWORD).await;
    assert_eq!(r.status(), 303, "signed in");
    browser
}

async fn page(browser: &reqwest::Client, app: &TestApp) -> (u16, String) {
    let r = browser.get(app.url("/cabinet/data")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(browser, app).await;
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn pdf_text(pdf: &[u8], name: &str) -> String {
    let dir = propusk_e2e::browser::failure_dir().with_file_name("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let _ = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(dir.join(name))
        .status();
    String::from_utf8(out.stdout).unwrap()
}

both_backends! {
    async fn a_citizen_exports_corrects_and_deletes_kept_copies(tdb: TestDb) {
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;

        // Only for the signed-in citizen.
        let anon = client();
        let r = anon.get(app.url("/cabinet/data")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));

        let browser = signed_in(&app, VOLKOVA).await;
        let (status, html) = page(&browser, &app).await;
        assert_eq!(status, 200);
        assert!(html.contains("Мои данные") && html.contains("id=\"corrections-none\""), "{html}");

        // The copy of everything, after the password again.
        let r = post(&browser, &app, "/cabinet/data/export", &[("password", "Wrong-Password-1"), ("format", "json")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"export-error\""));
        let r = post(&browser, &app, "/cabinet/data/export", &[("password", DEMO_PASSWORD), ("format", "xml")]).await;
        assert_eq!(r.status(), 400);
        let r = post(&browser, &app, "/cabinet/data/export", &[("password", DEMO_PASSWORD), ("format", "json")]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"propusk-data-") && disposition.ends_with(".json\""), "{disposition}");
        let json: serde_json::Value = r.json().await.unwrap();
        assert_eq!(json["format"], "propusk-export/1");
        assert_eq!(json["profile"]["last"], "Волкова");
        assert!(!json.to_string().contains("$argon2"), "no password hash");
        let r = post(&browser, &app, "/cabinet/data/export", &[("password", DEMO_PASSWORD), ("format", "pdf")]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let text = pdf_text(&r.bytes().await.unwrap(), "data_export");
        assert!(text.contains("Сведения, которые Пропуск хранит о вас") && text.contains("Волкова Мария Александровна"), "{text}");

        // A correction: errors beside their fields, in Russian, nothing saved.
        let r = post(&browser, &app, "/cabinet/data/corrections", &[("target", "passport.colour"), ("proposed", ""), ("comment", "")]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"target-error\"") && html.contains("Выберите, какие сведения исправить."), "{html}");
        assert!(html.contains("id=\"proposed-error\""), "{html}");
        let r = post(&browser, &app, "/cabinet/data/corrections", &[("target", "address.address"), ("proposed", "г. Москва, ул. Тверская, д. 7"), ("comment", "Переехала")]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/cabinet/data?done=sent");
        let html = browser.get(app.url("/cabinet/data?done=sent")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("id=\"rights-notice\""), "{html}");
        assert!(html.contains("г. Москва, ул. Тверская, д. 7") && html.contains("На рассмотрении в ведомстве") && html.contains("MVD-"), "{html}");
        // Filed with the registry already: too late to take back.
        let id = html.split("data-correction=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let r = post(&browser, &app, &format!("/cabinet/data/corrections/{id}/withdraw"), &[]).await;
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("id=\"rights-notice\""));
        let r = post(&browser, &app, "/cabinet/data/corrections/not-a-uuid/withdraw", &[]).await;
        assert_eq!(r.status(), 404);

        // Nobody else sees it or takes it back.
        let other = signed_in(&app, "+79000000003").await;
        let (_, html) = page(&other, &app).await;
        assert!(!html.contains(&id));
        let r = post(&other, &app, &format!("/cabinet/data/corrections/{id}/withdraw"), &[]).await;
        assert_eq!(r.status(), 404);

        // A simplified account has nothing verified to correct.
        let sokolov = signed_in(&app, SOKOLOV).await;
        let r = post(&sokolov, &app, "/cabinet/data/corrections", &[("target", "passport.series"), ("proposed", "4510"), ("comment", "")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"correction-error\""));

        // A form without its CSRF token is refused.
        let r = browser.post(app.url("/cabinet/data/copies/delete")).form(&[("x", "y")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = post(&browser, &app, "/cabinet/data/copies/delete", &[]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/cabinet/data?done=deleted");

        let actions = propusk_e2e::audit_actions(&app.db.as_ref().unwrap().url).await;
        for a in ["account.data_exported", "data.correction_requested", "data.correction_sent", "data.copies_deleted"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        app.shutdown().await;
    }
}

/// In Chromium: Волкова opens «Мои данные» from the cabinet, asks for her
/// passport issue date to be corrected and sees the request with the
/// registry's number; then downloads her data as JSON.
#[tokio::test]
async fn in_chromium_a_citizen_asks_for_a_correction() {
    use fantoccini::Locator;
    use propusk_e2e::browser::{
        Browser, ensure, follow_link, sign_in_with, wait_for_heading, wait_for_text,
    };
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    Browser::run(
        "in_chromium_a_citizen_asks_for_a_correction",
        |c| async move {
            sign_in_with(&c, &base, VOLKOVA, DEMO_PASSWORD).await?;
            wait_for_heading(&c, "Волкова Мария Александровна").await?;
            follow_link(&c, "/cabinet/data", "Мои данные").await?;
            c.find(Locator::Css("#target option[value='passport.issue_date']"))
                .await?
                .click()
                .await?;
            c.find(Locator::Id("proposed"))
                .await?
                .send_keys("15.06.2021")
                .await?;
            c.find(Locator::Id("comment"))
                .await?
                .send_keys("В записи ошибка в дате выдачи")
                .await?;
            c.find(Locator::Css("#correction-form button[type=submit]"))
                .await?
                .click()
                .await?;
            wait_for_text(&c, "#rights-notice", "передаётся в ведомство").await?;
            let row = c
                .find(Locator::Css("#corrections tbody tr"))
                .await?
                .text()
                .await?;
            ensure(
                row.contains("Паспорт")
                    && row.contains("Дата выдачи")
                    && row.contains("15.06.2021")
                    && row.contains("МВД России"),
                format!("the request is listed: {row}"),
            )?;
            save(&c.screenshot().await?, "cabinet_data");
            let table = c.find(Locator::Id("corrections")).await?;
            c.execute(
                "arguments[0].scrollIntoView()",
                vec![serde_json::to_value(&table)?],
            )
            .await?;
            save(&c.screenshot().await?, "cabinet_data_corrections");
            // An empty password keeps the citizen on the page with an error.
            c.find(Locator::Css("#export-form button[type=submit]"))
                .await?
                .click()
                .await?;
            wait_for_text(&c, "#export-error", "пароль").await?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

/// Keeps a screenshot beside the browser failures, for a person to look at.
fn save(png: &[u8], name: &str) {
    let dir = propusk_e2e::browser::failure_dir().with_file_name("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.png")), png);
}
