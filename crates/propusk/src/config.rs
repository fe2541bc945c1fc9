//! Settings from three places, strongest first: flags, `PROPUSK_*` variables (both
//! read by clap), then the optional TOML file; anything still unset keeps its
//! default. A bad value anywhere is reported in one line that names it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use propusk_service::confirm::PartnerBank;
use propusk_web::Settings;

use crate::cli::{Common, ServeArgs};
use crate::logging::LogFormat;

/// A configuration problem: one line naming the option.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Values read from the TOML file. Keys are the flag names with `_` for `-`.
#[derive(Debug, Default)]
struct FileValues {
    listen: Option<std::net::SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<url::Url>,
    demo: Option<bool>,
    max_body_bytes: Option<usize>,
    request_timeout: Option<u64>,
    shutdown_grace: Option<u64>,
    db_max_connections: Option<u32>,
    session_idle_minutes: Option<u32>,
    session_max_hours: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    sms_gateway_url: Option<String>,
    sms_gateway_token: Option<String>,
    registries_url: Option<String>,
    partner_banks: Vec<PartnerBank>,
    log_format: Option<LogFormat>,
    key_file: Option<PathBuf>,
}

pub struct Resolved {
    pub settings: Settings,
    pub log_format: LogFormat,
}

pub fn resolve(common: &Common, serve: &ServeArgs) -> Result<Resolved, ConfigError> {
    let file = match &common.config {
        Some(path) => read_file(path)?,
        None => FileValues::default(),
    };
    let mut s = Settings::default();
    if let Some(v) = serve.listen.or(file.listen) {
        s.listen = v;
    }
    if let Some(v) = common.data_dir.clone().or(file.data_dir) {
        s.data_dir = v;
    }
    s.database_url = common.database_url.clone().or(file.database_url);
    s.key_file = common.key_file.clone().or(file.key_file);
    s.public_url = serve.public_url.clone().or(file.public_url);
    s.demo = serve.demo || file.demo.unwrap_or(false);
    if let Some(v) = serve.max_body_bytes.or(file.max_body_bytes) {
        s.max_body_bytes = v;
    }
    if let Some(v) = serve.request_timeout.or(file.request_timeout) {
        s.request_timeout = Duration::from_secs(v);
    }
    if let Some(v) = serve.shutdown_grace.or(file.shutdown_grace) {
        s.shutdown_grace = Duration::from_secs(v);
    }
    if let Some(v) = serve.db_max_connections.or(file.db_max_connections) {
        s.db_max_connections = v;
    }
    if let Some(v) = serve.session_idle_minutes.or(file.session_idle_minutes) {
        s.session_idle = time::Duration::minutes(i64::from(v));
    }
    if let Some(v) = serve.session_max_hours.or(file.session_max_hours) {
        s.session_absolute = time::Duration::hours(i64::from(v));
    }
    s.smtp_url = serve.smtp_url.clone().or(file.smtp_url);
    if let Some(url) = &s.smtp_url {
        check_smtp_url(url).map_err(|e| ConfigError(format!("smtp-url: {e}")))?;
    }
    if let Some(v) = serve.mail_from.clone().or(file.mail_from) {
        s.mail_from = v;
    }
    s.sms_gateway_url = serve.sms_gateway_url.clone().or(file.sms_gateway_url);
    if let Some(url) = &s.sms_gateway_url {
        let u = url::Url::parse(url).map_err(|e| ConfigError(format!("sms-gateway-url: {e}")))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(ConfigError(
                "sms-gateway-url: must be http:// or https://".into(),
            ));
        }
    }
    s.sms_gateway_token = serve.sms_gateway_token.clone().or(file.sms_gateway_token);
    s.registries_url = serve.registries_url.clone().or(file.registries_url);
    if let Some(url) = &s.registries_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ConfigError(format!(
            "registries-url: {url}: expected http://… or https://…"
        )));
    }
    s.partner_banks = partner_banks(serve, file.partner_banks)?;
    if let Some(url) = &s.database_url {
        check_database_url(url).map_err(|e| ConfigError(format!("database-url: {e}")))?;
    }
    let log_format = common.log_format.or(file.log_format).unwrap_or_default();
    Ok(Resolved {
        settings: s,
        log_format,
    })
}

/// Banks from the flags, else from the file; each issuer an http(s) URL and
/// each id used once.
fn partner_banks(
    serve: &ServeArgs,
    file: Vec<PartnerBank>,
) -> Result<Vec<PartnerBank>, ConfigError> {
    let banks = if serve.partner_banks.is_empty() {
        file
    } else {
        let secret = serve.partner_bank_secret.clone().ok_or_else(|| {
            ConfigError(
                "partner-bank: needs --partner-bank-secret (or PROPUSK_PARTNER_BANK_SECRET)".into(),
            )
        })?;
        let client_id = serve
            .partner_bank_client_id
            .clone()
            .unwrap_or_else(|| "propusk".into());
        serve
            .partner_banks
            .iter()
            .map(|spec| {
                let (id, issuer) = spec
                    .split_once('=')
                    .ok_or_else(|| ConfigError(format!("partner-bank: {spec}: expected ID=URL")))?;
                Ok(PartnerBank {
                    id: id.trim().to_owned(),
                    name: id.trim().to_owned(),
                    issuer: issuer.trim().trim_end_matches('/').to_owned(),
                    client_id: client_id.clone(),
                    client_secret: secret.clone(),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?
    };
    let mut seen = std::collections::HashSet::new();
    for b in &banks {
        let id_ok = !b.id.is_empty()
            && b.id.len() <= 32
            && b.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(ConfigError(format!(
                "partner-bank: {:?}: the id must be 1-32 letters, digits, '-' or '_'",
                b.id
            )));
        }
        if !seen.insert(b.id.clone()) {
            return Err(ConfigError(format!("partner-bank: {}: listed twice", b.id)));
        }
        let url_ok = url::Url::parse(&b.issuer)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !url_ok {
            return Err(ConfigError(format!(
                "partner-bank: {}: {}: expected http://… or https://…",
                b.id, b.issuer
            )));
        }
    }
    Ok(banks)
}

/// One `[[partner_bank]]` table of the file.
fn file_bank(value: &toml::Value) -> Result<PartnerBank, String> {
    let table = value
        .as_table()
        .ok_or("expected tables ([[partner_bank]])")?;
    let field = |name: &str| -> Result<String, String> {
        table
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("`{name}`: expected a string"))
    };
    for key in table.keys() {
        if !["id", "name", "issuer", "client_id", "client_secret"].contains(&key.as_str()) {
            return Err(format!("`{key}`: unknown setting"));
        }
    }
    let id = field("id")?;
    Ok(PartnerBank {
        name: field("name").unwrap_or_else(|_| id.clone()),
        issuer: field("issuer")?.trim_end_matches('/').to_owned(),
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        id,
    })
}

fn check_database_url(url: &str) -> Result<(), String> {
    let ok = ["postgres://", "postgresql://", "sqlite:"]
        .iter()
        .any(|p| url.starts_with(p));
    if ok {
        Ok(())
    } else {
        Err("expected postgres://… or sqlite:…".into())
    }
}

fn read_file(path: &Path) -> Result<FileValues, ConfigError> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError(format!("config {shown}: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError(format!(
            "config {shown}: {}",
            e.message().lines().next().unwrap_or("not valid TOML")
        ))
    })?;
    let mut out = FileValues::default();
    for (key, value) in &table {
        let bad = |what: &str| ConfigError(format!("config {shown}: `{key}`: {what}"));
        let string = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("expected a string"))
        };
        let integer = || value.as_integer().ok_or_else(|| bad("expected an integer"));
        match key.as_str() {
            "listen" => {
                out.listen = Some(
                    string()?
                        .parse()
                        .map_err(|_| bad("expected an address like 127.0.0.1:8080"))?,
                )
            }
            "data_dir" => out.data_dir = Some(PathBuf::from(string()?)),
            "key_file" => out.key_file = Some(PathBuf::from(string()?)),
            "database_url" => {
                let url = string()?;
                check_database_url(&url).map_err(|e| bad(&e))?;
                out.database_url = Some(url);
            }
            "public_url" => {
                out.public_url = Some(
                    propusk_web::parse_public_url(&string()?).map_err(|e| bad(&e.to_string()))?,
                )
            }
            "demo" => {
                out.demo = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| bad("expected true or false"))?,
                )
            }
            "max_body_bytes" => {
                out.max_body_bytes = Some(
                    usize::try_from(integer()?).map_err(|_| bad("expected a positive integer"))?,
                )
            }
            "request_timeout" => {
                out.request_timeout =
                    Some(positive(integer()?, 3600).ok_or_else(|| bad("expected 1…3600 seconds"))?)
            }
            "shutdown_grace" => {
                out.shutdown_grace =
                    Some(u64::try_from(integer()?).map_err(|_| bad("expected seconds ≥ 0"))?)
            }
            "db_max_connections" => {
                let n = positive(integer()?, 1000).ok_or_else(|| bad("expected 1…1000"))?;
                out.db_max_connections =
                    Some(u32::try_from(n).map_err(|_| bad("expected 1…1000"))?);
            }
            "session_idle_minutes" => {
                let n = positive(integer()?, 1440).ok_or_else(|| bad("expected 1…1440 minutes"))?;
                out.session_idle_minutes =
                    Some(u32::try_from(n).map_err(|_| bad("expected 1…1440 minutes"))?);
            }
            "session_max_hours" => {
                let n = positive(integer()?, 720).ok_or_else(|| bad("expected 1…720 hours"))?;
                out.session_max_hours =
                    Some(u32::try_from(n).map_err(|_| bad("expected 1…720 hours"))?);
            }
            "smtp_url" => {
                let v = string()?;
                check_smtp_url(&v).map_err(|e| bad(&e))?;
                out.smtp_url = Some(v);
            }
            "mail_from" => out.mail_from = Some(string()?),
            "sms_gateway_url" => out.sms_gateway_url = Some(string()?),
            "registries_url" => out.registries_url = Some(string()?),
            "sms_gateway_token" => out.sms_gateway_token = Some(string()?),
            "partner_bank" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| bad("expected tables ([[partner_bank]])"))?;
                for v in list {
                    out.partner_banks.push(file_bank(v).map_err(|e| bad(&e))?);
                }
            }
            "log_format" => {
                out.log_format = Some(match string()?.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return Err(bad("expected \"text\" or \"json\"")),
                })
            }
            _ => return Err(bad("unknown setting")),
        }
    }
    Ok(out)
}

/// smtp:// or smtps:// with a host; lettre reads the rest.
fn check_smtp_url(s: &str) -> Result<(), String> {
    let u = url::Url::parse(s).map_err(|e| format!("{s}: {e}"))?;
    if !matches!(u.scheme(), "smtp" | "smtps") || u.host().is_none() {
        return Err(format!(
            "{s}: must be smtp://host[:port] or smtps://host[:port]"
        ));
    }
    Ok(())
}

fn positive(v: i64, max: u64) -> Option<u64> {
    u64::try_from(v).ok().filter(|v| (1..=max).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_file(text: &str) -> Result<Resolved, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("propusk.toml");
        std::fs::write(&path, text).unwrap();
        let common = Common {
            config: Some(path),
            ..Common::default()
        };
        resolve(&common, &ServeArgs::default())
    }

    #[test]
    fn defaults_apply_without_anything() {
        let r = resolve(&Common::default(), &ServeArgs::default()).unwrap();
        assert_eq!(r.settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(r.settings.data_dir, PathBuf::from("./data"));
        assert!(r.settings.database_url.is_none());
    }

    #[test]
    fn file_values_apply_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nrequest_timeout = 5\nlog_format = \"json\"\n",
        )
        .unwrap();
        let common = Common {
            config: Some(path),
            ..Common::default()
        };
        let r = resolve(&common, &ServeArgs::default()).unwrap();
        assert_eq!(r.settings.listen.port(), 9000);
        assert_eq!(r.settings.request_timeout, Duration::from_secs(5));
        assert_eq!(r.log_format, LogFormat::Json);
        let flags = ServeArgs {
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..ServeArgs::default()
        };
        assert_eq!(
            resolve(&common, &flags).unwrap().settings.listen.port(),
            9100
        );
    }

    #[test]
    fn bad_file_values_name_the_key_in_one_line() {
        for (text, key) in [
            ("listen = \"nowhere\"", "`listen`"),
            ("request_timeout = 0", "`request_timeout`"),
            ("colour = \"blue\"", "`colour`"),
            ("public_url = \"ftp://x\"", "`public_url`"),
            ("database_url = \"mysql://x\"", "`database_url`"),
            ("demo = \"yes\"", "`demo`"),
        ] {
            let err = with_file(text).err().unwrap().0;
            assert!(err.contains(key), "{text}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        let err = with_file("listen = [").err().unwrap().0;
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn partner_banks_come_from_the_file_or_the_flags() {
        let r = with_file(
            "[[partner_bank]]\nid = \"alfa\"\nname = \"Альфа\"\nissuer = \"https://id.alfa.example/\"\n\
             client_id = \"propusk\"\nclient_secret = \"s\"\n",
        )
        .unwrap();
        let b = &r.settings.partner_banks[0];
        assert_eq!(
            (b.id.as_str(), b.name.as_str(), b.issuer.as_str()),
            ("alfa", "Альфа", "https://id.alfa.example")
        );
        let serve = ServeArgs {
            partner_banks: vec!["demo=http://127.0.0.1:9191".into()],
            partner_bank_secret: Some("x".into()),
            ..ServeArgs::default()
        };
        let r = resolve(&Common::default(), &serve).unwrap();
        let b = &r.settings.partner_banks[0];
        assert_eq!(
            (b.id.as_str(), b.client_id.as_str(), b.issuer.as_str()),
            ("demo", "propusk", "http://127.0.0.1:9191")
        );
        for (banks, secret, want) in [
            (vec!["demo=http://x"], None, "needs --partner-bank-secret"),
            (vec!["demo"], Some("x"), "expected ID=URL"),
            (vec!["demo=ftp://x"], Some("x"), "expected http"),
            (vec!["a b=http://x"], Some("x"), "the id must be"),
            (vec!["d=http://x", "d=http://y"], Some("x"), "listed twice"),
        ] {
            let serve = ServeArgs {
                partner_banks: banks.iter().map(|s| (*s).to_owned()).collect(),
                partner_bank_secret: secret.map(str::to_owned),
                ..ServeArgs::default()
            };
            let err = resolve(&Common::default(), &serve).err().unwrap().0;
            assert!(err.contains(want), "{banks:?}: {err}");
            assert_eq!(err.lines().count(), 1);
        }
        let err = with_file("[[partner_bank]]\nid = \"a\"\n").err().unwrap().0;
        assert!(
            err.contains("`partner_bank`") && err.contains("issuer"),
            "{err}"
        );
    }
}
