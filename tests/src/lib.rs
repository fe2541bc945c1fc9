//! End-to-end harness: [`TestApp`] starts the real server, through the same
//! start-up code as `propusk serve`, on port 0 against a fresh database of either
//! kind; [`browser`] drives Debian's headless Chromium through chromedriver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bank;
pub mod browser;
pub mod oidc;
pub mod pages;

use std::time::Duration;

use propusk_testkit::{Backend, TestDb};
use propusk_web::{Running, Settings};

pub use propusk_testkit::both_backends;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// The test database, when the harness made it (dropped with the app).
    pub db: Option<TestDb>,
    /// Holds the key file (and anything else the server keeps on disk).
    pub data_dir: std::path::PathBuf,
    /// The in-process demo bank (demo mode).
    pub demo_bank: Option<String>,
    _data_dir: TempDir,
    addr: std::net::SocketAddr,
    running: Option<Running>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(TestDb::new(backend).await, |_| {}).await
    }

    /// Starts on `db` after letting the test adjust the settings.
    pub async fn spawn_with(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut app = Self::spawn_url(db.url.clone(), adjust).await;
        app.db = Some(db);
        app
    }

    /// Starts on a database the test made itself (e.g. in its own cluster).
    pub async fn spawn_url(database_url: String, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = TempDir::new();
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(database_url),
            data_dir: dir.0.clone(),
            ..Settings::default()
        };
        adjust(&mut settings);
        let running = propusk_web::start(settings, std::future::pending())
            .await
            .expect("server starts");
        let base = format!("http://{}", running.addr);
        let demo_bank = running.demo_bank.clone();
        TestApp {
            base,
            http: client(),
            db: None,
            data_dir: dir.0.clone(),
            demo_bank,
            _data_dir: dir,
            addr: running.addr,
            running: Some(running),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
    }

    /// Starts the graceful shutdown and returns the task that finishes it.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let r = self.running.take().unwrap();
        tokio::spawn(r.shutdown())
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("propusk-e2e-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client that does not follow redirects (tests look at them) and keeps cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One text column of `sql`'s rows, with `binds`, on either database.
async fn texts(url: &str, sql: &'static str, binds: &[&str]) -> Vec<String> {
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let mut q = sqlx::query_scalar(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let mut q = sqlx::query_scalar(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&pool).await.unwrap()
    }
}

/// Every audit event's action, in order.
pub async fn audit_actions(url: &str) -> Vec<String> {
    texts(url, "SELECT action FROM audit_events ORDER BY seq", &[]).await
}

/// The details of the audit events with this action and subject.
pub async fn audit_details(url: &str, action: &str, subject: &str) -> Vec<serde_json::Value> {
    const SQL: &str =
        "SELECT details FROM audit_events WHERE action = $1 AND subject = $2 ORDER BY seq";
    texts(url, SQL, &[action, subject])
        .await
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}
