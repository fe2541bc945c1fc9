//! Page flows in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use fantoccini::Locator;
use propusk_e2e::TestApp;
use propusk_e2e::browser::{Browser, ensure, wait_for_heading};
use propusk_testkit::Backend;

#[tokio::test]
async fn home_page_switches_to_english() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    Browser::run("home_page_switches_to_english", |c| async move {
        c.goto(&format!("{base}/")).await?;
        let title = c.title().await?;
        ensure(
            title.contains("Пропуск"),
            format!("Russian title first, got {title:?}"),
        )?;
        let lang = c.find(Locator::Css("html")).await?.attr("lang").await?;
        ensure(lang.as_deref() == Some("ru"), format!("html lang {lang:?}"))?;
        c.find(Locator::Css("a.lang-switch")).await?.click().await?;
        wait_for_heading(&c, "Propusk — your pass to state and financial services").await?;
        let title = c.title().await?;
        ensure(
            title.contains("Propusk — your pass"),
            format!("English title after switch, got {title:?}"),
        )?;
        // The choice sticks across pages.
        c.goto(&format!("{base}/missing-page")).await?;
        wait_for_heading(&c, "Page not found").await?;
        // And switching back works.
        c.find(Locator::Css("a.lang-switch")).await?.click().await?;
        wait_for_heading(&c, "Страница не найдена").await?;
        Ok(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn skip_link_is_first_and_moves_focus_to_main() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    Browser::run(
        "skip_link_is_first_and_moves_focus_to_main",
        |c| async move {
            c.goto(&format!("{base}/")).await?;
            c.find(Locator::Css("body"))
                .await?
                .send_keys("\u{E004}")
                .await?; // Tab
            let focused = c
                .execute("return document.activeElement.className", vec![])
                .await?;
            ensure(
                focused.as_str() == Some("skip-link"),
                format!("first Tab stop: {focused}"),
            )?;
            let visible = c
                .execute(
                    "return document.activeElement.getBoundingClientRect().top >= 0",
                    vec![],
                )
                .await?;
            ensure(
                visible.as_bool() == Some(true),
                "skip link becomes visible on focus",
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn home_page_fits_a_320px_screen() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.base.clone();
    Browser::run("home_page_fits_a_320px_screen", |c| async move {
        c.set_window_size(320, 800).await?;
        c.goto(&format!("{base}/")).await?;
        let overflow = c
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await?;
        ensure(overflow.as_i64() == Some(0), format!("horizontal overflow at 320px: {overflow}"))?;
        Ok(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_person_registers_confirms_signs_in_and_out() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    let http = app.http.clone();
    Browser::run(
        "a_person_registers_confirms_signs_in_and_out",
        |c| async move {
            c.goto(&format!("{base}/")).await?;
            c.find(Locator::LinkText("Создать учётную запись"))
                .await?
                .click()
                .await?;
            for (id, value) in [
                ("last_name", "Смирнова"),
                ("first_name", "Ольга"),
                ("phone", "8 916 700-00-09"),
                ("password", "Lilac-Harbour-71"),
            ] {
                c.find(Locator::Id(id)).await?.send_keys(value).await?;
            }
            // Submitting without the consent ticked keeps the values and says why.
            c.find(Locator::Css("form[action='/register'] button[type=submit]"))
                .await?
                .click()
                .await?;
            let err = c
                .find(Locator::Id("pd_consent-error"))
                .await?
                .text()
                .await?;
            ensure(
                err.contains("согласия"),
                format!("consent error shown, got {err:?}"),
            )?;
            let kept = c
                .find(Locator::Id("last_name"))
                .await?
                .prop("value")
                .await?;
            ensure(kept.as_deref() == Some("Смирнова"), "surname kept")?;
            c.find(Locator::Id("password"))
                .await?
                .send_keys("Lilac-Harbour-71")
                .await?;
            c.find(Locator::Id("pd_consent")).await?.click().await?;
            c.find(Locator::Css("form[action='/register'] button[type=submit]"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Подтверждение телефона").await?;
            // Read the code the way a demo user does: from the outbox.
            let outbox: serde_json::Value = http
                .get(format!("{base}/dev/outbox.json"))
                .send()
                .await?
                .json()
                .await?;
            let body = outbox[0]["body"].as_str().unwrap_or_default().to_owned();
            let code: String = body.chars().filter(char::is_ascii_digit).collect();
            ensure(code.len() == 6, format!("code in {body:?}"))?;
            c.find(Locator::Id("code")).await?.send_keys(&code).await?;
            c.find(Locator::Css("form[action='/register/confirm'] button"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Учётная запись подтверждена").await?;

            // Sign in with the phone written another way, see the cabinet.
            c.find(Locator::Css("main a[href='/login']"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Вход").await?;
            c.find(Locator::Id("login"))
                .await?
                .send_keys("+7 916 700-00-09")
                .await?;
            c.find(Locator::Id("password"))
                .await?
                .send_keys("Lilac-Harbour-71")
                .await?;
            c.find(Locator::Css("form[action='/login'] button"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Смирнова Ольга").await?;
            c.find(Locator::LinkText("Активные сеансы"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Активные сеансы").await?;
            let table = c.find(Locator::Css("table")).await?.text().await?;
            ensure(table.contains("этот сеанс"), format!("sessions: {table}"))?;
            if let Ok(dir) = std::env::var("PROPUSK_SCREENSHOTS") {
                let png = c.screenshot().await?;
                std::fs::write(format!("{dir}/cabinet_sessions.png"), png)?;
            }
            c.find(Locator::LinkText("Личные данные"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Личные данные").await?;
            c.find(Locator::Id("snils"))
                .await?
                .send_keys("112-233-445 96")
                .await?;
            c.find(Locator::Css("form[action='/cabinet/profile'] button"))
                .await?
                .click()
                .await?;
            let err = c.find(Locator::Id("snils-error")).await?.text().await?;
            ensure(!err.is_empty(), "a wrong SNILS is explained next to it")?;
            if let Ok(dir) = std::env::var("PROPUSK_SCREENSHOTS") {
                c.set_window_size(1280, 1800).await?;
                let png = c.screenshot().await?;
                std::fs::write(format!("{dir}/cabinet_profile.png"), png)?;
                c.set_window_size(1280, 800).await?;
            }
            // Sign out from the header: back on the home page, signed out.
            c.find(Locator::Css("form[action='/logout'] button"))
                .await?
                .click()
                .await?;
            wait_for_heading(
                &c,
                "Пропуск — ваш доступ к госуслугам и финансовым сервисам",
            )
            .await?;
            c.find(Locator::Css("header a[href='/login']")).await?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

/// Fills the sign-in form and submits it.
async fn browser_sign_in(
    c: &fantoccini::Client,
    base: &str,
    login: &str,
) -> Result<(), propusk_e2e::browser::BoxError> {
    propusk_e2e::browser::sign_in_with(c, base, login, propusk_e2e::pages::PASSWORD).await
}

async fn browser_sign_out(c: &fantoccini::Client) -> Result<(), propusk_e2e::browser::BoxError> {
    c.find(Locator::Css("form[action='/logout'] button"))
        .await?
        .click()
        .await?;
    // The click returns before the next page is in: wait for it.
    wait_for_heading(c, "Пропуск — ваш доступ к госуслугам и финансовым сервисам").await?;
    c.find(Locator::Css("header a[href='/login']")).await?;
    Ok(())
}

async fn enter_factor_code(
    c: &fantoccini::Client,
    code: &str,
) -> Result<(), propusk_e2e::browser::BoxError> {
    wait_for_heading(c, "Подтверждение входа").await?;
    c.find(Locator::Id("code")).await?.send_keys(code).await?;
    c.find(Locator::Css("form[action='/login/factor'] button"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// TOTP on from the security page, then sign-in with an app code and with a
/// backup code, and another session ended from the sessions page.
#[tokio::test]
async fn a_person_turns_on_totp_and_signs_in_with_it() {
    use propusk_core::factor::TotpKey;
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    propusk_e2e::pages::register(&app, "+79167200001").await;
    // Another device, signed in before the factor was turned on.
    let other = propusk_e2e::client();
    let r = propusk_e2e::pages::sign_in(&app, &other, "+79167200001", propusk_e2e::pages::PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let base = app.base.clone();
    let other_for_check = other.clone();
    let base_for_check = base.clone();
    Browser::run(
        "a_person_turns_on_totp_and_signs_in_with_it",
        |c| async move {
            browser_sign_in(&c, &base, "+79167200001").await?;
            wait_for_heading(&c, "Петрова Анна Сергеевна").await?;
            c.find(Locator::LinkText("Безопасность"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Безопасность").await?;
            c.find(Locator::Css("form[action='/cabinet/security/totp'] button"))
                .await?
                .click()
                .await?;
            let key_text = c.find(Locator::Id("totp-key")).await?.text().await?;
            let key = TotpKey::from_base32(&key_text)?;
            c.find(Locator::Css(".qr svg")).await?;
            if let Ok(dir) = std::env::var("PROPUSK_SCREENSHOTS") {
                std::fs::write(
                    format!("{dir}/cabinet_security_enrol.png"),
                    c.screenshot().await?,
                )?;
            }
            let now = time::OffsetDateTime::now_utc();
            c.find(Locator::Id("code"))
                .await?
                .send_keys(&key.code_at(now)?)
                .await?;
            c.find(Locator::Css(
                "form[action='/cabinet/security/totp/confirm'] button",
            ))
            .await?
            .click()
            .await?;
            let mut backup = Vec::new();
            for li in c.find_all(Locator::Css("#backup-codes code")).await? {
                backup.push(li.text().await?);
            }
            ensure(
                backup.len() == 10,
                format!("ten backup codes, got {backup:?}"),
            )?;

            // Sign in again: the password, then an app code (the next step's, as
            // the current one was spent turning the factor on).
            browser_sign_out(&c).await?;
            browser_sign_in(&c, &base, "+7 916 720-00-01").await?;
            let next_step = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
            enter_factor_code(&c, &key.code_at(next_step)?).await?;
            wait_for_heading(&c, "Петрова Анна Сергеевна").await?;

            // And with a backup code.
            browser_sign_out(&c).await?;
            browser_sign_in(&c, &base, "+79167200001").await?;
            enter_factor_code(&c, &backup[3]).await?;
            wait_for_heading(&c, "Петрова Анна Сергеевна").await?;

            // End the other device's session.
            c.find(Locator::LinkText("Активные сеансы"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "Активные сеансы").await?;
            c.find(Locator::Css("form[action='/cabinet/sessions/end'] button"))
                .await?
                .click()
                .await?;
            let notice = c.find(Locator::Css(".form-notice")).await?.text().await?;
            ensure(
                notice.contains("Сеанс завершён"),
                format!("notice: {notice}"),
            )?;
            Ok(())
        },
    )
    .await;
    let r = other_for_check
        .get(format!("{base_for_check}/cabinet"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the other device is signed out");
    app.shutdown().await;
}

/// The newest email to `to` in the demo outbox: the link in its body.
async fn link_in_outbox(http: &reqwest::Client, base: &str, to: &str) -> String {
    let outbox: serde_json::Value = http
        .get(format!("{base}/dev/outbox.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == "email" && m["to"] == to)
        .expect("an email");
    mail["link"].as_str().expect("a link").to_owned()
}

/// A demo person with an email forgets the password and sets a new one from
/// the emailed link, then signs in with it.
#[tokio::test]
async fn a_person_recovers_the_password_by_email() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    let http = app.http.clone();
    Browser::run("a_person_recovers_the_password_by_email", |c| async move {
        c.goto(&format!("{base}/login")).await?;
        c.find(Locator::LinkText("Забыли пароль?"))
            .await?
            .click()
            .await?;
        wait_for_heading(&c, "Восстановление доступа").await?;
        c.find(Locator::Id("login"))
            .await?
            .send_keys("morozov@demo.propusk.test")
            .await?;
        c.find(Locator::Css("form[action='/recover'] button"))
            .await?
            .click()
            .await?;
        propusk_e2e::browser::wait_for_text(&c, ".lead", "письмо со ссылкой").await?;
        let link = link_in_outbox(&http, &base, "morozov@demo.propusk.test").await;
        ensure(link.contains("/recover/password?"), format!("link: {link}"))?;
        c.goto(&link).await?;
        c.find(Locator::Id("new_password"))
            .await?
            .send_keys("Quartz-Meadow-58")
            .await?;
        c.find(Locator::Css("form[action='/recover/password'] button"))
            .await?
            .click()
            .await?;
        propusk_e2e::browser::wait_for_text(&c, ".form-notice", "Пароль изменён").await?;
        c.find(Locator::Id("login"))
            .await?
            .send_keys("morozov@demo.propusk.test")
            .await?;
        c.find(Locator::Id("password"))
            .await?
            .send_keys("Quartz-Meadow-58")
            .await?;
        c.find(Locator::Css("form[action='/login'] button"))
            .await?
            .click()
            .await?;
        wait_for_heading(&c, "Морозов Алексей Викторович").await?;
        Ok(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_person_enters_documents_and_the_registries_make_the_account_standard() {
    // Demo mode: the registry emulator runs in-process, with the demo people.
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    Browser::run(
        "a_person_enters_documents_and_the_registries_make_the_account_standard",
        |c| async move {
            propusk_e2e::browser::sign_in_with(&c, &base, "+7 900 000-00-01", "Propusk-Demo-2026")
                .await?;
            wait_for_heading(&c, "Соколов Иван Петрович").await?;
            c.goto(&format!("{base}/cabinet/profile")).await?;
            // Dates through the DOM: typing into a date input depends on the browser's locale.
            c.execute(
                "document.getElementById('birth_date').value = '1990-03-14';
                 document.getElementById('passport_issue_date').value = '2010-03-25';",
                vec![],
            )
            .await?;
            for (id, value) in [
                ("birth_place", "г. Москва"),
                ("passport_number", "4510 123456"),
                ("passport_issuer", "ГУ МВД России по г. Москве"),
                ("passport_division_code", "770-001"),
                ("snils", "123-456-789 64"),
            ] {
                c.find(Locator::Id(id)).await?.send_keys(value).await?;
            }
            c.find(Locator::Css(
                "form[action='/cabinet/profile'] button[type=submit]",
            ))
            .await?
            .click()
            .await?;
            propusk_e2e::browser::wait_for_text(&c, "#identity-state", "Паспорт и СНИЛС").await?;
            // The job checks within a second or two; the page shows it on reload.
            let mut verified = false;
            for _ in 0..30 {
                c.goto(&format!("{base}/cabinet/profile")).await?;
                let state = c
                    .find(Locator::Css("#identity-state"))
                    .await?
                    .text()
                    .await?;
                if state.contains("проверены") {
                    verified = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            ensure(verified, "the check finished")?;
            c.find(Locator::Css("#identity-log summary"))
                .await?
                .click()
                .await?;
            let log = c.find(Locator::Css("#identity-log")).await?.text().await?;
            for step in [
                "МВД",
                "СФР",
                "ФНС",
                "Данные подтверждены",
                "учётная запись стала стандартной",
            ] {
                ensure(log.contains(step), format!("{step:?} in the log: {log}"))?;
            }
            let inn = c.find(Locator::Id("inn")).await?.prop("value").await?;
            ensure(
                inn.as_deref() == Some("771234567859"),
                format!("INN from ФНС, got {inn:?}"),
            )?;
            c.goto(&format!("{base}/cabinet")).await?;
            let body = c.find(Locator::Css("main")).await?.text().await?;
            ensure(
                body.contains("стандартная"),
                format!("the cabinet shows the level: {body}"),
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_confirmed_person_adds_a_sole_proprietorship() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    Browser::run(
        "a_confirmed_person_adds_a_sole_proprietorship",
        |c| async move {
            propusk_e2e::browser::sign_in_with(
                &c,
                &base,
                "morozov@demo.propusk.test",
                "Propusk-Demo-2026",
            )
            .await?;
            wait_for_heading(&c, "Морозов Алексей Викторович").await?;
            propusk_e2e::browser::follow_link(&c, "/cabinet/business", "Бизнес").await?;
            // Someone else's ИП: the reason is next to the field and the value stays.
            c.find(Locator::Id("ogrnip"))
                .await?
                .send_keys("321500000543216")
                .await?;
            c.find(Locator::Css("form[action='/cabinet/business'] button"))
                .await?
                .click()
                .await?;
            propusk_e2e::browser::wait_for_text(&c, "#ogrnip-error", "другой ИНН").await?;
            let kept = c.find(Locator::Id("ogrnip")).await?.prop("value").await?;
            ensure(
                kept.as_deref() == Some("321500000543216"),
                format!("value kept: {kept:?}"),
            )?;
            // His own.
            let field = c.find(Locator::Id("ogrnip")).await?;
            field.clear().await?;
            field.send_keys("318770000123457").await?;
            c.find(Locator::Css("form[action='/cabinet/business'] button"))
                .await?
                .click()
                .await?;
            propusk_e2e::browser::wait_for_text(
                &c,
                "#entrepreneurs",
                "ИП Морозов Алексей Викторович",
            )
            .await?;
            let list = c.find(Locator::Css("#entrepreneurs")).await?.text().await?;
            ensure(
                list.contains("318770000123457") && list.contains("04.06.2018"),
                format!("the ЕГРИП data: {list}"),
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_head_registers_the_company_and_invites_an_employee() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let base = app.base.clone();
    Browser::run(
        "a_head_registers_the_company_and_invites_an_employee",
        |c| async move {
            propusk_e2e::browser::sign_in_with(
                &c,
                &base,
                "morozov@demo.propusk.test",
                "Propusk-Demo-2026",
            )
            .await?;
            wait_for_heading(&c, "Морозов Алексей Викторович").await?;
            propusk_e2e::browser::follow_link(&c, "/cabinet/orgs", "Организации").await?;
            c.find(Locator::Id("ogrn"))
                .await?
                .send_keys("1207700012343")
                .await?;
            c.find(Locator::Css("form[action='/cabinet/orgs/register'] button"))
                .await?
                .click()
                .await?;
            wait_for_heading(&c, "ООО \"Пропуск Демо\"").await?;
            propusk_e2e::browser::follow_link(&c, "/org/members", "Сотрудники").await?;
            c.find(Locator::Id("value"))
                .await?
                .send_keys("+7 916 555-12-34")
                .await?;
            c.find(Locator::Css("#role option[value='accountant']"))
                .await?
                .click()
                .await?;
            c.find(Locator::Css("#invite-form button"))
                .await?
                .click()
                .await?;
            propusk_e2e::browser::wait_for_text(&c, "#members-notice", "Приглашение отправлено")
                .await?;
            let list = c.find(Locator::Id("invitations")).await?.text().await?;
            ensure(
                list.contains("тел. …1234") && list.contains("бухгалтер"),
                format!("the invitation is listed: {list}"),
            )?;
            Ok(())
        },
    )
    .await;
    app.shutdown().await;
}
