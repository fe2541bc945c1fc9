//! Headless Chromium through chromedriver (WebDriver), as root, with the flags
//! that keep it off the network, and a fresh profile per test. A failing test
//! leaves a screenshot under `target/browser-failures/`.

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: crate::TempDir,
}

fn find(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.exists())
}

impl Browser {
    pub async fn start() -> Browser {
        let chromium = std::env::var_os("PROPUSK_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| find(&["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]))
            .expect("Chromium not found: install Debian's `chromium` (scripts/test does) or set PROPUSK_CHROMIUM");
        let driver_bin = std::env::var_os("PROPUSK_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find(&["/usr/bin/chromedriver"]))
            .expect("chromedriver not found: install Debian's `chromium-driver` or set PROPUSK_CHROMEDRIVER");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let profile_dir = crate::TempDir::new();
        let profile = profile_dir.0.clone();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                // A Russian-speaking visitor, as most of ours are; tests that need
                // English switch to it the way people do.
                "prefs": { "intl.accept_languages": "ru-RU,ru" },
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--no-default-browser-check",
                    "--window-size=1280,900", "--lang=ru-RU",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = None;
        for _ in 0..100 {
            // chromedriver is on loopback: plain HTTP, no TLS stack to build.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    // Clicks return before the next page is in; finding an
                    // element waits for it (up to 5 s) instead of racing.
                    let _ = client
                        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                            Some(Duration::from_secs(60)),
                            Some(Duration::from_secs(60)),
                            Some(Duration::from_secs(5)),
                        ))
                        .await;
                    return Browser {
                        client,
                        driver,
                        _profile: profile_dir,
                    };
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("cannot connect to chromedriver: {last_err:?}");
    }

    /// Runs a browser test; on failure saves a screenshot and the page source,
    /// then fails the test with the error.
    pub async fn run<F, Fut>(name: &str, test: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<(), BoxError>>,
    {
        let mut browser = Browser::start().await;
        let result = test(browser.client.clone()).await;
        if let Err(e) = result {
            let dir = failure_dir();
            let _ = std::fs::create_dir_all(&dir);
            if let Ok(png) = browser.client.screenshot().await {
                let _ = std::fs::write(dir.join(format!("{name}.png")), png);
            }
            if let Ok(src) = browser.client.source().await {
                let _ = std::fs::write(dir.join(format!("{name}.html")), src);
            }
            let _ = browser.client.clone().close().await;
            let _ = browser.driver.kill().await;
            panic!(
                "browser test {name} failed: {e} (screenshot in {})",
                dir.display()
            );
        }
        let _ = browser.client.clone().close().await;
        let _ = browser.driver.kill().await;
    }
}

/// `target/browser-failures`, found from the test executable's own path
/// (`target/debug/deps/…`), so it follows `CARGO_TARGET_DIR`.
pub fn failure_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let target = exe
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("browser-failures")
}

/// `ensure(cond, "what")?` inside a browser test.
pub fn ensure(cond: bool, what: impl Into<String>) -> Result<(), BoxError> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Waits (up to 10 s) until the page's `<h1>` reads `expected`, riding out
/// navigations in progress; returns what it last saw if it never does.
pub async fn wait_for_heading(c: &Client, expected: &str) -> Result<(), BoxError> {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(h1) = c.find(fantoccini::Locator::Css("h1")).await
            && let Ok(text) = h1.text().await
        {
            if text == expected {
                return Ok(());
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("expected heading {expected:?}, last saw {last:?}").into())
}

/// Fills the sign-in form with this login and password and submits it.
pub async fn sign_in_with(
    c: &Client,
    base: &str,
    login: &str,
    password: &str,
) -> Result<(), BoxError> {
    c.goto(&format!("{base}/login")).await?;
    c.find(Locator::Id("login")).await?.send_keys(login).await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(password)
        .await?;
    c.find(Locator::Css("form[action='/login'] button"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Waits until the element at `css` holds `needle` (pages load after clicks).
pub async fn wait_for_text(c: &Client, css: &str, needle: &str) -> Result<(), BoxError> {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(text) = e.text().await
        {
            if text.contains(needle) {
                return Ok(());
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("expected {needle:?} in {css}, last saw {last:?}").into())
}

/// Clicks the menu link to `href` and waits for the page's heading.
pub async fn follow_link(c: &Client, href: &str, heading: &str) -> Result<(), BoxError> {
    c.find(Locator::Css(&format!("nav a[href='{href}']")))
        .await?
        .click()
        .await?;
    wait_for_heading(c, heading).await
}
