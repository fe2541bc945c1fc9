//! Page flows in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use fantoccini::Locator;
use propusk_e2e::TestApp;
use propusk_e2e::browser::{Browser, ensure};
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
        let title = c.title().await?;
        ensure(
            title.contains("Propusk — your pass"),
            format!("English title after switch, got {title:?}"),
        )?;
        // The choice sticks across pages.
        c.goto(&format!("{base}/missing-page")).await?;
        let h1 = c.find(Locator::Css("h1")).await?.text().await?;
        ensure(
            h1 == "Page not found",
            format!("404 page in English, got {h1:?}"),
        )?;
        // And switching back works.
        c.find(Locator::Css("a.lang-switch")).await?.click().await?;
        let h1 = c.find(Locator::Css("h1")).await?.text().await?;
        ensure(
            h1 == "Страница не найдена",
            format!("back in Russian, got {h1:?}"),
        )?;
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
