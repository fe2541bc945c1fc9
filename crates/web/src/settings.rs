//! What the server needs to know to run. Every field has a default; the binary
//! fills this from flags, `PROPUSK_*` variables and an optional TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: the embedded SQLite file `DATA_DIR/propusk.db`.
    pub database_url: Option<String>,
    /// How people and partners reach us; `None`: `http://LISTEN`.
    pub public_url: Option<url::Url>,
    pub demo: bool,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    pub db_max_connections: u32,
    /// The personal-data key ring; `None`: `DATA_DIR/keyring`.
    pub key_file: Option<PathBuf>,
    /// A session unused this long ends.
    pub session_idle: time::Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_absolute: time::Duration,
    /// Where email goes out; `None`: emails wait (shown at /dev/outbox in demo).
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The SMS gateway adapter's URL (see `docs/delivery.md`).
    pub sms_gateway_url: Option<String>,
    pub sms_gateway_token: Option<String>,
    /// The state registries' base URL (an emulator or a gateway that serves
    /// `/fns`, `/mvd`, `/sfr`, `/rosreestr`, `/gisgmp`). `None` in demo mode:
    /// an emulator runs in-process; `None` otherwise: identity checks wait.
    pub registries_url: Option<String>,
    /// The banks that confirm identities. Empty in demo mode: a demo bank
    /// runs in-process; empty otherwise: confirmation is not offered.
    pub partner_banks: Vec<propusk_service::confirm::PartnerBank>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            public_url: None,
            demo: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            db_max_connections: 16,
            key_file: None,
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(12),
            smtp_url: None,
            mail_from: "Пропуск <noreply@propusk.localhost>".into(),
            sms_gateway_url: None,
            registries_url: None,
            sms_gateway_token: None,
            partner_banks: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("public-url: {0}")]
    PublicUrl(String),
}

/// Parses and checks a public URL: absolute http(s), no query or fragment.
pub fn parse_public_url(s: &str) -> Result<url::Url, SettingsError> {
    let u = url::Url::parse(s).map_err(|e| SettingsError::PublicUrl(format!("{s}: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(SettingsError::PublicUrl(format!(
            "{s}: must be an http:// or https:// URL"
        )));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(SettingsError::PublicUrl(format!(
            "{s}: must not have a query or fragment"
        )));
    }
    Ok(u)
}

impl Settings {
    /// The URL people reach us at, without a trailing slash.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keyring"))
    }

    pub fn is_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}
